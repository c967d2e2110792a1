"""The in-process runner: real and virtual time, tasks on threads, timeouts."""

from __future__ import annotations

import threading
import time

import pytest

import stepline

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def machine(**states: dict) -> dict:
    names = list(states)
    return {"StartAt": names[0], "States": states}


def test_a_real_wait_takes_real_time() -> None:
    t0 = time.monotonic()
    ex = stepline.run(machine(W={"Type": "Wait", "Seconds": 1, "End": True}))
    assert ex.status == "SUCCEEDED"
    assert time.monotonic() - t0 >= 0.95


def test_virtual_time_skips_waits_but_timestamps_advance() -> None:
    t0 = time.monotonic()
    ex = stepline.run(machine(W={"Type": "Wait", "Seconds": 86400, "Next": "P"},
                              P={"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}, "End": True}),
                      virtual_time=True)
    assert time.monotonic() - t0 < 2
    started = ex.history[0]["timestamp"]
    assert ex.history[-1]["timestamp"] - started == pytest.approx(86400, abs=2)
    entered = stepline.asl.timestamps.parse_timestamp(ex.output["t"]).timestamp()
    assert entered - started == pytest.approx(86400, abs=2)


def test_waits_in_parallel_branches_overlap() -> None:
    branch = lambda s: {"StartAt": f"W{s}", "States": {f"W{s}": {"Type": "Wait", "Seconds": s, "End": True}}}  # noqa: E731
    ex = stepline.run(machine(P={"Type": "Parallel", "Branches": [branch(100), branch(300), branch(200)],
                                 "End": True}), virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] == pytest.approx(300, abs=2)


def test_timestamp_wait_in_the_past_goes_on_at_once() -> None:
    ex = stepline.run(machine(W={"Type": "Wait", "Timestamp": "2001-01-01T00:00:00Z", "End": True}))
    assert ex.status == "SUCCEEDED"


def test_task_timeout_fires_while_the_function_still_runs() -> None:
    release = threading.Event()

    def slow(event, context):
        release.wait(30)
        return event

    t0 = time.monotonic()
    ex = stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("slow"), "TimeoutSeconds": 1,
                                 "End": True}), functions={"slow": slow}, virtual_time=True)
    release.set()
    assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
    assert 0.9 <= time.monotonic() - t0 < 10  # a running function is given its real time, no more
    assert [e["type"] for e in ex.history][-2:] == ["LambdaFunctionTimedOut", "ExecutionFailed"]


def test_task_with_a_timeout_that_finishes_in_time() -> None:
    ex = stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("quick"), "TimeoutSeconds": 5,
                                 "End": True}), {"a": 1}, functions={"quick": lambda e, c: {"got": e}})
    assert ex.status == "SUCCEEDED" and ex.output == {"got": {"a": 1}}


def test_execution_timeout() -> None:
    definition = {"StartAt": "W", "TimeoutSeconds": 10,
                  "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    ex = stepline.run(definition, virtual_time=True)
    assert (ex.status, ex.error, ex.cause) == ("TIMED_OUT", "States.Timeout", None)  # as its event says
    last = ex.history[-1]
    assert last["type"] == "ExecutionTimedOut"
    assert last["timestamp"] - ex.history[0]["timestamp"] == pytest.approx(10, abs=1)


def test_a_function_cannot_change_the_state_data_it_was_given() -> None:
    def vandal(event, context):
        event["list"].append("changed")
        return "done"

    ex = stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("vandal"), "ResultPath": "$.r",
                                 "End": True}), {"list": [1]}, functions={"vandal": vandal})
    assert ex.output == {"list": [1], "r": "done"}


def test_a_function_result_is_copied_as_json() -> None:
    kept: list = []

    def keeper(event, context):
        value = {"items": (1, 2)}
        kept.append(value)
        return value

    ex = stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("keeper"), "End": True}),
                      functions={"keeper": keeper})
    kept[0]["items"] = "mutated later"
    assert ex.output == {"items": [1, 2]}  # a tuple travels as a JSON array, like Lambda's response


def test_a_result_json_cannot_hold_fails_the_task() -> None:
    ex = stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("bad"), "End": True}),
                      functions={"bad": lambda e, c: {"when": object()}})
    assert (ex.status, ex.error) == ("FAILED", "Runtime.MarshalError")


def test_lambda_context_attributes() -> None:
    seen = {}

    def inspect(event, context):
        seen.update(name=context.function_name, arn=context.invoked_function_arn,
                    request=context.aws_request_id, remaining=context.get_remaining_time_in_millis())
        return None

    stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("inspect"), "TimeoutSeconds": 30,
                            "End": True}), functions={"inspect": inspect})
    assert seen["name"] == "inspect"
    assert seen["arn"].endswith(":function:inspect")
    assert len(seen["request"]) == 36
    assert 0 < seen["remaining"] <= 30_000


def test_the_decorator_registers_functions() -> None:
    @stepline.function("registered-by-decorator")
    def handler(event, context):
        return "decorated"

    ex = stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("registered-by-decorator"),
                                 "End": True}))
    assert ex.output == "decorated"


