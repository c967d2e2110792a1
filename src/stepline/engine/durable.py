"""The durable engine: runs Standard executions from a store, surviving crashes.

One engine is one thread of control (plus a pool that runs tasks). It holds the executions it
works on in memory under a lease, advances them with the interpreter, and commits what
happened — the history events, the new working state (a snapshot), the status — for many
executions in one transaction (group commit). Nobody is told of a transition before its
commit. Timers (Wait, retry backoff, task and execution timeouts) are rows' ``wake_at`` for
other engines and a heap here.

Crash safety: if the process dies, its leases expire and another engine (or this one,
restarted) claims the executions, rebuilds them from their last committed snapshot and goes
on. A transition that was not committed is simply done again; a task whose result was not
committed is invoked again (at-least-once calls, exactly-once transitions).

The engine is this loop and its collaborators, each one job: :mod:`.intake` (starts, resumes,
stops, redrives), :mod:`.held` (what it holds), :mod:`.leases` (claiming and keeping work),
:mod:`.workers` (the task pool, and its share of a fleet's work), :mod:`.signals` (what comes
from outside), :mod:`.timers`, :mod:`.committer` (the group commit) and :mod:`.tasks` (calling a
task, as ``stepline.run`` does too); :mod:`.records` holds the rules of the stored row.
"""

from __future__ import annotations

import concurrent.futures
import gc
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import ids
from ..integrations import Integrations
from ..interpreter import Interpreter, history
from ..interpreter.core import HISTORY_LIMIT
from ..interpreter.frames import FAILED, FINISHED, RUNNING, Sleep, Spawn, TaskCall
from ..interpreter.start import Start
from ..store import ActivityTask, ExecutionRecord, Store, writable
from .committer import Committer
from .held import Held, Holding
from .intake import Intake
from .leases import Leases
from .local import HISTORY_STEP
from .records import (
    POISONED,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    enqueue,
    new_record,
    redrive_status,
)
from .signals import Signals
from .tasks import NOT_MOCKED, Completion, hands_out_token, mocked_answer, waits_for_child
from .timers import Due, Timers
from .workers import TaskWorkers

__all__ = ["Engine", "ExecutionAlreadyExists", "ExecutionDoesNotExist", "ExecutionNotRedrivable", "enqueue",
           "new_record", "redrive_status", "HISTORY_LIMIT", "MEMORY_BUDGET"]

logger = logging.getLogger("stepline.engine")

RETENTION_S = 90 * 24 * 3600      # AWS keeps a closed execution's history for 90 days
RETENTION_EVERY_S = 600.0
#: requests (starts, stops, redrives) taken from the inbox per turn of the loop: a burst of starts
#: is run and committed in slices, each start committed with its first transitions (a start
#: left for a later turn would be committed twice: once started, once advanced)
INBOX_BATCH = 1000
MEMORY_BUDGET = 256 * 1024 * 1024  # bytes the executions an engine holds may cost (see Committer._weigh)
STALLED_S = 60.0  # a loop that has not gone round for this long is not alive (see Engine.alive)


