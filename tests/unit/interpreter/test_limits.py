"""Limits: the execution's TimeoutSeconds and the 256 KiB payload quota on state output.

A state whose output exceeds 262,144 bytes fails the execution with States.DataLimitExceeded,
which no catcher can catch (AWS docs concepts-error-handling; conformance
``test_start_large_input``). A *task result* over the quota is different: it is the task's
error and can be caught (see test_task.py).
"""

from __future__ import annotations

import time

import pytest

from .helpers import details, event, lambda_arn, machine, run, types

LIMIT = 262144


# ---------------------------------------------------------------------------- TimeoutSeconds

def test_execution_timeout_during_a_wait():
    d = machine({"W": {"Type": "Wait", "Seconds": 100, "Next": "After"},
                 "After": {"Type": "Pass", "End": True}}, TimeoutSeconds=5)
    ex = run(d, {}, virtual_time=True)
    # as AWS records it (measured on AWS, floci-io/floci#2965): the event holds the error alone
    # and follows no other event (DescribeExecution shows neither: tests/api/test_executions.py)
    assert (ex.status, ex.error, ex.cause, ex.output) == ("TIMED_OUT", "States.Timeout", None, None)
    assert types(ex) == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    last = ex.history[-1]
    assert last["previousEventId"] == 0
    assert last["executionTimedOutEventDetails"] == {"error": "States.Timeout"}
    assert 5 <= last["timestamp"] - ex.history[0]["timestamp"] < 6


def test_execution_timeout_while_a_task_runs():
    def slow(event, context):
        time.sleep(4)
        return "late"

    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("slow"), "End": True}}, TimeoutSeconds=1)
    started = time.time()
    ex = run(d, {}, functions={"slow": slow})
    assert time.time() - started < 3.5
    assert ex.status == "TIMED_OUT"
    assert types(ex)[-1] == "ExecutionTimedOut"
    assert "LambdaFunctionSucceeded" not in types(ex)


def test_execution_timeout_inside_parallel_and_map():
    d = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        machine({"M": {"Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "W",
            "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}}}),
    ]}}, TimeoutSeconds=30)
    ex = run(d, [1, 2], virtual_time=True)
    assert ex.status == "TIMED_OUT"
    assert types(ex)[-1] == "ExecutionTimedOut"
    assert "WaitStateExited" not in types(ex)


def test_an_execution_that_ends_in_time_is_not_timed_out():
    d = machine({"W": {"Type": "Wait", "Seconds": 10, "End": True}}, TimeoutSeconds=60)
    ex = run(d, {"v": 1}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"v": 1}
    assert "ExecutionTimedOut" not in types(ex)


def test_timeout_at_retry_backoff():
    def boom(event, context):
        raise ValueError("x")

    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("boom"), "End": True,
                       "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100, "MaxAttempts": 3}]}},
                TimeoutSeconds=50)
    ex = run(d, {}, functions={"boom": boom}, virtual_time=True)
    assert ex.status == "TIMED_OUT"
    assert types(ex).count("LambdaFunctionScheduled") == 1
    assert 50 <= ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] < 51


# ---------------------------------------------------------------------------- payload quota

def test_pass_output_over_the_quota_fails_the_execution():
    # conformance: test_start_large_input
    d = machine({"State_1": {"Type": "Pass", "Result": {"Arg1": "a" * (LIMIT + 10)}, "End": True}})
    ex = run(d, {})
    assert ex.status == "FAILED"
    assert ex.error == "States.DataLimitExceeded"
    assert ex.cause == ("The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes "
                        "service limit.")
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]
    assert ex.history[-1]["previousEventId"] == 2


@pytest.mark.parametrize(("length", "ok"), [(LIMIT - 2, True), (LIMIT - 1, False)])
def test_the_quota_is_262144_bytes_of_json(length, ok):
    # a JSON string of n characters takes n + 2 bytes
    ex = run(machine({"S": {"Type": "Pass", "Result": "a" * length, "End": True}}), {})
    assert (ex.status == "SUCCEEDED") is ok


def test_multibyte_characters_count_as_utf8_bytes():
    ex = run(machine({"S": {"Type": "Pass", "Result": "é" * (LIMIT // 2), "End": True}}), {})
    assert ex.error == "States.DataLimitExceeded"


def test_task_output_over_the_quota_is_not_catchable():
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("half"), "ResultPath": "$.r", "Next": "Done",
              "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"},
                        {"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True},
        "Done": {"Type": "Pass", "End": True},
    })
    # the result (150 kB) is fine on its own; merged into the 150 kB input it is not
    ex = run(d, {"in": "b" * 150000}, functions={"half": lambda e, c: "a" * 150000})
    assert ex.status == "FAILED"
    assert ex.error == "States.DataLimitExceeded"
    assert ex.cause == ("The state/task 'T' returned a result with a size exceeding the maximum number of bytes "
                        "service limit.")
    assert types(ex)[-3:] == ["LambdaFunctionStarted", "LambdaFunctionSucceeded", "ExecutionFailed"]
    assert "PassStateEntered" not in types(ex)


def test_output_path_can_bring_the_output_under_the_quota():
    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("half"), "ResultPath": "$.r", "OutputPath": "$.small",
                       "End": True}})
    ex = run(d, {"in": "b" * 150000, "small": 1}, functions={"half": lambda e, c: "a" * 150000})
    assert ex.status == "SUCCEEDED"
    assert ex.output == 1


BIG_PASS = {"Type": "Pass", "Result": "x" * (LIMIT + 1), "End": True}


@pytest.mark.parametrize("kind", ["Map", "Parallel"])
def test_state_output_over_the_quota_inside_a_branch_is_not_caught_by_the_enclosing_state(kind):
    # States.DataLimitExceeded for a state's output is terminal (AWS docs: "a terminal error that
    # cannot be caught by the States.ALL error type"); an enclosing Map/Parallel's catcher must
    # not turn it into a caught error.
    inner = {"StartAt": "Big", "States": {"Big": BIG_PASS}}
    if kind == "Map":
        state = {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **inner}}
    else:
        state = {"Type": "Parallel", "Branches": [inner]}
    d = machine({"S": {**state, "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
                 "C": {"Type": "Pass", "End": True}})
    ex = run(d, [1])
    assert ex.status == "FAILED"
    assert ex.error == "States.DataLimitExceeded"
    assert "'Big'" in ex.cause
    assert "PassStateExited" not in types(ex)


def test_state_output_over_the_quota_inside_a_map_fails_the_execution():
    d = machine({"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Big", "States": {"Big": BIG_PASS}}}})
    ex = run(d, [1])
    assert ex.status == "FAILED"
    assert ex.error == "States.DataLimitExceeded"
    assert types(ex)[-4:] == ["PassStateEntered", "MapIterationFailed", "MapStateFailed", "ExecutionFailed"]


def test_jsonata_output_over_the_quota():
    d = machine({"S": {"Type": "Pass", "Output": "{% $pad('', 300000, 'z') %}", "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {})
    assert ex.error == "States.DataLimitExceeded"
    assert details(event(ex, "ExecutionFailed"))["error"] == "States.DataLimitExceeded"
