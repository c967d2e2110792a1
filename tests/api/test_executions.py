"""Executions through boto3 over a real socket: start, describe, list, history, stop, redrive,
Express (StartSyncExecution), and the errors AWS gives for each."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from .conftest import ACCOUNT, wait_for
from .test_state_machines import PASS, create, error_of

ECHO = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:echo"
WAIT_LONG = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def finished(sfn: Any, arn: str) -> dict:
    return wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d)


def test_start_describe_and_history_of_a_standard_execution(sfn: Any) -> None:
    definition = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": ECHO, "ResultPath": "$.echoed", "Next": "P"},
        "P": {"Type": "Pass", "End": True}}}
    sm = create(sfn, definition)["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=sm, name="first", input='{"n": 1}')
    assert started["executionArn"] == sm.replace(":stateMachine:", ":execution:") + ":first"
    done = finished(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"n": 1, "echoed": {"n": 1}}
    assert done["input"] == '{"n": 1}' and done["stateMachineArn"] == sm and done["name"] == "first"
    assert done["startDate"] <= done["stopDate"]
    assert done["redriveStatus"] == "NOT_REDRIVABLE" and done["redriveCount"] == 0
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionSucceeded", "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == list(range(1, 10))
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"n": 1}
    described = sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert json.loads(described["definition"]) == definition


def test_names_are_idempotent_while_running_with_the_same_input(sfn: Any) -> None:
    sm = create(sfn, WAIT_LONG)["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=sm, name="same", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=sm, name="same", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"] and again["startDate"] == first["startDate"]
    code, message, _ = error_of(sfn.start_execution, stateMachineArn=sm, name="same", input='{"a": 2}')
    assert code == "ExecutionAlreadyExists" and first["executionArn"] in message
    sfn.stop_execution(executionArn=first["executionArn"])
    assert error_of(sfn.start_execution, stateMachineArn=sm, name="same", input='{"a": 1}')[0] == \
        "ExecutionAlreadyExists"


def test_start_errors(sfn: Any) -> None:
    sm = create(sfn)["stateMachineArn"]
    assert error_of(sfn.start_execution, stateMachineArn=sm, input="{nope")[0] == "InvalidExecutionInput"
    assert error_of(sfn.start_execution, stateMachineArn=sm, name="bad name")[0] == "InvalidName"
    assert error_of(sfn.start_execution, stateMachineArn=sm + "-missing")[0] == "StateMachineDoesNotExist"
    assert error_of(sfn.start_execution, stateMachineArn="arn:aws:states:us-east-1:1:stateMachine:x")[0] in (
        "InvalidArn", "ValidationException")
    assert error_of(sfn.start_execution)[0] if False else True  # boto3 refuses a missing member itself


def test_stop_aborts_with_error_and_cause(sfn: Any) -> None:
    sm = create(sfn, WAIT_LONG)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    stopped = sfn.stop_execution(executionArn=arn, error="Operator", cause="stopped by a test")
    done = sfn.describe_execution(executionArn=arn)
    assert (done["status"], done["error"], done["cause"]) == ("ABORTED", "Operator", "stopped by a test")
    assert done["stopDate"] == stopped["stopDate"]
    assert done["redriveStatus"] == "REDRIVABLE"
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"][0]
    assert last["type"] == "ExecutionAborted"
    assert last["previousEventId"] == 0  # as AWS records it: it follows no other event
    assert last["executionAbortedEventDetails"] == {"error": "Operator", "cause": "stopped by a test"}


def test_stop_without_error_or_cause(sfn: Any) -> None:
    """As measured on AWS (floci-io/floci#2965): DescribeExecution leaves error and cause out, and
    the ExecutionAborted event has its details, empty."""
    sm = create(sfn, WAIT_LONG)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    sfn.stop_execution(executionArn=arn)
    done = sfn.describe_execution(executionArn=arn)
    assert done["status"] == "ABORTED" and "error" not in done and "cause" not in done
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"][0]
    assert (last["type"], last["previousEventId"]) == ("ExecutionAborted", 0)
    assert last["executionAbortedEventDetails"] == {}


def test_a_timed_out_execution(sfn: Any) -> None:
    """As measured on AWS (floci-io/floci#2733, #2965): TIMED_OUT at exactly its start plus
    TimeoutSeconds, no error or cause in DescribeExecution, States.Timeout in the event alone."""
    sm = create(sfn, {"StartAt": "W", "TimeoutSeconds": 1, "States": {"W": {"Type": "Wait", "Seconds": 30,
                                                                             "End": True}}})["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    done = wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, 15)
    assert done["status"] == "TIMED_OUT" and "error" not in done and "cause" not in done
    assert (done["stopDate"] - done["startDate"]).total_seconds() == pytest.approx(1, abs=0.01)
    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    assert events[-1]["previousEventId"] == 0
    assert events[-1]["executionTimedOutEventDetails"] == {"error": "States.Timeout"}


def test_unknown_executions(sfn: Any) -> None:
    missing = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:nosuch:{uuid.uuid4()}"
    for call in (sfn.describe_execution, sfn.get_execution_history, sfn.stop_execution,
                 sfn.redrive_execution, sfn.describe_state_machine_for_execution):
        assert error_of(call, executionArn=missing)[0] == "ExecutionDoesNotExist"
    assert error_of(sfn.describe_execution, executionArn="arn:aws:states:us-east-1:1:nope")[0] in (
        "InvalidArn", "ValidationException")


def test_list_executions_filters_and_pages(sfn: Any) -> None:
    sm = create(sfn)["stateMachineArn"]
    waiting = create(sfn, WAIT_LONG)["stateMachineArn"]
    arns = [sfn.start_execution(stateMachineArn=sm)["executionArn"] for _ in range(5)]
    for arn in arns:
        finished(sfn, arn)
    running = sfn.start_execution(stateMachineArn=waiting)["executionArn"]
    seen: list[str] = []
    token = None
    while True:
        page = sfn.list_executions(stateMachineArn=sm, maxResults=2, **({"nextToken": token} if token else {}))
        seen += [e["executionArn"] for e in page["executions"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(seen) == sorted(arns)
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=waiting, statusFilter="RUNNING")[
        "executions"]] == [running]
    assert sfn.list_executions(stateMachineArn=waiting, statusFilter="SUCCEEDED")["executions"] == []
    assert error_of(sfn.list_executions, stateMachineArn=sm, statusFilter="NOPE")[0] == "ValidationException"
    sfn.stop_execution(executionArn=running)


def test_history_pages_forward_and_backward_without_data(sfn: Any) -> None:
    definition = {"StartAt": "A", "States": {f"S{i}" if i else "A": {"Type": "Pass", **(
        {"Next": f"S{i + 1}"} if i < 9 else {"End": True})} for i in range(10)}}
    sm = create(sfn, definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"secret": "data"}')["executionArn"]
    finished(sfn, arn)
    full = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    for reverse in (False, True):
        got: list[int] = []
        token = None
        while True:
            page = sfn.get_execution_history(executionArn=arn, maxResults=3, reverseOrder=reverse,
                                             **({"nextToken": token} if token else {}))
            got += [e["id"] for e in page["events"]]
            token = page.get("nextToken")
            if not token:
                break
        assert got == sorted((e["id"] for e in full), reverse=reverse)
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    assert "output" not in bare[-1]["executionSucceededEventDetails"]


def test_redrive_runs_again_from_the_failed_state(sfn: Any, server: Any) -> None:
    calls: list[Any] = []

    def flaky(event: Any, context: Any) -> Any:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("first time fails")
        return {"ok": len(calls)}

    server.functions.add("flaky", flaky)
    definition = {"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Result": "done", "ResultPath": "$.first", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:flaky", "End": True}}}
    sm = create(sfn, definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input="{}")["executionArn"]
    failed = finished(sfn, arn)
    assert failed["status"] == "FAILED" and failed["error"] == "RuntimeError"
    assert failed["redriveStatus"] == "REDRIVABLE"
    redriven = sfn.redrive_execution(executionArn=arn)
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"ok": 2}
    assert done["redriveCount"] == 1 and done["redriveDate"] == redriven["redriveDate"]
    types = [e["type"] for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]
    assert types.count("PassStateEntered") == 1  # the state that succeeded did not run again
    assert "ExecutionRedriven" in types
    assert error_of(sfn.redrive_execution, executionArn=arn)[0] == "ExecutionNotRedrivable"


def test_express_sync_and_async(server: Any) -> None:
    # StartSyncExecution's endpoint has a host prefix ("sync-"): against a local endpoint boto3
    # must be told not to add it, as for any local Step Functions
    sfn = server.client(inject_host_prefix=False)
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ECHO, "End": True}}}
    sm = create(sfn, definition, type="EXPRESS")["stateMachineArn"]
    out = sfn.start_sync_execution(stateMachineArn=sm, input='{"x": 1}')
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"x": 1}
    assert ":express:" in out["executionArn"]
    assert out["billingDetails"]["billedDurationInMilliseconds"] >= 100
    failing = create(sfn, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}},
                     type="EXPRESS")["stateMachineArn"]
    out = sfn.start_sync_execution(stateMachineArn=failing)
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "E", "C") and "output" not in out
    started = sfn.start_execution(stateMachineArn=sm, input="{}")
    assert ":express:" in started["executionArn"]
    assert error_of(sfn.describe_execution, executionArn=started["executionArn"])[0] == "InvalidArn"
    assert error_of(sfn.list_executions, stateMachineArn=sm)[0] == "StateMachineTypeNotSupported"
    standard = create(sfn, PASS)["stateMachineArn"]
    assert error_of(sfn.start_sync_execution, stateMachineArn=standard)[0] == "StateMachineTypeNotSupported"
