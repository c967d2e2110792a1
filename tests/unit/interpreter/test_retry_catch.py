"""Retry and Catch on Task states, and the cause AWS writes for evaluation errors.

Retry delays are checked through the history's timestamps under virtual time: the gap between
a ``LambdaFunctionFailed`` and the next ``LambdaFunctionScheduled`` is the backoff.
Ground truth: conformance ``test_retry_interval_features*``, ``test_lambda_invoke_with_retry_*``,
``test_catch_states_runtime``, ``test_catch_empty``, ``test_no_such_function_catch``, and the ASL
spec / AWS docs (concepts-error-handling) for the retrier arithmetic:
delay = IntervalSeconds * BackoffRate ** attempt, capped by MaxDelaySeconds, and FULL jitter
picks a delay between 0 and that value.
"""

from __future__ import annotations

import json
import time

from .helpers import INVOKE, assigned, details, event, events_of, lambda_arn, machine, parsed, run, types


class Flaky:
    """Raises ``errors`` in turn (class names), then returns its event."""

    def __init__(self, *errors: type[Exception]) -> None:
        self.errors = list(errors)
        self.calls: list = []

    def __call__(self, event, context):
        self.calls.append(event)
        if self.errors:
            raise self.errors.pop(0)("failing")
        return event


class ErrA(Exception):
    pass


class ErrB(Exception):
    pass


def always(exc=ValueError):
    def fn(event, context):
        raise exc("always")
    return fn


def task(fn_name="f", **fields):
    return machine({"T": {"Type": "Task", "Resource": lambda_arn(fn_name), "End": True, **fields}})


def backoffs(ex) -> list[float]:
    """Gaps between each LambdaFunctionFailed and the following LambdaFunctionScheduled."""
    h = ex.history
    gaps = []
    for i, e in enumerate(h):
        if e["type"] == "LambdaFunctionFailed" and i + 1 < len(h) and h[i + 1]["type"] == "LambdaFunctionScheduled":
            gaps.append(h[i + 1]["timestamp"] - e["timestamp"])
    return gaps


def close(actual, expected, tol=0.5):
    return len(actual) == len(expected) and all(abs(a - b) < tol for a, b in zip(actual, expected, strict=True))


# ---------------------------------------------------------------------------- Retry

def test_default_retrier_is_three_attempts_at_1_2_4_seconds():
    f = always()
    ex = run(task(Retry=[{"ErrorEquals": ["States.ALL"]}]), {}, functions={"f": f}, virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "ValueError"
    assert len(events_of(ex, "LambdaFunctionScheduled")) == 4
    assert close(backoffs(ex), [1, 2, 4]), backoffs(ex)


def test_interval_and_backoff_rate():
    ex = run(task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "BackoffRate": 1.5, "MaxAttempts": 3}]),
             {}, functions={"f": always()}, virtual_time=True)
    assert close(backoffs(ex), [3, 4.5, 6.75]), backoffs(ex)


def test_max_delay_seconds_caps_the_backoff():
    ex = run(task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 4,
                          "MaxDelaySeconds": 10}]), {}, functions={"f": always()}, virtual_time=True)
    assert close(backoffs(ex), [2, 6, 10, 10]), backoffs(ex)


def test_max_attempts_zero_never_retries():
    # conformance: test_retry_interval_features_max_attempts_zero
    ex = run(task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 0, "BackoffRate": 2,
                          "MaxDelaySeconds": 5, "JitterStrategy": "FULL"}]),
             {}, functions={"f": always()}, virtual_time=True)
    assert ex.error == "ValueError"
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                         "LambdaFunctionFailed", "ExecutionFailed"]


def test_jitter_none_is_the_plain_backoff():
    # conformance: test_retry_interval_features_jitter_none
    ex = run(task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1,
                          "MaxDelaySeconds": 3, "JitterStrategy": "NONE"}]), {}, functions={"f": always()},
             virtual_time=True)
    assert close(backoffs(ex), [1, 1])
    assert len(events_of(ex, "LambdaFunctionFailed")) == 3


