"""Serve an activity from any process, on any machine that can reach the server:

    from stepline import ActivityWorker

    def resize(task):                       # the task's input, as JSON
        return {"url": make_thumbnail(task["url"])}

    ActivityWorker(ACTIVITY_ARN, resize, endpoint_url="http://stepline:8083").run()

The worker long-polls ``GetActivityTask``, calls the handler with the input, and answers with
``SendTaskSuccess`` (the return value) or ``SendTaskFailure`` (an exception: its class name is
the error, its message the cause). While a handler runs, a heartbeat is sent every
``heartbeat_seconds`` so a state with ``HeartbeatSeconds`` knows the worker is alive. It speaks
the AWS API, so it serves AWS Step Functions activities just as well.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.session import get_session

logger = logging.getLogger("stepline.activity")

#: AWS answers a long poll within 60 seconds; the client must wait a little longer
POLL_READ_TIMEOUT_S = 70


class ActivityWorker:
    def __init__(self, activity_arn: str, handler: Callable[[Any], Any], *, endpoint_url: str | None = None,
                 region: str | None = None, name: str | None = None, heartbeat_seconds: float | None = None,
                 client: Any = None) -> None:
        self.activity_arn = activity_arn
        self.handler = handler
        self.name = name or f"{socket.gethostname()}-{threading.get_ident()}"
        self.heartbeat_seconds = heartbeat_seconds
        self.client = client or get_session().create_client(
            "stepfunctions", endpoint_url=endpoint_url, region_name=region or activity_arn.split(":")[3],
            config=Config(read_timeout=POLL_READ_TIMEOUT_S, retries={"max_attempts": 3}))
        self._stop = threading.Event()

    def stop(self) -> None:
        """Finish the task in hand, then return from :meth:`run` (after the current poll)."""
        self._stop.set()

    def run(self, max_tasks: int | None = None) -> int:
        """Serve tasks until :meth:`stop` (or ``max_tasks`` were served); returns how many."""
        served = 0
        while not self._stop.is_set() and (max_tasks is None or served < max_tasks):
            if self.poll_once():
                served += 1
        return served

    def poll_once(self) -> bool:
        """Wait (up to a minute) for one task and serve it; False if none came."""
        task = self.client.get_activity_task(activityArn=self.activity_arn, workerName=self.name)
        token = task.get("taskToken")
        if not token:
            return False
        beating = threading.Event()
        beat = None
        if self.heartbeat_seconds:
            beat = threading.Thread(target=self._heartbeat, args=(token, beating), daemon=True,
                                    name="stepline-activity-heartbeat")
            beat.start()
        try:
            output = self.handler(json.loads(task["input"]))
        except Exception as e:  # noqa: BLE001 - the task fails; the worker goes on
            self._answer(self.client.send_task_failure, taskToken=token, error=type(e).__name__[:256],
                         cause=str(e)[:32768])
        else:
            self._answer(self.client.send_task_success, taskToken=token, output=json.dumps(output))
        finally:
            beating.set()
            if beat is not None:
                beat.join()
        return True

    def _heartbeat(self, token: str, done: threading.Event) -> None:
        assert self.heartbeat_seconds is not None
        while not done.wait(self.heartbeat_seconds):
            try:
                self.client.send_task_heartbeat(taskToken=token)
            except ClientError as e:  # the task ended (timed out): the answer will be refused too
                logger.warning("heartbeat refused: %s", e)
                return

    def _answer(self, send: Callable[..., Any], **kwargs: Any) -> None:
        try:
            send(**kwargs)
        except ClientError as e:  # TaskTimedOut, TaskDoesNotExist: too late, nothing to do
            logger.warning("the answer was refused: %s", e)
