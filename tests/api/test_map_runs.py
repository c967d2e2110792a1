"""Distributed Map runs through the API: ListMapRuns, DescribeMapRun, UpdateMapRun."""

from __future__ import annotations

import time
from typing import Any

from .conftest import wait_for
from .test_executions import finished
from .test_state_machines import create, error_of


def distributed(items: int, *, concurrency: int, wait: float = 0, tolerated: int | None = None) -> dict:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Step",
                 "States": {"Step": {"Type": "Choice", "Choices": [
                     {"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail"}], "Default": "Nap"},
                     "Nap": {"Type": "Wait", "Seconds": wait, "End": True} if wait else {"Type": "Pass", "End": True},
                     "Fail": {"Type": "Fail", "Error": "ItemFailed"}}}
    state: dict = {"Type": "Map", "Label": "Items", "ItemProcessor": processor, "MaxConcurrency": concurrency,
                   "ItemsPath": "$.items", "End": True}
    if tolerated is not None:
        state["ToleratedFailureCount"] = tolerated
    return {"StartAt": "Fan", "States": {"Fan": state}}


def items(n: int, failing: tuple[int, ...] = ()) -> str:
    import json
    return json.dumps({"items": [{"i": i, "fail": i in failing} for i in range(n)]})


def test_a_finished_map_run_is_listed_and_described(sfn: Any) -> None:
    sm = create(sfn, distributed(6, concurrency=2, tolerated=1))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input=items(6, failing=(3,)))["executionArn"]
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    assert len(runs) == 1 and runs[0]["executionArn"] == arn and "stopDate" in runs[0]
    run = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])
    assert run["status"] == "SUCCEEDED" and run["maxConcurrency"] == 2 and run["toleratedFailureCount"] == 1
    counts = run["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"], counts["running"], counts["pending"]) == (
        6, 5, 1, 0, 0)
    assert run["executionCounts"] == counts
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    started = next(e for e in history if e["type"] == "MapRunStarted")
    assert started["mapRunStartedEventDetails"]["mapRunArn"] == runs[0]["mapRunArn"]


def test_update_map_run_raises_the_concurrency_of_a_running_map(sfn: Any) -> None:
    sm = create(sfn, distributed(8, concurrency=1, wait=1))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input=items(8))["executionArn"]
    run_arn = wait_for(lambda: (runs := sfn.list_map_runs(executionArn=arn)["mapRuns"]) and runs[0]["mapRunArn"])
    running = wait_for(lambda: (d := sfn.describe_map_run(mapRunArn=run_arn))["itemCounts"]["running"] and d)
    assert running["status"] == "RUNNING" and running["itemCounts"]["running"] == 1
    started = time.monotonic()
    sfn.update_map_run(mapRunArn=run_arn, maxConcurrency=8)
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert time.monotonic() - started < 4  # one item at a time would take about eight seconds
    assert sfn.describe_map_run(mapRunArn=run_arn)["maxConcurrency"] == 8
    code, _, _ = error_of(sfn.update_map_run, mapRunArn=run_arn, maxConcurrency=2)
    assert code == "ResourceNotFound"  # not running any more


def test_unknown_map_runs(sfn: Any) -> None:
    missing = "arn:aws:states:us-east-1:123456789012:mapRun:sm/label:00000000-0000-0000-0000-000000000000"
    assert error_of(sfn.describe_map_run, mapRunArn=missing)[0] == "ResourceNotFound"
    assert error_of(sfn.describe_map_run, mapRunArn="arn:aws:states:us-east-1:123456789012:stateMachine:x")[0] == \
        "InvalidArn"


# ---------------------------------------------------------------------------- child workflow executions

def test_each_item_runs_as_a_child_execution_listed_by_its_map_run(sfn: Any) -> None:
    import json
    sm = create(sfn, distributed(3, concurrency=2, tolerated=1))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input=items(3, failing=(1,)))["executionArn"]
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert len(children) == 3
    machine = sm.split(":stateMachine:", 1)[1]
    for child in children:
        assert child["mapRunArn"] == run_arn
        assert child["stateMachineArn"] == f"{sm}/Items"
        assert child["executionArn"] == f"{sm.replace(':stateMachine:', ':execution:')}/Items:{child['name']}"
        assert ":execution:" + machine + "/Items:" in child["executionArn"]
    described = {json.loads(d["input"])["i"]: d for d in
                 (sfn.describe_execution(executionArn=c["executionArn"]) for c in children)}
    assert sorted(described) == [0, 1, 2]
    assert described[0]["status"] == "SUCCEEDED" and json.loads(described[0]["output"]) == {"i": 0, "fail": False}
    assert (described[1]["status"], described[1]["error"]) == ("FAILED", "ItemFailed")
    assert all(d["mapRunArn"] == run_arn for d in described.values())
    assert described[1]["redriveStatus"] == "NOT_REDRIVABLE"  # its parent is what gets redriven
    code, _, _ = error_of(sfn.redrive_execution, executionArn=described[1]["executionArn"])
    assert code == "ExecutionNotRedrivable"

    ok = sfn.get_execution_history(executionArn=described[0]["executionArn"])["events"]
    assert [(e["id"], e["previousEventId"], e["type"]) for e in ok] == [
        (1, 0, "ExecutionStarted"), (2, 0, "ChoiceStateEntered"), (3, 2, "ChoiceStateExited"),
        (4, 3, "PassStateEntered"), (5, 4, "PassStateExited"), (6, 5, "ExecutionSucceeded")]
    assert json.loads(ok[0]["executionStartedEventDetails"]["input"]) == {"i": 0, "fail": False}
    failed = sfn.get_execution_history(executionArn=described[1]["executionArn"])["events"]
    assert [e["type"] for e in failed] == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
                                          "FailStateEntered", "ExecutionFailed"]
    assert failed[-1]["executionFailedEventDetails"]["error"] == "ItemFailed"

    for_child = sfn.describe_state_machine_for_execution(executionArn=described[0]["executionArn"])
    assert (for_child["mapRunArn"], for_child["label"]) == (run_arn, "Items")
    # the parent's own listing does not hold its children
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=sm)["executions"]] == [arn]