def test_full_jitter_stays_within_zero_and_the_capped_backoff():
    ex = run(task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 6, "BackoffRate": 2,
                          "MaxDelaySeconds": 50, "JitterStrategy": "FULL"}]), {}, functions={"f": always()},
             virtual_time=True)
    gaps = backoffs(ex)
    assert len(gaps) == 6
    caps = [10, 20, 40, 50, 50, 50]
    for gap, cap in zip(gaps, caps, strict=True):
        assert -0.01 <= gap <= cap + 0.5, (gaps, caps)
    # six draws that all land on the full delay would mean no jitter at all
    assert any(gap < cap - 0.5 for gap, cap in zip(gaps, caps, strict=True)), gaps


def test_retry_history_reschedules_without_re_entering_the_state():
    f = Flaky(ValueError)
    ex = run(task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}]), {"v": 1}, functions={"f": f},
             virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"v": 1}
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered",
                         "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
                         "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
                         "TaskStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 6, 7, 8, 9]
    assert len(f.calls) == 2


def test_retry_count_in_the_context_object():
    # conformance: test_lambda_service_invoke_with_retry_extended_input (RetryCount per attempt)
    f = Flaky(ValueError, ValueError)
    ex = run(task(Parameters={"attempt.$": "$$.State.RetryCount"}, ResultSelector={"final.$": "$$.State.RetryCount"},
                  Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}]),
             {}, functions={"f": f}, virtual_time=True)
    assert [c["attempt"] for c in f.calls] == [0, 1, 2]
    assert ex.output == {"final": 2}


def test_retry_count_resets_when_the_state_is_entered_again():
    f = Flaky(ValueError)
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"), "Parameters": {"attempt.$": "$$.State.RetryCount"},
              "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}], "ResultPath": None, "Next": "Again"},
        "Again": {"Type": "Task", "Resource": lambda_arn("f"), "Parameters": {"attempt.$": "$$.State.RetryCount"},
                  "End": True},
    })
    run(d, {}, functions={"f": f}, virtual_time=True)
    assert [c["attempt"] for c in f.calls] == [0, 1, 0]


def test_only_the_first_matching_retrier_applies():
    f = always()
    ex = run(task(Retry=[{"ErrorEquals": ["ValueError"], "MaxAttempts": 1, "IntervalSeconds": 1},
                         {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 1}]),
             {}, functions={"f": f}, virtual_time=True)
    assert ex.error == "ValueError"
    assert len(events_of(ex, "LambdaFunctionScheduled")) == 2


def test_retrier_that_does_not_match_is_skipped():
    f = Flaky(ErrB, ErrB)
    ex = run(task(Retry=[{"ErrorEquals": ["ErrA"], "MaxAttempts": 5},
                         {"ErrorEquals": ["ErrB"], "MaxAttempts": 2, "IntervalSeconds": 7, "BackoffRate": 1}]),
             {"ok": True}, functions={"f": f}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert close(backoffs(ex), [7, 7])


def test_timeouts_are_retried():
    calls = []

    def slow_once(event, context):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(3)
        return "done"

    ex = run(task(fn_name="slow", TimeoutSeconds=1, Retry=[{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1}]),
             {}, functions={"slow": slow_once}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == "done"
    assert types(ex)[2:8] == ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionTimedOut",
                              "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded"]


def test_retry_then_catch():
    # conformance: test_lambda_invoke_with_retry_base
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"), "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "HandleError"}], "End": True,
              "ResultSelector": {"Retries.$": "$$.State.RetryCount"}},
        "HandleError": {"Type": "Pass", "End": True},
    })
    ex = run(d, {"Value1": "HelloWorld!", "Value2": None}, functions={"f": always(Exception)}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output["Error"] == "Exception"
    assert json.loads(ex.output["Cause"])["errorMessage"] == "always"
    assert len(events_of(ex, "LambdaFunctionFailed")) == 4
    assert types(ex)[-5:] == ["LambdaFunctionFailed", "TaskStateExited", "PassStateEntered", "PassStateExited",
                              "ExecutionSucceeded"]
    exited = event(ex, "TaskStateExited")
    assert exited["previousEventId"] == exited["id"] - 1


def test_lambda_invoke_retries_record_task_events():
    f = Flaky(ValueError)
    ex = run(machine({"T": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"},
                            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2}], "End": True}}),
             {}, functions={"f": f}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert types(ex)[2:8] == ["TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted",
                              "TaskSucceeded"]
    gap = event(ex, "TaskScheduled", 1)["timestamp"] - event(ex, "TaskFailed")["timestamp"]
    assert 2 <= gap < 2.5


