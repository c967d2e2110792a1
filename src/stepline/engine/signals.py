"""What comes to the executions an engine holds from outside it, through the store: StopExecution
from another process, SendTask* answers, an activity worker taking a task, UpdateMapRun. Each
signal is applied once: the commit that records its effect deletes it.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from ..asl import errors
from ..asl.values import NotJson, parse_json
from ..interpreter.frames import RUNNING, TaskCall
from ..store import SignalKind, Store
from .held import Held, Holding

if TYPE_CHECKING:  # pragma: no cover
    from .durable import Engine

logger = logging.getLogger("stepline.engine")


class Signals:
    def __init__(self, engine: Engine, store: Store, holding: Holding) -> None:
        self.engine = engine
        self.store = store
        self.holding = holding

    def take(self) -> None:
        """Apply the signals waiting for the executions held here."""
        holding = self.holding
        if not holding.live:
            return
        try:
            found = self.store.signals_for(self.engine.owner)
        except Exception as e:  # noqa: BLE001 - the database is away for a moment: the next poll tries again
            logger.warning("reading signals failed: %s", e)
            return
        for signal in found:
            held = holding.live.get(signal.execution_arn)
            if held is None or signal.id in held.signals_seen or held.new:
                continue
            held.signals_seen.add(signal.id)
            holding.mark(held)
            if held.execution.status == RUNNING:
                try:
                    body = json.loads(signal.body)
                except ValueError:
                    body = None
                if type(body) is not dict:  # not written by stepline: nothing to apply
                    logger.error("signal %s for %s ignored: its body is not a JSON object", signal.kind,
                                 signal.execution_arn)
                else:
                    try:
                        if self._early(held, signal.id, signal.kind, body):
                            continue  # kept until its task's request is out (see _early)
                        self.apply(held, signal.kind, body)
                    except Exception as e:  # noqa: BLE001 - it fails alone (see Engine.poison)
                        self.engine.poison(held, e, f"apply a {signal.kind} signal")
            held.signals_done.append(signal.id)

    def _early(self, held: Held, signal_id: str, kind: str, body: dict) -> bool:
        """An answer that came before its task's request was out (the child of a ``.sync``
        task that ended at once, a callback answered from inside the function that got the
        token): it waits for the request's result, so the history says TaskSubmitted first.
        It stays in the store until applied."""
        if kind != SignalKind.TASK_SUCCESS and kind != SignalKind.TASK_FAILURE:
            return False
        call = held.callbacks.get(body.get("token", ""))
        if call is None or call.waiting_since is not None or call.resource.kind == "activity" \
                or call.frame.task is not call:
            return False
        held.early[call.token] = (signal_id, kind, body)  # type: ignore[index]
        return True

    def apply_early(self, held: Held, call: TaskCall) -> None:
        """The request of ``call`` is out: an answer kept for it applies now."""
        early = held.early.pop(call.token, None) if call.token is not None else None
        if early is not None:
            signal_id, kind, body = early
            self.apply(held, kind, body)
            held.signals_done.append(signal_id)

    def apply(self, held: Held, kind: str, body: dict) -> None:
        engine = self.engine
        interp = engine.interpreter
        now = engine.clock()
        if kind == SignalKind.STOP:
            interp.stop(held.execution, body.get("error"), body.get("cause"), now)
            return
        if kind == SignalKind.MAP_RUN_UPDATE:
            group = (held.execution.map_run_groups or {}).get(body.get("mapRunArn", ""))
            if group is not None:
                engine.handle(held, interp.maps.update_map_run(
                    group, now, max_concurrency=body.get("maxConcurrency"),
                    tolerated_percentage=body.get("toleratedFailurePercentage"),
                    tolerated_count=body.get("toleratedFailureCount")))
            return
        call = held.callbacks.get(body.get("token", ""))
        if call is None or call.frame.task is not call:
            return  # the task ended meanwhile (timed out, stopped): the answer comes too late
        if kind == SignalKind.ACTIVITY_STARTED:
            interp.tasks.started(call, body.get("worker"), now)
            call.waiting_since = now
            engine.heartbeat_timer(held, call)
        elif kind == SignalKind.TASK_HEARTBEAT:
            if call.waiting_since is not None:
                call.waiting_since = now
                engine.heartbeat_timer(held, call)
        elif kind == SignalKind.TASK_SUCCESS:
            engine.callback_over(held, call)
            try:
                output = parse_json(body.get("output", ""))
            except NotJson as e:  # (an answer an older API took before it checked them all)
                engine.handle(held, interp.task_failed(call, errors.RUNTIME,
                                                       f"The result of the task cannot be used: {e}", now))
                return
            engine.handle(held, interp.task_succeeded(call, output, now))
        elif kind == SignalKind.TASK_FAILURE:
            engine.callback_over(held, call)
            engine.handle(held, interp.task_failed(call, body.get("error"), body.get("cause"), now))