def test_children_of_an_express_item_processor_are_not_kept(sfn: Any) -> None:
    definition = distributed(2, concurrency=2)
    definition["States"]["Fan"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = "EXPRESS"
    sm = create(sfn, definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input=items(2))["executionArn"]
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    assert sfn.list_executions(mapRunArn=run_arn)["executions"] == []


def test_stopping_the_parent_aborts_its_running_children(sfn: Any) -> None:
    sm = create(sfn, distributed(3, concurrency=3, wait=3600))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input=items(3))["executionArn"]
    run_arn = wait_for(lambda: (runs := sfn.list_map_runs(executionArn=arn)["mapRuns"]) and runs[0]["mapRunArn"])
    running = wait_for(lambda: len(found := sfn.list_executions(mapRunArn=run_arn, statusFilter="RUNNING")[
        "executions"]) == 3 and found)
    code, message, _ = error_of(sfn.stop_execution, executionArn=running[0]["executionArn"])
    assert code == "ValidationException" and "parent" in message
    sfn.stop_execution(executionArn=arn)
    assert finished(sfn, arn)["status"] == "ABORTED"
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert sorted(c["status"] for c in children) == ["ABORTED"] * 3
    history = sfn.get_execution_history(executionArn=children[0]["executionArn"])["events"]
    assert [e["type"] for e in history] == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
                                           "WaitStateEntered", "ExecutionAborted"]


def test_a_redrive_redrives_the_same_map_run_and_its_failed_children(sfn: Any, server: Any) -> None:
    import json
    tries: dict[int, int] = {}

    def shaky(event: Any, context: Any) -> Any:
        tries[event["i"]] = tries.get(event["i"], 0) + 1
        if event["i"] == 1 and tries[1] == 1:
            raise RuntimeError("not yet")
        return event

    server.functions.add("shaky", shaky)
    definition = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "Label": "Items", "MaxConcurrency": 1, "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Call",
                          "States": {"Call": {"Type": "Task", "End": True,
                                              "Resource": "arn:aws:lambda:us-east-1:123456789012:function:shaky"}}}}}}
    sm = create(sfn, definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input=items(3))["executionArn"]
    assert finished(sfn, arn)["status"] == "FAILED"
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]  # one at a time: the third never started
    assert sorted(c["status"] for c in children) == ["FAILED", "SUCCEEDED"]
    failed = [c for c in children if c["status"] == "FAILED"]

    sfn.redrive_execution(executionArn=arn)
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert [r["mapRunArn"] for r in sfn.list_map_runs(executionArn=arn)["mapRuns"]] == [run_arn]
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["redriveCount"], run["itemCounts"]["succeeded"], run["itemCounts"]["failed"]) == (
        "SUCCEEDED", 1, 3, 0)
    assert tries == {0: 1, 1: 2, 2: 1}  # the failed item again, the one not started yet for the first time
    assert len(sfn.list_executions(mapRunArn=run_arn)["executions"]) == 3
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    redriven = [e for e in history if e["type"] == "MapRunRedriven"]
    assert redriven[0]["mapRunRedrivenEventDetails"] == {"mapRunArn": run_arn, "redriveCount": 1}

    child = sfn.describe_execution(executionArn=failed[0]["executionArn"])
    assert (child["status"], child["redriveCount"], json.loads(child["output"])) == (
        "SUCCEEDED", 1, {"i": 1, "fail": False})
    types = [e["type"] for e in sfn.get_execution_history(executionArn=child["executionArn"])["events"]]
    assert types[types.index("ExecutionFailed"):] == ["ExecutionFailed", "ExecutionRedriven", "TaskStateEntered",
                                                     "LambdaFunctionScheduled", "LambdaFunctionStarted",
                                                     "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]