def test_functions_may_be_a_module() -> None:
    import types
    module = types.ModuleType("my_functions")
    exec("def greet(event, context):\n    return 'hello ' + event\n", module.__dict__)
    ex = stepline.run(machine(T={"Type": "Task", "Resource": LAMBDA.format("greet"), "End": True}), "you",
                      functions=module)
    assert ex.output == "hello you"


def test_input_that_is_not_json_is_refused_before_running() -> None:
    with pytest.raises(TypeError):
        stepline.run(machine(P={"Type": "Pass", "End": True}), {"when": object()})


def test_a_definition_as_json_text() -> None:
    ex = stepline.run('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 5, "End": true}}}')
    assert ex.output == 5


def test_an_invalid_definition_raises_definition_error() -> None:
    with pytest.raises(stepline.DefinitionError) as e:
        stepline.run({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}})
    assert e.value.diagnostics[0].code == "MISSING_TRANSITION_TARGET"


def test_the_gc_is_left_as_it_was() -> None:
    import gc
    assert gc.isenabled()
    stepline.run(machine(P={"Type": "Pass", "End": True}))
    assert gc.isenabled()
    gc.disable()
    try:
        stepline.run(machine(P={"Type": "Pass", "End": True}))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_failing_iteration_aborts_the_iterations_still_running() -> None:
    definition = machine(M={
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "Wait", "States": {
            "Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Boom"}],
                      "Default": "Ok"},
            "Boom": {"Type": "Fail", "Error": "ItemFailed"},
            "Ok": {"Type": "Succeed"}}}})
    ex = stepline.run(definition, {"items": [{"wait": 100, "fail": False}, {"wait": 1, "fail": True},
                                             {"wait": 50, "fail": False}]}, virtual_time=True)
    assert (ex.status, ex.error) == ("FAILED", "ItemFailed")
    types = [e["type"] for e in ex.history]
    assert types.count("WaitStateAborted") == 2
    aborted = [e["mapIterationAbortedEventDetails"]["index"] for e in ex.history if e["type"] == "MapIterationAborted"]
    assert aborted == [0, 2]
    assert types[-2:] == ["MapStateFailed", "ExecutionFailed"]
    assert "WaitStateExited" not in types[types.index("MapIterationFailed"):]  # nothing runs after the failure


COUNTER = {"StartAt": "Count", "States": {
    "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Done?"},
    "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 20000, "Next": "End"}],
              "Default": "Count"},
    "End": {"Type": "Succeed"}}}


def test_a_history_past_25000_events_fails_the_execution_as_on_aws() -> None:
    ex = stepline.run(COUNTER, {"n": 0}, virtual_time=True)  # 20,000 rounds: 80,000 events
    assert (ex.status, ex.error) == ("FAILED", "States.Runtime")
    assert ex.cause == "The execution reached the maximum number of history events (25000)."
    # as AWS records it (measured, floci-io/floci#2734): event 25,000 is the failure, after 24,999
    assert len(ex.history) == 25000
    assert (ex.history[-1]["id"], ex.history[-1]["previousEventId"]) == (25000, 24999)
    assert ex.history[-1]["type"] == "ExecutionFailed" and ex.history[-2]["type"] != "ExecutionFailed"
    # a loop that never ends ends too
    forever = {"StartAt": "Again", "States": {"Again": {"Type": "Choice", "Choices": [
        {"Variable": "$.stop", "IsPresent": True, "Next": "End"}], "Default": "Again"}, "End": {"Type": "Succeed"}}}
    assert stepline.run(forever, {}).error == "States.Runtime"


def test_the_history_limit_can_be_set_or_lifted() -> None:
    assert stepline.run(COUNTER, {"n": 0}, history_limit=None).output == {"n": 20000}
    small = stepline.run(COUNTER, {"n": 0}, history_limit=1000)
    assert small.cause == "The execution reached the maximum number of history events (1000)."
    assert len(small.history) == 1000 and small.output is None


@pytest.mark.parametrize("limit", [7, 8, 9])
def test_an_execution_that_ends_at_the_limit_ends_as_it_would(limit) -> None:
    """Pass, Pass, Succeed records 8 events: under a limit of 8 it succeeds; 7 fails it at event
    7 (its success would have been event 8)."""
    three = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"},
                                        "C": {"Type": "Succeed"}}}
    ex = stepline.run(three, {}, history_limit=limit)
    if limit >= 8:
        assert ex.status == "SUCCEEDED" and len(ex.history) == 8
    else:
        assert (ex.status, len(ex.history), ex.history[-1]["type"]) == ("FAILED", 7, "ExecutionFailed")
        assert ex.history[-1]["previousEventId"] == 6


def test_the_clock_never_goes_back_when_the_system_clock_does() -> None:
    from stepline.engine.local import Clock
    readings = iter([100.0, 99.5, 100.2])
    clock = Clock(True, real=lambda: next(readings))
    assert [clock.now(), clock.now(), clock.now()] == [100.0, 100.0, 100.2]
