"""The engine's task workers: the pool that calls tasks, what is in flight, and how much more work
an engine of a fleet should take.

Tasks run on a thread pool; each completion is queued for the engine's loop, which alone
applies it. The same counts decide an engine's share of a fleet's work, measured in time: its
work in flight is its tasks in flight times what a task has taken lately. Alone, an engine
takes all it may hold. One of several takes a new start or claim only while it is not behind
(its tasks waiting for a worker would start within BEHIND_S) and its work in flight is at most
SHARE_SLACK_S more than the least loaded other engine's, as that one last said; it claims no
more than it could start within BEHIND_S. Tasks that take no time (a function that answers at
once) never hold an engine back; slow ones spread over the fleet.
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
#: one of several engines takes new work (a start, a claim) only while its work in flight is at
#: most this many seconds more than the least loaded other engine's (as it last said): work goes
#: to the idle engines of a fleet rather than queue behind the one that received it
SHARE_SLACK_S = 0.1


class TaskWorkers:
    def __init__(self, integrations: Integrations, size: int, wakeup: Callable[[], None]) -> None:
        """``wakeup`` is called (from a pool thread) when a completion is queued."""
        self.integrations = integrations
        self.size = size
        self.busy = 0                           # tasks given to the pool and not answered yet
        self.task_seconds: float | None = None  # how long tasks have taken lately (a moving average)
        self.others = 0                         # the other engines alive, as last seen
        self.least_loaded = 0.0                 # the least work in flight of any of them (seconds)
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

    @property
    def work_ms(self) -> int:
        """Its work in flight, as it tells the other engines: milliseconds of tasks."""
        return round(self.busy * (self.task_seconds or 0.0) * 1000)

    def seen(self, loads_ms: list[int]) -> None:
        """What the other engines alive have in hand, as their last beats said."""
        self.others, self.least_loaded = len(loads_ms), min(loads_ms, default=0) / 1000

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
        return waiting * self._task_s / self.size > BEHIND_S

    @property
    def _task_s(self) -> float:
        return self.task_seconds if self.task_seconds is not None else UNKNOWN_TASK_S

    def over_share(self, more: int = 0) -> bool:
        """Whether, one of several engines, its work in flight (with ``more`` tasks) would be over
        SHARE_SLACK_S more than the least loaded other engine's. One task it may always have."""
        n = self.busy + more
        return bool(self.others) and n > 1 and n * self._task_s > self.least_loaded + SHARE_SLACK_S

    def may_take(self, more: int = 0) -> bool:
        """Whether it should take ``more`` new work now (not behind, not over its share)."""
        return not self.behind(more) and not self.over_share(more)

    def claim_limit(self, room: int) -> int:
        """How many due executions to claim, given ``room`` for more held: one of several takes
        no more than it could start within BEHIND_S, were each to call a task (the others take
        the rest). Before any task has been timed there is no telling: as many as it has room for."""
        if self.others and self.task_seconds is not None:
            startable = self.size - self.busy + int(BEHIND_S * self.size / self._task_s)
            return min(room, max(1, startable))
        return room