# ---------------------------------------------------------------------------- Catch

def catching(catchers, task_fields=None):
    """Task "T" with these catchers; each target is a Pass recording where execution went."""
    states = {"T": {"Type": "Task", "Resource": lambda_arn("f"), "Catch": catchers, "Next": "Ok",
                    **(task_fields or {})}}
    for name in ["Ok"] + [c["Next"] for c in catchers]:
        states[name] = {"Type": "Pass", "Result": name, "ResultPath": "$.went", "End": True}
    return machine(states)


def test_catch_default_result_path_replaces_the_input_with_the_error_output():
    ex = run(catching([{"ErrorEquals": ["States.ALL"], "Next": "A"}]), {"in": 1}, functions={"f": always(ErrA)})
    assert ex.status == "SUCCEEDED"
    assert set(ex.output) == {"Error", "Cause", "went"}
    assert ex.output["Error"] == "ErrA" and ex.output["went"] == "A"
    exited = details(event(ex, "TaskStateExited"))
    assert parsed(exited["output"]) == {"Error": "ErrA", "Cause": ex.output["Cause"]}


def test_catch_result_path_merges_the_error_into_the_input():
    d = catching([{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "A"}])
    ex = run(d, {"in": 1}, functions={"f": always(ErrA)})
    assert ex.output["in"] == 1
    assert ex.output["error"]["Error"] == "ErrA"
    assert ex.output["went"] == "A"


def test_catch_null_result_path_keeps_the_input():
    d = catching([{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "A"}])
    ex = run(d, {"in": 1}, functions={"f": always(ErrA)})
    assert ex.output == {"in": 1, "went": "A"}


def test_first_matching_catcher_wins():
    d = catching([{"ErrorEquals": ["ErrB"], "Next": "B"}, {"ErrorEquals": ["ErrA", "ErrB"], "Next": "A"},
                  {"ErrorEquals": ["States.ALL"], "Next": "C"}])
    assert run(d, {}, functions={"f": always(ErrA)}).output["went"] == "A"
    assert run(d, {}, functions={"f": always(ErrB)}).output["went"] == "B"
    assert run(d, {}, functions={"f": always(ValueError)}).output["went"] == "C"


def test_task_failed_catches_function_errors_but_not_timeouts():
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"), "TimeoutSeconds": 1,
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True},
    })
    caught = run(d, {}, functions={"f": always(ErrA)})
    assert caught.status == "SUCCEEDED" and caught.output["Error"] == "ErrA"

    def slow(event, context):
        time.sleep(3)

    timed_out = run(d, {}, functions={"f": slow})
    assert timed_out.status == "FAILED"
    assert timed_out.error == "States.Timeout"


def test_states_timeout_catches_a_timeout():
    def slow(event, context):
        time.sleep(3)

    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"), "TimeoutSeconds": 1,
              "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True},
    })
    ex = run(d, {}, functions={"f": slow})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"Error": "States.Timeout", "Cause": ""}  # [docs] an error output has both


def test_states_all_catches_a_timeout():
    def slow(event, context):
        time.sleep(3)

    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"), "TimeoutSeconds": 1,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True},
    })
    assert run(d, {}, functions={"f": slow}).output == {"Error": "States.Timeout", "Cause": ""}


