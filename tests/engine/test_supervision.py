"""The engine is supervised: whatever one execution does (a fault in its step, in rendering its
events, in committing them, a stored state that cannot be read back), that execution alone
fails with States.Runtime, the others go on, and the loop keeps running. Waiting executions
cost memory within a budget. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from stepline.engine.durable import Engine
from stepline.engine.records import new_record, standard_start
from stepline.interpreter import Interpreter
from stepline.store import ExecutionRecord, StoreRefusedValue, Write

from .test_durable import SM, Harness

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                                   "P": {"Type": "Pass", "End": True}}}


def start_many(h: Harness, definition: dict, inputs: list[Any]) -> list[str]:
    """Start executions at once (their starts are taken and committed together)."""
    futures = [h.engine.start_execution(standard_start(SM.format("m"), json.dumps(definition), json.dumps(data)))
               for data in inputs]
    return [f.result(10).arn for f in futures]


def runtime_failure(h: Harness, arn: str) -> str:
    record = h.wait(arn)
    assert (record.status, record.error) == ("FAILED", "States.Runtime"), record
    history = h.history(arn)
    assert history[-1]["type"] == "ExecutionFailed" and history[-1]["previousEventId"] == len(history) - 1
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    return record.cause or ""


def still_runs(h: Harness) -> None:
    arn = h.start(PASS, {"after": True})
    assert h.wait(arn).status == "SUCCEEDED"
    assert h.engine.alive


def test_a_fault_in_one_executions_step_fails_it_alone(harness: Callable[..., Harness],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    class Faulty(Interpreter):
        def advance(self, frame: Any, now: float, budget: int | None = None) -> Any:
            if frame.data == {"boom": True}:
                raise RuntimeError("a bug in the interpreter")
            return super().advance(frame, now, budget)

    h = harness(interpreter=Faulty())
    with caplog.at_level(logging.ERROR, "stepline.engine"):
        arns = start_many(h, PASS, [{"n": 1}, {"boom": True}, {"n": 2}])
        cause = runtime_failure(h, arns[1])
    assert "a bug in the interpreter" in cause and "RuntimeError" in cause
    assert [h.wait(a).status for a in (arns[0], arns[2])] == ["SUCCEEDED", "SUCCEEDED"]
    assert sum(arns[1] in r.getMessage() for r in caplog.records) == 1  # logged once, with its ARN
    still_runs(h)


def test_a_fault_in_rendering_one_execution_fails_it_alone(harness: Callable[..., Harness]) -> None:
    h = harness()
    write = h.engine.committer._write

    def faulty(live: Any, now: float) -> Any:
        if live.execution.input == {"render": "boom"}:
            raise ValueError("cannot render")
        return write(live, now)

    h.engine.committer._write = faulty  # type: ignore[method-assign]
    arns = start_many(h, WAIT, [{"n": 1}, {"render": "boom"}, {"n": 2}])
    assert "cannot render" in runtime_failure(h, arns[1])
    history = h.history(arns[1])
    assert [e["type"] for e in history] == ["ExecutionStarted", "ExecutionFailed"]  # its start, then the end
    assert [h.wait(a).status for a in (arns[0], arns[2])] == ["SUCCEEDED", "SUCCEEDED"]
    still_runs(h)


def test_a_value_the_database_refuses_fails_its_execution_and_the_batch_commits(
        harness: Callable[..., Harness]) -> None:
    h = harness()
    commit = h.store.commit
    refused = []

    def picky(writes: Any) -> Any:
        writes = list(writes)
        if any(w.record.input == '{"poison": true}' and w.record.status != "FAILED" for w in writes):
            refused.append(len(writes))
            raise StoreRefusedValue("the database cannot hold it")
        return commit(writes)

    h.store.commit = picky  # type: ignore[method-assign]
    arns = start_many(h, PASS, [{"n": i} for i in range(10)] + [{"poison": True}] + [{"n": 10}])
    assert refused and refused[0] > 1, refused  # it came in a batch with others
    assert "the database cannot hold it" in runtime_failure(h, arns[10])
    assert all(h.wait(a).status == "SUCCEEDED" for i, a in enumerate(arns) if i != 10)
    still_runs(h)


def test_the_loop_goes_on_after_a_fault_of_its_own(harness: Callable[..., Harness],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    h = harness()
    faults = []
    retain = h.engine._retain

    def faulty(now: float) -> None:
        if not faults:
            faults.append(now)
            raise RuntimeError("a bug in the engine")
        retain(now)

    h.engine._next_retention = 0.0
    with caplog.at_level(logging.ERROR, "stepline.engine"):
        h.engine._retain = faulty  # type: ignore[method-assign]
        deadline = time.monotonic() + 5
        while not faults and time.monotonic() < deadline:
            time.sleep(0.01)
        still_runs(h)
    assert faults and any("a bug in the engine" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def stored(h: Harness, snapshot: str, name: str, input_text: str = '{"x": 1}') -> str:
    """A RUNNING execution as if an engine had stored it, due now, with ``snapshot``."""
    definition = json.dumps(WAIT)
    digest = hashlib.sha256(definition.encode()).hexdigest()
    h.store.put_definition(digest, definition)
    record = new_record(standard_start(SM.format("m"), definition, input_text, name=name), digest, time.time())
    record.snapshot, record.wake_at = snapshot, record.start_time
    h.store.commit([Write(record, new=True)])
    h.store.notify()
    return record.arn


@pytest.mark.parametrize("snapshot", ["{not json", '{"v": 1, "root": {"p": "", "s": "Nowhere", "d": {}, "ph": 1, '
                                                   '"l": 0}}', '{"v": 99}', '[]'])
def test_a_stored_state_that_cannot_be_read_back_fails_instead_of_looping(harness: Callable[..., Harness],
                                                                          snapshot: str) -> None:
    h = harness(lease_seconds=0.5)
    arn = stored(h, snapshot, "unreadable")
    cause = runtime_failure(h, arn)
    assert "stepline could not resume the execution" in cause
    time.sleep(1.0)  # past its lease: it is not claimed again
    record = h.store.get_execution(arn)
    assert record.status == "FAILED" and record.event_count == 1 and record.lease_owner is None
    still_runs(h)


def test_waiting_executions_are_held_within_the_memory_budget(harness: Callable[..., Harness]) -> None:
    budget = 1024 * 1024
    h = harness(memory_budget=budget)
    big = {"blob": "x" * 64 * 1024}
    arns = start_many(h, WAIT, [{**big, "n": i} for i in range(40)])
    deadline = time.monotonic() + 0.8  # while they wait
    peak = 0
    while time.monotonic() < deadline:
        peak = max(peak, h.engine.holding.bytes)
        time.sleep(0.01)
    assert h.engine.evicted >= 20, h.engine.evicted
    assert peak <= budget + 200 * 1024, peak  # within the budget but for the one that crossed it
    for i, arn in enumerate(arns):
        record = h.wait(arn)
        assert record.status == "SUCCEEDED" and json.loads(record.output)["n"] == i
    assert h.engine.holding.bytes == 0 and not h.engine.live


def test_an_evicted_execution_wakes_for_a_signal(harness: Callable[..., Harness]) -> None:
    """Evicted while it waits for a callback, it is claimed again when stopped from outside."""
    h = harness(memory_budget=1)
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    arn = h.start(definition, {"n": 1})
    deadline = time.monotonic() + 5
    while arn in h.engine.live and time.monotonic() < deadline:
        time.sleep(0.01)
    assert arn not in h.engine.live and h.engine.evicted >= 1
    record = h.engine.stop_execution(arn, "Stopped", "by a test").result(10)
    assert record is not None and record.status == "ABORTED"
    assert h.history(arn)[-1]["type"] == "ExecutionAborted"


def test_engine_exposes_alive(db: str) -> None:
    h = Harness(db)
    try:
        assert h.engine.alive
    finally:
        h.close()
    assert not h.engine.alive
    assert isinstance(h.engine, Engine) and ExecutionRecord is not None
