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
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from ..asl.model import Resource
from ..asl.values import JSON, NotJson, dumps, parse_json
from . import Integrations, TaskFailure

__all__ = ["HttpTask", "form_encode", "register_http"]

logger = logging.getLogger("stepline.integrations.http")

SERVICE = "http"
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
ARRAY_FORMATS = ("INDICES", "REPEAT", "COMMAS", "BRACKETS")
BODY_ENCODINGS = ("NONE", "URL_ENCODED")
#: "HTTP task requests will timeout after 60 seconds"
TIMEOUT_SECONDS = 60.0
#: the payload quota: a response body longer than this cannot fit in a task result
MAX_RESPONSE_BYTES = 262144
RANGE = "bytes=0-262144"
JSON_TYPE = "application/json; charset=UTF-8"
FORM_TYPE = "application/x-www-form-urlencoded"
REDACTED = "******"
#: an OAuth token expiring within this many seconds is replaced before a call (EventBridge)
TOKEN_MARGIN_SECONDS = 60.0
#: secrets shorter than this are not searched for in responses (too likely to be ordinary text)
MIN_SECRET_LENGTH = 4

#: "You can't use the following headers in your HTTP Task definition" (AWS docs), lower case
FORBIDDEN_HEADERS = frozenset({
    "a-im", "accept-charset", "accept-datetime", "accept-encoding", "authorization", "cache-control", "connection",
    "content-encoding", "content-md5", "date", "expect", "forwarded", "from", "host", "http2-settings", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "max-forwards", "origin", "pragma",
    "proxy-authorization", "referer", "server", "te", "trailer", "transfer-encoding", "upgrade", "via", "warning",
})
FORBIDDEN_PREFIXES = ("x-forwarded-", "x-amz-", "x-amzn-")
#: set by Step Functions (or the HTTP client) whatever the definition says
REPLACED_HEADERS = frozenset({"user-agent", "range", "content-length"})
UNSUPPORTED_TYPES = ("application/octet-stream", "image/", "video/", "audio/")
#: EventBridge connection errors ("Connection errors", AWS docs), by the resolver's AWS error
CONNECTION_ERRORS = {
    "ResourceNotFoundException": "Events.ConnectionResource.ResourceNotFound",
    "AccessDeniedException": "Events.ConnectionResource.AccessDenied",
    "ConcurrentModificationException": "Events.ConnectionResource.ConcurrentModification",
}
CONNECTION_INTERNAL = "Events.ConnectionResource.InternalError"
INVALID_CONNECTION_STATE = "Events.ConnectionResource.InvalidConnectionState"
AUTH_IN_PROGRESS = "Events.ConnectionResource.AuthInProgress"
RUNTIME = "States.Runtime"
SOCKET = "States.Http.Socket"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"

_ABSENT: Any = object()
Pairs = list[tuple[str, Any]]


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


class _Timeout(Exception):
    """The 60-second budget of the call ran out."""


class _TooLarge(Exception):
    """The response body does not fit in a task result."""


@dataclass(frozen=True, kw_only=True, slots=True)
class _Call:
    """What the definition asks for, before the connection adds to it."""

    method: str
    endpoint: str
    headers: Pairs
    query: Pairs
    body: Any            # a JSON value, or _ABSENT
    url_encoded: bool
    array_format: str
    connection_arn: str


@dataclass(kw_only=True, slots=True)
class _Wire:
    """One request as sent (or as TestState shows it)."""

    method: str
    url: str
    headers: Pairs        # what TRACE shows
    content: bytes | None
    extra: Pairs = field(default_factory=list)  # sent but not shown (a default Content-Type)

    @property
    def body_text(self) -> str:
        return self.content.decode("utf-8") if self.content else ""


