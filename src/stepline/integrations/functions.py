"""Python functions as Lambda functions: the registry, loading, and Lambda's calling convention.

A function is any callable ``(event, context)``. Functions come from ``--functions``
(a module name or a ``.py`` path: its top-level functions by name), from a dict passed to
``stepline.run``, or from the :func:`function` decorator. They are called the way Lambda
calls a handler: the event is a fresh copy of the JSON input, the result must be JSON (or
``bytes`` holding the raw response payload), and an exception becomes Lambda's error shape
(``errorType`` = the exception's class name, ``errorMessage``, ``requestId``, ``stackTrace``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from email.utils import formatdate
from types import ModuleType
from typing import Any

from ..asl.values import JSON, NotJson, checked_copy, parse_json
from ..ids import new_uuid

Handler = Callable[[Any, Any], Any]

#: functions registered with the @stepline.function decorator
_registered: dict[str, Handler] = {}


def function(name: str | None = None) -> Callable[[Handler], Handler]:
    """Register a Python function under a Lambda function name: ``@stepline.function("charge")``."""
    def register(fn: Handler) -> Handler:
        _registered[name or fn.__name__] = fn
        return fn
    return register


def registered() -> Mapping[str, Handler]:
    """The functions registered with :func:`function` so far (do not change it)."""
    return _registered


class FunctionNotFound(LookupError):
    """No function of that name is registered."""


class FunctionError(Exception):
    """The function raised (or returned something Lambda would refuse): Lambda's error fields."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause


class LambdaContext:
    """The ``context`` argument, with the attributes handlers commonly read (made when read)."""

    __slots__ = ("function_name", "_region", "_account", "_request_id", "_deadline")
    function_version = "$LATEST"
    memory_limit_in_mb = 128

    def __init__(self, name: str, timeout: float | None, region: str, account: str) -> None:
        self.function_name = name
        self._region = region
        self._account = account
        self._request_id: str | None = None
        self._deadline = time.monotonic() + timeout if timeout else None

    @property
    def aws_request_id(self) -> str:
        if self._request_id is None:
            self._request_id = new_uuid()
        return self._request_id

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self._region}:{self._account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return self.aws_request_id

    def get_remaining_time_in_millis(self) -> int:
        if self._deadline is None:
            return 900_000
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Invocation:
    """What a function returned: the parsed payload and the raw response size (a plain class:
    a frozen dataclass's ``__init__`` costs a tenth of a whole one-Task execution)."""

    __slots__ = ("payload", "raw_size", "context", "raw")

    def __init__(self, payload: JSON, raw_size: int, context: LambdaContext, raw: bool = False) -> None:
        self.payload = payload
        self.raw_size = raw_size
        self.context = context
        self.raw = raw  # the function returned bytes (the size is that of the raw payload)

    @property
    def request_id(self) -> str:
        return self.context.aws_request_id


class Functions:
    """Named Python functions, looked up by Lambda function name."""

    def __init__(self, functions: Mapping[str, Handler] | None = None) -> None:
        self._functions: dict[str, Handler] = {**_registered, **functions} if functions else dict(_registered)

    def add(self, name: str, fn: Handler) -> None:
        self._functions[name] = fn

    def add_module(self, module: ModuleType) -> None:
        """Every public function the module has, its own and those it imports (``from handlers
        import *``), by name; those registered with :func:`function` win."""
        for name, value in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(value):
                self._functions[name] = value
        self._functions.update(_registered)

    def load(self, spec: str) -> None:
        """Load a module name or a ``.py`` file and add its public functions."""
        self.add_module(load_module(spec))

    def names(self) -> Iterable[str]:
        return self._functions.keys()

    def get(self, name: str) -> Handler:
        try:
            return self._functions[name]
        except KeyError:
            raise FunctionNotFound(name) from None

    def __contains__(self, name: str) -> bool:
        return name in self._functions

    def invoke(self, name: str, event: JSON, timeout: float | None = None, region: str = "us-east-1",
               account: str = "123456789012") -> Invocation:
        """Call the function as Lambda would; raise FunctionError for what Lambda reports as an error."""
        fn = self._functions.get(name)
        if fn is None:
            raise FunctionNotFound(name)
        context = LambdaContext(name, timeout, region, account)
        try:
            result = fn(copy_json(event), context)
        except Exception as e:  # the function's own failure, reported like Lambda's runtime does
            raise FunctionError(type(e).__name__, lambda_error(e, context.aws_request_id)) from None
        if isinstance(result, (bytes, bytearray)):
            raw = bytes(result)
            try:
                payload = parse_json(raw)
            except NotJson:
                payload = raw.decode("utf-8", errors="replace")
            return Invocation(payload, len(raw), context, raw=True)
        try:
            payload, size = checked_copy(result)
        except NotJson as e:
            raise FunctionError("Runtime.MarshalError", json.dumps({
                "errorMessage": f"Unable to marshal response: {e}", "errorType": "Runtime.MarshalError",
                "requestId": context.aws_request_id, "stackTrace": []})) from None
        return Invocation(payload, size, context)


_CONTAINERS = (dict, list)


def copy_json(value: JSON) -> JSON:
    """A private copy for user code (which may mutate its event)."""
    t = type(value)
    if t is dict:
        return {k: copy_json(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if t is list:
        return [copy_json(v) if type(v) in _CONTAINERS else v for v in value]
    return value


def lambda_error(e: BaseException, request_id: str) -> str:
    """Lambda's JSON error payload for an exception raised by a Python handler."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if not _is_ours(f.filename)]
    stack = [f'  File "{os.path.basename(f.filename)}", line {f.lineno}, in {f.name}\n    {(f.line or "").strip()}\n'
             for f in frames]
    return json.dumps({"errorMessage": str(e), "errorType": type(e).__name__, "requestId": request_id,
                       "stackTrace": stack}, separators=(",", ":"))


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _is_ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep)


def load_module(spec: str) -> ModuleType:
    """Import ``spec``: a path to a ``.py`` file or a module name (importable from the cwd)."""
    if spec.endswith(".py") or os.sep in spec or os.path.isfile(spec):
        path = os.path.abspath(spec)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no such functions file: {spec}")
        name = "stepline_functions_" + hashlib.sha1(path.encode()).hexdigest()[:12]
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load functions from {spec}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        return module
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return importlib.import_module(spec)


def lambda_invoke_result(invocation: Invocation) -> dict:
    """The result of ``arn:aws:states:::lambda:invoke``: Lambda's Invoke response as Step Functions shows it."""
    rid = invocation.request_id
    date = formatdate(usegmt=True)
    # Lambda's Python runtime writes the response with json.dumps' default separators
    length = str(invocation.raw_size if invocation.raw else len(json.dumps(invocation.payload).encode()))
    trace = f"Root=1-{new_uuid().replace('-', '')[:8]}-{new_uuid().replace('-', '')[:24]};Sampled=0"
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": invocation.payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"], "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"], "x-amzn-RequestId": [rid], "Content-Length": [length],
                "Date": [date], "X-Amzn-Trace-Id": [trace], "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive", "Content-Length": length, "Content-Type": "application/json",
                "Date": date, "X-Amz-Executed-Version": "$LATEST", "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": rid, "X-Amzn-Trace-Id": trace,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": rid},
        "StatusCode": 200,
    }
