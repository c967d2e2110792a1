"""Task tokens and activity workers: SendTaskSuccess/Failure/Heartbeat and GetActivityTask.

A task token names its execution (see :mod:`stepline.ids`), so a result sent with it goes to
that execution as a signal through the store, to whichever engine holds the execution. A token
is open while the execution's committed working state still waits on it: engines hand a token
out only after the commit that scheduled its task, so a token that is not there any more
belongs to a task that ended (AWS's TaskTimedOut).
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from .. import ids
from ..store import Signal, Store
from .errors import ServiceError
from .machines import Registry

MAX_POLL_S = 60.0


class Tasks:
    def __init__(self, store: Store, registry: Registry, clock: Callable[[], float] = time.time,
                 wake_engine: Callable[[], None] | None = None) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.wake_engine = wake_engine or (lambda: None)
        self.max_poll_seconds = MAX_POLL_S

    def _open(self, token: Any) -> str:
        """The execution a token of an open task belongs to, or AWS's error."""
        arn = ids.token_execution(token) if isinstance(token, str) else None
        if arn is None:
            raise ServiceError("InvalidToken", "Invalid token")
        record = self.store.get_execution(arn)
        if record is None:
            raise ServiceError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'")
        if record.status != "RUNNING" or record.snapshot is None or token not in record.snapshot:
            raise ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
        return arn

    def _signal(self, arn: str, kind: str, body: dict) -> None:
        if not self.store.send_signal(Signal(ids.new_uuid(), arn, kind, json.dumps(body), self.clock())):
            raise ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
        self.store.notify()
        self.wake_engine()

    def send_task_success(self, p: dict) -> dict:
        arn = self._open(p["taskToken"])
        try:
            json.loads(p["output"])
        except ValueError as e:
            raise ServiceError("InvalidOutput", f"Invalid Output: '{e}'") from None
        self._signal(arn, "task-success", {"token": p["taskToken"], "output": p["output"]})
        return {}

    def send_task_failure(self, p: dict) -> dict:
        arn = self._open(p["taskToken"])
        self._signal(arn, "task-failure", {"token": p["taskToken"], "error": p.get("error"), "cause": p.get("cause")})
        return {}

    def send_task_heartbeat(self, p: dict) -> dict:
        arn = self._open(p["taskToken"])
        self._signal(arn, "task-heartbeat", {"token": p["taskToken"]})
        return {}

    def poll_activity_task(self, p: dict) -> dict | None:
        """One attempt of GetActivityTask: the task given to this worker, or None (the caller
        waits and asks again, up to :data:`MAX_POLL_S`)."""
        arn, _, _ = self.registry.activity(p["activityArn"])
        worker = p.get("workerName") or "default"
        task = self.store.take_activity_task(arn, worker, self.clock())
        if task is None:
            return None
        self.store.send_signal(Signal(ids.new_uuid(), task.execution_arn, "activity-started",
                                      json.dumps({"token": task.token, "worker": worker}), self.clock()))
        self.store.notify()
        self.wake_engine()
        return {"taskToken": task.token, "input": task.input}

    def get_activity_task(self, p: dict) -> dict:
        """GetActivityTask for callers that can block a thread (the HTTP layer polls instead)."""
        deadline = time.monotonic() + self.max_poll_seconds
        while True:
            found = self.poll_activity_task(p)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                return {}
            self.store.wait(min(1.0, max(0.0, deadline - time.monotonic())))
