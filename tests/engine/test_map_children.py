"""A Distributed Map's child workflow executions on the durable engine: each item's history is
an execution of its own, written with its parent's commits, and it goes on where it was after
the engine restarts (no event lost, none twice). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time

from .test_durable import Harness

ITEMS = 20  # (enough for PostgreSQL to write the children in one COPY)
FLOW = {"StartAt": "Fan", "States": {"Fan": {
    "Type": "Map", "Label": "Each", "MaxConcurrency": 20, "End": True,
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Nap",
                      "States": {"Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                                 "Done": {"Type": "Pass", "Result": "done", "ResultPath": "$.said", "End": True}}}}}}


def test_children_resume_after_a_restart_with_every_event_once(db: str) -> None:
    harness = Harness(db)
    try:
        arn = harness.start(FLOW, [{"i": i} for i in range(ITEMS)])
        deadline = time.monotonic() + 10
        while True:  # the children are stored, waiting
            started = [e for e in harness.history(arn) if e["type"] == "MapRunStarted"]
            run_arn = started[0]["mapRunStartedEventDetails"]["mapRunArn"] if started else None
            children = harness.store.list_executions(map_run_arn=run_arn) if run_arn else []
            if len(children) == ITEMS and all(c.event_count >= 2 for c in children):
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
        harness.restart()  # the Wait states are underway: the new engine picks them up
        record = harness.wait(arn)
        assert record.status == "SUCCEEDED"
        assert json.loads(record.output or "null") == [{"i": i, "said": "done"} for i in range(ITEMS)]
        children = harness.store.list_executions(map_run_arn=run_arn)
        assert sorted(json.loads(c.input)["i"] for c in children) == list(range(ITEMS))
        for child in children:
            assert child.status == "SUCCEEDED" and json.loads(child.output or "null")["said"] == "done"
            history = harness.history(child.arn)
            assert [(e["id"], e["type"]) for e in history] == list(enumerate(
                ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited",
                 "ExecutionSucceeded"], 1))
            assert child.event_count == len(history) and child.map_run_arn == run_arn
    finally:
        harness.engine.shutdown()
        harness.store.close()