@dataclass(frozen=True, slots=True)
class _Budget:
    """The time a call has: ``seconds`` from its start, until ``deadline`` (monotonic)."""

    seconds: float
    deadline: float


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires: float | None   # on the task's clock; None: until an API refuses it


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
        self.clock = clock
        self.max_response_bytes = max_response_bytes
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._token_locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

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
        call = _parse(payload, context)
        started = time.monotonic()
        seconds = min(TIMEOUT_SECONDS, timeout) if timeout and timeout > 0 else TIMEOUT_SECONDS
        budget = _Budget(seconds, started + seconds)
        connection = self._connection(call.connection_arn)
        secrets = _secrets(connection)
        public = self._wire(call, None, None)
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

    def _invoke(self, call: _Call, connection: dict, secrets: set[str], public: _Wire, trace: Any,
                budget: _Budget) -> dict:
        auth_type = connection.get("AuthorizationType")
        params = connection.get("AuthParameters") or {}
        oauth = params.get("OAuthParameters") if auth_type == "OAUTH_CLIENT_CREDENTIALS" else None
        bearer = self._token(call.connection_arn, oauth, secrets, budget) if oauth is not None else None
        wire = self._wire(call, connection, bearer)
        reveal = bool(getattr(trace, "reveal_secrets", False))
        if trace is not None:
            trace.request = _trace_request(wire if reveal else public)
        response, content = self._send(wire, public, budget)
        if oauth is not None and response.status_code in (401, 407):
            # EventBridge "refreshes OAuth tokens when a 401 or 407 response is returned": once
            bearer = self._token(call.connection_arn, oauth, secrets, budget, stale=bearer)
            wire = self._wire(call, connection, bearer)
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

    def _send(self, wire: _Wire, public: _Wire, budget: _Budget) -> tuple[httpx.Response, bytes]:
        """Send ``wire``; failures are worded with ``public`` (no connection data in them)."""
        try:
            return self._exchange(wire.method, wire.url, wire.headers + wire.extra, wire.content, budget.deadline)
        except _Timeout:
            raise TaskFailure(SOCKET, f"The HTTP request to {public.url} timed out: no complete response within "
                                      f"{budget.seconds:g} seconds.") from None
        except _TooLarge:
            raise TaskFailure(DATA_LIMIT_EXCEEDED, "The state/task 'http' returned a result with a size exceeding "
                                                   "the maximum number of bytes service limit.") from None
        except httpx.UnsupportedProtocol:
            raise TaskFailure(RUNTIME, f"The ApiEndpoint '{public.url}' is not an http or https URL.") from None
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            raise TaskFailure(RUNTIME, "The request could not be sent: a header name or value is not valid in "
                                       "HTTP.") from None
        except httpx.TransportError as e:
            raise TaskFailure(SOCKET, f"The HTTP request to {public.url} failed: {_transport_problem(e)}.") from None

    def _exchange(self, method: str, url: str, headers: Pairs, content: bytes | None,
                  deadline: float) -> tuple[httpx.Response, bytes]:
        """One request and its whole (decoded) body, within ``deadline`` (monotonic)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout()
        _QUIET.active.on = True
        try:
            return self._exchange_quietly(method, url, headers, content, deadline, remaining)
        finally:
            _QUIET.active.on = False

    def _exchange_quietly(self, method: str, url: str, headers: Pairs, content: bytes | None, deadline: float,
                          remaining: float) -> tuple[httpx.Response, bytes]:
        try:
            request = self.client.build_request(method, url, headers=headers, content=content,
                                                timeout=httpx.Timeout(remaining))
            response = self.client.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise _Timeout() from None
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise _TooLarge()
                if time.monotonic() > deadline:
                    raise _Timeout()
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise _Timeout() from None
        finally:
            response.close()
        return response, b"".join(chunks)

    def _wire(self, call: _Call, connection: dict | None, bearer: str | None) -> _Wire:
        """The request: the definition's alone (``connection`` None: what TestState shows
        without revealSecrets), or merged with the connection's parameters and credentials."""
        headers: Pairs = list(call.headers)
        query: Pairs = list(call.query)
        body = call.body
        if connection is not None:
            params = connection.get("AuthParameters") or {}
            invocation = params.get("InvocationHttpParameters") or {}
            added = _auth_headers(connection.get("AuthorizationType"), params, bearer)
            added += [(p["Key"], p.get("Value", "")) for p in _http_params(invocation, "HeaderParameters")]
            headers = _merge(headers, added, fold=str.lower)
            query = _merge(query, [(p["Key"], p.get("Value", "")) for p in _http_params(invocation,
                                                                                      "QueryStringParameters")])
            body_params = [(p["Key"], p.get("Value", "")) for p in _http_params(invocation, "BodyParameters")]
            if body_params:
                if body is _ABSENT:
                    body = dict(body_params)
                elif isinstance(body, dict):
                    body = dict(_merge(list(body.items()), body_params))
                else:
                    raise TaskFailure(RUNTIME, "The RequestBody is not a JSON object, so the body parameters of the "
                                               "connection cannot be merged into it.")
        headers.append(("User-Agent", self.user_agent))
        headers.append(("Range", RANGE))
        extra: Pairs = []
        content: bytes | None = None
        if body is not _ABSENT:
            if isinstance(body, str):
                text = body
            elif call.url_encoded:
                text = form_encode(body.items(), call.array_format)
            else:
                text = dumps(body)
            content = text.encode("utf-8")
            if not any(name.lower() == "content-type" for name, _ in headers):
                extra.append(("Content-Type", FORM_TYPE if call.url_encoded else JSON_TYPE))
        url = call.endpoint
        if query:
            url += ("&" if "?" in url else "?") + form_encode(query, call.array_format)
        return _Wire(method=call.method, url=url, headers=headers, content=content, extra=extra)

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

    def _token(self, arn: str, oauth: dict, secrets: set[str], budget: _Budget, stale: str | None = None) -> str:
        """The connection's OAuth token: the one kept, unless it expires within a minute or
        is ``stale`` (refused by the API), else a new one from the authorization endpoint.
        One request at a time per connection (and per credentials: an update starts anew)."""
        key = (arn, hashlib.sha256(json.dumps(oauth, sort_keys=True).encode("utf-8")).hexdigest())
        with self._lock:
            lock = self._token_locks.setdefault(key, threading.Lock())
        with lock:
            kept = self._tokens.get(key)
            if kept is not None and kept.value != stale and (
                    kept.expires is None or kept.expires - self.clock() > TOKEN_MARGIN_SECONDS):
                secrets.add(kept.value)
                return kept.value
            fresh = self._fetch_token(arn, oauth, budget)
            self._tokens[key] = fresh
            secrets.add(fresh.value)
            return fresh.value

    def _fetch_token(self, arn: str, oauth: dict, budget: _Budget) -> _Token:
        client = oauth.get("ClientParameters") or {}
        endpoint = oauth.get("AuthorizationEndpoint") or ""
        method = oauth.get("HttpMethod") or "POST"
        extra = oauth.get("OAuthHttpParameters") or {}
        credentials = f"{client.get('ClientID', '')}:{client.get('ClientSecret', '')}"
        headers: Pairs = [("Authorization", "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")),
                          ("User-Agent", self.user_agent), ("Accept", "application/json")]
        headers = _merge(headers, [(p["Key"], p.get("Value", "")) for p in _http_params(extra, "HeaderParameters")],
                         fold=str.lower)
        query: Pairs = [(p["Key"], p.get("Value", "")) for p in _http_params(extra, "QueryStringParameters")]
        form: Pairs = [(p["Key"], p.get("Value", "")) for p in _http_params(extra, "BodyParameters")]
        if not any(k == "grant_type" for k, _ in query + form):
            (query if method == "GET" else form).append(("grant_type", "client_credentials"))
        url = endpoint + (("&" if "?" in endpoint else "?") + form_encode(query, "REPEAT") if query else "")
        content = None
        if form:
            content = form_encode(form, "REPEAT").encode("utf-8")
            headers.append(("Content-Type", FORM_TYPE))
        where = f"the authorization endpoint of connection '{arn}'"
        try:
            response, body = self._exchange(method, url, headers, content, budget.deadline)
        except _Timeout:
            raise TaskFailure(SOCKET, f"The OAuth token request to {where} timed out: no complete response within "
                                      f"{budget.seconds:g} seconds.") from None
        except (_TooLarge, httpx.HTTPError, UnicodeEncodeError) as e:
            problem = _transport_problem(e) if isinstance(e, httpx.TransportError) else "it could not be completed"
            raise TaskFailure(INVALID_CONNECTION_STATE,
                              f"No OAuth token could be obtained from {where}: {problem}.") from None
        if not 200 <= response.status_code < 300:
            raise TaskFailure(INVALID_CONNECTION_STATE,
                              f"No OAuth token could be obtained from {where}: it answered {response.status_code} "
                              f"{response.reason_phrase or _phrase(response.status_code)}.")
        try:
            answer = parse_json(body)
        except NotJson:
            answer = None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise TaskFailure(INVALID_CONNECTION_STATE,
                              f"No OAuth token could be obtained from {where}: its answer has no access_token.")
        lifetime = answer.get("expires_in")
        if isinstance(lifetime, str) and lifetime.strip().isdigit():
            lifetime = int(lifetime)
        expires = self.clock() + lifetime if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) \
            else None
        return _Token(token, expires)