class Engine:
    """Runs Standard executions durably. Thread-safe entry points: :meth:`start_execution`,
    :meth:`stop_execution`, :meth:`redrive_execution`, :meth:`wake`, :meth:`run_in_thread` /
    :meth:`shutdown`."""

    def __init__(self, store: Store, integrations: Integrations | None = None, *, owner: str | None = None,
                 lease_seconds: float = 30.0, claim_batch: int = 256, max_held: int = 20_000,
                 task_workers: int = 32, history_limit: int = HISTORY_LIMIT, poll_interval: float = 1.0,
                 clock: Callable[[], float] = time.time, interpreter: Interpreter | None = None,
                 retention_seconds: float | None = RETENTION_S, memory_budget: int = MEMORY_BUDGET,
                 run_executions: bool = True) -> None:
        """``retention_seconds``: closed executions older than this are deleted, history and
        all (None: kept for ever). ``memory_budget``: the bytes the executions held here may
        cost; past it, an execution that only waits (a timer, a callback, an activity worker)
        waits in the store, claimed again when it is due or signalled. ``run_executions``
        False: an engine that runs none (an API server apart from its workers): starts go to
        the store for the workers, stops and redrives are committed and handed on."""
        self.store = store
        self.integrations = integrations or Integrations()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{ids.new_uuid()[:8]}"
        self.lease_seconds = lease_seconds
        self.claim_batch = claim_batch
        self.max_held = max_held
        self.history_limit = history_limit
        self.poll_interval = poll_interval
        self.clock = clock
        self.interpreter = interpreter or Interpreter()
        self.retention_seconds = retention_seconds
        self.memory_budget = memory_budget
        self.run_executions = run_executions
        self.evicted = 0                   # executions given back to the store while they waited
        self.last_turn = time.monotonic()  # when the loop last went round (see alive)
        self.running = False
        self.holding = Holding()
        self.timers = Timers(self.holding)
        self.leases = Leases(self, store, self.holding, lease_seconds=lease_seconds, poll_interval=poll_interval)
        self.signals = Signals(self, store, self.holding)
        self.committer = Committer(self, store, self.holding)
        self._held_back = False            # took no more work for its share: looks again as tasks end
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._wakeup = threading.Event()
        self.workers = TaskWorkers(self.integrations, task_workers, self._wakeup.set)
        self.intake = Intake(self)
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._next_signals = 0.0
        self._next_retention = 0.0

    # ------------------------------------------------------------------ lifecycle

    def run_in_thread(self) -> threading.Thread:
        """Start the engine's loop on a thread of its own."""
        self.running = True
        self._thread = threading.Thread(target=self._loop, name=f"stepline-engine-{self.owner}", daemon=True)
        self._thread.start()
        self._listener = threading.Thread(target=self._listen, name="stepline-listen", daemon=True)
        self._listener.start()
        self.leases.start()
        return self._thread

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop after committing what is done; release the leases held (graceful, SIGTERM)."""
        if not self.running:
            return
        self._inbox.put(("shutdown", None, None))
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.running = False
        if self._listener is not None:
            self._listener.join(timeout)
        self.workers.shutdown()

    @property
    def alive(self) -> bool:
        """Whether the loop runs and has gone round lately (a health check's answer)."""
        thread = self._thread
        return self.running and thread is not None and thread.is_alive() \
            and time.monotonic() - self.last_turn < STALLED_S

    @property
    def live(self) -> dict[str, Held]:
        """The executions held, by ARN."""
        return self.holding.live

    def _listen(self) -> None:
        """Turn the store's notifications (new work, possibly from other processes) into wakeups."""
        while self.running:
            try:
                notified = self.store.wait(0.5)
            except Exception as e:  # noqa: BLE001 - the database went away for a moment: the loop polls anyway
                if self.running:
                    logger.warning("waiting for notifications failed: %s", e)
                    time.sleep(0.5)
                continue
            if notified:
                self.wake()

    # ------------------------------------------------------------------ entry points (any thread)

    def start_execution(self, start: Start) -> concurrent.futures.Future:
        """Start a Standard execution (``start`` named, with its definition, which the caller
        checked); the future gives its stored record once committed, or raises
        ExecutionAlreadyExists. A child started by a parent's ``.sync`` task is signalled to
        the parent when it ends."""
        return self._request("start", start)

    def redrive_execution(self, arn: str) -> concurrent.futures.Future:
        """RedriveExecution: the future gives the record once the redrive is committed, or
        raises ExecutionDoesNotExist / ExecutionNotRedrivable."""
        return self._request("redrive", arn)

    def stop_execution(self, arn: str, error: str | None = None, cause: str | None = None) -> concurrent.futures.Future:
        """Abort a running execution; the future gives the record (or None if unknown)."""
        return self._request("stop", (arn, error, cause))

    def wake(self) -> None:
        """Look at the store again now: new work or signals may be there (sent by this process)."""
        self._next_signals = 0.0
        self._wakeup.set()
        self.leases.wake()

    def claimed(self, records: list[ExecutionRecord]) -> None:
        """(From the claiming thread.) Executions claimed, to take up."""
        self._inbox.put(("claimed", records, None))
        self._wakeup.set()

    def _request(self, kind: str, args: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._inbox.put((kind, args, future))
        self._wakeup.set()
        return future

    # ------------------------------------------------------------------ the loop

    def _loop(self) -> None:
        """The engine's turns, until shutdown. Nothing one execution does can end it: a fault
        inside an execution's step, render or commit fails that execution alone (see
        :meth:`poison`); a fault of the engine itself is logged, and the loop goes on."""
        try:
            while True:
                self.last_turn = time.monotonic()
                # Python's cyclic GC paused for the turn (as stepline.run pauses it): a turn makes
                # many objects that all stay alive (executions, frames, events), so a collection in
                # the middle finds nothing to free yet traverses them all; it runs between turns
                paused = gc.isenabled()
                if paused:
                    gc.disable()
                try:
                    idle = self._turn()
                except Exception:  # noqa: BLE001 - a bug of the engine's own: say so, and go on
                    logger.exception("the engine's turn failed; going on")
                    idle = False
                    time.sleep(0.05)  # a fault that repeats at every turn must not spin the CPU
                finally:
                    if paused:
                        gc.enable()
                if idle is None:
                    break
                if idle:
                    self._sleep(self.clock())
        finally:
            self.running = False
            self.leases.join(10)
            self._final_commit()

    def _turn(self) -> bool | None:
        """One turn of the loop: take requests, results, signals and due timers, advance what
        is ready, commit. Whether there is nothing to do now (None: shut down)."""
        now = self.clock()
        self.intake.kept = 0
        if not self._drain_inbox(now):
            return None
        self._drain_completions()
        if now >= self._next_signals:
            self._next_signals = now + self.poll_interval
            self.signals.take()
        self._fire_timers()
        self._advance_ready()
        if self.holding.dirty or self.committer.queued:
            self.committer.commit()
        now = self.clock()
        for arn in self.leases.renew(now):
            held = self.holding.live.get(arn)
            if held is not None:
                logger.warning("lost the lease on %s", arn)
                self.holding.release(held)
        if now >= self._next_retention:
            self._retain(now)
        return not (self.holding.ready or self.holding.dirty or not self._inbox.empty()
                    or self.workers.pending)

    def _sleep(self, now: float) -> None:
        until = min(self.leases.next_renew, self._next_signals)
        due = self.timers.next_due()
        if due is not None:
            until = min(until, due)
        self._wakeup.wait(max(0.0, min(until - now, self.poll_interval)))
        self._wakeup.clear()

    def _drain_inbox(self, now: float) -> bool:
        for _ in range(INBOX_BATCH):  # the rest waits for the next turn: commit what is done first
            try:
                kind, args, future = self._inbox.get_nowait()
            except queue.Empty:
                return True
            if kind == "shutdown":
                return False
            try:
                if kind == "start":
                    self.intake.start(args, future, now)
                elif kind == "stop":
                    self.intake.stop(*args, future=future, now=now)
                elif kind == "redrive":
                    self.intake.redrive(args, future, now)
                elif kind == "claimed":
                    for record in args:
                        if record.arn not in self.holding.live:  # (ours already: the claim renewed our lease)
                            self.intake.resume(record)
            except Exception as e:  # noqa: BLE001 - the caller gets the error, the engine goes on
                if future is not None and not future.done():
                    future.set_exception(e)
                elif future is None:
                    logger.exception("taking up claimed executions failed")
        return True

    def claim_limit(self) -> int:
        """(From the claiming thread.) How many due executions to claim now: as many as it may
        hold, but none while it should take no more work (see :mod:`.workers`)."""
        if not self.run_executions or not self.workers.may_take():
            self._held_back = True
            return 0
        self._held_back = False
        return self.workers.claim_limit(min(self.claim_batch, self.max_held - len(self.holding.live)))

    # ------------------------------------------------------------------ running

    def _advance_ready(self) -> None:
        deadline = time.monotonic() + 0.05  # keep commits flowing while a big execution runs
        interp = self.interpreter
        holding = self.holding
        ready = holding.ready
        while ready:
            held, frame = ready.popleft()
            held.ready -= 1
            ex = held.execution
            if ex.status != RUNNING or held.evict or not holding.holds(held):
                continue
            holding.mark(held)
            room = self.history_limit - len(ex.events)
            try:
                if room < HISTORY_STEP:  # near the limit: a few transitions at a time, to fail at it
                    if room > 0:
                        self.handle(held, interp.advance(frame, self.clock(), max(1, room // 8)))
                else:
                    self.handle(held, interp.advance(frame, self.clock()))
            except Exception as e:  # noqa: BLE001 - see poison
                self.poison(held, e, "advance the execution")
            if time.monotonic() > deadline:
                break

    def handle(self, held: Held, request: Any) -> None:
        """Do what the interpreter asks for ``held``."""
        kind = type(request)
        if request is None or request is FINISHED:
            return
        if kind is TaskCall:
            self.dispatch(held, request, self.clock())
        elif kind is Spawn:
            for frame in request.frames:
                self.holding.push(held, frame)
        elif kind is Sleep:
            self.timers.arm(held, request.until, Due.WAKE, request.frame)
        else:  # pragma: no cover
            raise AssertionError(f"unknown request {request!r}")

    def dispatch(self, held: Held, call: TaskCall, now: float, *, restored: bool = False) -> None:
        """Start a task: call its integration on the pool, or hand it to an activity worker
        (a row made visible by the next commit), arming its timeout. A callback token or an
        activity task only leaves the engine once the commit that scheduled it is done. One of
        several engines whose task workers are all busy lets go of an execution whose task it
        cannot start: the next commit gives it back to the store, for an engine with room."""
        if call.timeout is not None:
            self.timers.arm(held, call.scheduled_at + call.timeout, Due.TASK_TIMEOUT, call)
        activity = call.resource.kind == "activity"
        if call.resource.service == "states":
            held.children = True
        if (activity or call.token is not None) and held.execution.test_case is not None and not restored:
            answered = mocked_answer(self.integrations, self.interpreter, call, now)
            if answered is not NOT_MOCKED:
                self.handle(held, answered)
                return
        if activity or call.token is not None or waits_for_child(call):
            if call.token is None:
                call.token = ids.new_token(held.arn)
            held.callbacks[call.token] = call
            if hands_out_token(call):
                held.tokened = True
                if not restored:
                    held.tokens_out.append(call.token)  # open from the commit that schedules it (SendTask*)
            if call.waiting_since is not None:  # restored: out already, waiting for an answer
                self.heartbeat_timer(held, call)
                return
            if activity:
                if not restored:  # restored: its row was committed with the snapshot that holds it
                    held.activity_out.append(ActivityTask(call.token, call.resource.arn, held.arn,
                                                          json.dumps(call.input, separators=(",", ":")), now))
                return
        if call.token is None and not held.inflight and self.workers.behind(1):
            held.evict = True  # (the task is called by whoever claims it: at-least-once calls)
            self.holding.mark(held)  # (its next commit gives it back)
            return
        held.inflight += 1
        if held.new or call.token is not None:  # nothing leaves before its scheduling is committed
            held.deferred.append(call)
        else:
            self.submit(held, call)

    def submit(self, held: Held, call: TaskCall) -> None:
        self.workers.submit(held, call)

    def _drain_completions(self) -> None:
        holding = self.holding
        for held, call, completion in self.workers.completions():
            if self._held_back and self.workers.may_take():
                self._held_back = False
                self.leases.wake()  # it took no more work for a while: it may now
            held.inflight -= 1
            if not holding.holds(held):
                continue  # released or lost meanwhile: the result is not ours to apply
            holding.mark(held)
            try:
                self._complete(held, call, completion)
            except Exception as e:  # noqa: BLE001 - see poison
                self.poison(held, e, "take the result of a task")

    def _complete(self, held: Held, call: TaskCall, completion: Completion) -> None:
        interp = self.interpreter
        now = self.clock()
        ok, value = completion
        if ok and call.token is not None:  # a callback: the request went out, the answer will come
            if call.frame.task is call and held.execution.status == RUNNING:
                interp.tasks.submitted(call, value[0], now)
                call.waiting_since = now
                self.heartbeat_timer(held, call)
                self.signals.apply_early(held, call)
            return
        if ok:
            request = interp.task_succeeded(call, value[0], now, size=value[1])
        else:
            self.callback_over(held, call)
            request = interp.task_failed(call, value.error, value.cause, now)
        self.handle(held, request)

    def heartbeat_timer(self, held: Held, call: TaskCall) -> None:
        if call.heartbeat is not None and call.waiting_since is not None:
            self.timers.arm(held, call.waiting_since + call.heartbeat, Due.HEARTBEAT, (call, call.waiting_since))

    def callback_over(self, held: Held, call: TaskCall) -> None:
        """A callback task or activity task ended (answered, timed out, abandoned)."""
        if call.token is None:
            return
        early = held.early.pop(call.token, None)
        if early is not None:  # an answer kept for it is moot now
            held.signals_done.append(early[0])
        if held.callbacks.pop(call.token, None) is not None:
            if call.resource.kind == "activity":
                held.activity_done.append(call.token)
            if held.execution.status == RUNNING:  # (an execution that ends closes all its tokens)
                held.tokens_done.append(call.token)

    def _fire_timers(self) -> None:
        interp = self.interpreter
        for held, kind, target in self.timers.due(self.clock()):
            if held.execution.status != RUNNING:
                continue
            self.holding.mark(held)
            now = self.clock()
            try:
                if kind is Due.WAKE:
                    self.handle(held, interp.timer_fired(target, now))
                elif kind is Due.TASK_TIMEOUT:
                    self.callback_over(held, target)
                    self.handle(held, interp.task_timed_out(target, now))
                elif kind is Due.HEARTBEAT:
                    call, since = target
                    if call.waiting_since == since and call.frame.task is call:  # (else a heartbeat came, or it ended)
                        self.callback_over(held, call)
                        self.handle(held, interp.task_timed_out(call, now, heartbeat=True))
                elif kind is Due.EXECUTION_TIMEOUT:
                    interp.time_out(held.execution, now)
            except Exception as e:  # noqa: BLE001 - see poison
                self.poison(held, e, "act on a timer")

    # ------------------------------------------------------------------ failing an execution alone

    def poison(self, held: Held, e: BaseException, doing: str) -> None:
        """An exception escaped while ``doing`` something for ``held``: a stepline bug, or a value
        no check anticipated. That execution alone fails (States.Runtime, the cause saying why)
        after what it has committed; what happened since did not. Logged once, with its ARN."""
        if held.poisoned:
            return
        held.poisoned = True
        ex = held.execution
        cause = writable(f"{POISONED}{doing}: {type(e).__name__}: {e}")
        logger.error("execution %s failed: %s", held.arn, cause, exc_info=e)
        now = self.clock()
        # keep what is stored, and a new execution's start (its input was checked when it came)
        first = ex.events[0] if ex.events else None
        keep = 1 if held.new and first and first[0] == history.EXECUTION_STARTED else held.committed
        events = ex.events[:keep]
        events += [None] * (keep - len(events))
        events.append((history.EXECUTION_FAILED, keep, now, {"error": "States.Runtime", "cause": cause}))
        ex.events = events
        ex.status, ex.output, ex.error, ex.cause, ex.stop_time = FAILED, None, "States.Runtime", cause, now
        self.holding.mark(held)

    def fail_stored(self, record: ExecutionRecord, reason: str) -> None:
        cause = writable(f"{POISONED}resume the execution: {reason}")
        logger.error("execution %s failed: %s", record.arn, cause)
        self.committer.fail_stored(record, cause)

    # ------------------------------------------------------------------ housekeeping

    def _retain(self, now: float) -> None:
        """Delete a batch of the closed executions past retention (every engine may: the
        deletes are idempotent); the next batch on the next turn, so the loop never stalls."""
        if self.retention_seconds is None:
            self._next_retention = float("inf")
            return
        self._next_retention = now + min(RETENTION_EVERY_S, max(0.05, self.retention_seconds / 4))
        try:
            if self.store.delete_closed_before(now - self.retention_seconds, limit=1000) == 1000:
                self._next_retention = now + 1.0  # more to delete: soon, in another small batch
        except Exception as e:  # noqa: BLE001 - retention can wait for the next turn
            logger.warning("deleting expired executions failed: %s", e)

    def _final_commit(self) -> None:
        """On shutdown: commit what is done, then give the leases back for others to go on."""
        try:
            if self.holding.dirty or self.committer.queued:
                self.committer.commit()
            unclaimed: list[ExecutionRecord] = []  # claimed, never adopted: give them back too
            while True:
                try:
                    kind, args, future = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if kind == "claimed":
                    unclaimed.extend(r for r in args if r.arn not in self.holding.live)
                elif future is not None and not future.done():
                    future.set_exception(RuntimeError("the engine is shutting down"))
            if unclaimed:
                self.leases.give_back(unclaimed)
            self.committer.release_all()
        except Exception:  # noqa: BLE001 - pragma: no cover
            logger.exception("could not release the leases on shutdown")
        self.leases.leave()