def test_empty_catch_list_is_allowed():
    # conformance: test_catch_empty
    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("f"), "Catch": [], "Next": "Final"},
                 "Final": {"Type": "Pass", "End": True}})
    ex = run(d, {}, functions={"f": lambda e, c: e})
    assert ex.status == "SUCCEEDED"


def test_states_runtime_is_never_caught():
    # conformance: test_catch_states_runtime
    d = machine({
        "RaiseRuntime": {"Type": "Task", "Resource": lambda_arn("f"), "OutputPath": "$.no.such.result.path",
                         "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "CaughtRuntime"},
                                   {"ErrorEquals": ["States.ALL"], "Next": "CaughtRuntime"}],
                         "Next": "Final"},
        "CaughtRuntime": {"Type": "Pass", "End": True},
        "Final": {"Type": "Pass", "End": True},
    })
    ex = run(d, {}, functions={"f": lambda e, c: e})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'RaiseRuntime' (entered at the event id #2). "
                        "Invalid path '$.no.such.result.path' : Missing property in path $['no']")
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                         "LambdaFunctionSucceeded", "ExecutionFailed"]
    assert ex.history[-1]["previousEventId"] == 5


def test_states_runtime_is_never_retried():
    f = Flaky()
    d = task(ResultSelector={"x.$": "$.missing"}, Retry=[{"ErrorEquals": ["States.ALL"]}])
    ex = run(d, {}, functions={"f": f}, virtual_time=True)
    assert ex.error == "States.Runtime"
    assert len(f.calls) == 1


def test_evaluation_error_cause_names_the_state_and_its_entered_event():
    d = machine({
        "First": {"Type": "Pass", "Next": "Second"},
        "Second": {"Type": "Task", "Resource": lambda_arn("f"), "ResultSelector": {"x.$": "$.missing"}, "End": True},
    })
    ex = run(d, {}, functions={"f": lambda e, c: {}})
    entered = event(ex, "TaskStateEntered")["id"]
    assert entered == 4
    assert ex.cause.startswith("An error occurred while executing the state 'Second' (entered at the event id #4). ")


def test_task_errors_have_no_prefix():
    ex = run(task(), {}, functions={"f": always(ErrA)})
    assert not ex.cause.startswith("An error occurred")


def test_result_path_match_failure_on_a_task_result_is_catchable():
    d = catching([{"ErrorEquals": ["States.ResultPathMatchFailure"], "Next": "A"}], {"ResultPath": "$.r"})
    ex = run(d, ["not", "an", "object"], functions={"f": lambda e, c: 1})
    assert ex.status == "SUCCEEDED"
    assert ex.output["Error"] == "States.ResultPathMatchFailure"


def test_catcher_result_path_that_cannot_be_applied_fails_cleanly():
    # The catcher's own ResultPath cannot be applied to an array input. The execution must end
    # (FAILED with States.ResultPathMatchFailure), not loop through the same catcher again.
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"),
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "B"}], "End": True},
        "B": {"Type": "Pass", "End": True},
    })
    ex = run(d, [1], functions={"f": always(ErrA)})
    assert ex.status == "FAILED"
    assert ex.error == "States.ResultPathMatchFailure"
    assert "'$.err'" in ex.cause


def test_catcher_result_path_failure_without_a_matching_catcher():
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"),
              "Catch": [{"ErrorEquals": ["ErrA"], "ResultPath": "$.err", "Next": "B"}], "End": True},
        "B": {"Type": "Pass", "End": True},
    })
    ex = run(d, [1], functions={"f": always(ErrA)})
    assert ex.status == "FAILED"
    assert ex.error == "States.ResultPathMatchFailure"


# ---------------------------------------------------------------------------- JSONata catchers

