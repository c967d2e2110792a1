"""The durable engine over a real database: lifecycle, history, timers, redrive, shutdown."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stepline.engine.durable import (
    Engine,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    enqueue,
    redrive_status,
)
from stepline.engine.records import standard_start
from stepline.integrations import Functions, Integrations
from stepline.interpreter.history import details_key
from stepline.store import open_store

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:{}"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:{}"


class Harness:
    def __init__(self, url: str, functions: dict[str, Callable] | None = None, **engine_options: Any) -> None:
        self.url = url
        self.store = open_store(url)
        self.functions = functions or {}
        self.engine_options = engine_options
        self.engine = self._engine()

    def _engine(self) -> Engine:
        engine = Engine(self.store, Integrations(Functions(self.functions)), poll_interval=0.05, **self.engine_options)
        engine.run_in_thread()
        return engine

    def restart(self) -> None:
        self.engine.shutdown()
        self.engine = self._engine()

    def start(self, definition: dict, data: Any = None, *, name: str | None = None, machine: str = "m") -> str:
        future = self.engine.start_execution(standard_start(SM.format(machine), json.dumps(definition),
                                                            json.dumps(data or {}), name=name))
        return future.result(10).arn

    def wait(self, arn: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = self.store.get_execution(arn)
            if record is not None and record.status != "RUNNING":
                return record
            time.sleep(0.02)
        raise AssertionError(f"{arn} still running")

    def history(self, arn: str) -> list[dict]:
        return [json.loads(e.text) for e in self.store.get_events(arn)]

    def entered(self, arn: str) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.history(arn) if e["type"].endswith("StateEntered")]

    def close(self) -> None:
        self.engine.shutdown()
        self.store.close()


@pytest.fixture
def harness(db: str) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(functions: dict[str, Callable] | None = None, **options: Any) -> Harness:
        h = Harness(db, functions, **options)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


PASSES = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "Next": "B"},
                                     "B": {"Type": "Pass", "Result": "done", "ResultPath": "$.r", "End": True}}}


def test_a_run_is_committed_with_its_whole_history(harness) -> None:
    h = harness()
    arn = h.start(PASSES, {"v": 1})
    record = h.wait(arn)
    assert (record.status, json.loads(record.output)) == ("SUCCEEDED", {"v": 1, "r": "done"})
    events = h.history(arn)
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                           "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert record.event_count == 6 and record.snapshot is None and record.lease_owner is None


def test_status_output_error_cause_can_be_rederived_from_the_events(harness) -> None:
    h = harness({"boom": lambda e, c: (_ for _ in ()).throw(ValueError("bad value"))})
    ok = h.start(PASSES, {"v": 2}, name="ok")
    bad = h.start({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA.format("boom"),
                                                    "End": True}}}, name="bad")
    for arn in (ok, bad):
        record = h.wait(arn)
        last = h.history(arn)[-1]
        status = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED"}[last["type"]]
        details = last[details_key(last["type"])]
        assert record.status == status
        assert record.error == details.get("error") and record.cause == details.get("cause")
        if status == "SUCCEEDED":
            assert json.loads(record.output) == json.loads(details["output"])
    assert h.store.get_execution(bad).error == "ValueError"


def test_starting_the_same_name_again(harness) -> None:
    h = harness()
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": True}}}
    arn = h.start(wait, {"a": 1}, name="same")
    assert h.start(wait, {"a": 1}, name="same") == arn  # running, same input: the same execution
    with pytest.raises(ExecutionAlreadyExists):
        h.start(wait, {"a": 2}, name="same")  # running, other input
    h.wait(arn)
    with pytest.raises(ExecutionAlreadyExists):
        h.start(wait, {"a": 1}, name="same")  # closed


def test_timers_are_rows_and_survive_a_restart(harness) -> None:
    h = harness()
    arn = h.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                                              "P": {"Type": "Pass", "End": True}}})
    record = h.store.get_execution(arn)
    assert record.status == "RUNNING" and record.wake_at >= record.start_time + 0.9
    h.restart()  # graceful: leases given back, the timer stays in the row
    assert h.wait(arn).status == "SUCCEEDED"
    assert h.entered(arn) == ["W", "P"]


def test_stop_aborts_and_abandons_the_running_task(harness) -> None:
    calls: list = []

    def slow(event, context):
        calls.append(event)
        time.sleep(1)
        return event

    h = harness({"slow": slow})
    arn = h.start({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA.format("slow"), "End": True}}})
    time.sleep(0.2)
    record = h.engine.stop_execution(arn, "Stopped", "by the test").result(10)
    assert (record.status, record.error, record.cause) == ("ABORTED", "Stopped", "by the test")
    time.sleep(1.2)  # the task ends after the stop: its result changes nothing
    assert h.store.get_execution(arn).status == "ABORTED"
    assert h.history(arn)[-1]["type"] == "ExecutionAborted"


def test_the_history_limit_fails_the_execution(harness) -> None:
    h = harness(history_limit=40)
    loop = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": False, "Next": "A"}], "Default": "D"},
        "D": {"Type": "Succeed"}}}
    record = h.wait(h.start(loop))
    assert (record.status, record.error) == ("FAILED", "States.Runtime")
    assert record.cause == "The execution reached the maximum number of history events (40)."
    # as AWS records it (measured, floci-io/floci#2734): the failure is event 40, after event 39
    assert record.event_count == 40
    last = h.history(record.arn)[-1]
    assert (last["id"], last["previousEventId"], last["type"]) == (40, 39, "ExecutionFailed")


FLAKY = {"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": LAMBDA.format("work"), "Next": "Finish"},
    "Finish": {"Type": "Pass", "End": True}}}


def test_redrive_goes_on_from_the_failed_state(harness) -> None:
    broken = {"on": True}
    calls: list = []

    def work(event, context):
        calls.append(event)
        if broken["on"]:
            raise RuntimeError("not yet")
        return {"n": event["n"] * 10}

    h = harness({"work": work})
    arn = h.start(FLAKY, {"n": 4})
    failed = h.wait(arn)
    assert failed.status == "FAILED"
    assert redrive_status(failed, time.time()) == ("REDRIVABLE", None)
    broken["on"] = False
    record = h.engine.redrive_execution(arn).result(10)
    assert record.redrive_count == 1 and record.redrive_time is not None
    done = h.wait(arn)
    assert (done.status, json.loads(done.output), done.redrive_count) == ("SUCCEEDED", {"n": 40}, 1)
    assert h.entered(arn) == ["Prepare", "Work", "Work", "Finish"]  # Prepare succeeded: not run again
    types = [e["type"] for e in h.history(arn)]
    assert types.count("ExecutionRedriven") == 1
    redriven = next(e for e in h.history(arn) if e["type"] == "ExecutionRedriven")
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert len(calls) == 2


def test_redrive_reruns_only_the_failed_map_iterations(harness) -> None:
    failing = {1, 3}
    calls: list = []

    def work(event, context):
        calls.append(event["n"])
        if event["n"] in failing:
            raise RuntimeError(f"item {event['n']}")
        return {"n": event["n"] * 10}

    h = harness({"work": work})
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
        "ItemSelector": {"n.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": LAMBDA.format("work"),
                                                                "End": True}}}}}}
    arn = h.start(definition, {"items": [0, 1, 2, 3, 4]})
    assert h.wait(arn).status == "FAILED"
    assert calls == [0, 1]  # one at a time: item 1 failed the Map before 2, 3 and 4 started
    failing.clear()
    h.engine.redrive_execution(arn).result(10)
    done = h.wait(arn)
    assert done.status == "SUCCEEDED"
    assert json.loads(done.output) == [{"n": 0}, {"n": 10}, {"n": 20}, {"n": 30}, {"n": 40}]
    assert calls[2:] == [1, 2, 3, 4]  # item 0 succeeded: its result is kept, it does not run again


def test_redrive_reruns_only_the_failed_parallel_branch(harness) -> None:
    state = {"broken": True}
    calls: list = []

    def work(event, context):
        calls.append(event["b"])
        if event["b"] == 2 and state["broken"]:
            raise RuntimeError("branch 2")
        return event["b"]

    def branch(b: int) -> dict:  # branch 2 waits first: 1 and 3 are done when it fails
        task = {"Type": "Task", "Resource": LAMBDA.format("work"), "Parameters": {"b": b}, "End": True}
        if b != 2:
            return {"StartAt": f"B{b}", "States": {f"B{b}": task}}
        return {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 1, "Next": "B2"}, "B2": task}}
    h = harness({"work": work})
    arn = h.start({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True,
                                                    "Branches": [branch(1), branch(2), branch(3)]}}})
    assert h.wait(arn).status == "FAILED"
    state["broken"] = False
    before = len(calls)
    h.engine.redrive_execution(arn).result(10)
    done = h.wait(arn)
    assert (done.status, json.loads(done.output)) == ("SUCCEEDED", [1, 2, 3])
    assert calls[before:] == [2]


def test_redrive_of_a_timed_out_execution(harness) -> None:
    h = harness()
    definition = {"StartAt": "W", "TimeoutSeconds": 1,
                  "States": {"W": {"Type": "Wait", "SecondsPath": "$.wait", "End": True}}}
    arn = h.start(definition, {"wait": 2})
    assert h.wait(arn).status == "TIMED_OUT"
    h.engine.redrive_execution(arn).result(10)
    assert h.wait(arn).status == "TIMED_OUT"  # the Wait is longer than the timeout again
    assert h.store.get_execution(arn).redrive_count == 1


def test_what_cannot_be_redriven(harness) -> None:
    h = harness()
    ok = h.start(PASSES, {"v": 1})
    h.wait(ok)
    with pytest.raises(ExecutionNotRedrivable, match="SUCCEEDED"):
        h.engine.redrive_execution(ok).result(10)
    with pytest.raises(ExecutionDoesNotExist):
        h.engine.redrive_execution(SM.format("m").replace("stateMachine", "execution") + ":nope").result(10)
    running = h.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
    with pytest.raises(ExecutionNotRedrivable, match="RUNNING"):
        h.engine.redrive_execution(running).result(10)


def test_a_queued_execution_is_claimed_and_run(harness, db: str) -> None:
    h = harness()
    record = enqueue(h.store, standard_start(SM.format("q"), json.dumps(PASSES), '{"v": 9}', name="queued"))
    done = h.wait(record.arn)
    assert (done.status, json.loads(done.output)) == ("SUCCEEDED", {"v": 9, "r": "done"})


def test_shutdown_releases_running_executions_for_others(harness) -> None:
    first = harness()
    arn = first.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})
    first.engine.shutdown()
    record = first.store.get_execution(arn)
    assert record.lease_owner is None and record.status == "RUNNING"
    second = harness()
    assert second.wait(arn).status == "SUCCEEDED"


def test_closed_executions_past_retention_are_deleted_running_ones_kept(db: str) -> None:
    h = Harness(db, retention_seconds=0.5)
    try:
        done = h.start({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, name="short-lived")
        waiting = h.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}},
                          name="long-running")
        h.wait(done)
        deadline = time.monotonic() + 10
        while h.store.get_execution(done) is not None:
            assert time.monotonic() < deadline, "not deleted after its retention"
            time.sleep(0.05)
        assert h.store.get_events(done) == []
        assert h.store.get_execution(waiting).status == "RUNNING"
    finally:
        h.engine.shutdown()
        h.store.close()
