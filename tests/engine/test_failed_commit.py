"""A commit that fails (the database went away for a moment) loses nothing and holds nothing
up: the engine takes the executions of that batch up again from their committed state at
once, rather than when its own lease on them runs out. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from .test_durable import Harness

FLOW = {"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
    "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:count", "Next": "P"},
    "P": {"Type": "Pass", "End": True}}}
calls: list[Any] = []


def count(event: Any, context: Any) -> Any:
    calls.append(event)
    return {"called": len(calls)}


def test_a_failed_commit_is_taken_up_again_at_once(db: str) -> None:
    harness = Harness(db, {"count": count}, lease_seconds=30.0)
    store = harness.store
    commit = store.commit
    failures: list[int] = []

    def flaky(writes: Any) -> Any:
        writes = list(writes)
        # the commit that carries the task's result fails
        if not failures and any('"type":"LambdaFunctionSucceeded"' in e for w in writes for e in w.events):
            failures.append(len(writes))
            raise OSError("the database went away")
        return commit(writes)

    store.commit = flaky  # type: ignore[method-assign]
    try:
        calls.clear()
        started = time.monotonic()
        arn = harness.start(FLOW, {"n": 1})
        record = harness.wait(arn, timeout=10)
        took = time.monotonic() - started
        types = [e["type"] for e in harness.history(arn)]
    finally:
        harness.engine.shutdown()
        store.close()
    assert failures, "no commit was made to fail"
    assert record.status == "SUCCEEDED", record
    assert took < 5, f"took {took:.1f} s: the execution waited for its lease (30 s) to run out"
    assert len(calls) == 2  # its result was not committed: the task is called again (at least once)
    assert types == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "TaskStateEntered",
                     "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
                     "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
