"""Task targets: what a Task state's ``Resource`` calls, one small module per kind.

:class:`Integrations` takes a parsed resource and the task's input and returns the result,
or raises :class:`TaskFailure` with the error name and cause that AWS would report. It knows
nothing of executions or history; the engine calls it and reports back to the interpreter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, cast

from .. import config
from ..asl.model import Resource
from ..asl.values import JSON, NotJson, checked_copy, parse_json
from .functions import FunctionError, FunctionNotFound, Functions, function, lambda_invoke_result

__all__ = ["Integrations", "TaskFailure", "Functions", "function", "task_context"]

logger = logging.getLogger("stepline.integrations")


class TaskFailure(Exception):
    """The task failed: ``error`` and ``cause`` as the history records them."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause


class Service(Protocol):
    """An integration with a service (``arn:aws:states:::SERVICE:ACTION[.pattern]``): runs the
    call and returns its result (the TaskSucceeded output; for ``.waitForTaskToken``, what
    TaskSubmitted records), or raises :class:`TaskFailure`."""

    def __call__(self, resource: Resource, payload: JSON, *, timeout: float | None, token: str | None,
                 **context: Any) -> JSON: ...


class RemoteLambda(Service, Protocol):
    """The ``lambda`` integration, when registered (AWS Lambda): it also invokes a function by ARN."""

    def invoke_function(self, arn: str, payload: JSON) -> JSON: ...


_CONTEXT_KEYS = ("execution_arn", "state_machine_name", "state_name", "attempt", "test_case")


class TaskContext:
    """What a task call tells its integration besides the input: which execution and state it
    comes from (mocks answer by state; nested executions link to their parent). A mapping
    read only when an integration asks (``**context``): a Lambda function is called without it."""

    __slots__ = ("_call",)

    def __init__(self, call: Any) -> None:
        self._call = call

    def keys(self) -> tuple[str, ...]:
        return _CONTEXT_KEYS

    def __getitem__(self, key: str) -> Any:
        call = self._call
        if key == "execution_arn":
            return call.frame.execution.arn
        if key == "state_machine_name":
            return call.frame.execution.state_machine_name
        if key == "state_name":
            return call.state.name
        if key == "attempt":
            return call.attempt
        if key == "test_case":
            return call.frame.execution.test_case
        raise KeyError(key)


def task_context(call: Any) -> TaskContext:
    """The context of a task call, for :meth:`Integrations.invoke` and its interceptor."""
    return TaskContext(call)


_NO_CONTEXT: dict[str, Any] = {}


class Integrations:
    """The task targets of one installation. ``services`` maps a resource's service name
    (``http``, ``states``, ``aws-sdk:s3``, ...) to the integration that serves it; each lives
    in a module of its own and is registered here by :meth:`register`."""

    def __init__(self, functions: Functions | None = None, *, region: str | None = None,
                 account: str | None = None) -> None:
        self.functions = functions or Functions()
        self.region = region or config.region()
        self.account = account or config.account()
        self.services: dict[str, Service] = {}
        #: a stand-in called before the real target (mocked responses): returns (True, result)
        #: to answer instead, or (False, None) to go on; may raise TaskFailure
        self.interceptor: Callable[..., tuple[bool, Any]] | None = None

    def register(self, service: str, integration: Service) -> None:
        self.services[service] = integration

    def invoke(self, resource: Resource, payload: JSON, *, timeout: float | None = None, token: str | None = None,
               context: Any = _NO_CONTEXT, **extra: Any) -> tuple[JSON, int | None]:
        """Run the task to completion (request-response): its result, and a bound of the
        result's size as JSON when one is known without measuring (else None). ``context`` (a
        :func:`task_context`) carries what some integrations need (``execution_arn``,
        ``state_name``, ...), ``extra`` what one caller passes to them (TestState's trace)."""
        if self.interceptor is not None:
            mocked, result = self.interceptor(resource, payload, token=token, **context)
            if mocked:
                return result, None
        # real AWS Lambda, when configured: for names not served here
        remote = cast("RemoteLambda | None", self.services.get("lambda"))
        if resource.kind == "lambda":
            if remote is not None and (resource.name or "") not in self.functions:
                return remote.invoke_function(resource.arn, payload), None
            invocation = self._function(resource.name, payload, timeout, resource.arn)
            return invocation.payload, invocation.raw_size
        service = resource.service or ""
        if resource.kind == "service" and service == "lambda" and resource.action == "invoke" \
                and resource.pattern in ("request-response", "waitForTaskToken"):
            if remote is None or not isinstance(payload, dict) or \
                    _function_name(str(payload.get("FunctionName", ""))) in self.functions:
                return self._lambda_invoke(payload, timeout), None
        integration = None
        if resource.kind == "service":
            integration = self.services.get(service)
            if integration is None and service.startswith("aws-sdk:"):
                integration = self.services.get("aws-sdk:*")
        if integration is not None:
            result = integration(resource, payload, timeout=timeout, token=token, **context, **extra)
            try:  # what a service answered enters here: refused if stepline could not write it back
                return checked_copy(result)
            except NotJson as e:
                raise TaskFailure("States.Runtime", f"The result of the task cannot be used: {e}") from None
        raise TaskFailure("States.TaskFailed", f"stepline cannot run the resource '{resource.arn}' in this mode: "
                                               "no integration is available for it")

    def _function(self, name: str | None, payload: JSON, timeout: float | None, arn: str | None = None) -> Any:
        try:
            return self.functions.invoke(name or "", payload, timeout, self.region, self.account)
        except FunctionNotFound:  # (AWS's error in the history; what is served, in the log)
            served = ", ".join(sorted(self.functions.names())) or "none: give --functions MODULE_OR_PATH"
            logger.warning("no Python function is named %r; the functions served are %s", name, served)
            arn = arn or f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
            raise TaskFailure("Lambda.ResourceNotFoundException",
                              f"Function not found: {arn}:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: "
                              "ResourceNotFoundException; Request ID: 00000000-0000-0000-0000-000000000000; "
                              "Proxy: null)") from None
        except FunctionError as e:
            raise TaskFailure(e.error, e.cause) from None

    def _lambda_invoke(self, params: JSON, timeout: float | None) -> JSON:
        if not isinstance(params, dict) or not isinstance(params.get("FunctionName"), str):
            raise TaskFailure("States.Runtime", "The parameters of lambda:invoke need a string 'FunctionName'")
        name = _function_name(params["FunctionName"])
        payload = params.get("Payload", {})
        if isinstance(payload, str):
            try:
                payload = parse_json(payload)
            except NotJson:
                pass
        arn = params["FunctionName"] if params["FunctionName"].startswith("arn:") else None
        return lambda_invoke_result(self._function(name, payload, timeout, arn))


def _function_name(name_or_arn: str) -> str:
    """``my-fn``, ``my-fn:alias``, ``123456789012:function:my-fn`` or a full ARN -> ``my-fn``."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]
