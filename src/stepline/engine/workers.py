"""The engine's task workers: the pool that calls tasks, what is in flight, and how much more work
an engine of a fleet should take.

Tasks run on a thread pool; each completion is queued for the engine's loop, which alone
applies it. The same counts decide an engine's share of a fleet's work: alone, it takes all it
may hold; one of several takes a new start or claim only while it is not behind (its tasks
waiting for a worker would start within BEHIND_S, by what tasks have taken lately) and has at
most SHARE_SLACK more tasks in flight than the least loaded other engine, as that one last said.
"""

from __future__ import annotations

import concurrent.futures
import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..integrations import Integrations
from ..interpreter.frames import TaskCall
from .tasks import Completion, call_task

#: one of several engines is behind when the tasks waiting for its task workers would take this
#: long to start (by what its tasks have taken lately); it then takes no more, and lets go of more
BEHIND_S = 0.1
UNKNOWN_TASK_S = 1.0  # what a task is taken to last before one has been timed
#: one of several engines takes new work (a start, a claim) only while its tasks in flight are at
#: most this many more than those of the least loaded other engine (as it last said): work goes
#: to the idle engines of a fleet rather than queue behind the one that received it
SHARE_SLACK = 1


class TaskWorkers:
    def __init__(self, integrations: Integrations, size: int, wakeup: Callable[[], None]) -> None:
        """``wakeup`` is called (from a pool thread) when a completion is queued."""
        self.integrations = integrations
        self.size = size
        self.busy = 0                           # tasks given to the pool and not answered yet
        self.task_seconds: float | None = None  # how long tasks have taken lately (a moving average)
        self.others = 0                         # the other engines alive, as last seen
        self.least_loaded = 0                   # the fewest tasks in flight of any of them
        self._wakeup = wakeup
        self._completions: queue.SimpleQueue = queue.SimpleQueue()
        self._pool = concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix="stepline-task")

    def submit(self, owner: Any, call: TaskCall) -> None:
        """Call ``call``'s task on the pool; its completion comes back with ``owner``."""
        self.busy += 1
        self._pool.submit(self._run, owner, call)

    def _run(self, owner: Any, call: TaskCall) -> None:
        started = time.monotonic()
        completion = call_task(self.integrations, call)
        self._completions.put((owner, call, completion, time.monotonic() - started))
        self._wakeup()

    def completions(self) -> Iterator[tuple[Any, TaskCall, Completion]]:
        """(The engine's loop.) The tasks answered since last asked, each counted out."""
        while True:
            try:
                owner, call, completion, seconds = self._completions.get_nowait()
            except queue.Empty:
                return
            self.busy -= 1
            known = self.task_seconds
            self.task_seconds = seconds if known is None else 0.9 * known + 0.1 * seconds
            yield owner, call, completion

    def seen(self, loads: list[int]) -> None:
        """What the other engines alive have in hand, as their last beats said."""
        self.others, self.least_loaded = len(loads), min(loads, default=0)

    @property
    def pending(self) -> bool:
        return not self._completions.empty()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ a share of a fleet's work

    def behind(self, more: int = 0) -> bool:
        """Whether, one of several engines, its tasks waiting for a worker (and ``more``) would
        take longer than BEHIND_S to start. Alone, an engine is never behind: nobody else
        would take its work."""
        if not self.others:
            return False
        waiting = self.busy + more - self.size
        if waiting <= 0:
            return False
        seconds = self.task_seconds if self.task_seconds is not None else UNKNOWN_TASK_S
        return waiting * seconds / self.size > BEHIND_S

    def over_share(self, more: int = 0) -> bool:
        """Whether, one of several engines, it has (with ``more``) over SHARE_SLACK more tasks in
        flight than the least loaded other engine."""
        return bool(self.others) and self.busy + more > self.least_loaded + SHARE_SLACK

    def may_take(self, more: int = 0) -> bool:
        """Whether it should take ``more`` new work now (not behind, not over its share)."""
        return not self.behind(more) and not self.over_share(more)

    def claim_limit(self, room: int) -> int:
        """How many due executions to claim, given ``room`` for more held: one of several takes
        no more than its free task workers can start (the others take the rest)."""
        if self.others:
            return min(room, max(1, self.size - self.busy))
        return room
