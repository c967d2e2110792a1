"""The durable engine's timers: a heap of what is due when, for the executions it holds.

Every wait is also a row's ``wake_at`` in the store (see the committer), so a timer survives
the engine; this heap is how the engine that holds an execution knows when to act.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from enum import Enum
from typing import Any

from .held import Held, Holding


class Due(Enum):
    WAKE = "wake"                            # a Wait state ended, or a retry's backoff
    TASK_TIMEOUT = "task-timeout"            # a task's TimeoutSeconds
    HEARTBEAT = "heartbeat"                  # a task's HeartbeatSeconds since its last heartbeat
    EXECUTION_TIMEOUT = "execution-timeout"  # the state machine's TimeoutSeconds


class Timers:
    def __init__(self, holding: Holding) -> None:
        self.holding = holding
        self._heap: list[tuple[float, int, Due, Held, Any]] = []
        self._seq = 0

    def arm(self, held: Held, due: float, kind: Due, target: Any = None) -> None:
        self._seq += 1
        held.timers[self._seq] = due
        heapq.heappush(self._heap, (due, self._seq, kind, held, target))

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def due(self, now: float) -> Iterator[tuple[Held, Due, Any]]:
        """The timers due by ``now`` of the executions still held, taken off the heap."""
        holding = self.holding
        if holding.stale_timers > 256 and 2 * holding.stale_timers > len(self._heap):
            self.drop_stale()  # most are stale: cheaper than skipping them one by one
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, seq, kind, held, target = heapq.heappop(heap)
            held.timers.pop(seq, None)
            if holding.holds(held):
                yield held, kind, target

    def drop_stale(self) -> None:
        """Drop the timers of executions let go, and so what they hold (their frames, data)."""
        self._heap = [t for t in self._heap if self.holding.holds(t[3])]
        heapq.heapify(self._heap)
        self.holding.stale_timers = 0
