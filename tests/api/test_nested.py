"""Nested executions (arn:aws:states:::states:startExecution): request-response, .sync,
.sync:2, a failing child, and a stopped parent stopping its child."""

from __future__ import annotations

import json
from typing import Any

from .conftest import wait_for
from .test_executions import WAIT_LONG, finished
from .test_state_machines import create


def parent(child_arn: str, pattern: str = "", **task: Any) -> dict:
    return {"StartAt": "Child", "States": {"Child": {
        "Type": "Task", "Resource": f"arn:aws:states:::states:startExecution{pattern}",
        "Parameters": {"StateMachineArn": child_arn,
                       "Input": {"from.$": "$.who", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
        "End": True, **task}}}


CHILD = {"StartAt": "Greet", "States": {"Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.from"}, "End": True}}}
FAILING = {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "ChildError", "Cause": "the child failed"}}}


def children(sfn: Any, machine: str) -> list[dict]:
    return sfn.list_executions(stateMachineArn=machine)["executions"]


def test_request_response_starts_the_child_and_goes_on(sfn: Any) -> None:
    child = create(sfn, CHILD)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=create(sfn, parent(child))["stateMachineArn"],
                              input='{"who": "parent"}')["executionArn"]
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    out = json.loads(done["output"])
    assert out["ExecutionArn"].startswith(child.replace(":stateMachine:", ":execution:"))
    assert isinstance(out["StartDate"], int)
    child_done = finished(sfn, out["ExecutionArn"])
    assert json.loads(child_done["output"]) == {"hello": "parent"}
    assert json.loads(child_done["input"])["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == arn


def test_sync_waits_for_the_child_and_gets_its_output_as_text_or_json(sfn: Any) -> None:
    child = create(sfn, CHILD)["stateMachineArn"]
    for pattern, parse in ((".sync", json.loads), (".sync:2", lambda v: v)):
        arn = sfn.start_execution(stateMachineArn=create(sfn, parent(child, pattern))["stateMachineArn"],
                                  input='{"who": "p"}')["executionArn"]
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED", done
        out = json.loads(done["output"])
        assert out["Status"] == "SUCCEEDED" and parse(out["Output"]) == {"hello": "p"}
        types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
        assert types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                         "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_failing_child_fails_the_sync_task(sfn: Any) -> None:
    child = create(sfn, FAILING)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=create(sfn, parent(child, ".sync"))["stateMachineArn"],
                              input='{"who": "p"}')["executionArn"]
    done = finished(sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(done["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "ChildError", "the child failed")


def test_stopping_the_parent_stops_its_running_child(sfn: Any) -> None:
    child = create(sfn, WAIT_LONG)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=create(sfn, parent(child, ".sync"))["stateMachineArn"],
                              input='{"who": "p"}')["executionArn"]
    running = wait_for(lambda: children(sfn, child))[0]["executionArn"]
    sfn.stop_execution(executionArn=arn)
    stopped = finished(sfn, running)
    assert stopped["status"] == "ABORTED"
