"""The executions one durable engine holds in memory, under its lease, and what each of them
owes the next commit.
"""

from __future__ import annotations

import concurrent.futures
from collections import deque

from ..interpreter import Execution
from ..interpreter import snapshot as snapshots
from ..interpreter.frames import ChildLog, Frame, TaskCall
from ..store import ActivityTask, ExecutionRecord


class Held:
    """An execution this engine holds: the interpreter's execution, its stored row, and what
    happened to it since its last commit that the commit must carry."""

    __slots__ = ("execution", "record", "committed", "new", "inflight", "ready", "timers", "waiters", "deferred",
                 "memo", "callbacks", "signals_seen", "signals_done", "activity_out", "activity_done", "map_runs",
                 "children", "early", "tokens_out", "tokens_done", "tokened", "cost", "evict", "poisoned", "child_logs")

    def __init__(self, execution: Execution, record: ExecutionRecord, committed: int, new: bool) -> None:
        self.execution = execution
        self.record = record
        self.committed = committed      # events already stored
        self.new = new                  # the row is not in the store yet
        self.inflight = 0               # tasks given to the pool, not yet answered
        self.ready = 0                  # frames in the engine's ready queue
        self.timers: dict[int, float] = {}  # timer seq -> due time, while armed
        self.waiters: list[concurrent.futures.Future] = []  # resolved with the record at the next commit
        self.deferred: list[TaskCall] = []  # tasks that may run once the commit that schedules them is done
        self.memo: snapshots.TextMemo | None = None  # made at its second snapshot
        self.callbacks: dict[str, TaskCall] = {}   # token -> a task waiting for SendTask*/an activity worker
        self.signals_seen: set[str] = set()        # signals applied (deleted from the store by the next commit)
        self.signals_done: list[str] = []
        self.activity_out: list[ActivityTask] = []  # activity tasks to make visible with the next commit
        self.activity_done: list[str] = []         # and those no longer wanted (by token)
        self.map_runs: dict[str, str] = {}         # Map Run ARN -> its description as last written
        self.children = False                      # it started nested executions (states:startExecution)
        self.early: dict[str, tuple[str, str, dict]] = {}  # token -> an answer that came before the request
        self.tokens_out: list[str] = []            # task tokens handed out with the next commit
        self.tokens_done: list[str] = []           # and those no longer waited for
        self.tokened = False                       # it has handed out task tokens (its end closes them)
        self.cost = 0                              # what holding it costs in memory, in bytes (an estimate)
        self.evict = False                         # its next commit gives it back to the store
        self.poisoned = False                      # it failed on a fault of stepline's own
        self.child_logs: list[ChildLog] = []       # Distributed Map children written with the next commit

    @property
    def arn(self) -> str:
        return self.record.arn

    @property
    def idle(self) -> bool:
        """It only waits (a timer, a callback, an activity worker): it may wait in the store."""
        return not (self.inflight or self.ready or self.early)


class Holding:
    """The executions held, by ARN and by (state machine, name); the frames ready to advance;
    those with something to commit; and what holding them costs."""

    def __init__(self) -> None:
        self.live: dict[str, Held] = {}
        self.names: dict[tuple[str, str], Held] = {}
        self.ready: deque[tuple[Held, Frame]] = deque()
        self.dirty: dict[str, Held] = {}
        self.bytes = 0             # the cost of the executions held (see Held.cost)
        self.stale_timers = 0      # timers armed for executions let go since (see Timers)

    def hold(self, held: Held) -> None:
        """Hold ``held``; a new one has its row to insert (one resumed has nothing to commit
        until something happens to it: its claim took the lease)."""
        self.live[held.arn] = held
        self.names[(held.record.state_machine_arn, held.record.name)] = held
        if held.new:
            self.dirty[held.arn] = held

    def holds(self, held: Held) -> bool:
        """Whether ``held`` is still the execution held under its ARN (not let go, not lost)."""
        return self.live.get(held.record.arn) is held

    def named(self, state_machine_arn: str, name: str) -> Held | None:
        return self.names.get((state_machine_arn, name))

    def mark(self, held: Held) -> None:
        """``held`` has something to commit."""
        self.dirty[held.record.arn] = held

    def push(self, held: Held, frame: Frame) -> None:
        held.ready += 1
        self.ready.append((held, frame))

    def weigh(self, held: Held, cost: int) -> None:
        self.bytes += cost - held.cost
        held.cost = cost

    def release(self, held: Held) -> None:
        """Let ``held`` go (ended, given back to the store, lost): forget it and what it holds."""
        r = held.record
        self.bytes -= held.cost
        held.cost = 0
        self.stale_timers += len(held.timers)
        if self.live.get(r.arn) is held:
            del self.live[r.arn]
        key = (r.state_machine_arn, r.name)
        if self.names.get(key) is held:
            del self.names[key]
        held.execution.root = None
        held.deferred.clear()

    def take_dirty(self) -> list[Held]:
        helds = list(self.dirty.values())
        self.dirty.clear()
        return helds
