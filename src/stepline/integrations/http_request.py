"""The request of an HTTP Task: its parameters checked, merged with what the connection adds,
and encoded for the wire.

A state's ``Parameters`` become an :class:`HttpCall` (:func:`parse_call`: ``ApiEndpoint``,
``Method``, the connection ARN, ``Headers``, ``QueryParameters``, ``RequestBody``,
``Transform``); a bad one fails with ``States.Runtime``. :func:`build_request` turns a call
into the :class:`HttpRequest` that goes out: alone (what TestState shows without
``revealSecrets``), or with the connection's ``InvocationHttpParameters`` and credentials
merged in, the headers Step Functions sets, and the body as JSON or URL-encoded text
(:func:`form_encode`). The rules AWS documents, and those stepline guessed, are in
:mod:`stepline.integrations.http`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ..asl.values import JSON, dumps
from . import TaskFailure

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
ARRAY_FORMATS = ("INDICES", "REPEAT", "COMMAS", "BRACKETS")
BODY_ENCODINGS = ("NONE", "URL_ENCODED")
RANGE = "bytes=0-262144"
JSON_TYPE = "application/json; charset=UTF-8"
FORM_TYPE = "application/x-www-form-urlencoded"
RUNTIME = "States.Runtime"

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

_ABSENT: Any = object()
Pairs = list[tuple[str, Any]]


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpCall:
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
class HttpRequest:
    """One request as sent (or as TestState shows it)."""

    method: str
    url: str
    headers: Pairs        # what TRACE shows
    content: bytes | None
    extra: Pairs = field(default_factory=list)  # sent but not shown (a default Content-Type)

    @property
    def body_text(self) -> str:
        return self.content.decode("utf-8") if self.content else ""


# ---------------------------------------------------------------------- the parameters

def parse_call(payload: JSON, context: dict) -> HttpCall:
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
    return HttpCall(method=method, endpoint=endpoint, headers=headers, query=query, body=body,
                    url_encoded=url_encoded, array_format=array_format, connection_arn=arn)


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


# ---------------------------------------------------------------------- the request

def build_request(call: HttpCall, connection: dict | None, bearer: str | None, *, user_agent: str) -> HttpRequest:
    """The request: the definition's alone (``connection`` None: what TestState shows
    without revealSecrets), or merged with the connection's parameters and credentials."""
    headers: Pairs = list(call.headers)
    query: Pairs = list(call.query)
    body = call.body
    if connection is not None:
        params = connection.get("AuthParameters") or {}
        invocation = params.get("InvocationHttpParameters") or {}
        added = _auth_headers(connection.get("AuthorizationType"), params, bearer)
        added += [(p["Key"], p.get("Value", "")) for p in connection_params(invocation, "HeaderParameters")]
        headers = merge_pairs(headers, added, fold=str.lower)
        query = merge_pairs(query, [(p["Key"], p.get("Value", "")) for p in connection_params(invocation,
                                                                                            "QueryStringParameters")])
        body_params = [(p["Key"], p.get("Value", "")) for p in connection_params(invocation, "BodyParameters")]
        if body_params:
            if body is _ABSENT:
                body = dict(body_params)
            elif isinstance(body, dict):
                body = dict(merge_pairs(list(body.items()), body_params))
            else:
                raise TaskFailure(RUNTIME, "The RequestBody is not a JSON object, so the body parameters of the "
                                           "connection cannot be merged into it.")
    headers.append(("User-Agent", user_agent))
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
    return HttpRequest(method=call.method, url=url, headers=headers, content=content, extra=extra)


def merge_pairs(base: Pairs, override: Pairs, fold: Callable[[str], str] = lambda k: k) -> Pairs:
    """``base`` with ``override`` on top: a key of both takes the overriding value(s) (every
    earlier occurrence goes); other overriding keys are added after."""
    if not override:
        return list(base)
    replaced = {fold(k) for k, _ in override}
    return [(k, v) for k, v in base if fold(k) not in replaced] + list(override)


def connection_params(params: dict, kind: str) -> list[dict]:
    """The connection's HTTP parameters of one ``kind`` (``HeaderParameters``,
    ``QueryStringParameters``, ``BodyParameters``) that have a ``Key``."""
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
