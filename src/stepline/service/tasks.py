"""Task tokens and activity workers: SendTaskSuccess/Failure/Heartbeat and GetActivityTask.

A task token names its execution (see :mod:`stepline.ids`), so a result sent with it goes to
that execution as a signal through the store, to whichever engine holds the execution. A token
is open while the execution's committed working state still waits on it: engines hand a token
out only after the commit that scheduled its task, so a token that is not there any more
belongs to a task that ended (AWS's TaskTimedOut).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .. import ids
from ..asl.values import NotJson, dumps, parse_json
from ..store import Signal, SignalKind, Store
from .activities import Activities
from .errors import ServiceError

MAX_POLL_S = 60.0
_TIMED_OUT = ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")


class Tasks:
    def __init__(self, store: Store, activities: Activities, clock: Callable[[], float] = time.time,
                 wake_engine: Callable[[], None] | None = None) -> None:
        self.store = store
        self.activities = activities
        self.clock = clock
        self.wake_engine = wake_engine or (lambda: None)
        self.max_poll_seconds = MAX_POLL_S

    def _open(self, token: Any) -> tuple[str, bool]:
        """The execution an open task token belongs to, and whether the token is one handed out
        before stepline kept tokens (see :meth:`Store.answer_task`); else AWS's error."""
        arn = ids.token_execution(token) if isinstance(token, str) else None
        if arn is None:
            raise ServiceError("InvalidToken", "Invalid token")
        known = self.store.task_token(token)
        if known is None:
            record = self.store.get_execution(arn)
            if record is None:
                raise ServiceError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'")
            # kept nowhere: open only if the working state of an execution from before still waits on it
            if record.status == "RUNNING" and record.snapshot is not None and token in record.snapshot:
                return arn, True
        if not known:
            raise _TIMED_OUT
        return arn, False

    def _answer(self, token: str, arn: str, adopt: bool, kind: SignalKind, body: dict, *, close: bool) -> None:
        """Send the answer to the execution, closing the token with it when ``close``: of callers
        racing on one token, one is answered {} and the others TaskTimedOut, as AWS answers."""
        signal = Signal(ids.new_uuid(), arn, kind, dumps(body), self.clock())
        if not self.store.answer_task(token, signal, close=close, adopt=adopt):
            raise _TIMED_OUT
        self.store.notify()
        self.wake_engine()

    def send_task_success(self, p: dict) -> dict:
        token = p["taskToken"]
        arn, adopt = self._open(token)
        try:
            parse_json(p["output"])
        except NotJson as e:
            raise ServiceError("InvalidOutput", f"Invalid Output: '{e}'") from None
        self._answer(token, arn, adopt, SignalKind.TASK_SUCCESS, {"token": token, "output": p["output"]}, close=True)
        return {}

    def send_task_failure(self, p: dict) -> dict:
        token = p["taskToken"]
        arn, adopt = self._open(token)
        self._answer(token, arn, adopt, SignalKind.TASK_FAILURE,
                     {"token": token, "error": p.get("error"), "cause": p.get("cause")}, close=True)
        return {}

    def send_task_heartbeat(self, p: dict) -> dict:
        token = p["taskToken"]
        arn, adopt = self._open(token)
        self._answer(token, arn, adopt, SignalKind.TASK_HEARTBEAT, {"token": token}, close=False)
        return {}

    def poll_activity_task(self, p: dict) -> dict | None:
        """One attempt of GetActivityTask: the task given to this worker, or None (the caller
        waits and asks again, up to :data:`MAX_POLL_S`)."""
        arn, _, _ = self.activities.activity(p["activityArn"])
        worker = p.get("workerName") or "default"
        task = self.store.take_activity_task(arn, worker, self.clock())
        if task is None:
            return None
        self.store.send_signal(Signal(ids.new_uuid(), task.execution_arn, SignalKind.ACTIVITY_STARTED,
                                      dumps({"token": task.token, "worker": worker}), self.clock()))
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
