"""History events: cheap records while running, AWS's ``GetExecutionHistory`` shape on demand.

An event is recorded as a tuple ``(type, previous_event_id, timestamp, details)`` where
``details`` is a dict of Python values (or None). Its id is its position in the list plus
one. :func:`render` turns a record into the wire shape (the one place that knows it):
``input``, ``output`` and ``parameters`` become JSON text with their ``...Details``
companions, ``assignedVariables`` become JSON text per variable, and the details sit under
``<lowerCamelType>EventDetails`` (``stateEnteredEventDetails`` for every ``*StateEntered``).
"""

from __future__ import annotations

from typing import Any, Iterable

from ..asl.values import dumps

Event = tuple  # (type, previous_event_id, timestamp, details | None)

EXECUTION_STARTED = "ExecutionStarted"
EXECUTION_SUCCEEDED = "ExecutionSucceeded"
EXECUTION_FAILED = "ExecutionFailed"
EXECUTION_ABORTED = "ExecutionAborted"
EXECUTION_TIMED_OUT = "ExecutionTimedOut"
EXECUTION_REDRIVEN = "ExecutionRedriven"
EVALUATION_FAILED = "EvaluationFailed"

_JSON_TEXT_FIELDS = {"input": "inputDetails", "output": "outputDetails"}
_TRUNCATED_FALSE = {"truncated": False}


def details_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def render(event_id: int, event: Event) -> dict:
    """The event as the API returns it (timestamp in epoch seconds, as on the wire)."""
    etype, prev, ts, details = event
    out: dict[str, Any] = {"id": event_id, "previousEventId": prev, "timestamp": ts, "type": etype}
    if details is not None:
        out[details_key(etype)] = render_details(details)
    return out


def render_details(details: dict) -> dict:
    d: dict[str, Any] = {}
    for k, v in details.items():
        if k in _JSON_TEXT_FIELDS:
            d[k] = v.text if isinstance(v, RawJson) else dumps(v)
            d[_JSON_TEXT_FIELDS[k]] = _TRUNCATED_FALSE
        elif k == "parameters":
            d[k] = dumps(v)
        elif k == "assignedVariables":
            d[k] = {name: dumps(value) for name, value in v.items()}
            d["assignedVariablesDetails"] = _TRUNCATED_FALSE
        elif v is not None:
            d[k] = v
    return d


def render_all(events: Iterable[Event]) -> list[dict]:
    return [render(i, e) for i, e in enumerate(events, 1)]


class RawJson:
    """JSON text kept verbatim (the execution input exactly as the caller sent it)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJson({self.text[:40]!r})"
