"""History events: cheap records while an execution runs, AWS's ``GetExecutionHistory`` shape
when they are stored or read. The one place that knows that shape.

An event is recorded as a tuple ``(type, previous_event_id, timestamp, details)``, ``details``
a dict of Python values (or None); its id is its position in the execution's event list plus
one. :func:`append` records one and links it to the frame's last event. :func:`details_text`
writes the details as the JSON text of AWS's ``<type>EventDetails`` object: ``input``,
``output`` and ``parameters`` become JSON text with their ``...Details`` companions,
``assignedVariables`` JSON text per variable. That text is what the durable engine stores,
what ``GetExecutionHistory`` serves as it is (:func:`event_text`), and what
``stepline.run``'s history is made from (:func:`render`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from json.encoder import encode_basestring  # the C one, as values.dumps uses
from typing import Any, Protocol

from ..asl.values import JSON, dumps

#: an event's details: a dict of Python values, or for a state entered or exited the pair
#: (state name, its input or output)
Details = dict[str, Any] | tuple[str, JSON]
Event = tuple[str, int, float, Details | None]  # (type, previous_event_id, timestamp, details)
#: an execution's events in order (its ``events``, a frame's ``log``): each an :data:`Event`, or
#: None for one already committed and no longer held (a restored execution, the durable engine
#: after a commit), of which only the id counts. Typed ``list[Any]``, not ``list[Event | None]``:
#: the engine, the service and the benchmarks read its members as events without testing for
#: None first (they only read those still held).
EventLog = list[Any]

# ---------------------------------------------------------------------------- the event types

EXECUTION_STARTED = "ExecutionStarted"
EXECUTION_SUCCEEDED = "ExecutionSucceeded"
EXECUTION_FAILED = "ExecutionFailed"
EXECUTION_ABORTED = "ExecutionAborted"
EXECUTION_TIMED_OUT = "ExecutionTimedOut"
EXECUTION_REDRIVEN = "ExecutionRedriven"
EVALUATION_FAILED = "EvaluationFailed"

LAMBDA_SCHEDULED = "LambdaFunctionScheduled"
LAMBDA_STARTED = "LambdaFunctionStarted"
LAMBDA_SUCCEEDED = "LambdaFunctionSucceeded"
LAMBDA_FAILED = "LambdaFunctionFailed"
LAMBDA_TIMED_OUT = "LambdaFunctionTimedOut"
ACTIVITY_SCHEDULED = "ActivityScheduled"
ACTIVITY_STARTED = "ActivityStarted"
ACTIVITY_SUCCEEDED = "ActivitySucceeded"
ACTIVITY_FAILED = "ActivityFailed"
ACTIVITY_TIMED_OUT = "ActivityTimedOut"
TASK_SCHEDULED = "TaskScheduled"
TASK_STARTED = "TaskStarted"
TASK_SUBMITTED = "TaskSubmitted"
TASK_SUCCEEDED = "TaskSucceeded"
TASK_FAILED = "TaskFailed"
TASK_TIMED_OUT = "TaskTimedOut"

PARALLEL_STARTED = "ParallelStateStarted"
PARALLEL_SUCCEEDED = "ParallelStateSucceeded"
PARALLEL_FAILED = "ParallelStateFailed"
MAP_STARTED = "MapStateStarted"
MAP_SUCCEEDED = "MapStateSucceeded"
MAP_FAILED = "MapStateFailed"
MAP_ITERATION_STARTED = "MapIterationStarted"
MAP_ITERATION_SUCCEEDED = "MapIterationSucceeded"
MAP_ITERATION_FAILED = "MapIterationFailed"
MAP_ITERATION_ABORTED = "MapIterationAborted"
MAP_RUN_STARTED = "MapRunStarted"
MAP_RUN_SUCCEEDED = "MapRunSucceeded"
MAP_RUN_FAILED = "MapRunFailed"
MAP_RUN_REDRIVEN = "MapRunRedriven"


def failed_type(state_type: str) -> str:
    """``ParallelStateFailed``, ``MapStateFailed``: a state that failed before or after its children."""
    return state_type + "StateFailed"


def aborted_type(state_type: str) -> str:
    """``TaskStateAborted`` ...: the state a child frame was in when its execution or group ended."""
    return state_type + "StateAborted"


# ---------------------------------------------------------------------------- recording

class Recorder(Protocol):
    """What records events: a frame (its event list, and the id of its last event)."""

    log: EventLog
    last: int


def append(frame: Recorder, event_type: str, now: float, details: Details | None = None, *,
           prev: int | None = None, aside: bool = False) -> int:
    """Record an event after ``frame``'s last one (or after ``prev``) and make it the frame's
    last, unless ``aside`` (an event the frame's next one does not follow); returns its id."""
    log = frame.log
    log.append((event_type, frame.last if prev is None else prev, now, details))
    if not aside:
        frame.last = len(log)
    return len(log)


class RawJson:
    """JSON text kept verbatim (the execution input exactly as the caller sent it)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJson({self.text[:40]!r})"


# ---------------------------------------------------------------------------- AWS's shape, as text

def details_key(event_type: str) -> str:
    """The member that holds an event's details: ``stateEnteredEventDetails`` for every
    ``*StateEntered``, ``taskScheduledEventDetails`` for ``TaskScheduled``, ..."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class Texts:
    """The JSON text of values, each made once per commit of an execution: a state's output is
    the next state's input and maybe the execution's output, the same object (values are never
    changed once made, so the object stands for its text)."""

    __slots__ = ("memo",)

    def __init__(self) -> None:
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: JSON) -> str:
        if type(value) is dict or type(value) is list:
            known = self.memo.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            known = self.memo[id(value)] = (value, dumps(value))  # the value kept: its id is not reused
            return known[1]
        return dumps(value)


