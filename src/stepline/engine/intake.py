"""Taking executions in hand: a new start, a claimed execution resumed from its committed
state, a stop, a redrive; and each definition compiled once.

A start is held here and run at once, or, when this engine should take no more work (it runs
none, or it is one of several and not the one to take it: see :mod:`.workers`), put in the store
due now for whichever engine has room. A resumed execution picks up its ready frames, timers and
the tasks whose results were not committed (called again: at-least-once calls).
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
from typing import TYPE_CHECKING

from .. import ids
from ..asl import parser
from ..asl.model import StateMachine
from ..interpreter import Execution
from ..interpreter import snapshot as snapshots
from ..interpreter.frames import RUNNING
from ..interpreter.start import Start
from ..store import ExecutionRecord, StoreError
from .held import Held
from .records import (
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    answer_existing,
    digest,
    new_record,
    redrive_status,
    start_of,
)
from .timers import Due

if TYPE_CHECKING:
    from .durable import Engine

logger = logging.getLogger("stepline.engine")


class Intake:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.machines: dict[str, StateMachine] = {}                  # definition hash -> compiled machine
        self._definitions: dict[str, tuple[str, StateMachine]] = {}  # definition text -> (hash, machine)
        self.kept = 0  # starts this turn kept to run here (their tasks not out yet)

    def machine(self, definition: str) -> tuple[str, StateMachine]:
        """A definition's hash and compiled machine: parsed once, stored once."""
        engine = self.engine
        known = self._definitions.get(definition)
        if known is not None:
            return known
        definition_hash = digest(definition)
        machine = self.machines.get(definition_hash)
        if machine is None:
            machine = self.machines[definition_hash] = parser.parse(definition)
            engine.store.put_definition(definition_hash, definition)
        if len(self._definitions) > 1000:  # many definitions come and go: keep the newest only
            self._definitions.clear()
        known = self._definitions[definition] = definition_hash, machine
        return known

    def start(self, start: Start, future: concurrent.futures.Future, now: float) -> None:
        """Hold a new execution; its row is inserted by the next commit. The store is not asked
        whether the name is taken: the insert says so, and until then the new execution invokes
        no task (see :meth:`.Engine.dispatch`). An engine that runs no executions, or one of several that
        cannot start another task now, puts it in the store instead for any engine to claim."""
        engine = self.engine
        assert start.definition is not None
        held = engine.holding.named(start.state_machine_arn, start.name or "")
        if held is not None:
            if held.new and held.record.input == start.input_text:  # the same start again, not committed yet
                held.waiters.append(future)
            else:
                answer_existing(future, held.record, start.input_text)
            return
        definition_hash, machine = self.machine(start.definition)
        record = new_record(start, definition_hash, now)
        if not engine.run_executions or not engine.workers.may_take(self.kept + 1):
            record.wake_at = now  # (due now, held by none: claimed by whichever engine has room)
            engine.committer.queue(record, future)
            return
        self.kept += 1
        held = self._adopt(machine, record, start, new=True)
        held.waiters.append(future)

    def stop(self, arn: str, error: str | None, cause: str | None, *, future: concurrent.futures.Future,
             now: float) -> None:
        engine = self.engine
        held = engine.holding.live.get(arn)
        if held is None:
            record = engine.store.get_execution(arn)
            if record is None or record.status != RUNNING:
                future.set_result(record)
                return
            claimed = engine.leases.claim_one(arn, now)
            held = self.resume(claimed, run=False) if claimed is not None else None
            if held is None:  # held by another engine that is alive: the caller must signal it
                future.set_result(None)
                return
        engine.interpreter.stop(held.execution, error, cause, now)
        held.waiters.append(future)
        engine.holding.mark(held)

    def redrive(self, arn: str, future: concurrent.futures.Future, now: float) -> None:
        engine = self.engine
        held = engine.holding.live.get(arn)
        record = held.record if held is not None else engine.store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        status, reason = redrive_status(record, now, engine.history_limit)
        if status != "REDRIVABLE":
            raise ExecutionNotRedrivable(reason)
        claimed = engine.leases.claim_one(arn, now)
        if claimed is None:
            raise ExecutionNotRedrivable("Execution is being redriven already.")
        definition = engine.store.get_definition(claimed.definition_hash)
        if definition is None:
            raise ExecutionNotRedrivable("Execution's definition is missing.")
        try:
            _, machine = self.machine(definition)
            snapshot = json.loads(claimed.snapshot or "null")
            start = start_of(claimed)
        except Exception as e:  # noqa: BLE001 - what was stored cannot be read back: it stays as it was
            engine.leases.give_back([claimed])
            raise ExecutionNotRedrivable(f"Execution's stored state cannot be read: {type(e).__name__}") from e
        held = self._adopt(machine, claimed, start, new=False, snapshot=snapshot, redrive=True)
        if not engine.run_executions:
            held.evict = True  # committed redriven, and handed on to the workers
        held.waiters.append(future)

    def resume(self, record: ExecutionRecord, *, run: bool = True) -> Held | None:
        """Hold a claimed execution again, from its committed state (``run`` False: to stop it,
        nothing of it is set going). One that cannot be read back (its definition gone, its
        working state or input unreadable) fails, rather than be claimed again and again."""
        engine = self.engine
        if record.status != RUNNING:
            return None
        try:
            machine = self.machines.get(record.definition_hash)
            if machine is None:
                definition = engine.store.get_definition(record.definition_hash)
                if definition is None:
                    engine.fail_stored(record, f"its definition {record.definition_hash} is missing")
                    return None
                _, machine = self.machine(definition)
            snapshot = json.loads(record.snapshot) if record.snapshot else None
            start = start_of(record)
        except StoreError as e:  # the database, for a moment: the lease runs out, and it is claimed again
            logger.warning("execution %s cannot be resumed now: %s", record.arn, e)
            return None
        except Exception as e:  # noqa: BLE001 - what was stored cannot be read back
            engine.fail_stored(record, f"its stored state cannot be read: {type(e).__name__}: {e}")
            return None
        return self._adopt(machine, record, start, new=False, snapshot=snapshot, run=run)

    def _adopt(self, machine: StateMachine, record: ExecutionRecord, start: Start, *, new: bool,
               snapshot: dict | None = None, redrive: bool = False, run: bool = True) -> Held:
        """Hold an execution: new, restored from its row and snapshot, or redriven."""
        engine = self.engine
        ex = Execution(machine, start, record.start_time, redrive_count=record.redrive_count, new_id=ids.new_uuid)
        ex.redrive_time = record.redrive_time
        ex.records_children = True  # a Distributed Map's children are executions of their own here
        held = Held(ex, record, record.event_count, new)
        engine.holding.hold(held)
        try:
            self._begin(held, snapshot, redrive, run)
        except Exception as e:  # noqa: BLE001 - a bug, or a stored state that does not fit: it fails alone
            if redrive:  # (nothing of the redrive was recorded: the execution stays as it ended)
                engine.holding.release(held)
                engine.holding.dirty.pop(record.arn, None)
                engine.leases.give_back([record])
                raise ExecutionNotRedrivable(f"Execution's stored state cannot be redriven: {type(e).__name__}") \
                    from e
            engine.poison(held, e, "start the execution" if new else "resume the execution from its stored state")
        return held

    def _begin(self, held: Held, snapshot: dict | None, redrive: bool, run: bool) -> None:
        """Set a newly held execution going: its first frame, or what its snapshot says."""
        engine = self.engine
        ex, record = held.execution, held.record
        interp = engine.interpreter
        now = engine.clock()
        if redrive:
            snapshots.load(ex, snapshot, record.event_count)  # type: ignore[arg-type]
            engine.holding.push(held, interp.redrive(ex, now))
            engine.holding.mark(held)
            record.status, record.redrive_count, record.redrive_time = RUNNING, ex.redrive_count, now
            record.output = record.error = record.cause = record.stop_time = None
        started = record.redrive_time or record.start_time  # a redriven execution's clock starts again
        if ex.machine.timeout_seconds is not None:
            engine.timers.arm(held, started + ex.machine.timeout_seconds, Due.EXECUTION_TIMEOUT)
        if redrive:
            return
        if snapshot is None and record.event_count == 0:
            engine.holding.push(held, interp.start(ex, record.start_time))
        elif snapshot is not None:
            held.children = True  # it may have started children before: look for them if it fails
            restored = snapshots.load(ex, snapshot, record.event_count)
            if not run:
                return
            for frame in restored.ready:
                engine.holding.push(held, frame)
            for frame, due in restored.timers:
                engine.timers.arm(held, due, Due.WAKE, frame)
            for call in restored.tasks:  # a result that was not committed: call again
                engine.dispatch(held, call, now, restored=True)
