"""History invariants, checked on many definitions: ids count from 1, every previousEventId
points back, ExecutionStarted comes first, exactly one terminal event comes last, event types
and detail keys are those of GetExecutionHistory, and status/output/error/cause can be
re-derived from the last event.
"""

from __future__ import annotations

import time

import pytest

from .helpers import INVOKE, check_history, details, lambda_arn, machine, parsed, run

# botocore's stepfunctions HistoryEventType
HISTORY_EVENT_TYPES = {
    "ActivityFailed", "ActivityScheduled", "ActivityScheduleFailed", "ActivityStarted", "ActivitySucceeded",
    "ActivityTimedOut", "ChoiceStateEntered", "ChoiceStateExited", "ExecutionAborted", "ExecutionFailed",
    "ExecutionStarted", "ExecutionSucceeded", "ExecutionTimedOut", "FailStateEntered", "LambdaFunctionFailed",
    "LambdaFunctionScheduled", "LambdaFunctionScheduleFailed", "LambdaFunctionStarted", "LambdaFunctionStartFailed",
    "LambdaFunctionSucceeded", "LambdaFunctionTimedOut", "MapIterationAborted", "MapIterationFailed",
    "MapIterationStarted", "MapIterationSucceeded", "MapStateAborted", "MapStateEntered", "MapStateExited",
    "MapStateFailed", "MapStateStarted", "MapStateSucceeded", "ParallelStateAborted", "ParallelStateEntered",
    "ParallelStateExited", "ParallelStateFailed", "ParallelStateStarted", "ParallelStateSucceeded",
    "PassStateEntered", "PassStateExited", "SucceedStateEntered", "SucceedStateExited", "TaskFailed",
    "TaskScheduled", "TaskStarted", "TaskStartFailed", "TaskStateAborted", "TaskStateEntered", "TaskStateExited",
    "TaskSubmitFailed", "TaskSubmitted", "TaskSucceeded", "TaskTimedOut", "WaitStateAborted", "WaitStateEntered",
    "WaitStateExited", "MapRunAborted", "MapRunFailed", "MapRunStarted", "MapRunSucceeded", "ExecutionRedriven",
    "MapRunRedriven", "EvaluationFailed",
}


def ok(event, context):
    return {"ok": event}


def boom(event, context):
    raise ValueError("boom")


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures

    def __call__(self, event, context):
        if self.failures:
            self.failures -= 1
            raise RuntimeError("flaky")
        return event


def slow(event, context):
    time.sleep(2.5)
    return event


