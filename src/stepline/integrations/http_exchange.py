"""One HTTP exchange of the HTTP Task: a request and its whole body within a deadline.

Both the task's call and the OAuth token request go through :func:`exchange`: redirects are
not followed, the body is read in full but no further than the payload quota
(:class:`ResponseTooLarge`), and a call that outlives its :class:`Budget` raises
:class:`CallTimeout`; the caller words these as the task's errors. While it sends, the HTTP
client's own logs are kept free of connection data (query strings, response headers).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus

import httpx

from .http_request import Pairs

#: a request that times out, is refused or reset, or whose host is unknown (stepline's guess)
SOCKET = "States.Http.Socket"


class _QuietTransport(logging.Filter):
    """Keeps connection data out of the HTTP client's own logs: while this module sends,
    httpx's request line loses its query string (a connection may add secret parameters to
    it) and httpcore's wire-level records (response headers) are dropped."""

    active = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(self.active, "on", False):
            return True
        if record.name != "httpx":
            return False
        if isinstance(record.args, tuple) and len(record.args) >= 2:
            args = list(record.args)
            args[1] = str(args[1]).split("?", 1)[0]
            record.args = tuple(args)
        return True


_QUIET = _QuietTransport()
for _name in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
              "httpcore.socks"):
    logging.getLogger(_name).addFilter(_QUIET)


class CallTimeout(Exception):
    """The 60-second budget of the call ran out."""


class ResponseTooLarge(Exception):
    """The response body does not fit in a task result."""


@dataclass(frozen=True, slots=True)
class Budget:
    """The time a call has: ``seconds`` from its start, until ``deadline`` (monotonic)."""

    seconds: float
    deadline: float


def exchange(client: httpx.Client, method: str, url: str, headers: Pairs, content: bytes | None, *,
             deadline: float, max_response_bytes: int) -> tuple[httpx.Response, bytes]:
    """One request and its whole (decoded) body, within ``deadline`` (monotonic)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise CallTimeout()
    _QUIET.active.on = True
    try:
        return _exchange_quietly(client, method, url, headers, content, deadline, remaining, max_response_bytes)
    finally:
        _QUIET.active.on = False


def _exchange_quietly(client: httpx.Client, method: str, url: str, headers: Pairs, content: bytes | None,
                      deadline: float, remaining: float, max_response_bytes: int) -> tuple[httpx.Response, bytes]:
    try:
        request = client.build_request(method, url, headers=headers, content=content,
                                       timeout=httpx.Timeout(remaining))
        response = client.send(request, stream=True, follow_redirects=False)
    except httpx.TimeoutException:
        raise CallTimeout() from None
    try:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_response_bytes:
                raise ResponseTooLarge()
            if time.monotonic() > deadline:
                raise CallTimeout()
            chunks.append(chunk)
    except httpx.TimeoutException:
        raise CallTimeout() from None
    finally:
        response.close()
    return response, b"".join(chunks)


def transport_problem(e: Exception) -> str:
    """What went wrong with the connection, in words for a cause."""
    if isinstance(e, httpx.ConnectError):
        return "the connection could not be made (refused, or the host is unknown or unreachable)"
    if isinstance(e, httpx.RemoteProtocolError):
        return "the server broke the HTTP protocol or closed the connection"
    if isinstance(e, (httpx.ReadError, httpx.WriteError)):
        return "the connection was lost"
    return "a network error occurred"


def status_phrase(status: int) -> str:
    """The reason phrase of a status code (``Not Found``), or "" for one HTTP does not name."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
