"""The durable engine writes a running execution's snapshot with ``dump_text`` and a memo kept
between its commits (the text of unchanged data is not made again). Whatever the memo holds,
the text must be exactly ``dumps(dump(execution))``: checked at every commit of executions
whose Map and Parallel states change between commits."""

from __future__ import annotations

import json
import time

import pytest

from stepline.asl.values import dumps
from stepline.engine.durable import Engine
from stepline.engine.records import standard_start
from stepline.integrations import Functions, Integrations
from stepline.interpreter import snapshot as snapshots
from stepline.store import open_store

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:{}"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def work(event, context):
    time.sleep(0.002)
    return {"done": event}


TASK = {"Type": "Task", "Resource": LAMBDA.format("work"), "End": True}
MAP = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3, "End": True,
    "ItemProcessor": {"StartAt": "T", "States": {"T": TASK}}}}}
NESTED = {"StartAt": "Outer", "States": {"Outer": {
    "Type": "Map", "ItemsPath": "$.rows", "MaxConcurrency": 2, "End": True,
    "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {
        "Type": "Map", "ItemsPath": "$.cells", "MaxConcurrency": 2, "End": True,
        "ItemProcessor": {"StartAt": "T", "States": {"T": TASK}}}}}}}}
PARALLEL = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "Next": "After", "Branches": [
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "Next": "T1"}, "T1": TASK}},
    {"StartAt": "T2", "States": {"T2": TASK}},
    {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": [1, 2]}, "End": True}}}]},
    "After": {"Type": "Map", "ItemsPath": "$[2].x", "End": True, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
              "ItemProcessor": {"StartAt": "T3", "States": {"T3": TASK}}}}}


def test_the_snapshot_text_is_the_dump_at_every_commit(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = snapshots.dump_text
    memoized: list[bool] = []

    def checking(execution, *, redrive=False, memo=None):
        text = real(execution, redrive=redrive, memo=memo)
        assert text == dumps(snapshots.dump(execution, redrive=redrive))
        memoized.append(memo is not None and execution.root is not None and execution.root.child_group is not None)
        return text

    monkeypatch.setattr(snapshots, "dump_text", checking)
    store = open_store(db)
    engine = Engine(store, Integrations(Functions({"work": work})), poll_interval=0.05)
    engine.run_in_thread()
    try:
        runs = [(MAP, {"items": [{"i": i, "pad": "x" * i} for i in range(25)]}),
                (NESTED, {"rows": [{"cells": [r, r + 1, r + 2]} for r in range(4)]}),
                (PARALLEL, {"in": 1})]
        arns = [engine.start_execution(standard_start(SM.format(f"s{i}"), json.dumps(d), json.dumps(data)))
                .result(10).arn for i, (d, data) in enumerate(runs)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(store.get_execution(a).status == "RUNNING" for a in arns):
            time.sleep(0.05)
        records = [store.get_execution(a) for a in arns]
    finally:
        engine.shutdown()
        store.close()
    assert [r.status for r in records] == ["SUCCEEDED"] * 3, [(r.error, r.cause) for r in records]
    assert json.loads(records[0].output) == [{"done": {"i": i, "pad": "x" * i}} for i in range(25)]
    assert sum(memoized) >= 10  # the memo served many commits