def register_http(integrations: Integrations, resolve_connection: Callable[[str], dict],
                  client: httpx.Client | None = None) -> HttpTask:
    """Serve ``arn:aws:states:::http:invoke`` in ``integrations`` with connections from
    ``resolve_connection`` (e.g. :meth:`stepline.service.connections.Connections.resolve`)."""
    task = HttpTask(resolve_connection, client, region=integrations.region)
    integrations.register(SERVICE, task)
    return task


# ---------------------------------------------------------------------- the parameters

def _parse(payload: JSON, context: dict) -> _Call:
    """The task's parameters, checked; a bad one fails with ``States.Runtime`` as AWS's
    service integrations do ("The Parameters '...' could not be used to start the Task")."""
    def bad(reason: str) -> TaskFailure:
        cause = f"The Parameters '{dumps(payload)}' could not be used to start the Task: [{reason}]"
        entered = context.get("entered_event_id")
        if entered is not None and context.get("state_name"):
            cause = (f"An error occurred while executing the state '{context['state_name']}' (entered at the event "
                     f"id #{entered}). " + cause)
        return TaskFailure(RUNTIME, cause)

    if not isinstance(payload, dict):
        raise bad("The Parameters must be a JSON object")
    for name in ("ApiEndpoint", "Method"):
        if name not in payload:
            raise bad(f"The field '{name}' is required but was missing")
    endpoint = payload["ApiEndpoint"]
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad("The value of the field 'ApiEndpoint' has an invalid format")
    method = payload["Method"]
    if method not in METHODS:
        raise bad(f"The value of the field 'Method' is not valid: it must be one of {', '.join(METHODS)}")
    arn = None
    for holder in ("InvocationConfig", "Authentication"):
        value = payload.get(holder)
        if value is None:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("ConnectionArn"), str) or not value["ConnectionArn"]:
            raise bad(f"The field '{holder}' must contain a 'ConnectionArn' string")
        arn = value["ConnectionArn"]
        break
    if arn is None:
        raise bad("The field 'Authentication' (or 'InvocationConfig') with a 'ConnectionArn' is required but was "
                  "missing")
    headers = _headers(payload.get("Headers"), bad)
    forbidden = sorted({name.lower() for name, _ in headers if _forbidden(name)})
    if forbidden:
        raise bad(f"The 'Headers' field contains unsupported values: [{', '.join(forbidden)}]")
    headers = [(name, value) for name, value in headers if name.lower() not in REPLACED_HEADERS]
    query = _query(payload.get("QueryParameters"), bad)
    url_encoded, array_format = _transform(payload.get("Transform"), bad)
    body = payload.get("RequestBody", _ABSENT)
    if body is None:
        body = _ABSENT
    if url_encoded and body is not _ABSENT and not isinstance(body, (dict, str)):
        raise bad("The value of the field 'RequestBody' must be a JSON object (or a string) to be URL-encoded")
    return _Call(method=method, endpoint=endpoint, headers=headers, query=query, body=body, url_encoded=url_encoded,
                 array_format=array_format, connection_arn=arn)


