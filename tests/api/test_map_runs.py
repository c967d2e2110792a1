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
