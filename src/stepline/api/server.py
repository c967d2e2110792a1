"""Serving the app with uvicorn, within limits: how many connections at once, and how long a
connection may take to send its request's head.

uvicorn's own ``limit_concurrency`` answers a plain-text 503 only once a request has come, and
its keep-alive timeout starts only after a first response: a client that opens connections
and sends nothing would hold them for ever. Here a connection past the cap is answered at once
with AWS's error shape (``ServiceUnavailable``, 503) and closed, and a connection that has not
sent a request head within ``header_timeout`` seconds is closed. (The body's own time limit is
the app's: :data:`stepline.api.app.BODY_TIMEOUT_S`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

# uvicorn's HTTP/1.1 over httptools' C parser (h11, in pure Python, took a third of the server's
# time per request)
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_CONNECTIONS = 1000
HEADER_TIMEOUT_S = 10.0


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_connections: int = MAX_CONNECTIONS
    header_timeout: float = HEADER_TIMEOUT_S


def _over_capacity(limit: int) -> bytes:
    body = json.dumps({"__type": "ServiceUnavailable",
                       "message": f"The server has {limit} connections open, as many as it takes; try again."})
    return (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()


class _Protocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, with the limits of :class:`Limits` (see the module doc)."""

    limits = Limits()
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.write(_over_capacity(self.limits.max_connections))
            transport.close()
            return
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._head_came()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_came()
        super().connection_lost(exc)

    def _head_came(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self.cycle is None:
            self.transport.close()


class Server(uvicorn.Server):
    """uvicorn's server, but SIGTERM/SIGINT only end the serving: the caller then shuts the
    engine down (uvicorn would re-raise the signal and kill the process before that)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():  # (signals are the main thread's)
            yield
            return

        def stop(signum: int, frame: Any) -> None:
            self.should_exit = True
        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def server(app: Any, host: str, port: int, *, limits: Limits = Limits(), log_level: str = "warning") -> Server:
    """A server for ``app`` on ``host:port`` within ``limits`` (call its ``run()``)."""
    protocol = type("Protocol", (_Protocol,), {"limits": limits})
    return Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="off",
                                 http=protocol))
