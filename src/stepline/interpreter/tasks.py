"""Task states: prepare the call, record its events, and take its result or error.

The interpreter never calls anything: :meth:`Tasks.run` builds a :class:`TaskCall` and returns
it as the request; the engine runs it and reports with ``succeeded``,
``failed`` or ``timed_out``. Events follow the resource: a Lambda function ARN records
``LambdaFunction*`` events, an activity ``Activity*`` events, a service integration
(``arn:aws:states:::service:action``) ``Task*`` events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..asl import errors
from ..asl.errors import StatesError
from ..asl.jsonpath import PathNotFound
from ..asl.model import Resource, TaskState
from ..asl.values import JSON, size_in_bytes
from . import history, io
from .frames import RUNNING, WAITING, Frame, TaskCall
from .history import append

if TYPE_CHECKING:  # pragma: no cover
    from .core import Interpreter


class Tasks:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    # ------------------------------------------------------------------ scheduling

    def run(self, frame: Frame, st: TaskState, now: float) -> Any:
        """A JSONPath Task state: its input after InputPath and Parameters."""
        call = self._call(frame, st, now)
        data = frame.data
        effective = data if st.input_path is None else io.input_path(frame, st, data)
        call.input = st.parameters(effective, frame) if st.parameters is not None else effective
        if st.timeout_seconds_path is not None:
            call.timeout = _seconds_from_path(st.timeout_seconds_path, effective, frame, "TimeoutSecondsPath")
        if st.heartbeat_seconds_path is not None:
            call.heartbeat = _seconds_from_path(st.heartbeat_seconds_path, effective, frame, "HeartbeatSecondsPath")
        return self._schedule(frame, st, call, now)

    def run_jsonata(self, frame: Frame, st: TaskState, now: float) -> Any:
        """A JSONata Task state: its input is its Arguments (or its input)."""
        call = self._call(frame, st, now)
        data = frame.data
        bindings = io.bindings(frame, data, now)
        call.input = st.arguments(bindings, now) if st.arguments is not None else data
        if st.timeout_seconds_expr is not None:
            call.timeout = _positive(io.jsonata_number(st.timeout_seconds_expr, bindings, now, "TimeoutSeconds",
                                                       integer=True), "TimeoutSeconds")
        if st.heartbeat_seconds_expr is not None:
            call.heartbeat = _positive(io.jsonata_number(st.heartbeat_seconds_expr, bindings, now, "HeartbeatSeconds",
                                                         integer=True), "HeartbeatSeconds")
        return self._schedule(frame, st, call, now)

    def _call(self, frame: Frame, st: TaskState, now: float) -> TaskCall:
        resource = st.resource
        if resource.pattern == "waitForTaskToken":
            token = self.interpreter.new_token(frame.execution.arn)
            frame._ctx = None  # $$.Task.Token is visible while the parameters are built
        else:
            token = None
        call = TaskCall(frame, st, resource, token, frame.retry_count, now)
        frame.task = call
        return call

    def _schedule(self, frame: Frame, st: TaskState, call: TaskCall, now: float) -> TaskCall:
        limit = self.interpreter.payload_limit
        g = st.input_growth
        if (g is None or g.a + g.b * frame.size > limit) and size_in_bytes(call.input) > limit:
            raise StatesError(errors.DATA_LIMIT_EXCEEDED,
                              f"The state/task '{st.name}' has an input with a size exceeding the maximum number of "
                              "bytes service limit.", in_state=False)
        if call.timeout is None:
            call.timeout = st.timeout_seconds
        if call.heartbeat is None:
            call.heartbeat = st.heartbeat_seconds
        self._scheduled(frame, call, now)
        frame.phase = WAITING
        return call

    def _scheduled(self, frame: Frame, call: TaskCall, now: float) -> None:
        r = call.resource
        if r.kind == "lambda":
            details = {"resource": r.arn, "input": call.input}
            if call.timeout is not None:
                details["timeoutInSeconds"] = int(call.timeout)
            append(frame, history.LAMBDA_SCHEDULED, now, details)
            append(frame, history.LAMBDA_STARTED, now)
        elif r.kind == "activity":
            details = {"resource": r.arn, "input": call.input}
            if call.timeout is not None:
                details["timeoutInSeconds"] = int(call.timeout)
            if call.heartbeat is not None:
                details["heartbeatInSeconds"] = int(call.heartbeat)
            append(frame, history.ACTIVITY_SCHEDULED, now, details)
        else:
            details = {"resourceType": r.service, "resource": _resource_name(r), "region": frame.execution.region,
                       "parameters": call.input}
            if call.timeout is not None:
                details["timeoutInSeconds"] = int(call.timeout)
            if call.heartbeat is not None:
                details["heartbeatInSeconds"] = int(call.heartbeat)
            append(frame, history.TASK_SCHEDULED, now, details)
            append(frame, history.TASK_STARTED, now, {"resourceType": r.service, "resource": _resource_name(r)})

    def started(self, call: TaskCall, worker_name: str | None, now: float) -> None:
        """An activity worker took the task (ActivityStarted)."""
        frame = call.frame
        if frame.task is call:
            append(frame, history.ACTIVITY_STARTED, now, {"workerName": worker_name} if worker_name else None)

    def submitted(self, call: TaskCall, output: JSON, now: float) -> None:
        """A .sync or .waitForTaskToken request went through (TaskSubmitted)."""
        frame = call.frame
        if frame.task is call:
            r = call.resource
            append(frame, history.TASK_SUBMITTED, now, {"resourceType": r.service, "resource": _resource_name(r),
                                                        "output": output})

    # ------------------------------------------------------------------ outcomes

    def succeeded(self, call: TaskCall, result: JSON, now: float, size: int | None = None) -> Any:
        frame = call.frame
        if frame.task is not call or frame.phase != WAITING or frame.execution.status != RUNNING:
            return None  # the task was abandoned (retried, stopped, timed out)
        r = call.resource
        limit = self.interpreter.payload_limit
        result_size = size if size is not None and size <= limit else size_in_bytes(result)
        if result_size > limit:
            name = r.arn if r.kind in ("lambda", "activity") else r.service
            return self.failed(call, errors.DATA_LIMIT_EXCEEDED,
                               f"The state/task '{name}' returned a result with a size exceeding the maximum number "
                               "of bytes service limit.", now)
        if r.kind == "lambda":
            append(frame, history.LAMBDA_SUCCEEDED, now, {"output": result})
        elif r.kind == "activity":
            append(frame, history.ACTIVITY_SUCCEEDED, now, {"output": result})
        else:
            append(frame, history.TASK_SUCCEEDED, now, {"resourceType": r.service, "resource": _resource_name(r),
                                                        "output": result})
        interpreter = self.interpreter
        try:
            outcome = interpreter.complete(frame, call.state, result, now, result_size)
        except StatesError as e:
            outcome = interpreter.state_failed(frame, call.state, e, now)
        return interpreter.continue_after(frame, outcome, now)

    def failed(self, call: TaskCall, error: str | None, cause: str | None, now: float) -> Any:
        frame = call.frame
        if frame.task is not call or frame.phase != WAITING or frame.execution.status != RUNNING:
            return None
        r = call.resource
        details = {"error": error, "cause": cause}
        if r.kind == "lambda":
            append(frame, history.LAMBDA_FAILED, now, details)
        elif r.kind == "activity":
            append(frame, history.ACTIVITY_FAILED, now, details)
        else:
            append(frame, history.TASK_FAILED, now, {"resourceType": r.service, "resource": _resource_name(r),
                                                     **details})
        return self._after_failure(frame, call, error, cause, now)

    def timed_out(self, call: TaskCall, now: float, *, heartbeat: bool = False) -> Any:
        frame = call.frame
        if frame.task is not call or frame.phase != WAITING or frame.execution.status != RUNNING:
            return None
        error = errors.HEARTBEAT_TIMEOUT if heartbeat else errors.TIMEOUT
        r = call.resource
        if r.kind == "lambda":
            append(frame, history.LAMBDA_TIMED_OUT, now, {"error": error})
        elif r.kind == "activity":
            append(frame, history.ACTIVITY_TIMED_OUT, now, {"error": error})
        else:
            append(frame, history.TASK_TIMED_OUT, now, {"resourceType": r.service, "resource": _resource_name(r),
                                                        "error": error})
        return self._after_failure(frame, call, error, None, now)

    def _after_failure(self, frame: Frame, call: TaskCall, error: str | None, cause: str | None, now: float) -> Any:
        interpreter = self.interpreter
        outcome = interpreter.handle_error(frame, call.state, error, cause, now)
        return interpreter.continue_after(frame, outcome, now)


def _resource_name(r: Resource) -> str | None:
    if r.pattern == "request-response":
        return r.action
    return f"{r.action}.{r.pattern}"


def _positive(value: int, field: str) -> int:
    if value <= 0:
        raise errors.QueryEvaluationError(f"The {field} field must be a positive integer, but was {value}",
                                          location=field)
    return value


def _seconds_from_path(getter: Any, data: JSON, frame: Frame, field: str) -> int:
    try:
        value = getter(data, frame)
    except PathNotFound as e:
        raise StatesError(errors.RUNTIME, f"Invalid path for {field}: {e}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() or value <= 0:
        raise StatesError(errors.RUNTIME, f"The {field} field must reference a positive integer, but was: {value!r}")
    return int(value)
