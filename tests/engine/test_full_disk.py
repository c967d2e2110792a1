"""A full disk fails the operation with a clear error and loses nothing committed: SQLite is
given no more pages (what a full disk looks like to it), executions keep coming, then room."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from stepline.engine.durable import Engine
from stepline.integrations import Functions, Integrations
from stepline.service import Service, ServiceError
from stepline.store.sqlite import SqliteStore

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})


def pages(store: SqliteStore, limit: int | None = None) -> int:
    with store._write_lock:  # the writer connection is the one that must run out of room
        if limit is not None:
            store._writer.execute(f"PRAGMA max_page_count = {limit}")
        return store._writer.execute("PRAGMA page_count").fetchone()[0]


def test_a_full_disk_refuses_new_work_clearly_and_keeps_what_was_committed(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "full.db"))
    store.migrate()
    engine = Engine(store, Integrations(Functions()), poll_interval=0.05)
    engine.run_in_thread()
    service = Service(store, engine, Integrations(Functions()), region="us-east-1", account="123456789012")
    try:
        role = "arn:aws:iam::123456789012:role/r"
        sm = service.call("CreateStateMachine", {"name": "m", "definition": PASS, "roleArn": role})["stateMachineArn"]
        waiting = service.call("CreateStateMachine", {"name": "w", "definition": WAIT, "roleArn": role})[
            "stateMachineArn"]
        done = [service.call("StartExecution", {"stateMachineArn": sm, "input": json.dumps({"i": i})})["executionArn"]
                for i in range(20)]
        running = service.call("StartExecution", {"stateMachineArn": waiting})["executionArn"]
        time.sleep(0.3)
        before = {arn: service.call("DescribeExecution", {"executionArn": arn}) for arn in done}
        assert all(d["status"] == "SUCCEEDED" for d in before.values())

        pages(store, limit=pages(store))  # the disk is full now
        refused = 0
        for _ in range(200):  # enough new history to need a new page
            try:
                service.call("StartExecution", {"stateMachineArn": sm, "input": json.dumps({"big": "x" * 2000})})
            except ServiceError as e:
                assert e.status == 500 and "full" in e.message, e
                refused += 1
        assert refused > 0
        with pytest.raises(ServiceError) as info:
            for n in range(500):
                service.call("CreateStateMachine", {"name": f"more{n}", "definition": PASS, "roleArn": role})
        assert "full" in info.value.message

        for arn, described in before.items():  # every committed execution intact
            assert service.call("DescribeExecution", {"executionArn": arn}) == described
            assert len(service.call("GetExecutionHistory", {"executionArn": arn})["events"]) == 4

        pages(store, limit=1_000_000)  # room again: work goes on, the waiting execution ends
        fresh = service.call("StartExecution", {"stateMachineArn": sm})["executionArn"]
        deadline = time.monotonic() + 60
        while any(service.call("DescribeExecution", {"executionArn": a})["status"] == "RUNNING"
                  for a in (fresh, running)):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert service.call("DescribeExecution", {"executionArn": running})["status"] == "SUCCEEDED"
    finally:
        engine.shutdown()
        service.close()
        store.close()


