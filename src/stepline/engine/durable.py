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
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import heapq
import json
import logging
import os
import queue
import socket
import threading
import time
from collections import deque
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # the C one, as values.dumps uses
from typing import Any, Callable

from .. import ids
from ..asl import errors, parser
from ..interpreter import events as ev
from ..interpreter.frames import FAILED
from ..asl.model import StateMachine
from ..asl.values import NotJson, dumps, loads, parse_json
from ..integrations import Integrations, TaskFailure, task_context
from ..interpreter import Execution, Interpreter
from ..interpreter.core import HISTORY_LIMIT
from .local import HISTORY_STEP
from ..interpreter import snapshot as snapshots
from ..interpreter.events import RawJson
from ..interpreter.frames import FINISHED, RUNNING, ChildLog, Frame, Sleep, Spawn, TaskCall, map_run_path
from ..interpreter.fanout import map_run
from ..store import (
    ActivityTask, EventRecord, ExecutionExists, ExecutionRecord, Resource, Signal, SignalKind, Store, StoreError,
    StoreRefusedValue, Write, writable,
)

logger = logging.getLogger("stepline.engine")

RETENTION_S = 90 * 24 * 3600      # AWS keeps a closed execution's history for 90 days
RETENTION_EVERY_S = 600.0
#: requests (starts, stops, redrives) taken from the inbox per turn of the loop: a burst of starts
#: is run and committed in slices, each start committed with its first transitions (a start
#: left for a later turn would be committed twice: once started, once advanced)
INBOX_BATCH = 1000
MEMORY_BUDGET = 256 * 1024 * 1024  # bytes the executions an engine holds may cost (see Engine)
STALLED_S = 60.0  # a loop that has not gone round for this long is not alive (see Engine.alive)


class ExecutionAlreadyExists(ExecutionExists):
    """An execution of that name exists (closed, or running with another input)."""


class ExecutionDoesNotExist(LookupError):
    """No execution has that ARN."""


class ExecutionNotRedrivable(ValueError):
    """The execution cannot be redriven (the message says why)."""


REDRIVE_PERIOD = 14 * 24 * 3600
MAX_REDRIVES = 1000


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
        return "NOT_REDRIVABLE", "Execution was started before the launch of RedriveExecution."
    if record.event_count >= history_limit - 1:
        return "NOT_REDRIVABLE", "Execution history event limit exceeded."
    if record.redrive_count >= MAX_REDRIVES:
        return "NOT_REDRIVABLE", "Execution redrive limit exceeded."
    if record.stop_time is not None and now - record.stop_time > REDRIVE_PERIOD:
        return "NOT_REDRIVABLE", "Execution redrivable period exceeded."
    return "REDRIVABLE", None


class Live:
    """An execution this engine holds: the interpreter's execution and its stored row."""

    __slots__ = ("execution", "record", "committed", "new", "inflight", "ready", "timers", "waiters", "deferred",
                 "memo", "callbacks", "signals_seen", "signals_done", "activity_out", "activity_done", "map_runs",
                 "children", "early", "tokens_out", "tokens_done", "cost", "evict", "poisoned", "child_logs")

    def __init__(self, execution: Execution, record: ExecutionRecord, committed: int, new: bool) -> None:
        self.execution = execution
        self.record = record
        self.committed = committed      # events already stored
        self.new = new                  # the row is not in the store yet
        self.inflight = 0               # tasks running in the pool
        self.ready = 0                  # frames in the engine's ready queue
        self.timers: dict[int, float] = {}  # timer seq -> due time, while armed
        self.waiters: list[concurrent.futures.Future] = []  # resolved with the record at the next commit
        self.deferred: list[TaskCall] = []  # tasks of a new execution, invoked once its start is committed
        self.memo: snapshots.TextMemo | None = None  # made at its second snapshot
        self.callbacks: dict[str, TaskCall] = {}   # token -> a task waiting for SendTask*/an activity worker
        self.signals_seen: set[str] = set()        # signals applied (deleted from the store by the next commit)
        self.signals_done: list[str] = []
        self.activity_out: list[ActivityTask] = []  # activity tasks to make visible with the next commit
        self.activity_done: list[str] = []         # and those no longer wanted (by token)
        self.map_runs: dict[str, str] = {}         # Map Run ARN -> its description as last written
        self.children = False                      # it started nested executions (states:startExecution)
        self.early: dict[str, tuple[str, str, dict]] = {}  # token -> an answer that came before the request
        self.tokens_out: list[str] = []            # task tokens to record as handed out with the next commit
        self.tokens_done: list[str] = []           # and those no longer waited for
        self.cost = 0                              # what holding it costs in memory, in bytes (an estimate)
        self.evict = False                         # its next commit gives it back to the store (see _write)
        self.poisoned = False                      # it failed on an exception (see Engine._poison)
        self.child_logs: list[ChildLog] = []       # Distributed Map children written with the next commit


_UNREAD = object()  # (Engine._adopt: the input is still to be read from the record)


