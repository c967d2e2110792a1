"""The HTTP Task: ``arn:aws:states:::http:invoke`` calls an HTTP API with the credentials of
an EventBridge connection, which the state machine names but never holds.

What AWS documents ("Call HTTPS APIs in Step Functions workflows", "Testing state machines
with TestState", "Authorization methods for connections in EventBridge") and this follows:

- Parameters ``ApiEndpoint``, ``Method`` (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD),
  ``Authentication.ConnectionArn`` or ``InvocationConfig.ConnectionArn`` (one is required),
  ``Headers``, ``QueryParameters`` (URL-encoded by Step Functions), ``RequestBody`` (sent as
  JSON, ``Content-Type: application/json; charset=UTF-8`` unless a header says otherwise) and
  ``Transform`` (``RequestBodyEncoding`` NONE | URL_ENCODED, ``RequestEncodingOptions.ArrayFormat``
  INDICES (the default) | REPEAT | COMMAS | BRACKETS).
- The connection's ``InvocationHttpParameters`` are merged into the definition's headers,
  query parameters and body: on the same key the connection's value wins; a string request
  body cannot take connection body parameters (``States.Runtime``). Merging happens before the
  body is encoded.
- Step Functions sets ``User-Agent: Amazon|StepFunctions|HttpInvoke|<region>`` and
  ``Range: bytes=0-262144`` (replacing what the definition says) and ``Host``; the headers AWS
  lists (A-IM, Accept-Charset, ..., Authorization, ..., x-forwarded-*, x-amz-*, x-amzn-*) fail
  the task with ``States.Runtime``.
- The result is ``{"Headers": {name: [values]}, "ResponseBody": <JSON when the response is
  JSON, else its text>, "StatusCode": n, "StatusText": "..."}`` with lower-case header names;
  a status outside 2xx fails with ``States.Http.StatusCode.<n>``; a request that takes longer
  than 60 seconds fails with ``States.Http.Socket``; a response of content type
  application/octet-stream, image/*, video/* or audio/*, or one that is not text, fails with
  ``States.Runtime``; connection problems are ``Events.ConnectionResource.*`` errors.
- BASIC sends ``Authorization: Basic``, API_KEY the key's header; OAUTH_CLIENT_CREDENTIALS
  exchanges the client ID and secret for a token at the authorization endpoint, keeps it, and
  gets a new one when a call answers 401 or 407, or when it expires within 60 seconds.
- TestState at TRACE shows the request and response; without ``revealSecrets`` it leaves out
  everything the connection adds to the request (headers, query parameters, body parameters).

Guessed where AWS does not say (the tests pin each): the cause of a status failure is the
result above as JSON text; a refused connection, a reset or a DNS failure is
``States.Http.Socket`` like a timeout; the client ID and secret go to the authorization
endpoint as HTTP Basic credentials, with ``grant_type=client_credentials`` unless the
connection's OAuth parameters set a grant type, and the token is sent as ``Bearer``; a token
that cannot be obtained fails with ``Events.ConnectionResource.InvalidConnectionState``;
redirects are not followed; a URL-encoded body gets ``Content-Type:
application/x-www-form-urlencoded`` when the definition names none; keys and values are
percent-encoded as RFC 3986 (the comma of COMMAS too), nested objects as ``a[b]=``, and
query parameters use the Transform's array format; a string ``RequestBody`` goes out as it
is; the wording of ``States.Runtime`` causes ("The Parameters '...' could not be used to start
the Task: [...]", prefixed with the state and its entered event when the caller passes
``state_name`` and ``entered_event_id``); ``http://`` endpoints are allowed (AWS only calls
``https://``), as stepline runs next to the services it calls.

stepline's own rule on secrets: the values a connection keeps secret (password, API key
value, client secret, secret HTTP parameters) and what derives from them (the Basic
credentials, the OAuth token) never appear in a task's result or cause, in logs or in
TestState's answer unless ``revealSecrets``: where an API echoes one back, it is replaced by
``******`` (AWS passes responses through unchanged; secrets under 4 characters are too
likely to be ordinary text to be searched for).

This module is the task: a state's parameters in, the result (or the failure) out, the
connection read and its secrets kept out of what leaves. The parameters are checked and the
request is built in :mod:`.http_request`, sent in :mod:`.http_exchange`; OAuth tokens come
from :mod:`.oauth`.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ..asl.model import Resource
from ..asl.values import JSON, NotJson, dumps, parse_json
from . import Integrations, TaskFailure
from .http_exchange import (
    SOCKET,
    Budget,
    CallTimeout,
    ResponseTooLarge,
    exchange,
    status_phrase,
    transport_problem,
)
from .http_request import (
    RUNTIME,
    HttpCall,
    HttpRequest,
    Pairs,
    build_request,
    connection_params,
    form_encode,
    parse_call,
)
from .oauth import INVALID_CONNECTION_STATE, OAuthTokens

__all__ = ["HttpTask", "form_encode", "register_http"]

logger = logging.getLogger("stepline.integrations.http")

SERVICE = "http"
#: "HTTP task requests will timeout after 60 seconds"
TIMEOUT_SECONDS = 60.0
#: the payload quota: a response body longer than this cannot fit in a task result
MAX_RESPONSE_BYTES = 262144
REDACTED = "******"
#: secrets shorter than this are not searched for in responses (too likely to be ordinary text)
MIN_SECRET_LENGTH = 4

UNSUPPORTED_TYPES = ("application/octet-stream", "image/", "video/", "audio/")
#: EventBridge connection errors ("Connection errors", AWS docs), by the resolver's AWS error
CONNECTION_ERRORS = {
    "ResourceNotFoundException": "Events.ConnectionResource.ResourceNotFound",
    "AccessDeniedException": "Events.ConnectionResource.AccessDenied",
    "ConcurrentModificationException": "Events.ConnectionResource.ConcurrentModification",
}
CONNECTION_INTERNAL = "Events.ConnectionResource.InternalError"
AUTH_IN_PROGRESS = "Events.ConnectionResource.AuthInProgress"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"


class HttpTask:
    """The integration for ``arn:aws:states:::http:invoke``. ``resolve_connection(arn)``
    returns a connection with its secrets (CreateConnection's shape plus ``ConnectionState``)
    or raises an exception whose ``code`` is AWS's error (``ResourceNotFoundException``).
    ``client`` is the httpx client to send with (by default one of its own, pooled)."""

    def __init__(self, resolve_connection: Callable[[str], dict], client: httpx.Client | None = None, *,
                 region: str = "us-east-1", clock: Callable[[], float] = time.monotonic,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.resolve_connection = resolve_connection
        self._own_client = client is None
        self.client = client if client is not None else httpx.Client(
            follow_redirects=False, limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
        self.user_agent = f"Amazon|StepFunctions|HttpInvoke|{region}"
        self.max_response_bytes = max_response_bytes
        self.tokens = OAuthTokens(self._exchange, user_agent=self.user_agent, clock=clock)

    def close(self) -> None:
        """Close the HTTP client, if this task made it."""
        if self._own_client:
            self.client.close()

    def __call__(self, resource: Resource, payload: JSON, *, timeout: float | None, token: str | None,
                 **context: Any) -> JSON:
        if resource.action != "invoke" or resource.pattern != "request-response":
            raise TaskFailure(RUNTIME, f"The resource '{resource.arn}' is not supported: the HTTP Task is "
                                       "'arn:aws:states:::http:invoke' (request-response only).")
        trace = context.get("http_trace")
        reveal = bool(getattr(trace, "reveal_secrets", False))
        call = parse_call(payload, context)
        started = time.monotonic()
        seconds = min(TIMEOUT_SECONDS, timeout) if timeout and timeout > 0 else TIMEOUT_SECONDS
        budget = Budget(seconds, started + seconds)
        connection = self._connection(call.connection_arn)
        secrets = _secrets(connection)
        public = self._request(call, None, None)
        try:
            result = self._invoke(call, connection, secrets, public, trace, budget)
        finally:
            logger.debug("HTTP Task %s %s took %.3fs", public.method, public.url, time.monotonic() - started)
        if not reveal:
            result = _scrub(result, secrets)
        status = result["StatusCode"]
        if not 200 <= status < 300:
            raise TaskFailure(f"States.Http.StatusCode.{status}", dumps(result))
        return result

    # ------------------------------------------------------------------ the exchange

    def _invoke(self, call: HttpCall, connection: dict, secrets: set[str], public: HttpRequest, trace: Any,
                budget: Budget) -> dict:
        auth_type = connection.get("AuthorizationType")
        params = connection.get("AuthParameters") or {}
        oauth = params.get("OAuthParameters") if auth_type == "OAUTH_CLIENT_CREDENTIALS" else None
        bearer = self.tokens.token(call.connection_arn, oauth, secrets, budget) if oauth is not None else None
        wire = self._request(call, connection, bearer)
        reveal = bool(getattr(trace, "reveal_secrets", False))
        if trace is not None:
            trace.request = _trace_request(wire if reveal else public)
        response, content = self._send(wire, public, budget)
        if oauth is not None and response.status_code in (401, 407):
            # EventBridge "refreshes OAuth tokens when a 401 or 407 response is returned": once
            bearer = self.tokens.token(call.connection_arn, oauth, secrets, budget, stale=bearer)
            wire = self._request(call, connection, bearer)
            if trace is not None:
                trace.request = _trace_request(wire if reveal else public)
            response, content = self._send(wire, public, budget)
        result, text = _result(response, content)
        if trace is not None:
            shown = {"protocol": response.url.scheme, "statusCode": str(response.status_code),
                     "statusMessage": result["StatusText"], "headers": _header_list(response.headers.multi_items()),
                     "body": text}
            trace.response = shown if reveal else _scrub(shown, secrets)
        return result

    def _request(self, call: HttpCall, connection: dict | None, bearer: str | None) -> HttpRequest:
        return build_request(call, connection, bearer, user_agent=self.user_agent)

    def _send(self, wire: HttpRequest, public: HttpRequest, budget: Budget) -> tuple[httpx.Response, bytes]:
        """Send ``wire``; failures are worded with ``public`` (no connection data in them)."""
        try:
            return self._exchange(wire.method, wire.url, wire.headers + wire.extra, wire.content, budget.deadline)
        except CallTimeout:
            raise TaskFailure(SOCKET, f"The HTTP request to {public.url} timed out: no complete response within "
                                      f"{budget.seconds:g} seconds.") from None
        except ResponseTooLarge:
            raise TaskFailure(DATA_LIMIT_EXCEEDED, "The state/task 'http' returned a result with a size exceeding "
                                                   "the maximum number of bytes service limit.") from None
        except httpx.UnsupportedProtocol:
            raise TaskFailure(RUNTIME, f"The ApiEndpoint '{public.url}' is not an http or https URL.") from None
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            raise TaskFailure(RUNTIME, "The request could not be sent: a header name or value is not valid in "
                                       "HTTP.") from None
        except httpx.TransportError as e:
            raise TaskFailure(SOCKET, f"The HTTP request to {public.url} failed: {transport_problem(e)}.") from None

    def _exchange(self, method: str, url: str, headers: Pairs, content: bytes | None,
                  deadline: float) -> tuple[httpx.Response, bytes]:
        return exchange(self.client, method, url, headers, content, deadline=deadline,
                        max_response_bytes=self.max_response_bytes)

    # ------------------------------------------------------------------ the connection

    def _connection(self, arn: str) -> dict:
        try:
            connection = self.resolve_connection(arn)
        except Exception as e:  # noqa: BLE001 - whatever the resolver raises is a connection error
            code = getattr(e, "code", None)
            message = getattr(e, "message", None) or f"The connection '{arn}' could not be read."
            raise TaskFailure(CONNECTION_ERRORS.get(str(code), CONNECTION_INTERNAL), message) from None
        state = connection.get("ConnectionState")
        if state == "AUTHORIZING":
            raise TaskFailure(AUTH_IN_PROGRESS, f"The connection '{arn}' is being authorized; try again later.")
        if state not in ("AUTHORIZED", "ACTIVE"):
            raise TaskFailure(INVALID_CONNECTION_STATE,
                              f"The connection '{arn}' is {state}: it must be AUTHORIZED to be used. Update it with "
                              "its credentials to authorize it again.")
        return connection


def register_http(integrations: Integrations, resolve_connection: Callable[[str], dict],
                  client: httpx.Client | None = None) -> HttpTask:
    """Serve ``arn:aws:states:::http:invoke`` in ``integrations`` with connections from
    ``resolve_connection`` (e.g. :meth:`stepline.service.connections.Connections.resolve`)."""
    task = HttpTask(resolve_connection, client, region=integrations.region)
    integrations.register(SERVICE, task)
    return task


# ---------------------------------------------------------------------- the response

def _result(response: httpx.Response, content: bytes) -> tuple[dict, str]:
    """The task result of a response, and the response body's text."""
    ctype = response.headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media.startswith(UNSUPPORTED_TYPES):
        raise TaskFailure(RUNTIME, f"The HTTP response has the content type '{media}', which an HTTP Task does not "
                                   "support: it takes text responses only.")
    try:
        text = content.decode(response.charset_encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        raise TaskFailure(RUNTIME, "The HTTP response body cannot be read as text: an HTTP Task does not support "
                                   "binary responses.") from None
    body: JSON = text
    if media == "application/json" or media.endswith("+json"):
        try:
            body = parse_json(text)
        except NotJson:  # (as AWS answers a body that says it is JSON and is not: the text)
            body = text
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        headers.setdefault(name, []).append(value)
    reason = response.reason_phrase or status_phrase(response.status_code)
    return {"Headers": headers, "ResponseBody": body, "StatusCode": response.status_code, "StatusText": reason}, text


def _header_list(headers: Iterable[tuple[str, str]]) -> str:
    """Headers as TestState shows them: ``[name: value, name: value]``."""
    return "[" + ", ".join(f"{name}: {value}" for name, value in headers) + "]"


def _trace_request(wire: HttpRequest) -> dict:
    return {"protocol": urlsplit(wire.url).scheme, "method": wire.method, "url": wire.url,
            "headers": _header_list(wire.headers), "body": wire.body_text}


# ---------------------------------------------------------------------- secrets

def _secrets(connection: dict) -> set[str]:
    """The values the connection keeps secret, and what derives from them."""
    params = connection.get("AuthParameters") or {}
    found: set[str] = set()
    basic = params.get("BasicAuthParameters") or {}
    if basic.get("Password"):
        found.add(basic["Password"])
        pair = f"{basic.get('Username', '')}:{basic['Password']}"
        found.add(base64.b64encode(pair.encode("utf-8")).decode("ascii"))
    key = params.get("ApiKeyAuthParameters") or {}
    if key.get("ApiKeyValue"):
        found.add(key["ApiKeyValue"])
    oauth = params.get("OAuthParameters") or {}
    client = oauth.get("ClientParameters") or {}
    if client.get("ClientSecret"):
        found.add(client["ClientSecret"])
        pair = f"{client.get('ClientID', '')}:{client['ClientSecret']}"
        found.add(base64.b64encode(pair.encode("utf-8")).decode("ascii"))
    for http in (params.get("InvocationHttpParameters") or {}, oauth.get("OAuthHttpParameters") or {}):
        for kind in ("HeaderParameters", "QueryStringParameters", "BodyParameters"):
            for p in connection_params(http, kind):
                if p.get("IsValueSecret") and isinstance(p.get("Value"), str) and p["Value"]:
                    found.add(p["Value"])
                    found.add(quote(p["Value"], safe=""))
    return found


def _scrub(value: Any, secrets: set[str]) -> Any:
    """``value`` with every secret (in any string, keys included) replaced by ``******``."""
    usable = sorted((s for s in secrets if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)
    if not usable:
        return value

    def text(s: str) -> str:
        for secret in usable:
            if secret in s:
                s = s.replace(secret, REDACTED)
        return s

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return text(v)
        if isinstance(v, dict):
            return {text(k): walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value)
