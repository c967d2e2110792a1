"""The committer: what the executions an engine holds did since their last commit, written to the
store in one transaction for all of them (group commit), and what follows once it is durable.

Each execution's write carries its row (status, working state as a snapshot, when it is due
next), the history events not yet stored, the signals it applied, the activity tasks and task
tokens it hands out or no longer waits for, its Map Runs and Distributed Map children, and the
signals it sends (to a parent waiting for it, to the children it stops). Nobody is told of a
transition before its commit: the callers of a start, a stop or a redrive are answered after
it, and the tasks it schedules run after it.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import TYPE_CHECKING

from .. import ids
from ..arns import map_run_path
from ..asl import errors
from ..asl.values import dumps
from ..interpreter import history
from ..interpreter import snapshot as snapshots
from ..interpreter.children import map_run
from ..interpreter.frames import RUNNING, ChildLog
from ..interpreter.history import Texts, details_text, event_text, event_texts
from ..store import ExecutionRecord, Resource, Signal, SignalKind, Store, StoreRefusedValue, Write
from .held import Held, Holding
from .records import ExecutionAlreadyExists, answer_existing, parent_result

if TYPE_CHECKING:  # pragma: no cover
    from .durable import Engine

logger = logging.getLogger("stepline.engine")


class Committer:
    def __init__(self, engine: Engine, store: Store, holding: Holding) -> None:
        self.engine = engine
        self.store = store
        self.holding = holding
        #: new executions to put in the store for any engine to run, and their callers
        self.queued: list[tuple[ExecutionRecord, concurrent.futures.Future]] = []

    def queue(self, record: ExecutionRecord, future: concurrent.futures.Future) -> None:
        """Insert ``record`` (a new execution, held by no engine) with the next commit."""
        self.queued.append((record, future))

    def commit(self) -> None:
        """Commit every execution that has something to commit."""
        engine = self.engine
        now = engine.clock()
        if self.queued:
            self._insert_queued()
        helds = self.holding.take_dirty()
        writes = []
        for held in helds:
            try:
                writes.append(self._write(held, now))
            except Exception as e:  # noqa: BLE001 - it cannot be rendered: it fails alone (see Engine.poison)
                engine.poison(held, e, "record its transition")
                writes.append(self.poisoned_write(held, now))
        self._store(helds, writes)

    def _insert_queued(self) -> None:
        queued, self.queued = self.queued, []
        try:
            result = self.store.commit([Write(record, new=True) for record, _ in queued])
        except Exception as e:  # noqa: BLE001 - nothing was written: the callers are told
            for _, future in queued:
                future.set_exception(e)
            return
        self.store.notify()
        for record, future in queued:
            if record.arn not in result.exists:
                future.set_result(record)
                continue
            try:
                existing = self.store.find_execution(record.state_machine_arn, record.name)
            except Exception as e:  # noqa: BLE001 - the caller gets the error
                future.set_exception(e)
                continue
            if existing is None:
                future.set_exception(ExecutionAlreadyExists(f"Execution Already Exists: '{record.arn}'"))
            else:
                answer_existing(future, existing, record.input)

    def _store(self, helds: list[Held], writes: list[Write]) -> None:
        """Commit the writes of ``helds`` in one transaction. A value the database refuses
        belongs to one execution: the others commit, each alone, and that one fails."""
        try:
            result = self.store.commit(writes)
        except StoreRefusedValue as e:
            if len(helds) > 1:
                for held, write in zip(helds, writes, strict=True):
                    self._store([held], [write])
                return
            held = helds[0]
            if not held.poisoned:  # (a poisoned write holds nothing but what was stored before)
                self.engine.poison(held, e, "store its transition")
                self.holding.dirty.pop(held.arn, None)
                self._store(helds, [self.poisoned_write(held, self.engine.clock())])
                return
            self._forget(helds, e)
            return
        except Exception as e:  # noqa: BLE001 - the database, not the data
            self._forget(helds, e)
            return
        refused = set(result.lost) | set(result.exists)
        stale = self.holding.stale_timers
        for held in helds:
            if held.arn in refused:
                self._refused(held, held.arn in result.exists)
            else:
                self._committed(held)
        if self.holding.stale_timers > stale:  # what those let go held is freed now, not when their timers are due
            self.engine.timers.drop_stale()

    def _forget(self, helds: list[Held], e: Exception) -> None:
        """Nothing was written: tell the waiting callers and forget these executions; their
        committed state is intact, and those already stored are taken up again from it."""
        logger.error("commit of %d executions failed: %s", len(helds), e)
        for held in helds:
            for future in held.waiters:
                if not future.done():
                    future.set_exception(e)
            held.waiters.clear()
            self.holding.release(held)
        self.engine.leases.orphaned([held.arn for held in helds if not held.new])

    def _committed(self, held: Held) -> None:
        """``held``'s write is durable: tell the callers, let its tasks go, and let it go when
        it ended (or was given back to the store, see :meth:`_weigh`)."""
        ex = held.execution
        events = ex.events
        done = len(events)
        if ex.status == RUNNING and not held.evict and done > held.committed:
            # what is stored is not needed here any more (only how many there are): let it go
            events[held.committed:done] = [None] * (done - held.committed)
        held.committed = done
        held.new = False
        if held.child_logs:
            for log in held.child_logs:
                n = len(log)
                log[log.committed:n] = [None] * (n - log.committed)
                log.committed = n
            held.child_logs = []
            ex.ended_children = None
        held.signals_done.clear()
        held.activity_out.clear()
        held.activity_done.clear()
        held.tokens_out.clear()
        held.tokens_done.clear()
        if held.deferred:  # their scheduling is committed: these tasks may run now
            if self.engine.running and ex.status == RUNNING and not held.evict:
                for call in held.deferred:
                    self.engine.submit(held, call)
            held.deferred.clear()
        for future in held.waiters:
            if not future.done():
                future.set_result(held.record)
        held.waiters.clear()
        if ex.status != RUNNING or held.evict:
            if held.evict and ex.status == RUNNING:
                self.engine.evicted += 1
            self.holding.release(held)

    def _refused(self, held: Held, name_taken: bool) -> None:
        """A commit refused ``held``'s write: its name was taken (a new execution: the stored
        one answers the callers, as a start of the same execution again or as a conflict) or
        the lease was lost."""
        self.holding.release(held)
        existing = None
        r = held.record
        if name_taken and held.waiters:
            try:
                existing = self.store.find_execution(r.state_machine_arn, r.name)
            except Exception as e:  # noqa: BLE001 - the callers get the error
                logger.error("could not read the execution %s: %s", r.arn, e)
        for future in held.waiters:
            if not future.done():
                if existing is not None:
                    answer_existing(future, existing, r.input)
                elif name_taken:
                    future.set_exception(ExecutionAlreadyExists(f"Execution Already Exists: '{r.arn}'"))
                else:
                    future.set_exception(RuntimeError(f"lost the lease on {r.arn}"))
        held.waiters.clear()

    # ------------------------------------------------------------------ one execution's write

    def _write(self, held: Held, now: float) -> Write:
        engine = self.engine
        ex, r = held.execution, held.record
        engine.interpreter.history_full(ex, engine.history_limit, now)
        text = Texts()
        records = event_texts(ex.events, held.committed, text)
        r.status = ex.status
        r.event_count = len(ex.events)
        signals_out: list[Signal] = []
        if ex.status == RUNNING:
            if held.memo is None and not held.new:  # it runs over several commits
                held.memo = snapshots.TextMemo()
            r.snapshot = snapshots.dump_text(ex, memo=held.memo)
            r.wake_at = now if (held.inflight or held.ready or held.evict) else \
                min(held.timers.values(), default=None)
            r.lease_owner, r.lease_until = engine.owner, now + engine.lease_seconds
            self._weigh(held)
        else:
            r.output = text(ex.output) if ex.output is not None or ex.status == "SUCCEEDED" else None
            r.error, r.cause, r.stop_time = ex.error, ex.cause, ex.stop_time
            # an unsuccessful execution keeps where it stopped, for RedriveExecution
            r.snapshot = None if ex.status == "SUCCEEDED" else dumps(snapshots.dump(ex, redrive=True))
            r.wake_at = r.lease_owner = r.lease_until = None
            for call in list(held.callbacks.values()):  # abandoned with the execution
                engine.callback_over(held, call)
            signals_out = self.ended_signals(r, held.children, now)
        return Write(r, new=held.new, events=records, first_event=held.committed + 1,
                     owner=None if held.new else engine.owner,
                     signals_done=list(held.signals_done), activity_tasks=list(held.activity_out),
                     activity_tasks_done=list(held.activity_done), tokens_open=list(held.tokens_out),
                     tokens_closed=list(held.tokens_done), ends_tokens=held.tokened and ex.status != RUNNING,
                     resources=self._map_run_rows(held) if ex.map_run_groups else (), signals_out=signals_out,
                     children=self._child_writes(held, text) if ex.map_run_groups else ())

    def _weigh(self, held: Held) -> None:
        """Count what holding ``held`` costs. Past the memory budget, or when the engine lets go
        of work it cannot start (see :meth:`Engine.dispatch`), an execution that only waits is
        given back to the store with this write: its lease released, its wake time set, to be
        claimed again when it is due or signalled."""
        r = held.record
        # its input as text and as values, and its working state as text and as frames (measured:
        # about that much, for inputs from 1 KiB to 256 KiB), and what any held execution costs
        self.holding.weigh(held, 2 * len(r.input) + 2 * len(r.snapshot or "") + 8192)
        if self.holding.bytes > self.engine.memory_budget and held.idle:
            held.evict = True
        if held.evict:
            r.lease_owner = r.lease_until = None

    def _child_writes(self, held: Held, text: Texts) -> list[Write]:
        """The Distributed Map children whose history grew since the last commit: new rows, or
        their status and events (a child's row follows its parent's write; see Write)."""
        ex = held.execution
        logs = {id(log): log for log in ex.ended_children or ()}
        for group in (ex.map_run_groups or {}).values():
            for child in group.active.values():
                log = child.log
                if type(log) is ChildLog and len(log) > log.committed:
                    logs[id(log)] = log
        writes = []
        for log in logs.values():
            start = log.committed
            if len(log) == start:
                continue
            r = self._child_record(held, log, text)
            r.status, r.event_count = log.status, len(log)
            r.redrive_count, r.redrive_time = log.redrives, log.redriven
            r.output = text(log.output) if log.status == "SUCCEEDED" else None
            r.error, r.cause, r.stop_time = log.error, log.cause, log.stopped
            writes.append(Write(r, new=start == 0, events=event_texts(log, start, text), first_event=start + 1))
        held.child_logs = list(logs.values())  # their events count as stored once the commit is done
        return writes

    def _child_record(self, held: Held, log: ChildLog, text: Texts) -> ExecutionRecord:
        """The row of a Distributed Map child (made the first time it is written)."""
        r = log.record
        if r is None:
            ex = held.execution
            r = log.record = ExecutionRecord(
                arn=log.arn, name=log.name, state_machine_arn=log.state_machine_arn,
                state_machine_name=log.state_machine_name, definition_hash=held.record.definition_hash,
                status=RUNNING, input=text(log.input) if log.committed == 0 else "", role_arn=ex.role_arn or "",
                start_time=log.started, region=ex.region, account=ex.account, map_run_arn=log.map_run_arn)
        return r

    def _map_run_rows(self, held: Held) -> list[Resource]:
        """The Map Runs whose description changed since the last commit."""
        ex = held.execution
        rows = []
        for arn, group in (ex.map_run_groups or {}).items():
            described = map_run(group, ex)
            text = dumps(described)
            if held.map_runs.get(arn) != text:
                held.map_runs[arn] = text
                label = map_run_path(arn).split("/", 1)[-1]
                rows.append(Resource(arn, "map-run", label, ex.arn, described["startDate"], text))
        return rows

    def ended_signals(self, r: ExecutionRecord, children: bool, now: float) -> list[Signal]:
        """An execution that ends tells the parent waiting for it (``.sync``), and one that
        did not succeed stops the children it still runs (``children``: it may have started
        some); committed with its end."""
        out = []
        if r.parent_arn and r.parent_token and r.parent_wait:
            if r.status == "SUCCEEDED":
                body = {"token": r.parent_token, "output": parent_result(r)}
                out.append(Signal(ids.new_uuid(), r.parent_arn, SignalKind.TASK_SUCCESS, dumps(body), now))
            else:
                body = {"token": r.parent_token, "error": errors.TASK_FAILED, "cause": parent_result(r)}
                out.append(Signal(ids.new_uuid(), r.parent_arn, SignalKind.TASK_FAILURE, dumps(body), now))
        if children and r.status != "SUCCEEDED":
            try:
                running = self.store.list_executions(parent_arn=r.arn, status=RUNNING, limit=1000)
            except Exception as e:  # noqa: BLE001 - the children run on; the parent's end matters more
                logger.error("could not find the children of %s to stop them: %s", r.arn, e)
                running = []
            for child in running:
                body = {"error": "States.Aborted", "cause": f"The parent execution {r.arn} ended ({r.status})."}
                out.append(Signal(ids.new_uuid(), child.arn, SignalKind.STOP, dumps(body), now))
        return out

    # ------------------------------------------------------------------ failures of stepline's own

    def poisoned_write(self, held: Held, now: float) -> Write:
        """The write of a poisoned execution: FAILED after its stored events, with nothing of
        what it held in memory but its failure (no redrive: it would fail the same way)."""
        engine = self.engine
        ex, r = held.execution, held.record
        r.status, r.event_count = "FAILED", len(ex.events)
        r.output, r.error, r.cause, r.stop_time = None, ex.error, ex.cause, ex.stop_time
        r.snapshot = r.wake_at = r.lease_owner = r.lease_until = None
        records = event_texts(ex.events, held.committed, Texts())
        for call in list(held.callbacks.values()):  # abandoned with the execution
            engine.callback_over(held, call)
        try:
            signals_out = self.ended_signals(r, held.children, now)
        except Exception:  # noqa: BLE001 - the failure matters more than telling the family
            logger.exception("execution %s: could not tell its parent or children that it failed", r.arn)
            signals_out = []
        try:
            runs = self._map_run_rows(held) if ex.map_run_groups else []
        except Exception:  # noqa: BLE001 - as above
            logger.exception("execution %s: could not record how its Map Runs ended", r.arn)
            runs = []
        return Write(r, new=held.new, events=records, first_event=held.committed + 1,
                     owner=None if held.new else engine.owner,
                     signals_done=list(held.signals_done), activity_tasks_done=list(held.activity_done),
                     signals_out=signals_out, resources=runs, children=self._aborted_children(held, now),
                     ends_tokens=held.tokened)

    def _aborted_children(self, held: Held, now: float) -> list[Write]:
        """A poisoned execution's stored Distributed Map children that had not ended as stored:
        ABORTED, each after its own stored events (what they did since is not kept)."""
        ex = held.execution
        logs = [child.log for group in (ex.map_run_groups or {}).values() for child in group.active.values()]
        logs += ex.ended_children or ()
        writes = []
        for log in logs:
            if type(log) is not ChildLog or log.committed == 0 or log.committed == len(log) and log.status != RUNNING:
                continue  # never stored, or stored as it ended
            r = self._child_record(held, log, Texts())
            r.status, r.stop_time, r.event_count = "ABORTED", now, log.committed + 1
            r.output = r.error = r.cause = None
            writes.append(Write(r, events=[event_text(log.committed + 1, 0, now, history.EXECUTION_ABORTED, "{}")],
                                first_event=log.committed + 1))
        return writes

    def fail_stored(self, record: ExecutionRecord, cause: str) -> None:
        """A claimed execution that cannot be run from what is stored: FAILED (States.Runtime)
        after its last stored event, rather than claimed again and again."""
        now = self.engine.clock()
        r = record
        details = details_text({"error": errors.RUNTIME, "cause": cause}, Texts())
        event = event_text(r.event_count + 1, r.event_count, now, history.EXECUTION_FAILED, details)
        first = r.event_count + 1
        r.status, r.event_count, r.output, r.error, r.cause, r.stop_time = \
            "FAILED", r.event_count + 1, None, errors.RUNTIME, cause, now
        r.snapshot = r.wake_at = r.lease_owner = r.lease_until = None
        try:
            signals_out = self.ended_signals(r, True, now)
            self.store.commit([Write(r, events=[event], first_event=first, owner=self.engine.owner,
                                     signals_out=signals_out)])
        except Exception as e:  # noqa: BLE001 - its lease runs out, and it is tried again later
            logger.error("could not record that %s failed: %s", r.arn, e)

    def release_all(self) -> None:
        """On shutdown: give back the leases of everything held, for others to go on."""
        now = self.engine.clock()
        writes = []
        for held in list(self.holding.live.values()):
            r = held.record
            r.lease_owner = r.lease_until = None
            r.wake_at = now
            if not held.new:
                writes.append(Write(r, owner=self.engine.owner))
        if writes:
            self.store.commit(writes)
            self.store.notify()
        for held in list(self.holding.live.values()):
            self.holding.release(held)


