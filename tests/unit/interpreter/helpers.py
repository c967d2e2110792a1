"""Shared helpers for the interpreter tests: run a definition, read its history.

Every test drives the public entry point ``stepline.run`` and reads what
``GetExecutionHistory`` would return (``Execution.history``), so the assertions are about
AWS-visible behaviour only.
"""

from __future__ import annotations

import json
from typing import Any

import stepline

ACCOUNT = "123456789012"
REGION = "us-east-1"
INVOKE = "arn:aws:states:::lambda:invoke"
TERMINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


def lambda_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def machine(states: dict, start: str | None = None, **top: Any) -> dict:
    """A definition whose StartAt is the first state unless ``start`` says otherwise."""
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def run(definition: dict, input: Any = None, **kw: Any) -> stepline.Execution:
    return stepline.run(definition, input, **kw)


def types(ex: stepline.Execution) -> list[str]:
    return [e["type"] for e in ex.history]


def details(event: dict) -> dict:
    """The ``...EventDetails`` of an event ({} when it has none)."""
    for k, v in event.items():
        if k.endswith("EventDetails"):
            return v
    return {}


def events_of(ex: stepline.Execution, event_type: str) -> list[dict]:
    return [e for e in ex.history if e["type"] == event_type]


def event(ex: stepline.Execution, event_type: str, n: int = 0) -> dict:
    """The ``n``-th event of that type."""
    found = events_of(ex, event_type)
    assert len(found) > n, f"no {event_type} #{n} in {types(ex)}"
    return found[n]


def by_id(ex: stepline.Execution, event_id: int) -> dict:
    e = ex.history[event_id - 1]
    assert e["id"] == event_id
    return e


def parsed(text: str) -> Any:
    return json.loads(text)


def state_output(ex: stepline.Execution, state: str, n: int = 0) -> Any:
    """The output recorded on the n-th exit of ``state``."""
    exits = [e for e in ex.history if e["type"].endswith("StateExited") and details(e)["name"] == state]
    assert len(exits) > n, f"{state} exited {len(exits)} times"
    return parsed(details(exits[n])["output"])


def state_input(ex: stepline.Execution, state: str, n: int = 0) -> Any:
    entries = [e for e in ex.history if e["type"].endswith("StateEntered") and details(e)["name"] == state]
    assert len(entries) > n, f"{state} entered {len(entries)} times"
    return parsed(details(entries[n])["input"])


def assigned(ex: stepline.Execution, state: str, n: int = 0) -> dict | None:
    """The assignedVariables (name -> JSON text) on the n-th exit of ``state``."""
    exits = [e for e in ex.history if e["type"].endswith("StateExited") and details(e)["name"] == state]
    assert len(exits) > n
    return details(exits[n]).get("assignedVariables")


def check_history(ex: stepline.Execution) -> None:
    """The invariants every history keeps, and the outcome re-derived from the last event."""
    h = ex.history
    assert h, "empty history"
    assert [e["id"] for e in h] == list(range(1, len(h) + 1))
    for e in h:
        assert 0 <= e["previousEventId"] < e["id"], e
    assert h[0]["type"] == "ExecutionStarted" and h[0]["previousEventId"] == 0
    terminal = [e for e in h if e["type"] in TERMINAL]
    assert len(terminal) == 1, [e["type"] for e in terminal]
    last = h[-1]
    assert last is terminal[0]
    stamps = [e["timestamp"] for e in h]
    assert stamps == sorted(stamps), "timestamps go backwards"
    d = details(last)
    status = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED",
              "ExecutionTimedOut": "TIMED_OUT", "ExecutionAborted": "ABORTED"}[last["type"]]
    assert ex.status == status
    if status == "SUCCEEDED":
        assert parsed(d["output"]) == ex.output
        assert d["outputDetails"] == {"truncated": False}
    elif status == "TIMED_OUT":  # the error alone, no cause (and DescribeExecution shows neither)
        assert d == {"error": "States.Timeout"} and (ex.error, ex.cause) == ("States.Timeout", None)
    else:
        assert d.get("error") == ex.error
        assert d.get("cause") == ex.cause