def inline(states, **kw):
    return {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": next(iter(states)), "States": states, **kw}


def distributed(states):
    return {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": next(iter(states)),
            "States": states}


P = {"Type": "Pass", "End": True}

CASES = {
    "pass": (machine({"A": P}), {"a": 1}, {}),
    "chain": (machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Wait", "Seconds": 3, "Next": "C"},
                       "C": {"Type": "Succeed"}}), {}, {}),
    "fail": (machine({"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}), {}, {}),
    "empty-fail": (machine({"F": {"Type": "Fail"}}), {}, {}),
    "runtime-error": (machine({"A": {"Type": "Pass", "InputPath": "$.x", "End": True}}), {}, {}),
    "no-choice": (machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1,
                                                                "Next": "A"}]}, "A": P}), {"n": 2}, {}),
    "choice-loop": (machine({
        "Init": {"Type": "Pass", "Result": {"n": 0}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 3, "Next": "Done"}],
                  "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}), {}, {}),
    "task": (machine({"T": {"Type": "Task", "Resource": lambda_arn("ok"), "End": True}}), {"v": 1}, {}),
    "task-invoke": (machine({"T": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "ok"},
                                   "End": True}}), {}, {}),
    "task-fails": (machine({"T": {"Type": "Task", "Resource": lambda_arn("boom"), "End": True}}), {}, {}),
    "task-retry-succeeds": (machine({"T": {"Type": "Task", "Resource": lambda_arn("flaky"), "End": True,
                                           "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2}]}}),
                            {}, {}),
    "task-retry-exhausted-caught": (machine({
        "T": {"Type": "Task", "Resource": lambda_arn("boom"), "Next": "X",
              "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "H"}]},
        "H": P, "X": P}), {}, {}),
    "task-timeout": (machine({"T": {"Type": "Task", "Resource": lambda_arn("slow"), "TimeoutSeconds": 1,
                                    "End": True}}), {}, {}),
    "parallel": (machine({"Par": {"Type": "Parallel", "End": True, "Branches": [
        machine({"A": {"Type": "Wait", "Seconds": 2, "Next": "A2"}, "A2": P}),
        machine({"B": {"Type": "Task", "Resource": lambda_arn("ok"), "End": True}}),
        machine({"C": {"Type": "Parallel", "End": True, "Branches": [machine({"D": P})]}}),
    ]}}), {"x": 1}, {}),
    "parallel-fails": (machine({"Par": {"Type": "Parallel", "End": True, "Branches": [
        machine({"A": {"Type": "Wait", "Seconds": 50, "End": True}}),
        machine({"B": {"Type": "Fail", "Error": "E"}})]}}), {}, {}),
    "parallel-caught": (machine({"Par": {"Type": "Parallel", "Next": "Z", "Branches": [
        machine({"B": {"Type": "Fail", "Error": "E"}})],
        "Catch": [{"ErrorEquals": ["E"], "Next": "Z"}]}, "Z": P}), {}, {}),
    "parallel-retry": (machine({"Par": {"Type": "Parallel", "End": True, "Branches": [
        machine({"B": {"Type": "Fail", "Error": "E"}})], "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 2}]}}),
        {}, {}),
    "map": (machine({"M": {"Type": "Map", "MaxConcurrency": 2, "End": True, "ItemProcessor": inline({
        "W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
        "T": {"Type": "Task", "Resource": lambda_arn("ok"), "End": True}})}}), [1, 2, 3, 4, 5], {}),
    "map-empty": (machine({"M": {"Type": "Map", "End": True, "ItemProcessor": inline({"I": P})}}), [], {}),
    "map-fails": (machine({"M": {"Type": "Map", "End": True, "ItemProcessor": inline({
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "I"},
        "F": {"Type": "Fail", "Error": "Two"}, "I": P})}}), [1, 2, 3], {}),
    "map-retry": (machine({"M": {"Type": "Map", "MaxConcurrency": 1, "End": True,
                                 "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": 1}],
                                 "ItemProcessor": inline({"F": {"Type": "Fail", "Error": "X"}})}}), [1], {}),
    "map-nested": (machine({"M": {"Type": "Map", "End": True, "ItemProcessor": inline({
        "N": {"Type": "Map", "End": True, "ItemProcessor": inline({"I": P})}})}}), [[1, 2], [3]], {}),
    "map-distributed": (machine({"M": {"Type": "Map", "End": True, "ItemProcessor": distributed({"I": P})}}),
                        [1, 2], {}),
    "map-distributed-tolerated": (machine({"M": {"Type": "Map", "End": True, "ToleratedFailureCount": 1,
                                                 "ItemProcessor": distributed({"F": {"Type": "Fail", "Error": "E"}})}}),
                                  [1, 2], {}),
    "jsonata": (machine({"A": {"Type": "Pass", "Output": {"x": "{% $states.input.v %}"}, "Assign": {"y": 1},
                               "Next": "B"},
                         "B": {"Type": "Pass", "Output": "{% $y %}", "End": True}}, QueryLanguage="JSONata"),
                {"v": 2}, {}),
    "jsonata-error": (machine({"A": {"Type": "Pass", "Next": "B"},
                               "B": {"Type": "Pass", "Output": "{% $nope %}", "End": True}}, QueryLanguage="JSONata"),
                      {}, {}),
    "jsonata-map-error": (machine({"M": {"Type": "Map", "Items": "{% 1 %}", "End": True,
                                         "ItemProcessor": inline({"I": P})}}, QueryLanguage="JSONata"), {}, {}),
    "timed-out": (machine({"W": {"Type": "Wait", "Seconds": 100, "End": True}}, TimeoutSeconds=3), {}, {}),
    "data-limit": (machine({"A": {"Type": "Pass", "Result": "x" * 262144, "End": True}}), {}, {}),
}


def functions():
    return {"ok": ok, "boom": boom, "flaky": Flaky(1), "slow": slow}


@pytest.mark.parametrize("name", sorted(CASES))
def test_history_invariants(name):
    definition, input, kw = CASES[name]
    ex = run(definition, input, functions=functions(), virtual_time=True, **kw)
    check_history(ex)


@pytest.mark.parametrize("name", sorted(CASES))
def test_event_types_and_detail_keys_are_those_of_the_api(name):
    definition, input, kw = CASES[name]
    ex = run(definition, input, functions=functions(), virtual_time=True, **kw)
    for e in ex.history:
        assert e["type"] in HISTORY_EVENT_TYPES, e["type"]
        keys = set(e) - {"id", "previousEventId", "timestamp", "type"}
        assert len(keys) <= 1, e
        if keys:
            key = keys.pop()
            if e["type"].endswith("StateEntered"):
                assert key == "stateEnteredEventDetails"
            elif e["type"].endswith("StateExited"):
                assert key == "stateExitedEventDetails"
            else:
                assert key == e["type"][0].lower() + e["type"][1:] + "EventDetails"
            for text_field in ("input", "output", "parameters"):
                if text_field in e[key]:
                    assert isinstance(e[key][text_field], str)
                    parsed(e[key][text_field])


@pytest.mark.parametrize("name", sorted(CASES))
def test_execution_started_records_the_input(name):
    definition, input, kw = CASES[name]
    ex = run(definition, input, functions=functions(), virtual_time=True, **kw)
    first = details(ex.history[0])
    assert parsed(first["input"]) == input
    assert ex.history[0]["timestamp"] == pytest.approx(ex.start_time)


def test_expected_outcomes_of_the_corpus():
    outcome = {}
    for name, (definition, input, kw) in CASES.items():
        ex = run(definition, input, functions=functions(), virtual_time=True, **kw)
        outcome[name] = ex.status
    assert outcome == {
        "pass": "SUCCEEDED", "chain": "SUCCEEDED", "fail": "FAILED", "empty-fail": "FAILED",
        "runtime-error": "FAILED", "no-choice": "FAILED", "choice-loop": "SUCCEEDED", "task": "SUCCEEDED",
        "task-invoke": "SUCCEEDED", "task-fails": "FAILED", "task-retry-succeeds": "SUCCEEDED",
        "task-retry-exhausted-caught": "SUCCEEDED", "task-timeout": "FAILED", "parallel": "SUCCEEDED",
        "parallel-fails": "FAILED", "parallel-caught": "SUCCEEDED", "parallel-retry": "FAILED", "map": "SUCCEEDED",
        "map-empty": "SUCCEEDED", "map-fails": "FAILED", "map-retry": "FAILED", "map-nested": "SUCCEEDED",
        "map-distributed": "SUCCEEDED", "map-distributed-tolerated": "FAILED", "jsonata": "SUCCEEDED",
        "jsonata-error": "FAILED", "jsonata-map-error": "FAILED", "timed-out": "TIMED_OUT", "data-limit": "FAILED",
    }


def test_state_entries_and_exits_pair_up_on_success():
    ex = run(CASES["parallel"][0], {"x": 1}, functions=functions(), virtual_time=True)
    entered = sorted(details(e)["name"] for e in ex.history if e["type"].endswith("StateEntered"))
    exited = sorted(details(e)["name"] for e in ex.history if e["type"].endswith("StateExited"))
    assert entered == exited


def test_each_exit_follows_its_own_entry_chain():
    # within one thread of control, an exited event's previous event is its own state's work
    ex = run(CASES["chain"][0], {}, virtual_time=True)
    h = ex.history
    for e in h:
        if e["type"].endswith("StateExited"):
            prev = h[e["previousEventId"] - 1]
            assert prev["type"].endswith("StateEntered")
            assert details(prev)["name"] == details(e)["name"]
