"""The HTTP server: the AWS JSON 1.0 protocol on one port, in front of the service.

``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Operation>`` (or ``AWSEvents.<Operation>``
for the EventBridge connection operations) and a JSON body. A request is authenticated
(SigV4, when credentials are configured), its body read within a size limit, parsed and
checked against botocore's model of the operation, and handed to the service on a worker
thread; the answer is the response object, or AWS's error shape ``{"__type", "message"}``
with AWS's HTTP status. ``GetActivityTask`` long-polls without holding a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Callable

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import ids
from ..service import Service, ServiceError
from . import shapes
from .errors import ApiError

logger = logging.getLogger("stepline.api")

MAX_BODY = 2 * 1024 * 1024      # a 1 MiB definition, escaped as JSON text, with room to spare
SERVICES = {"AWSStepFunctions": "stepfunctions", "AWSEvents": "events"}
CONTENT_TYPES = {"stepfunctions": "application/x-amz-json-1.0", "events": "application/x-amz-json-1.1"}
POLL_INTERVALS = (0.02, 0.05, 0.1, 0.2, 0.25)


class _Response(Response):
    def __init__(self, body: Any, status: int, content_type: str, request_id: str) -> None:
        super().__init__(json.dumps(body, separators=(",", ":"), ensure_ascii=False), status,
                         headers={"x-amzn-RequestId": request_id}, media_type=content_type)


def create_app(service: Service, *, handlers: dict[str, dict[str, Callable[[dict], Any]]] | None = None,
               verifier: Any = None, max_body: int = MAX_BODY, threads: int = 64) -> Starlette:
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
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise ApiError("RequestEntityTooLargeException", f"Request body larger than {max_body} bytes", 413)
            chunks.append(chunk)
        return b"".join(chunks)

    async def post(request: Request) -> Response:
        request_id = ids.new_uuid()
        content_type = CONTENT_TYPES["stepfunctions"]
        try:
            name, operation, handler = find(request.headers.get("x-amz-target"))
            content_type = CONTENT_TYPES[name]
            body = await read_body(request)
            if verifier is not None:  # SigV4 signs the path as sent, before any decoding
                raw = request.scope.get("raw_path") or request.url.path.encode()
                query = request.scope.get("query_string") or b""
                path = raw.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
                verifier.verify("POST", path, request.headers, body)
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "") from None
            params = shapes.validate_input(name, operation, params)
            if operation == "GetActivityTask" and name == "stepfunctions":
                result = await _long_poll(service, params, limiter)
            else:
                result = await anyio.to_thread.run_sync(handler, params, limiter=limiter)
            return _Response(result, 200, content_type, request_id)
        except (ApiError, ServiceError) as e:
            return _Response(e.body(), e.status, content_type, request_id)
        except Exception:
            logger.exception("request %s failed", request_id)
            return _Response({"__type": "InternalFailure", "message": "The server failed to handle the request."},
                             500, content_type, request_id)

    async def home(request: Request) -> Response:
        return JSONResponse({"service": "stepline", "api": "POST / with X-Amz-Target: AWSStepFunctions.<Operation>"})

    return Starlette(routes=[Route("/", post, methods=["POST"]), Route("/", home, methods=["GET"])])


async def _long_poll(service: Service, params: dict, limiter: anyio.CapacityLimiter) -> dict:
    """GetActivityTask: ask the store for a task, and again after short waits, for up to 60
    seconds; the wait itself holds no thread."""
    deadline = time.monotonic() + service.tasks.max_poll_seconds
    attempt = 0
    while True:
        found = await anyio.to_thread.run_sync(service.tasks.poll_activity_task, params, limiter=limiter)
        if found is not None:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            return {}
        await asyncio.sleep(min(left, POLL_INTERVALS[min(attempt, len(POLL_INTERVALS) - 1)]))
        attempt += 1
