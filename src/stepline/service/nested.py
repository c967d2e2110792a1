"""Nested executions: the ``arn:aws:states:::states:startExecution`` task integration.

The task starts a child execution of another state machine, linked to its parent
(the child's row names its parent, so stopping the parent stops it).
Request-response answers with the start (``ExecutionArn``, ``StartDate``). With ``.sync``
and ``.sync:2`` the engine keeps the parent's task waiting; the child's end, committed, sends
the parent its DescribeExecution (``Output`` as text, or as JSON with ``:2``), or fails the
task with ``States.TaskFailed``. With ``.waitForTaskToken`` the token travels in the input
and whoever has it answers.
"""

from __future__ import annotations

from typing import Any

from ..asl.model import Resource
from ..asl.values import JSON, dumps
from ..integrations import Integrations, TaskFailure
from .errors import ServiceError
from .executions import Executions


class NestedExecutions:
    def __init__(self, executions: Executions) -> None:
        self.executions = executions

    def __call__(self, resource: Resource, payload: JSON, *, timeout: float | None, token: str | None,
                 **context: Any) -> JSON:
        if resource.action != "startExecution":
            raise TaskFailure("States.TaskFailed", f"stepline does not support the action states:{resource.action}")
        if not isinstance(payload, dict) or not isinstance(payload.get("StateMachineArn"), str):
            raise TaskFailure("States.Runtime", "The parameters of states:startExecution need a string "
                                                "'StateMachineArn'")
        given = payload.get("Input", {})
        input_text = given if isinstance(given, str) else dumps(given)
        waits = resource.pattern in ("sync", "sync:2")
        params = {"stateMachineArn": payload["StateMachineArn"], "input": input_text}
        if payload.get("Name") is not None:
            params["name"] = payload["Name"]
        if payload.get("TraceHeader") is not None:
            params["traceHeader"] = payload["TraceHeader"]
        try:
            started = self.executions.start_child(
                params, parent_arn=context.get("execution_arn"), parent_token=token if waits else None,
                parent_wait=resource.pattern if waits else None)
        except ServiceError as e:
            raise TaskFailure(f"StepFunctions.{e.code}Exception" if not e.code.endswith("Exception")
                              else f"StepFunctions.{e.code}", e.message) from None
        return {"ExecutionArn": started["executionArn"], "StartDate": int(started["startDate"] * 1000)}


def register_nested(integrations: Integrations, executions: Executions) -> None:
    integrations.register("states", NestedExecutions(executions))