def test_jsonata_catcher_output_and_assign():
    # conformance: TASK_CATCH_ERROR_VARIABLE_SAMPLING / TASK_CATCH_ERROR_OUTPUT_TO_JSONPATH
    d = machine({
        "Task": {"Type": "Task", "Resource": lambda_arn("f"),
                 "Catch": [{"ErrorEquals": ["States.ALL"],
                            "Assign": {"inputVar": "{% $states.input %}", "errorVar": "{% $states.errorOutput %}"},
                            "Output": {"stateInput": "{% $states.input %}", "err": "{% $states.errorOutput.Error %}"},
                            "Next": "Fallback"}],
                 "Assign": {"resultVar": "{% $states.result %}"}, "Next": "Finish"},
        "Fallback": {"Type": "Pass", "Output": {"out": "{% $states.input %}", "error": "{% $errorVar %}"}, "End": True},
        "Finish": {"Type": "Pass", "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {"inputData": "dummy"}, functions={"f": always(ErrA)})
    assert ex.status == "SUCCEEDED"
    assert ex.output["out"] == {"stateInput": {"inputData": "dummy"}, "err": "ErrA"}
    assert ex.output["error"]["Error"] == "ErrA"
    assert json.loads(ex.output["error"]["Cause"])["errorType"] == "ErrA"
    # only the catcher's Assign runs (the state's Assign needs a result)
    assert set(assigned(ex, "Task")) == {"inputVar", "errorVar"}


def test_jsonata_catcher_without_output_passes_the_error_output():
    d = machine({
        "Task": {"Type": "Task", "Resource": lambda_arn("f"),
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}], "End": True},
        "Fallback": {"Type": "Pass", "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {"in": 1}, functions={"f": always(ErrA)})
    assert set(ex.output) == {"Error", "Cause"}
    assert ex.output["Error"] == "ErrA"


def test_jsonpath_catcher_assign_reads_the_error_output_and_the_state_assign_does_not_run():
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"), "Assign": {"fromState": "never"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err.$": "$.Error", "inp.$": "$$.Execution.Input"},
                         "ResultPath": "$.e", "Next": "B"}], "End": True},
        "B": {"Type": "Pass", "Parameters": {"err.$": "$err"}, "End": True},
    })
    ex = run(d, {"a": 1}, functions={"f": always(ErrA)})
    assert ex.output == {"err": "ErrA"}
    assert assigned(ex, "T") == {"err": '"ErrA"', "inp": '{"a":1}'}


def test_parameters_error_happens_before_the_task_is_scheduled():
    f = Flaky()
    ex = run(task(Parameters={"x.$": "$.missing"}), {}, functions={"f": f})
    assert ex.error == "States.Runtime"
    assert ex.cause.startswith("An error occurred while executing the state 'T' (entered at the event id #2). ")
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert f.calls == []


def test_task_failed_retrier_does_not_retry_a_timeout():
    calls = []

    def slow(event, context):
        calls.append(1)
        time.sleep(3)

    ex = run(task(fn_name="slow", TimeoutSeconds=1, Retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 3}]),
             {}, functions={"slow": slow}, virtual_time=True)
    assert ex.error == "States.Timeout"
    assert len(events_of(ex, "LambdaFunctionScheduled")) == 1


def test_a_parallel_catches_an_error_of_its_own_named_with_states():
    # a branch fails with a custom States.-prefixed error; the catcher names it (AWS deploys this)
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {
            "F": {"Type": "Fail", "Error": "States.QuorumMet", "Cause": "enough answers"}}}],
              "Catch": [{"ErrorEquals": ["States.QuorumMet"], "Next": "Done"}], "End": True},
        "Done": {"Type": "Succeed"}}}
    ex = run(definition, {})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"Error": "States.QuorumMet", "Cause": "enough answers"}


def test_a_caught_error_without_a_cause_has_an_empty_cause():
    # [docs] the error output a catcher passes on holds Error and Cause
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "End": True},
        "Done": {"Type": "Succeed"}}}
    assert run(definition, {}).output == {"Error": "E", "Cause": ""}
