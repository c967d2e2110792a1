"""Two engines on one database: what one process is asked to do reaches the engine that holds
the execution, through the store (StopExecution, SendTaskSuccess), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.engine.durable import Engine
from stepline.integrations import Functions, Integrations
from stepline.service import Service
from stepline.store import open_store

from .test_durable import Harness

WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
tokens: queue.Queue = queue.Queue()


def hand_out(event: Any, context: Any) -> Any:
    tokens.put(event["token"])
    return {}


CALLBACK = {"StartAt": "T", "States": {"T": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {"FunctionName": "hand_out", "Payload": {"token.$": "$$.Task.Token"}}, "End": True}}}


@pytest.fixture
def two(db: str) -> Iterator[tuple[Harness, Service]]:
    """An engine that runs the executions, and the service of another process (its own store
    and an engine that holds nothing) that callers talk to."""
    holder = Harness(db, {"hand_out": hand_out})
    store = open_store(db)
    other = Engine(store, Integrations(Functions()), poll_interval=0.05)
    other.run_in_thread()
    service = Service(store, other, Integrations(Functions()), region="us-east-1", account="123456789012")
    yield holder, service
    holder.engine.shutdown()
    other.shutdown()
    service.close()
    store.close()
    holder.store.close()


def test_stop_from_another_process_reaches_the_holding_engine(two: tuple[Harness, Service]) -> None:
    holder, service = two
    arn = holder.start(WAIT)
    stopped = service.call("StopExecution", {"executionArn": arn, "error": "Elsewhere", "cause": "other process"})
    record = holder.wait(arn)
    assert (record.status, record.error, record.cause) == ("ABORTED", "Elsewhere", "other process")
    assert stopped["stopDate"] == record.stop_time
    assert holder.store.signals_for(holder.engine.owner) == []  # applied once, and gone


def test_a_callback_answered_through_another_process(two: tuple[Harness, Service]) -> None:
    holder, service = two
    arn = holder.start(CALLBACK)
    token = tokens.get(timeout=10)
    service.call("SendTaskSuccess", {"taskToken": token, "output": json.dumps({"from": "elsewhere"})})
    record = holder.wait(arn)
    assert record.status == "SUCCEEDED" and json.loads(record.output or "null") == {"from": "elsewhere"}