def _headers(value: Any, bad: Callable[[str], TaskFailure]) -> Pairs:
    """``Headers``: an object (a value may be a list: the header repeated), a list of such
    objects, or ``Name: value`` lines."""
    if value is None:
        return []
    items: Pairs = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        items = [item for v in value for item in v.items()]
    elif isinstance(value, str):
        for line in value.splitlines():
            if line.strip():
                name, colon, rest = line.partition(":")
                if not colon:
                    raise bad("The value of the field 'Headers' has an invalid format")
                items.append((name.strip(), rest.strip()))
    else:
        raise bad("The value of the field 'Headers' has an invalid format")
    out: Pairs = []
    for name, v in items:
        if not name or not _is_token(name):
            raise bad("The value of the field 'Headers' has an invalid format")
        for one in (v if isinstance(v, list) else [v]):
            if isinstance(one, (dict, list)) or one is None:
                raise bad("The value of the field 'Headers' has an invalid format")
            out.append((name, _scalar(one)))
    return out


def _query(value: Any, bad: Callable[[str], TaskFailure]) -> Pairs:
    """``QueryParameters``: an object, a list of objects, or a query string."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, str):
        return parse_qsl(value.lstrip("?"), keep_blank_values=True)
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return [item for v in value for item in v.items()]
    raise bad("The value of the field 'QueryParameters' has an invalid format")


def _transform(value: Any, bad: Callable[[str], TaskFailure]) -> tuple[bool, str]:
    if value is None:
        return False, "INDICES"
    if not isinstance(value, dict):
        raise bad("The value of the field 'Transform' has an invalid format")
    encoding = value.get("RequestBodyEncoding", "NONE")
    if encoding not in BODY_ENCODINGS:
        raise bad(f"The value of the field 'RequestBodyEncoding' is not valid: it must be one of "
                  f"{', '.join(BODY_ENCODINGS)}")
    options = value.get("RequestEncodingOptions") or {}
    if not isinstance(options, dict):
        raise bad("The value of the field 'RequestEncodingOptions' has an invalid format")
    array_format = options.get("ArrayFormat", "INDICES")
    if array_format not in ARRAY_FORMATS:
        raise bad(f"The value of the field 'ArrayFormat' is not valid: it must be one of {', '.join(ARRAY_FORMATS)}")
    return encoding == "URL_ENCODED", array_format


def _forbidden(name: str) -> bool:
    low = name.lower()
    return low in FORBIDDEN_HEADERS or low.startswith(FORBIDDEN_PREFIXES)


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_token(name: str) -> bool:
    """An HTTP header name (RFC 9110 token)."""
    return all(c in _TOKEN_CHARS for c in name)


# ---------------------------------------------------------------------- encoding

def form_encode(items: Iterable[tuple[str, Any]], array_format: str = "INDICES") -> str:
    """``application/x-www-form-urlencoded`` text of JSON values: nested objects as
    ``a[b]=v``; arrays as ``a[0]=x`` (INDICES), ``a=x&a=y`` (REPEAT), ``a=x,y`` (COMMAS) or
    ``a[]=x`` (BRACKETS); null as an empty value, booleans as ``true``/``false``; empty arrays
    and objects as nothing. Keys and values are percent-encoded (RFC 3986 unreserved kept)."""
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        _flatten(str(key), value, array_format, pairs)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _flatten(key: str, value: Any, array_format: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{key}[{k}]", v, array_format, out)
    elif isinstance(value, list):
        if array_format == "COMMAS" and not any(isinstance(v, (dict, list)) for v in value):
            if value:
                out.append((key, ",".join(_scalar(v) for v in value)))
            return
        for i, v in enumerate(value):
            suffix = "[]" if array_format == "BRACKETS" else "" if array_format == "REPEAT" else f"[{i}]"
            _flatten(key + suffix, v, array_format, out)
    else:
        out.append((key, _scalar(value)))


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    return dumps(value)


def _merge(base: Pairs, override: Pairs, fold: Callable[[str], str] = lambda k: k) -> Pairs:
    """``base`` with ``override`` on top: a key of both takes the overriding value(s) (every
    earlier occurrence goes); other overriding keys are added after."""
    if not override:
        return list(base)
    replaced = {fold(k) for k, _ in override}
    return [(k, v) for k, v in base if fold(k) not in replaced] + list(override)


def _http_params(params: dict, kind: str) -> list[dict]:
    return [p for p in params.get(kind) or () if isinstance(p, dict) and isinstance(p.get("Key"), str)]


def _auth_headers(auth_type: Any, params: dict, bearer: str | None) -> Pairs:
    if auth_type == "BASIC":
        basic = params.get("BasicAuthParameters") or {}
        pair = f"{basic.get('Username', '')}:{basic.get('Password', '')}"
        return [("Authorization", "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii"))]
    if auth_type == "API_KEY":
        key = params.get("ApiKeyAuthParameters") or {}
        return [(key.get("ApiKeyName", ""), key.get("ApiKeyValue", ""))]
    if auth_type == "OAUTH_CLIENT_CREDENTIALS" and bearer is not None:
        return [("Authorization", f"Bearer {bearer}")]
    return []


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
    reason = response.reason_phrase or _phrase(response.status_code)
    return {"Headers": headers, "ResponseBody": body, "StatusCode": response.status_code, "StatusText": reason}, text


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _header_list(headers: Iterable[tuple[str, str]]) -> str:
    """Headers as TestState shows them: ``[name: value, name: value]``."""
    return "[" + ", ".join(f"{name}: {value}" for name, value in headers) + "]"


def _trace_request(wire: _Wire) -> dict:
    return {"protocol": urlsplit(wire.url).scheme, "method": wire.method, "url": wire.url,
            "headers": _header_list(wire.headers), "body": wire.body_text}


def _transport_problem(e: Exception) -> str:
    if isinstance(e, httpx.ConnectError):
        return "the connection could not be made (refused, or the host is unknown or unreachable)"
    if isinstance(e, httpx.RemoteProtocolError):
        return "the server broke the HTTP protocol or closed the connection"
    if isinstance(e, (httpx.ReadError, httpx.WriteError)):
        return "the connection was lost"
    return "a network error occurred"


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
            for p in _http_params(http, kind):
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
