"""An execution's stored row: made from its start, read back into one, and the rules that read
it (redrive, what DescribeExecution shows of a failure, what a parent's ``.sync`` task gets).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import time
from typing import Any

from .. import arns, ids
from ..asl.values import dumps, loads, parse_json
from ..interpreter.core import HISTORY_LIMIT
from ..interpreter.frames import RUNNING
from ..interpreter.start import Start
from ..store import ExecutionExists, ExecutionRecord, Store, Write

REDRIVE_PERIOD = 14 * 24 * 3600
MAX_REDRIVES = 1000
#: how the cause of an execution that failed on a fault of stepline's own begins (see
#: ``Engine._poison``): no redrive, it would fail the same way
POISONED = "stepline could not "


class ExecutionAlreadyExists(ExecutionExists):
    """An execution of that name exists (closed, or running with another input)."""


class ExecutionDoesNotExist(LookupError):
    """No execution has that ARN."""


class ExecutionNotRedrivable(ValueError):
    """The execution cannot be redriven (the message says why)."""


def digest(definition: str) -> str:
    """What names a definition's text in the store."""
    return hashlib.sha256(definition.encode()).hexdigest()


def standard_start(state_machine_arn: str, definition: str, input_text: str = "{}", *, name: str | None = None,
                   **fields: Any) -> Start:
    """A start of the Standard state machine ``state_machine_arn`` (named by the ARN's last
    part), as StartExecution makes one: for callers in this process (benchmarks, tests);
    ``fields`` are more of :class:`Start`'s."""
    parts = state_machine_arn.split(":")
    region, account, machine_name = parts[3], parts[4], parts[-1]
    name = name or ids.new_uuid()
    return Start(state_machine_arn=state_machine_arn, state_machine_name=machine_name, name=name,
                 arn=arns.execution_of(state_machine_arn, machine_name, name), input=parse_json(input_text),
                 input_text=input_text, role_arn=fields.pop("role_arn", None) or arns.role(region, account),
                 region=region, account=account, definition=definition, **fields)


def new_record(start: Start, definition_hash: str, now: float) -> ExecutionRecord:
    """The row of a new RUNNING execution (``start`` must be named)."""
    assert start.arn is not None and start.name is not None and start.input_text is not None
    assert start.role_arn is not None  # (a stored execution runs as a role)
    return ExecutionRecord(
        arn=start.arn, name=start.name, state_machine_arn=start.state_machine_arn,
        state_machine_name=start.state_machine_name, definition_hash=definition_hash, status=RUNNING,
        input=start.input_text, role_arn=start.role_arn, start_time=now, region=start.region, account=start.account,
        parent_arn=start.parent_arn, version_arn=start.version_arn, alias_arn=start.alias_arn,
        trace_header=start.trace_header, parent_token=start.parent_token, parent_wait=start.parent_wait,
        test_case=start.test_case)


def start_of(record: ExecutionRecord) -> Start:
    """The start of a stored execution (its input read from the row: the one read on resuming)."""
    return Start(state_machine_arn=record.state_machine_arn, state_machine_name=record.state_machine_name,
                 name=record.name, arn=record.arn, input=loads(record.input), input_text=record.input,
                 role_arn=record.role_arn, region=record.region, account=record.account,
                 version_arn=record.version_arn, alias_arn=record.alias_arn, trace_header=record.trace_header,
                 parent_arn=record.parent_arn, parent_token=record.parent_token, parent_wait=record.parent_wait,
                 test_case=record.test_case)


def enqueue(store: Store, start: Start, *, now: float | None = None) -> ExecutionRecord:
    """Put a new execution in the store for any engine to claim and run (no engine needed
    here: a queue). Raises ExecutionAlreadyExists when the name is taken."""
    assert start.definition is not None
    definition_hash = digest(start.definition)
    store.put_definition(definition_hash, start.definition)
    now = time.time() if now is None else now
    record = new_record(start, definition_hash, now)
    record.wake_at = now
    if store.commit([Write(record, new=True)]).exists:
        raise ExecutionAlreadyExists(f"Execution Already Exists: '{record.arn}'")
    store.notify()
    return record


def answer_existing(future: concurrent.futures.Future, record: ExecutionRecord, input_text: str | None) -> None:
    """A start of a name already taken: the same start again (RUNNING, same input) gets the
    execution, anything else ExecutionAlreadyExists."""
    if record.status == RUNNING and record.input == input_text:
        future.set_result(record)
    else:
        future.set_exception(ExecutionAlreadyExists(f"Execution Already Exists: '{record.arn}'"))


def redrive_status(record: ExecutionRecord, now: float, history_limit: int = HISTORY_LIMIT) -> tuple[str, str | None]:
    """(REDRIVABLE | NOT_REDRIVABLE, reason) as DescribeExecution reports it (AWS's wording)."""
    if record.status == RUNNING:
        return "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven."
    if record.status == "SUCCEEDED":
        return "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven."
    if record.type != "STANDARD":
        return "NOT_REDRIVABLE", "Execution of an EXPRESS state machine cannot be redriven."
    if record.map_run_arn is not None:  # (stepline's wording)
        return "NOT_REDRIVABLE", "Execution is a child workflow execution of a Map Run: redrive its parent execution."
    if record.snapshot is None:
        if record.cause is not None and record.cause.startswith(POISONED):  # (stepline's wording)
            return "NOT_REDRIVABLE", "Execution failed on a fault of stepline's own: a redrive would fail the same way."
        return "NOT_REDRIVABLE", "Execution was started before the launch of RedriveExecution."
    if record.event_count >= history_limit - 1:
        return "NOT_REDRIVABLE", "Execution history event limit exceeded."
    if record.redrive_count >= MAX_REDRIVES:
        return "NOT_REDRIVABLE", "Execution redrive limit exceeded."
    if record.stop_time is not None and now - record.stop_time > REDRIVE_PERIOD:
        return "NOT_REDRIVABLE", "Execution redrivable period exceeded."
    return "REDRIVABLE", None


def described_failure(status: str, error: str | None, cause: str | None) -> tuple[str | None, str | None]:
    """The error and cause DescribeExecution shows for an execution that ended with ``status``:
    a timed-out execution's States.Timeout is in its ExecutionTimedOut event alone (measured on
    AWS, floci-io/floci#2733)."""
    return (None, None) if status == "TIMED_OUT" else (error, cause)


def child_result(record: ExecutionRecord, wait: str) -> dict:
    """What a parent's ``.sync`` task gets of its child: DescribeExecution, in the casing of
    service integrations, dates in epoch milliseconds; ``.sync:2`` gives the output as JSON."""
    out: dict[str, Any] = {"ExecutionArn": record.arn, "Input": record.input, "InputDetails": {"Included": True},
                           "Name": record.name, "StartDate": int(record.start_time * 1000),
                           "StateMachineArn": record.state_machine_arn, "Status": record.status,
                           "RedriveCount": record.redrive_count}
    if record.stop_time is not None:
        out["StopDate"] = int(record.stop_time * 1000)
    if record.output is not None:
        out["Output"] = loads(record.output) if wait == "sync:2" else record.output
        out["OutputDetails"] = {"Included": True}
    error, cause = described_failure(record.status, record.error, record.cause)
    if error is not None:
        out["Error"] = error
    if cause is not None:
        out["Cause"] = cause
    return out


def parent_result(record: ExecutionRecord) -> str:
    """``child_result`` as the JSON text a parent's signal carries."""
    return dumps(child_result(record, record.parent_wait or "sync"))
