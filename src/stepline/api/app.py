"""The HTTP server: the AWS JSON 1.0 protocol on one port, in front of the service.

``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Operation>`` (or ``AWSEvents.<Operation>``
for the EventBridge connection operations) and a JSON body. A request is authenticated
(SigV4, when credentials are configured: the headers before the body is read, the signature
after), its body read within a size limit and a time limit, parsed (refusing what stepline
could not write back, see :func:`stepline.asl.values.parse_json`) and checked against
botocore's model of the operation, and handed to the service on a worker thread; the answer is
the response object, or AWS's error shape ``{"__type", "message"}`` with AWS's HTTP status,
whatever went wrong. ``GetActivityTask`` long-polls without holding a thread, and stops when
its client goes away. ``GET /health`` says whether the engine runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import ids
from ..asl.values import JsonText, NotJson, parse_json
from ..service import INLINE, Service, ServiceError
from ..service.pending import Pending
from . import shapes
from .errors import ApiError

logger = logging.getLogger("stepline.api")

MAX_BODY = 2 * 1024 * 1024      # a 1 MiB definition, escaped as JSON text, with room to spare
BODY_TIMEOUT_S = 30.0           # a body not all there by then is not coming: the request is refused
SERVICES = {"AWSStepFunctions": "stepfunctions", "AWSEvents": "events"}
CONTENT_TYPES = {"stepfunctions": "application/x-amz-json-1.0", "events": "application/x-amz-json-1.1"}
POLL_INTERVALS = (0.02, 0.05, 0.1, 0.2, 0.25)


class _Response(Response):
    def __init__(self, body: Any, status: int, content_type: str, request_id: str) -> None:
        try:
            if isinstance(body, JsonText):  # written already (GetExecutionHistory: the stored events)
                text = body.encode("utf-8")
            else:
                text = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # (a lone surrogate in a stored value: escaped, as JSON may)
            text = json.dumps(body, separators=(",", ":")).encode("ascii")
        super().__init__(text, status, headers={"x-amzn-RequestId": request_id}, media_type=content_type)


def error_response(e: ApiError | ServiceError, content_type: str = CONTENT_TYPES["stepfunctions"],
                   request_id: str | None = None) -> Response:
    return _Response(e.body(), e.status, content_type, request_id or ids.new_uuid())


def create_app(service: Service, *, handlers: dict[str, dict[str, Callable[[dict], Any]]] | None = None,
               verifier: Any = None, max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT_S,
               threads: int = 64) -> Starlette:
    """The ASGI app. ``handlers`` adds services beside Step Functions ({"events": {op: fn}});
    ``verifier`` checks SigV4 signatures (None: any credentials are accepted)."""
    for name in SERVICES.values():
        shapes.service_model(name)  # load botocore's models now, not during the first request
    limiter = anyio.CapacityLimiter(threads)
    others = {"events": service.connections.handlers(), **(handlers or {})}

    def find(target: str | None) -> tuple[str, str, Callable[[dict], Any]]:
        prefix, _, operation = (target or "").partition(".")
        name = SERVICES.get(prefix)
        if name is None or operation not in shapes.operations(name):
            raise ApiError("UnknownOperationException", "")
        handler = service.handler(operation) if name == "stepfunctions" else others.get(name, {}).get(operation)
        if handler is None:
            raise ApiError("UnknownOperationException", f"Operation {operation} is not supported by stepline yet")
        return name, operation, handler

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body:
            raise ApiError("RequestEntityTooLargeException", f"Request body larger than {max_body} bytes", 413)
        chunks, size = [], 0
        try:
            with anyio.fail_after(body_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > max_body:
                        raise ApiError("RequestEntityTooLargeException", f"Request body larger than {max_body} bytes",
                                       413)
                    chunks.append(chunk)
        except TimeoutError:
            raise ApiError("RequestTimeoutException", f"The request body did not arrive within {body_timeout:g} "
                                                      "seconds", 408) from None
        return b"".join(chunks)

    def signed_path(request: Request) -> str:
        """The request target as sent, before any decoding (what SigV4 signs)."""
        raw = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string") or b""
        return raw.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")

    async def post(request: Request) -> Response:
        request_id = ids.new_uuid()
        content_type = CONTENT_TYPES["stepfunctions"]
        try:
            name, operation, handler = find(request.headers.get("x-amz-target"))
            content_type = CONTENT_TYPES[name]
            if verifier is not None:  # the headers first: a request of no known key is not read
                verifier.verify("POST", signed_path(request), request.headers, None)
            body = await read_body(request)
            if verifier is not None:
                verifier.verify("POST", signed_path(request), request.headers, body)
            try:
                params = parse_json(body or b"{}")
            except NotJson as e:
                raise ApiError("SerializationException", f"The request body cannot be read: {e}") from None
            params = shapes.validate_input(name, operation, params)
            if operation == "GetActivityTask" and name == "stepfunctions":
                result = await _long_poll(service, params, limiter, request)
            elif operation in INLINE and name == "stepfunctions":  # (no thread: handing one over costs more)
                result = handler(params)
            else:
                result = await anyio.to_thread.run_sync(handler, params, limiter=limiter)
            if isinstance(result, Pending):  # the engine answers once it has committed
                result = await result.answer()
            return _Response(result, 200, content_type, request_id)
        except (ApiError, ServiceError) as e:
            return error_response(e, content_type, request_id)
        except ClientDisconnect:
            logger.debug("request %s: the client went away before its body was read", request_id)
            return Response(status_code=400)  # (sent to nobody)
        except Exception:
            logger.exception("request %s failed", request_id)
            return _Response({"__type": "InternalFailure", "message": "The server failed to handle the request."},
                             500, content_type, request_id)

    async def home(request: Request) -> Response:
        return JSONResponse({"service": "stepline", "api": "POST / with X-Amz-Target: AWSStepFunctions.<Operation>"})

    async def health(request: Request) -> Response:
        """Ready when the engine runs (an API without an engine answers ServiceUnavailable)."""
        alive = service.engine.alive
        return JSONResponse({"status": "ok" if alive else "unavailable", "engine": "alive" if alive else "stopped"},
                            200 if alive else 503)

    async def elsewhere(request: Request) -> Response:
        return error_response(ApiError("UnknownOperationException",
                                       f"No operation is served at {request.method} {request.url.path}", 404))

    return Starlette(routes=[Route("/", post, methods=["POST"]), Route("/", home, methods=["GET"]),
                             Route("/health", health, methods=["GET"]),
                             Route("/{path:path}", elsewhere, methods=["GET", "POST", "PUT", "DELETE", "PATCH",
                                                                       "HEAD", "OPTIONS"])],
                     exception_handlers={404: _not_found, 405: _not_allowed, 500: _failed})


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(ApiError("UnknownOperationException",
                                   f"No operation is served at {request.method} {request.url.path}", 404))


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error_response(ApiError("UnknownOperationException", f"{request.method} is not served at "
                                                                f"{request.url.path}", 405))


async def _failed(request: Request, exc: Exception) -> Response:
    logger.error("request to %s failed", request.url.path, exc_info=exc)
    return _Response({"__type": "InternalFailure", "message": "The server failed to handle the request."}, 500,
                     CONTENT_TYPES["stepfunctions"], ids.new_uuid())


async def _long_poll(service: Service, params: dict, limiter: anyio.CapacityLimiter, request: Request) -> dict:
    """GetActivityTask: ask the store for a task, and again after short waits, for up to 60
    seconds; the wait itself holds no thread. A poll whose client went away takes no task."""
    deadline = time.monotonic() + service.tasks.max_poll_seconds
    attempt = 0
    while True:
        if await request.is_disconnected():
            logger.debug("GetActivityTask: the worker went away")
            return {}
        found = await anyio.to_thread.run_sync(service.tasks.poll_activity_task, params, limiter=limiter)
        if found is not None:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            return {}
        await asyncio.sleep(min(left, POLL_INTERVALS[min(attempt, len(POLL_INTERVALS) - 1)]))
        attempt += 1