class Engine:
    """Runs Standard executions durably. Thread-safe entry points: :meth:`start_execution`,
    :meth:`stop_execution`, :meth:`run_in_thread` / :meth:`shutdown`."""

    def __init__(self, store: Store, integrations: Integrations | None = None, *, owner: str | None = None,
                 lease_seconds: float = 30.0, claim_batch: int = 256, max_held: int = 20_000,
                 task_workers: int = 32, history_limit: int = HISTORY_LIMIT, poll_interval: float = 1.0,
                 clock: Callable[[], float] = time.time, interpreter: Interpreter | None = None,
                 retention_seconds: float | None = RETENTION_S, memory_budget: int = MEMORY_BUDGET) -> None:
        """``retention_seconds``: closed executions older than this are deleted, history and
        all (None: kept for ever). ``memory_budget``: the bytes the executions held here may
        cost; past it, an execution that only waits (a timer, a callback, an activity worker)
        is given back to the store when its transition commits, and claimed again when it is
        due or signalled."""
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
        self.memory_budget = memory_budget
        self._held_bytes = 0               # the cost of the executions held (see Live.cost)
        self.evicted = 0                   # executions given back to the store to keep to the budget
        self._stale_timers = 0             # timers in the heap of executions let go (see _fire_timers)
        self.last_turn = time.monotonic()  # when the loop last went round (see alive)
        self.live: dict[str, Live] = {}
        self._names: dict[tuple[str, str], Live] = {}  # (state machine ARN, name) -> held execution
        self._ready: deque = deque()       # (live, frame)
        self._timers: list = []            # heap of (due, seq, kind, live, target)
        self._seq = 0
        self._dirty: dict[str, Live] = {}
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._completions: queue.SimpleQueue = queue.SimpleQueue()
        self._wakeup = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(task_workers, thread_name_prefix="stepline-task")
        self._machines: dict[str, StateMachine] = {}           # definition hash -> compiled machine
        self._definitions: dict[str, tuple[str, StateMachine]] = {}  # definition text -> (hash, machine)
        self._running = False
        self._thread: threading.Thread | None = None
        self._next_claim = 0.0
        self._next_renew = 0.0
        self._next_signals = 0.0
        self.retention_seconds = retention_seconds
        self._next_retention = 0.0
        self._listener: threading.Thread | None = None
        self._claimer: threading.Thread | None = None
        self._claim_wakeup = threading.Event()
        # executions dropped after a failed commit while this engine still holds their lease:
        # the claim thread takes them again, from their committed state, as soon as it can
        self._orphans: set[str] = set()
        self._orphans_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def run_in_thread(self) -> threading.Thread:
        """Start the engine's loop on a thread of its own."""
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=f"stepline-engine-{self.owner}", daemon=True)
        self._thread.start()
        self._listener = threading.Thread(target=self._listen, name="stepline-listen", daemon=True)
        self._listener.start()
        self._claimer = threading.Thread(target=self._claim_loop, name="stepline-claim", daemon=True)
        self._claimer.start()
        return self._thread

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop after committing what is done; release the leases held (graceful, SIGTERM)."""
        if not self._running:
            return
        self._inbox.put(("shutdown", None, None))
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._running = False
        if self._listener is not None:
            self._listener.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _listen(self) -> None:
        """Turn the store's notifications (new work, possibly from other processes) into wakeups."""
        while self._running:
            try:
                notified = self.store.wait(0.5)
            except Exception as e:  # the database went away for a moment: the loop polls anyway
                if self._running:
                    logger.warning("waiting for notifications failed: %s", e)
                    time.sleep(0.5)
                continue
            if notified:
                self._next_claim = self._next_signals = 0.0
                self._wakeup.set()
                self._claim_wakeup.set()

    # ------------------------------------------------------------------ entry points (any thread)

    def start_execution(self, *, state_machine_arn: str, state_machine_name: str, definition: str,
                        input_text: str, name: str | None = None, role_arn: str | None = None,
                        parent_arn: str | None = None, version_arn: str | None = None,
                        alias_arn: str | None = None, trace_header: str | None = None,
                        parent_token: str | None = None, parent_wait: str | None = None,
                        test_case: str | None = None) -> concurrent.futures.Future:
        """Start a Standard execution; the future gives its stored record once committed, or
        raises ExecutionAlreadyExists. The definition must be valid (checked by the caller).
        A child started by a parent's ``.sync`` task names that task's token and how it waits
        (``parent_wait``); its end is signalled to the parent. ``test_case`` picks mocks."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        args = dict(state_machine_arn=state_machine_arn, state_machine_name=state_machine_name,
                    definition=definition, input_text=input_text, name=name or ids.new_uuid(),
                    role_arn=role_arn, parent_arn=parent_arn, version_arn=version_arn, alias_arn=alias_arn,
                    trace_header=trace_header, parent_token=parent_token, parent_wait=parent_wait,
                    test_case=test_case)
        self._inbox.put(("start", args, future))
        self._wakeup.set()
        return future

    def redrive_execution(self, arn: str) -> concurrent.futures.Future:
        """RedriveExecution: the future gives the record once the redrive is committed, or
        raises ExecutionDoesNotExist / ExecutionNotRedrivable."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._inbox.put(("redrive", arn, future))
        self._wakeup.set()
        return future

    def stop_execution(self, arn: str, error: str | None = None, cause: str | None = None) -> concurrent.futures.Future:
        """Abort a running execution; the future gives the record (or None if unknown)."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._inbox.put(("stop", (arn, error, cause), future))
        self._wakeup.set()
        return future

    def wake(self) -> None:
        """Look at the store again now: new work or signals may be there (sent by this process)."""
        self._next_claim = self._next_signals = 0.0
        self._wakeup.set()
        self._claim_wakeup.set()

    # ------------------------------------------------------------------ the loop

    @property
    def alive(self) -> bool:
        """Whether the loop runs and has gone round lately (a health check's answer)."""
        thread = self._thread
        return self._running and thread is not None and thread.is_alive() \
            and time.monotonic() - self.last_turn < STALLED_S

    def _loop(self) -> None:
        """The engine's turns, until shutdown. Nothing one execution does can end it: a fault
        inside an execution's step, render or commit fails that execution alone (see
        :meth:`_poison`); a fault of the engine itself is logged, and the loop goes on."""
        try:
            while True:
                self.last_turn = time.monotonic()
                try:
                    if not self._turn():
                        break
                except Exception:  # noqa: BLE001 - a bug of the engine's own: say so, and go on
                    logger.exception("the engine's turn failed; going on")
                    time.sleep(0.05)  # a fault that repeats at every turn must not spin the CPU
        finally:
            self._running = False
            self._claim_wakeup.set()
            if self._claimer is not None:
                self._claimer.join(10)
            self._final_commit()

    def _turn(self) -> bool:
        """One turn of the loop: take requests, results, signals and due timers, advance what
        is ready, commit; False once shut down."""
        now = self.clock()
        if not self._drain_inbox(now):
            return False
        self._drain_completions()
        if now >= self._next_signals:
            self._take_signals(now)
        self._fire_timers()
        self._advance_ready()
        if self._dirty:
            self._commit()
        now = self.clock()
        if now >= self._next_renew:
            self._renew(now)
        if now >= self._next_retention:
            self._retain(now)
        if not (self._ready or self._dirty or not self._inbox.empty() or not self._completions.empty()):
            self._sleep(now)
        return True

    def _sleep(self, now: float) -> None:
        until = min(self._next_renew, self._next_signals)
        if self._timers:
            until = min(until, self._timers[0][0])
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
                    self._start(args, future, now)
                elif kind == "stop":
                    self._stop(*args, future=future, now=now)
                elif kind == "redrive":
                    self._redrive(args, future, now)
                elif kind == "claimed":
                    for record in args:
                        if record.arn not in self.live:  # (ours already: the claim renewed our lease)
                            self._resume(record)
            except Exception as e:  # the caller gets the error, the engine goes on
                if future is not None and not future.done():
                    future.set_exception(e)
                elif future is None:
                    logger.exception("taking up claimed executions failed")
        return True

    # ------------------------------------------------------------------ starting and stopping

    def _machine(self, definition: str) -> tuple[str, StateMachine]:
        known = self._definitions.get(definition)
        if known is not None:
            return known
        digest = hashlib.sha256(definition.encode()).hexdigest()
        machine = self._machines.get(digest)
        if machine is None:
            machine = self._machines[digest] = parser.parse(definition)
            self.store.put_definition(digest, definition)
        if len(self._definitions) > 1000:  # many definitions come and go: keep the newest only
            self._definitions.clear()
        known = self._definitions[definition] = digest, machine
        return known

    def _start(self, a: dict, future: concurrent.futures.Future, now: float) -> None:
        """Hold a new execution; its row is inserted by the next commit. The store is not asked
        whether the name is taken: the insert says so (see :meth:`_refused`), and until then
        the new execution invokes no task (see :meth:`_dispatch`)."""
        sm_arn, name, input_text = a["state_machine_arn"], a["name"], a["input_text"]
        held = self._names.get((sm_arn, name))
        if held is not None:
            if held.new and held.record.input == input_text:  # the same start again, not committed yet
                held.waiters.append(future)
            else:
                _answer_existing(future, held.record, input_text)
            return
        digest, machine = self._machine(a["definition"])
        record = new_record(digest=digest, now=now, **a)
        live = self._adopt(machine, record, None, new=True)
        if live is None:
            raise ExecutionDoesNotExist(f"Execution could not be started: '{record.arn}'")  # (see _adopt)
        live.waiters.append(future)

    def _stop(self, arn: str, error: str | None, cause: str | None, *, future: concurrent.futures.Future,
              now: float) -> None:
        live = self.live.get(arn)
        if live is None:
            record = self.store.get_execution(arn)
            if record is None or record.status != RUNNING:
                future.set_result(record)
                return
            live = self._claim_one(record, now)
            if live is None:  # held by another engine that is alive: the caller must signal it
                future.set_result(None)
                return
        self.interpreter.stop(live.execution, error, cause, now)
        live.waiters.append(future)
        self._dirty[arn] = live

    def _redrive(self, arn: str, future: concurrent.futures.Future, now: float) -> None:
        record = self.live[arn].record if arn in self.live else self.store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        status, reason = redrive_status(record, now, self.history_limit)
        if status != "REDRIVABLE":
            raise ExecutionNotRedrivable(reason)
        claimed = self.store.claim_arn(self.owner, arn, now, now + self.lease_seconds)
        if claimed is None:
            raise ExecutionNotRedrivable("Execution is being redriven already.")
        definition = self.store.get_definition(claimed.definition_hash)
        if definition is None:
            raise ExecutionNotRedrivable("Execution's definition is missing.")
        try:
            _, machine = self._machine(definition)
            snapshot = json.loads(claimed.snapshot or "null")
        except Exception as e:  # noqa: BLE001 - what was stored cannot be read back: it stays as it was
            self._give_back([claimed])
            raise ExecutionNotRedrivable(f"Execution's stored state cannot be read: {type(e).__name__}") from e
        live = self._adopt(machine, claimed, snapshot, new=False, redrive=True)
        if live is None:
            raise ExecutionNotRedrivable("Execution's input cannot be read.")
        live.waiters.append(future)

    # ------------------------------------------------------------------ holding executions

    def _adopt(self, machine: StateMachine, record: ExecutionRecord, snapshot: dict | None, *,
               new: bool, redrive: bool = False, value: Any = _UNREAD) -> Live | None:
        """Hold an execution: new, restored from its row and snapshot, or redriven (``value``:
        its input, when the caller has read it). None if it cannot be: it failed instead."""
        try:
            if value is _UNREAD:
                value = loads(record.input)
        except Exception as e:  # noqa: BLE001 - a stored input that cannot be read
            self._fail_stored(record, f"its input cannot be read: {type(e).__name__}: {e}")
            return None
        ex = Execution(machine, arn=record.arn, name=record.name, input=value, input_text=record.input,
                       role_arn=record.role_arn, state_machine_arn=record.state_machine_arn,
                       state_machine_name=record.state_machine_name, start_time=record.start_time,
                       region=record.region, account=record.account, redrive_count=record.redrive_count)
        ex.redrive_time = record.redrive_time
        ex.test_case = record.test_case
        ex.records_children = True  # a Distributed Map's children are executions of their own here
        live = Live(ex, record, record.event_count, new)
        self.live[record.arn] = live
        self._names[(record.state_machine_arn, record.name)] = live
        self._dirty[record.arn] = live
        try:
            self._begin(live, machine, snapshot, redrive)
        except Exception as e:  # noqa: BLE001 - a bug, or a stored state that does not fit: it fails alone
            if redrive:  # (nothing of the redrive was recorded: the execution stays as it ended)
                self._release(live)
                self._dirty.pop(record.arn, None)
                self._give_back([record])
                raise ExecutionNotRedrivable(f"Execution's stored state cannot be redriven: {type(e).__name__}") \
                    from e
            self._poison(live, e, "start the execution" if new else "resume the execution from its stored state")
        return live

    def _begin(self, live: Live, machine: StateMachine, snapshot: dict | None, redrive: bool) -> None:
        """Set a newly held execution going: its first frame, or what its snapshot says."""
        ex, record = live.execution, live.record
        now = self.clock()
        if redrive:
            snapshots.load(ex, snapshot, record.event_count)  # type: ignore[arg-type]
            self._push(live, self.interpreter.redrive(ex, now))
            record.status, record.redrive_count, record.redrive_time = RUNNING, ex.redrive_count, now
            record.output = record.error = record.cause = record.stop_time = None
        started = record.redrive_time or record.start_time  # a redriven execution's clock starts again
        if machine.timeout_seconds is not None:
            self._timer(started + machine.timeout_seconds, "execution-timeout", live, None)
        if redrive:
            pass
        elif snapshot is None and record.event_count == 0:
            self._push(live, self.interpreter.start(ex, record.start_time))
        elif snapshot is not None:
            live.children = True  # it may have started children before: look for them if it fails
            restored = snapshots.load(ex, snapshot, record.event_count)
            for frame in restored.ready:
                self._push(live, frame)
            for frame, due in restored.timers:
                self._timer(due, "wake", live, frame)
            for call in restored.tasks:  # a result that was not committed: call again
                self._dispatch(live, call, now, restored=True)

    def _push(self, live: Live, frame: Frame) -> None:
        live.ready += 1
        self._ready.append((live, frame))

    def _holds(self, live: Live) -> bool:
        """Whether ``live`` is still the execution this engine runs (not released or lost)."""
        return self.live.get(live.record.arn) is live

    def _release(self, live: Live) -> None:
        r = live.record
        self._held_bytes -= live.cost
        live.cost = 0
        self._stale_timers += len(live.timers)
        if self.live.get(r.arn) is live:
            del self.live[r.arn]
        key = (r.state_machine_arn, r.name)
        if self._names.get(key) is live:
            del self._names[key]
        live.execution.root = None
        live.deferred.clear()

    # ------------------------------------------------------------------ running

    def _advance_ready(self) -> None:
        deadline = time.monotonic() + 0.05  # keep commits flowing while a big execution runs
        interp = self.interpreter
        ready = self._ready
        while ready:
            live, frame = ready.popleft()
            live.ready -= 1
            ex = live.execution
            if ex.status != RUNNING or not self._holds(live):
                continue
            self._dirty[live.record.arn] = live
            room = self.history_limit - len(ex.events)
            try:
                if room < HISTORY_STEP:  # near the limit: a few transitions at a time, to fail at it (see _write)
                    if room > 0:
                        self._handle(live, interp.advance(frame, self.clock(), max(1, room // 8)))
                else:
                    self._handle(live, interp.advance(frame, self.clock()))
            except Exception as e:  # noqa: BLE001 - see _poison
                self._poison(live, e, "advance the execution")
            if time.monotonic() > deadline:
                break

    def _handle(self, live: Live, request: Any) -> None:
        kind = type(request)
        if request is None or request is FINISHED:
            return
        if kind is TaskCall:
            self._dispatch(live, request, self.clock())
        elif kind is Spawn:
            for frame in request.frames:
                self._push(live, frame)
        elif kind is Sleep:
            self._timer(request.until, "wake", live, request.frame)
        else:  # pragma: no cover
            raise AssertionError(f"unknown request {request!r}")

    def _dispatch(self, live: Live, call: TaskCall, now: float, *, restored: bool = False) -> None:
        """Start a task: call its integration on the pool, or hand it to an activity worker
        (a row made visible by the next commit), arming its timeout. A callback token or an
        activity task only leaves the engine once the commit that scheduled it is done."""
        if call.timeout is not None:
            self._timer(call.scheduled_at + call.timeout, "task-timeout", live, call)
        activity = call.resource.kind == "activity"
        if call.resource.service == "states":
            live.children = True
        if (activity or call.token is not None) and live.execution.test_case is not None and not restored \
                and self._mocked(live, call, now):
            return
        if activity or call.token is not None or _waits_for_child(call):
            if call.token is None:
                call.token = ids.new_token(live.record.arn)
            live.callbacks[call.token] = call
            if not restored and (activity or call.resource.pattern == "waitForTaskToken"):
                live.tokens_out.append(call.token)  # open from the commit that schedules it (SendTask*)
            if call.waiting_since is not None:  # restored: out already, waiting for an answer
                self._heartbeat_timer(live, call)
                return
            if activity:
                if not restored:  # restored: its row was committed with the snapshot that holds it
                    live.activity_out.append(ActivityTask(call.token, call.resource.arn, live.record.arn,
                                                          dumps(call.input), now))
                return
        live.inflight += 1
        if live.new or call.token is not None:  # nothing leaves before its scheduling is committed
            live.deferred.append(call)
        else:
            self._pool.submit(self._run_task, live, call)

    def _mocked(self, live: Live, call: TaskCall, now: float) -> bool:
        """A callback or activity task of a mock test case: its mocked response answers it at
        once, no worker or callback is awaited (as Step Functions Local does)."""
        interceptor = self.integrations.interceptor
        if interceptor is None:
            return False
        interp = self.interpreter
        try:
            mocked, result = interceptor(call.resource, call.input, token=call.token, **task_context(call))
        except TaskFailure as e:
            self._handle(live, interp.task_failed(call, e.error, e.cause, now))
            return True
        if not mocked:
            return False
        if call.resource.kind == "activity":
            interp.tasks.started(call, None, now)  # as a worker taking it would (ActivityStarted)
        self._handle(live, interp.task_succeeded(call, result, now))
        return True

    def _heartbeat_timer(self, live: Live, call: TaskCall) -> None:
        if call.heartbeat is not None and call.waiting_since is not None:
            self._timer(call.waiting_since + call.heartbeat, "heartbeat", live, (call, call.waiting_since))

    def _callback_over(self, live: Live, call: TaskCall) -> None:
        """A callback task or activity task ended (answered, timed out, abandoned)."""
        if call.token is None:
            return
        early = live.early.pop(call.token, None)
        if early is not None:  # an answer kept for it is moot now
            live.signals_done.append(early[0])
        if live.callbacks.pop(call.token, None) is not None:
            if call.resource.kind == "activity":
                live.activity_done.append(call.token)
            if live.execution.status == RUNNING:  # (an execution that ends closes all its tokens)
                live.tokens_done.append(call.token)

    def _run_task(self, live: Live, call: TaskCall) -> None:
        try:
            result = self.integrations.invoke(call.resource, call.input, timeout=call.timeout, token=call.token,
                                              context=task_context(call))
            self._completions.put((live, call, True, result))
        except TaskFailure as e:
            self._completions.put((live, call, False, e))
        except BaseException as e:  # noqa: BLE001 - an integration's bug fails the task, not the engine
            self._completions.put((live, call, False, TaskFailure("States.TaskFailed", f"{type(e).__name__}: {e}")))
        self._wakeup.set()

    def _drain_completions(self) -> None:
        while True:
            try:
                live, call, ok, value = self._completions.get_nowait()
            except queue.Empty:
                return
            live.inflight -= 1
            if not self._holds(live):
                continue  # released or lost meanwhile: the result is not ours to apply
            self._dirty[live.record.arn] = live
            try:
                self._complete(live, call, ok, value)
            except Exception as e:  # noqa: BLE001 - see _poison
                self._poison(live, e, "take the result of a task")

    def _complete(self, live: Live, call: TaskCall, ok: bool, value: Any) -> None:
        interp = self.interpreter
        now = self.clock()
        if ok and call.token is not None:  # a callback: the request went out, the answer will come
            if call.frame.task is call and live.execution.status == RUNNING:
                interp.tasks.submitted(call, value[0], now)
                call.waiting_since = now
                self._heartbeat_timer(live, call)
                self._apply_early(live, call, now)
            return
        if ok:
            request = interp.task_succeeded(call, value[0], now, size=value[1])
        else:
            self._callback_over(live, call)
            request = interp.task_failed(call, value.error, value.cause, now)
        self._handle(live, request)

    def _timer(self, due: float, kind: str, live: Live, target: Any) -> None:
        self._seq += 1
        live.timers[self._seq] = due
        heapq.heappush(self._timers, (due, self._seq, kind, live, target))

    def _drop_stale_timers(self) -> None:
        """Drop the timers of executions let go, and so what they hold (their frames, data)."""
        self._timers = [t for t in self._timers if self._holds(t[3])]
        heapq.heapify(self._timers)
        self._stale_timers = 0

    def _fire_timers(self) -> None:
        if self._stale_timers > 256 and 2 * self._stale_timers > len(self._timers):
            self._drop_stale_timers()  # most are stale: cheaper than skipping them one by one
        timers = self._timers
        while timers and timers[0][0] <= self.clock():
            _, seq, kind, live, target = heapq.heappop(timers)
            live.timers.pop(seq, None)
            if not self._holds(live) or live.execution.status != RUNNING:
                continue
            self._dirty[live.record.arn] = live
            try:
                self._fire(live, kind, target)
            except Exception as e:  # noqa: BLE001 - see _poison
                self._poison(live, e, "act on a timer")

    def _fire(self, live: Live, kind: str, target: Any) -> None:
        interp = self.interpreter
        now = self.clock()
        if kind == "wake":
            self._handle(live, interp.timer_fired(target, now))
        elif kind == "task-timeout":
            self._callback_over(live, target)
            self._handle(live, interp.task_timed_out(target, now))
        elif kind == "heartbeat":
            call, since = target
            if call.waiting_since != since or call.frame.task is not call:
                return  # a heartbeat came meanwhile (a later timer is armed), or the task ended
            self._callback_over(live, call)
            self._handle(live, interp.task_timed_out(call, now, heartbeat=True))
        elif kind == "execution-timeout":
            interp.time_out(live.execution, now)

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

    # ------------------------------------------------------------------ signals

    def _take_signals(self, now: float) -> None:
        """Apply what was sent to the executions held here (StopExecution from another process,
        SendTask*, an activity worker taking a task, UpdateMapRun). Each is applied once: it
        is deleted by the commit that records its effect."""
        self._next_signals = now + self.poll_interval
        if not self.live:
            return
        try:
            found = self.store.signals_for(self.owner)
        except Exception as e:  # the database is away for a moment: the next poll tries again
            logger.warning("reading signals failed: %s", e)
            return
        for signal in found:
            live = self.live.get(signal.execution_arn)
            if live is None or signal.id in live.signals_seen or live.new:
                continue
            live.signals_seen.add(signal.id)
            self._dirty[live.record.arn] = live
            if live.execution.status == RUNNING:
                try:
                    body = json.loads(signal.body)
                except ValueError:
                    body = None
                if type(body) is not dict:  # not written by stepline: nothing to apply
                    logger.error("signal %s for %s ignored: its body is not a JSON object", signal.kind,
                                 signal.execution_arn)
                else:
                    try:
                        if self._early(live, signal.id, signal.kind, body):
                            continue  # kept until its task's request is out (see _early)
                        self._apply_signal(live, signal.kind, body, self.clock())
                    except Exception as e:  # noqa: BLE001 - see _poison
                        self._poison(live, e, f"apply a {signal.kind} signal")
            live.signals_done.append(signal.id)

    def _early(self, live: Live, signal_id: str, kind: str, body: dict) -> bool:
        """An answer that came before its task's request was out (the child of a ``.sync``
        task that ended at once, a callback answered from inside the function that got the
        token): it waits for the request's result, so the history says TaskSubmitted first.
        It stays in the store until applied."""
        if kind != SignalKind.TASK_SUCCESS and kind != SignalKind.TASK_FAILURE:
            return False
        call = live.callbacks.get(body.get("token", ""))
        if call is None or call.waiting_since is not None or call.resource.kind == "activity" \
                or call.frame.task is not call:
            return False
        live.early[call.token] = (signal_id, kind, body)  # type: ignore[index]
        return True

    def _apply_early(self, live: Live, call: TaskCall, now: float) -> None:
        early = live.early.pop(call.token, None) if call.token is not None else None
        if early is not None:
            signal_id, kind, body = early
            self._apply_signal(live, kind, body, now)
            live.signals_done.append(signal_id)

    def _apply_signal(self, live: Live, kind: str, body: dict, now: float) -> None:
        interp = self.interpreter
        if kind == SignalKind.STOP:
            interp.stop(live.execution, body.get("error"), body.get("cause"), now)
            return
        if kind == SignalKind.MAP_RUN_UPDATE:
            group = (live.execution.map_run_groups or {}).get(body.get("mapRunArn", ""))
            if group is not None:
                self._handle(live, interp.fanout.update_map_run(
                    group, now, max_concurrency=body.get("maxConcurrency"),
                    tolerated_percentage=body.get("toleratedFailurePercentage"),
                    tolerated_count=body.get("toleratedFailureCount")))
            return
        call = live.callbacks.get(body.get("token", ""))
        if call is None or call.frame.task is not call:
            return  # the task ended meanwhile (timed out, stopped): the answer comes too late
        if kind == SignalKind.ACTIVITY_STARTED:
            interp.tasks.started(call, body.get("worker"), now)
            call.waiting_since = now
            self._heartbeat_timer(live, call)
        elif kind == SignalKind.TASK_HEARTBEAT:
            if call.waiting_since is not None:
                call.waiting_since = now
                self._heartbeat_timer(live, call)
        elif kind == SignalKind.TASK_SUCCESS:
            self._callback_over(live, call)
            try:
                output = parse_json(body.get("output", ""))
            except NotJson as e:  # (an answer the API took before it checked them all)
                self._handle(live, interp.task_failed(call, errors.RUNTIME, f"The result of the task cannot be "
                                                                            f"used: {e}", now))
                return
            self._handle(live, interp.task_succeeded(call, output, now))
        elif kind == SignalKind.TASK_FAILURE:
            self._callback_over(live, call)
            self._handle(live, interp.task_failed(call, body.get("error"), body.get("cause"), now))

    # ------------------------------------------------------------------ committing

    def _commit(self) -> None:
        now = self.clock()
        lives = list(self._dirty.values())
        self._dirty.clear()
        writes = []
        for live in lives:
            try:
                writes.append(self._write(live, now))
            except Exception as e:  # noqa: BLE001 - it cannot be rendered: it fails alone (see _poison)
                self._poison(live, e, "record its transition")
                writes.append(self._poisoned_write(live, now))
        self._store(lives, writes)

    def _store(self, lives: list[Live], writes: list[Write]) -> None:
        """Commit the writes of ``lives`` in one transaction. A value the database refuses
        belongs to one execution: the others commit, each alone, and that one fails."""
        try:
            result = self.store.commit(writes)
        except StoreRefusedValue as e:
            if len(lives) > 1:
                for live, write in zip(lives, writes):
                    self._store([live], [write])
                return
            live = lives[0]
            if not live.poisoned:  # (a poisoned write holds nothing but what was stored before)
                self._poison(live, e, "store its transition")
                self._store(lives, [self._poisoned_write(live, self.clock())])
                return
            self._forget(lives, e)
            return
        except Exception as e:
            self._forget(lives, e)
            return
        refused = set(result.lost) | set(result.exists)
        evicted = self.evicted
        for live in lives:
            arn = live.record.arn
            if arn in refused:
                self._refused(live, arn in result.exists)
                continue
            self._committed(live)
        if self.evicted != evicted and self._stale_timers:
            self._drop_stale_timers()  # what the evicted held is freed now, not when their timers are due

    def _forget(self, lives: list[Live], e: Exception) -> None:
        """Nothing was written: tell the waiting callers and forget these executions; their
        committed state is intact, and those already stored are taken up again from it."""
        logger.error("commit of %d executions failed: %s", len(lives), e)
        for live in lives:
            for future in live.waiters:
                if not future.done():
                    future.set_exception(e)
            live.waiters.clear()
            self._release(live)
        with self._orphans_lock:
            self._orphans.update(live.record.arn for live in lives if not live.new)
        self._claim_wakeup.set()

    def _committed(self, live: Live) -> None:
        """``live``'s write is committed: tell the callers, let its tasks go, and let it go
        when it ended (or was given back to the store, see :meth:`_write`)."""
        events = live.execution.events
        done = len(events)
        if done > live.committed:  # what is stored is not needed here any more: only its count
            events[live.committed:done] = [None] * (done - live.committed)
        live.committed = done
        live.new = False
        if live.child_logs:
            for log in live.child_logs:
                n = len(log)
                log[log.committed:n] = [None] * (n - log.committed)
                log.committed = n
            live.child_logs = []
            live.execution.ended_children = None
        live.signals_done.clear()
        live.activity_out.clear()
        live.activity_done.clear()
        live.tokens_out.clear()
        live.tokens_done.clear()
        if live.deferred:  # their scheduling is committed: these tasks may run now
            if self._running and live.execution.status == RUNNING:
                for call in live.deferred:
                    self._pool.submit(self._run_task, live, call)
            live.deferred.clear()
        for future in live.waiters:
            if not future.done():
                future.set_result(live.record)
        live.waiters.clear()
        if live.execution.status != RUNNING or live.evict:
            if live.evict:
                self.evicted += 1
            self._release(live)

    # ------------------------------------------------------------------ failing an execution alone

    def _poison(self, live: Live, e: BaseException, doing: str) -> None:
        """An exception escaped while ``doing`` something for ``live``: a stepline bug, or a value
        no check anticipated. That execution alone fails (States.Runtime, the cause saying why)
        after what it has committed; what happened since did not. Logged once, with its ARN."""
        if live.poisoned:
            return
        live.poisoned = True
        ex, r = live.execution, live.record
        cause = writable(f"stepline could not {doing}: {type(e).__name__}: {e}")
        logger.error("execution %s failed: %s", r.arn, cause, exc_info=e)
        now = self.clock()
        # keep what is stored, and a new execution's start (its input was checked when it came)
        keep = 1 if live.new and ex.events and ex.events[0] and ex.events[0][0] == ev.EXECUTION_STARTED \
            else live.committed
        events = ex.events[:keep]
        events += [None] * (keep - len(events))
        events.append((ev.EXECUTION_FAILED, keep, now, {"error": errors.RUNTIME, "cause": cause}))
        ex.events = events
        ex.status, ex.output, ex.error, ex.cause, ex.stop_time = FAILED, None, errors.RUNTIME, cause, now
        self._dirty[r.arn] = live

    def _poisoned_write(self, live: Live, now: float) -> Write:
        """The write of a poisoned execution: FAILED after its stored events, with nothing of
        what it held in memory but its failure (no redrive: it would fail the same way)."""
        ex, r = live.execution, live.record
        r.status, r.event_count = FAILED, len(ex.events)
        r.output, r.error, r.cause, r.stop_time = None, ex.error, ex.cause, ex.stop_time
        r.snapshot = r.wake_at = r.lease_owner = r.lease_until = None
        records = _event_records(r.arn, ex.events, live.committed, _Texts())
        for call in list(live.callbacks.values()):  # abandoned with the execution
            self._callback_over(live, call)
        try:
            signals_out = self._family_signals(live, now)
        except Exception:  # noqa: BLE001 - the failure matters more than telling the family
            logger.exception("execution %s: could not tell its parent or children that it failed", r.arn)
            signals_out = []
        try:
            runs = self._map_run_rows(live) if ex.map_run_groups else []
        except Exception:  # noqa: BLE001 - as above
            logger.exception("execution %s: could not record how its Map Runs ended", r.arn)
            runs = []
        return Write(r, new=live.new, events=records, owner=None if live.new else self.owner,
                     signals_done=list(live.signals_done), activity_tasks_done=list(live.activity_done),
                     signals_out=signals_out, resources=runs, children=self._aborted_children(live, now))

    def _aborted_children(self, live: Live, now: float) -> list[Write]:
        """A poisoned execution's stored Distributed Map children that had not ended as stored:
        ABORTED, each after its own stored events (what they did since is not kept)."""
        ex = live.execution
        logs = [child.log for group in (ex.map_run_groups or {}).values() for child in group.active.values()]
        logs += ex.ended_children or ()
        writes = []
        for log in logs:
            if type(log) is not ChildLog or log.committed == 0 or log.committed == len(log) and log.status != RUNNING:
                continue  # never stored, or stored as it ended
            r = self._child_record(live, log, _Texts())
            r.status, r.stop_time, r.event_count = "ABORTED", now, log.committed + 1
            r.output = r.error = r.cause = None
            writes.append(Write(r, events=[EventRecord(r.arn, log.committed + 1, ev.EXECUTION_ABORTED, 0, now,
                                                       "{}")]))
        return writes

    def _fail_stored(self, record: ExecutionRecord, reason: str) -> None:
        """A claimed execution that cannot be run from what is stored fails (States.Runtime)
        after its last stored event, rather than be claimed again and again."""
        cause = writable(f"stepline could not resume the execution: {reason}")
        logger.error("execution %s failed: %s", record.arn, cause)
        now = self.clock()
        r = record
        details = _details_text({"error": errors.RUNTIME, "cause": cause}, _Texts())
        event = EventRecord(r.arn, r.event_count + 1, ev.EXECUTION_FAILED, r.event_count, now, details)
        r.status, r.event_count, r.output, r.error, r.cause, r.stop_time = \
            FAILED, r.event_count + 1, None, errors.RUNTIME, cause, now
        r.snapshot = r.wake_at = r.lease_owner = r.lease_until = None
        try:
            signals_out = self._ended_signals(r, True, now)
            self.store.commit([Write(r, events=[event], owner=self.owner, signals_out=signals_out)])
        except Exception as e:  # noqa: BLE001 - its lease runs out, and it is tried again later
            logger.error("could not record that %s failed: %s", r.arn, e)

    def _refused(self, live: Live, name_taken: bool) -> None:
        """A commit refused ``live``'s write: its name was taken (a new execution: the stored
        one answers the callers, as a start of the same execution again or as a conflict) or
        the lease was lost."""
        self._release(live)
        existing = None
        if name_taken and live.waiters:
            try:
                existing = self.store.find_execution(live.record.state_machine_arn, live.record.name)
            except Exception as e:  # noqa: BLE001 - the callers get the error
                logger.error("could not read the execution %s: %s", live.record.arn, e)
        for future in live.waiters:
            if not future.done():
                if existing is not None:
                    _answer_existing(future, existing, live.record.input)
                elif name_taken:
                    future.set_exception(ExecutionAlreadyExists(f"Execution Already Exists: '{live.record.arn}'"))
                else:
                    future.set_exception(RuntimeError(f"lost the lease on {live.record.arn}"))
        live.waiters.clear()

    def _write(self, live: Live, now: float) -> Write:
        ex, r = live.execution, live.record
        events = ex.events
        self.interpreter.history_full(ex, self.history_limit, now)
        start = live.committed
        text = _Texts()
        records = _event_records(r.arn, events, start, text)
        r.status = ex.status
        r.event_count = len(events)
        if ex.status == RUNNING:
            if live.memo is None and r.snapshot is not None:  # it runs over several commits
                live.memo = snapshots.TextMemo()
            r.snapshot = snapshots.dump_text(ex, memo=live.memo)
            r.wake_at = now if (live.inflight or live.ready) else min(live.timers.values(), default=None)
            r.lease_owner, r.lease_until = self.owner, now + self.lease_seconds
            self._weigh(live)
        else:
            r.output = text(ex.output) if ex.output is not None or ex.status == "SUCCEEDED" else None
            r.error, r.cause, r.stop_time = ex.error, ex.cause, ex.stop_time
            # an unsuccessful execution keeps where it stopped, for RedriveExecution
            r.snapshot = None if ex.status == "SUCCEEDED" else dumps(snapshots.dump(ex, redrive=True))
            r.wake_at = r.lease_owner = r.lease_until = None
            for call in list(live.callbacks.values()):  # abandoned with the execution
                self._callback_over(live, call)
            signals_out = self._family_signals(live, now)
        return Write(r, new=live.new, events=records, owner=None if live.new else self.owner,
                     signals_done=list(live.signals_done), activity_tasks=list(live.activity_out),
                     activity_tasks_done=list(live.activity_done),
                     resources=self._map_run_rows(live) if ex.map_run_groups else (),
                     signals_out=signals_out if ex.status != RUNNING else (),
                     children=self._child_writes(live, text) if ex.map_run_groups else ())

    def _weigh(self, live: Live) -> None:
        """Count what holding ``live`` costs; past the memory budget, an execution that only
        waits is given back to the store with this write (its lease released, its wake time
        set), to be claimed again when it is due or signalled."""
        r = live.record
        # its input as text and as values, and its working state as text and as frames (measured:
        # about that much, for inputs from 1 KiB to 256 KiB), and what any held execution costs
        cost = 2 * len(r.input) + 2 * len(r.snapshot or "") + 8192
        self._held_bytes += cost - live.cost
        live.cost = cost
        if self._held_bytes > self.memory_budget and not (live.inflight or live.ready or live.early):
            live.evict = True
            r.lease_owner = r.lease_until = None

    def _child_writes(self, live: Live, text: _Texts) -> list[Write]:
        """The Distributed Map children whose history grew since the last commit: new rows, or
        their status and events (a child's row follows its parent's write; see Write)."""
        ex = live.execution
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
            r = self._child_record(live, log, text)
            r.status, r.event_count = log.status, len(log)
            r.redrive_count, r.redrive_time = log.redrives, log.redriven
            r.output = text(log.output) if log.status == "SUCCEEDED" else None
            r.error, r.cause, r.stop_time = log.error, log.cause, log.stopped
            events = _event_records(log.arn, log, start, text)
            writes.append(Write(r, new=start == 0, events=events))
        live.child_logs = list(logs.values())  # their events count as stored once the commit is done
        return writes

    def _child_record(self, live: Live, log: ChildLog, text: _Texts) -> ExecutionRecord:
        """The row of a Distributed Map child (made the first time it is written)."""
        r = log.record
        if r is None:
            ex = live.execution
            r = log.record = ExecutionRecord(
                arn=log.arn, name=log.name, state_machine_arn=log.state_machine_arn,
                state_machine_name=log.state_machine_name, definition_hash=live.record.definition_hash,
                status=RUNNING, input=text(log.input) if log.committed == 0 else "", role_arn=ex.role_arn,
                start_time=log.started, region=ex.region, account=ex.account, map_run_arn=log.map_run_arn)
        return r

    def _family_signals(self, live: Live, now: float) -> list[Signal]:
        return self._ended_signals(live.record, live.children, now)

    def _ended_signals(self, r: ExecutionRecord, children: bool, now: float) -> list[Signal]:
        """An execution that ends tells the parent waiting for it (``.sync``), and one that
        did not succeed stops the children it still runs (``children``: it may have started
        some); committed with its end."""
        out = []
        if r.parent_arn and r.parent_token and r.parent_wait:
            result = dumps(child_result(r, r.parent_wait))
            if r.status == "SUCCEEDED":
                body = {"token": r.parent_token, "output": result}
                out.append(Signal(ids.new_uuid(), r.parent_arn, SignalKind.TASK_SUCCESS, dumps(body), now))
            else:
                body = {"token": r.parent_token, "error": errors.TASK_FAILED, "cause": result}
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

    def _map_run_rows(self, live: Live) -> list[Resource]:
        """The Map Runs whose description changed since the last commit."""
        ex = live.execution
        rows = []
        for arn, group in (ex.map_run_groups or {}).items():
            described = map_run(group, ex)
            text = dumps(described)
            if live.map_runs.get(arn) != text:
                live.map_runs[arn] = text
                label = map_run_path(arn).split("/", 1)[-1]
                rows.append(Resource(arn, "map-run", label, ex.arn, described["startDate"], text))
        return rows

    def _final_commit(self) -> None:
        """On shutdown: commit what is done, then give the leases back for others to go on."""
        try:
            if self._dirty:
                self._commit()
            unclaimed: list[ExecutionRecord] = []  # claimed, never adopted: give them back too
            while True:
                try:
                    kind, args, future = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if kind == "claimed":
                    unclaimed.extend(r for r in args if r.arn not in self.live)
                elif future is not None and not future.done():
                    future.set_exception(RuntimeError("the engine is shutting down"))
            if unclaimed:
                self._give_back(unclaimed)
            writes = []
            for live in list(self.live.values()):
                r = live.record
                r.lease_owner = r.lease_until = None
                r.wake_at = self.clock()
                writes.append(Write(r, owner=self.owner))
            if writes:
                self.store.commit(writes)
                self.store.notify()
        except Exception:  # pragma: no cover
            logger.exception("could not release the leases on shutdown")
        self.live.clear()
        self._names.clear()

    # ------------------------------------------------------------------ claiming work

    def _claim_loop(self) -> None:
        """Claim due executions on a thread of its own, so the queries (a few milliseconds on
        PostgreSQL) never hold up the commits of the loop; claimed rows go to the loop's inbox."""
        while self._running:
            now = self.clock()
            if now >= self._next_claim:
                try:
                    self._claim(now)
                except Exception as e:  # noqa: BLE001 - the database is away for a moment: poll again
                    logger.warning("claiming work failed: %s", e)
            self._claim_wakeup.wait(max(0.0, min(self._next_claim - self.clock(), self.poll_interval)))
            self._claim_wakeup.clear()

    def _claim(self, now: float) -> None:
        self._next_claim = now + self.poll_interval
        limit = min(self.claim_batch, self.max_held - len(self.live))
        if limit <= 0:
            return
        records = self._reclaim_orphans(now)
        records += self.store.claim(self.owner, now, now + self.lease_seconds, limit)
        if records:
            if not self._running:  # shutting down: give them back at once
                self._give_back(records)
                return
            self._inbox.put(("claimed", records, None))
            self._wakeup.set()
        if len(self.live) + len(records) < self.max_held:
            due = self.store.next_wake(now)
            if due is not None:
                self._next_claim = min(self._next_claim, max(due, now + 0.001))

    def _reclaim_orphans(self, now: float) -> list[ExecutionRecord]:
        """The committed rows of the executions a failed commit dropped (our lease still holds
        them, so no ordinary claim would). Those the store cannot give now stay for the next
        round; those another engine took meanwhile, or that ended, are left alone."""
        with self._orphans_lock:
            arns = list(self._orphans)
        records = []
        for arn in arns:
            record = self.store.claim_arn(self.owner, arn, now, now + self.lease_seconds)  # raises: next round
            with self._orphans_lock:
                self._orphans.discard(arn)
            if record is not None and record.status == RUNNING:
                records.append(record)
        return records

    def _give_back(self, records: list[ExecutionRecord]) -> None:
        """Release the leases of claimed executions this engine will not run."""
        now = self.clock()
        writes = []
        for r in records:
            r.lease_owner = r.lease_until = None
            r.wake_at = now
            writes.append(Write(r, owner=self.owner))
        self.store.commit(writes)
        self.store.notify()

    def _claim_one(self, record: ExecutionRecord, now: float) -> Live | None:
        claimed = self.store.claim_arn(self.owner, record.arn, now, now + self.lease_seconds)
        return self._resume(claimed) if claimed is not None else None

    def _resume(self, record: ExecutionRecord) -> Live | None:
        """Hold a claimed execution again, from its committed state. One that cannot be read
        back (its definition gone, its working state unreadable or not fitting its definition)
        fails, rather than be claimed again and again."""
        if record.status != RUNNING:
            return None
        try:
            machine = self._machines.get(record.definition_hash)
            if machine is None:
                definition = self.store.get_definition(record.definition_hash)
                if definition is None:
                    self._fail_stored(record, f"its definition {record.definition_hash} is missing")
                    return None
                _, machine = self._machine(definition)
            snapshot = json.loads(record.snapshot) if record.snapshot else None
        except StoreError as e:  # the database, for a moment: the lease runs out, and it is claimed again
            logger.warning("execution %s cannot be resumed now: %s", record.arn, e)
            return None
        except Exception as e:  # noqa: BLE001 - what was stored cannot be read back
            self._fail_stored(record, f"its stored state cannot be read: {type(e).__name__}: {e}")
            return None
        return self._adopt(machine, record, snapshot, new=False)

    def _renew(self, now: float) -> None:
        self._next_renew = now + self.lease_seconds / 3
        held = [arn for arn, live in self.live.items() if not live.new]
        for arn in self.store.renew(self.owner, held, now + self.lease_seconds):
            live = self.live.get(arn)
            if live is not None:
                logger.warning("lost the lease on %s", arn)
                self._release(live)


def new_record(*, state_machine_arn: str, state_machine_name: str, name: str, input_text: str, digest: str,
               now: float, role_arn: str | None = None, parent_arn: str | None = None, version_arn: str | None = None,
               alias_arn: str | None = None, trace_header: str | None = None, parent_token: str | None = None,
               parent_wait: str | None = None, test_case: str | None = None, **_: Any) -> ExecutionRecord:
    """The row of a new RUNNING execution (its ARN made from the state machine's)."""
    parts = state_machine_arn.split(":")
    region, account = parts[3], parts[4]
    return ExecutionRecord(
        arn=":".join(parts[:5]) + f":execution:{state_machine_name}:{name}", name=name,
        state_machine_arn=state_machine_arn, state_machine_name=state_machine_name, definition_hash=digest,
        status=RUNNING, input=input_text, role_arn=role_arn or f"arn:aws:iam::{account}:role/stepline-execution-role",
        start_time=now, region=region, account=account, parent_arn=parent_arn, version_arn=version_arn,
        alias_arn=alias_arn, trace_header=trace_header, parent_token=parent_token, parent_wait=parent_wait,
        test_case=test_case)


def enqueue(store: Store, *, definition: str, now: float | None = None, **fields: Any) -> ExecutionRecord:
    """Put a new execution in the store for any engine to claim and run (no engine needed
    here: a queue). Raises ExecutionExists when the name is taken."""
    digest = hashlib.sha256(definition.encode()).hexdigest()
    store.put_definition(digest, definition)
    now = time.time() if now is None else now
    record = new_record(digest=digest, now=now, **fields)
    record.wake_at = now
    if store.commit([Write(record, new=True)]).exists:
        raise ExecutionAlreadyExists(f"Execution Already Exists: '{record.arn}'")
    store.notify()
    return record


def _answer_existing(future: concurrent.futures.Future, record: ExecutionRecord, input_text: str) -> None:
    """A start of a name already taken: the same start again (RUNNING, same input) gets the
    execution, anything else ExecutionAlreadyExists."""
    if record.status == RUNNING and record.input == input_text:
        future.set_result(record)
    else:
        future.set_exception(ExecutionAlreadyExists(f"Execution Already Exists: '{record.arn}'"))


class _Texts:
    """The JSON text of values, each made once per commit of an execution: a state's output is
    the next state's input and maybe the execution's output, the same object (values are never
    changed once made, so the object stands for its text)."""

    __slots__ = ("memo",)

    def __init__(self) -> None:
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        if type(value) is dict or type(value) is list:
            known = self.memo.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            known = self.memo[id(value)] = (value, dumps(value))  # the value kept: its id is not reused
            return known[1]
        return dumps(value)


_KEYS: dict[str, str] = {}
_TRUNCATED = {"input": ',"inputDetails":{"truncated":false}', "output": ',"outputDetails":{"truncated":false}'}


def _event_records(arn: str, events: list, start: int, text: _Texts) -> list[EventRecord]:
    """The rows of ``events[start:]`` (the ones not committed yet) of the execution ``arn``."""
    return [EventRecord(arn, i, e[0], e[1], e[2], None if e[3] is None else _details_text(e[3], text))
            for i, e in enumerate(events[start:], start + 1)]


def _details_text(details: dict, text: _Texts) -> str:
    """``dumps(render_details(details))``, the stored ``<type>EventDetails``, written directly."""
    if len(details) == 2:  # most events: a state entered or exited (inlined: twice per transition)
        items = iter(details.items())
        k, name = next(items)
        if k == "name" and type(name) is str:
            k, value = next(items)
            if k == "input" and type(value) is not RawJson:
                return '{"name":' + encode_basestring(name) + ',"input":' + encode_basestring(text(value)) + \
                    ',"inputDetails":{"truncated":false}}'
            if k == "output" and type(value) is not RawJson:
                return '{"name":' + encode_basestring(name) + ',"output":' + encode_basestring(text(value)) + \
                    ',"outputDetails":{"truncated":false}}'
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


def _waits_for_child(call: TaskCall) -> bool:
    """A ``states:startExecution.sync`` task: answered when the child ends (like a callback)."""
    r = call.resource
    return r.kind == "service" and r.service == "states" and r.pattern in ("sync", "sync:2")


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