_KEYS: dict[str, str] = {}
_TRUNCATED = {"input": ',"inputDetails":{"truncated":false}', "output": ',"outputDetails":{"truncated":false}'}


def details_text(details: Details, text: Texts, event_type: str = "") -> str:
    """The JSON text of an event's ``<type>EventDetails`` object. A state entered or exited
    records its details as a pair ``(state name, input or output)`` (the common case, made
    twice per transition), which its type says how to write."""
    if isinstance(details, tuple):
        name, value = details
        io = "input" if event_type.endswith("StateEntered") else "output"
        return f'{{"name":{encode_basestring(name)},"{io}":{encode_basestring(text(value))}{_TRUNCATED[io]}}}'
    parts = []
    for k, v in details.items():
        key = _KEYS.get(k)
        if key is None:
            key = _KEYS[k] = dumps(k) + ":"
        if k == "input" or k == "output":
            parts.append(key + encode_basestring(v.text if isinstance(v, RawJson) else text(v)) + _TRUNCATED[k])
        elif k == "parameters":
            parts.append(key + encode_basestring(text(v)))
        elif k == "assignedVariables":
            parts.append(key + dumps({name: text(value) for name, value in v.items()})
                         + ',"assignedVariablesDetails":{"truncated":false}')
        elif v is not None:
            parts.append(key + dumps(v))
    return "{" + ",".join(parts) + "}"


def event_text(event_id: int, prev: int, timestamp: float, event_type: str, details: str | None) -> str:
    """One event of ``GetExecutionHistory`` as JSON text (its details as :func:`details_text`
    writes them): what the durable engine stores and the API serves as it is."""
    head = f'{{"timestamp":{timestamp!r},"type":"{event_type}","id":{event_id},"previousEventId":{prev}'
    if details is None:
        return head + "}"
    return f'{head},"{details_key(event_type)}":{details}}}'


def state_event(name: str, value: JSON) -> tuple[str, JSON]:
    """The details of a state entered (its input) or exited (its output, no variables assigned)."""
    return (name, value)


def event_texts(events: EventLog, start: int, text: Texts) -> list[str]:
    """The texts of ``events[start:]`` (an execution's events, from number ``start + 1``):
    :func:`event_text` of each, written out here (it runs for every event committed). The
    events of one transition share their timestamp: its text is made once."""
    out: list[str] = []
    append = out.append
    parts = _PARTS
    names = _NAMES
    last_ts, ts_text = None, ""
    for i, (etype, prev, ts, details) in enumerate(events[start:], start + 1):
        if ts != last_ts:
            last_ts, ts_text = ts, repr(ts)
        p = parts.get(etype)
        if p is None:
            if len(parts) > 4096:
                parts.clear()
            io = "input" if etype.endswith("StateEntered") else "output"
            p = parts[etype] = (f',"type":"{etype}","id":', f',"{details_key(etype)}":', f',"{io}":',
                                _TRUNCATED[io] + "}}")
        if details is None:
            append(f'{{"timestamp":{ts_text}{p[0]}{i},"previousEventId":{prev}}}')
        elif type(details) is tuple:  # a state entered or exited
            name, value = details
            encoded = names.get(name)
            if encoded is None:
                if len(names) > 4096:
                    names.clear()
                encoded = names[name] = encode_basestring(name)
            append(f'{{"timestamp":{ts_text}{p[0]}{i},"previousEventId":{prev}{p[1]}{{"name":{encoded}{p[2]}'
                   f'{encode_basestring(text(value))}{p[3]}')
        else:
            append(f'{{"timestamp":{ts_text}{p[0]}{i},"previousEventId":{prev}{p[1]}'
                   f'{details_text(details, text, etype)}}}')
    return out


#: event type -> what comes before its id, before its details, before a state's input or
#: output, and after it (for a state entered or exited)
_PARTS: dict[str, tuple[str, str, str, str]] = {}
_NAMES: dict[str, str] = {}  # state name -> its JSON text


def without_data(event: str) -> str:
    """An event's text with the execution data left out of its details (``includeExecutionData``
    false)."""
    value = json.loads(event)
    for key, details in value.items():
        if key.endswith("EventDetails") and type(details) is dict:
            details.pop("input", None)
            details.pop("output", None)
    return dumps(value)


def render(event_id: int, event: Event, text: Texts | None = None) -> dict[str, Any]:
    """An event as ``GetExecutionHistory`` returns it, as values (timestamp in epoch seconds)."""
    etype, prev, ts, details = event
    out: dict[str, Any] = {"id": event_id, "previousEventId": prev, "timestamp": ts, "type": etype}
    if details is not None:
        out[details_key(etype)] = json.loads(details_text(details, text or Texts(), etype))
    return out


def render_all(events: Iterable[Event]) -> list[dict[str, Any]]:
    text = Texts()
    return [render(i, e, text) for i, e in enumerate(events, 1)]
