"""OAuth client credentials for the HTTP Task: the token of an ``OAUTH_CLIENT_CREDENTIALS``
connection, obtained from its authorization endpoint and kept.

What EventBridge documents and this follows: a token is kept per connection and replaced when
it expires within 60 seconds, or when the API it is sent to answers 401 or 407 (the task then
asks for a new one, once, and calls again). What stepline guessed (the tests of
:mod:`stepline.integrations.http` pin each): the client ID and secret go to the endpoint as
HTTP Basic credentials, the connection's ``OAuthHttpParameters`` added to the headers, query
and form body, with ``grant_type=client_credentials`` unless they set a grant type; a token
without ``expires_in`` is kept until an API refuses it; a token that cannot be obtained fails
with ``Events.ConnectionResource.InvalidConnectionState`` (a timeout with
``States.Http.Socket``). One token request at a time per connection and credentials, so an
updated connection starts anew.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..asl.values import NotJson, parse_json
from . import TaskFailure
from .http_exchange import (
    SOCKET,
    Budget,
    CallTimeout,
    ResponseTooLarge,
    status_phrase,
    transport_problem,
)
from .http_request import FORM_TYPE, Pairs, connection_params, form_encode, merge_pairs

#: an OAuth token expiring within this many seconds is replaced before a call (EventBridge)
TOKEN_MARGIN_SECONDS = 60.0
#: a connection that cannot be used: not AUTHORIZED, or no token to be had (EventBridge)
INVALID_CONNECTION_STATE = "Events.ConnectionResource.InvalidConnectionState"

#: ``send(method, url, headers, content, deadline)``: one exchange, as :func:`.http_exchange.exchange`
Send = Callable[[str, str, Pairs, bytes | None, float], tuple[httpx.Response, bytes]]


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires: float | None   # on the task's clock; None: until an API refuses it


class OAuthTokens:
    """The OAuth tokens of connections, fetched with ``send`` as ``user_agent`` and timed on
    ``clock``; safe to use from many threads."""

    def __init__(self, send: Send, *, user_agent: str, clock: Callable[[], float]) -> None:
        self.send = send
        self.user_agent = user_agent
        self.clock = clock
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._token_locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def token(self, arn: str, oauth: dict, secrets: set[str], budget: Budget, stale: str | None = None) -> str:
        """The connection's OAuth token: the one kept, unless it expires within a minute or
        is ``stale`` (refused by the API), else a new one from the authorization endpoint.
        One request at a time per connection (and per credentials: an update starts anew).
        The token joins ``secrets``."""
        key = (arn, hashlib.sha256(json.dumps(oauth, sort_keys=True).encode("utf-8")).hexdigest())
        with self._lock:
            lock = self._token_locks.setdefault(key, threading.Lock())
        with lock:
            kept = self._tokens.get(key)
            if kept is not None and kept.value != stale and (
                    kept.expires is None or kept.expires - self.clock() > TOKEN_MARGIN_SECONDS):
                secrets.add(kept.value)
                return kept.value
            fresh = self._fetch(arn, oauth, budget)
            self._tokens[key] = fresh
            secrets.add(fresh.value)
            return fresh.value

    def _fetch(self, arn: str, oauth: dict, budget: Budget) -> _Token:
        client = oauth.get("ClientParameters") or {}
        endpoint = oauth.get("AuthorizationEndpoint") or ""
        method = oauth.get("HttpMethod") or "POST"
        extra = oauth.get("OAuthHttpParameters") or {}
        credentials = f"{client.get('ClientID', '')}:{client.get('ClientSecret', '')}"
        headers: Pairs = [("Authorization", "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")),
                          ("User-Agent", self.user_agent), ("Accept", "application/json")]
        headers = merge_pairs(headers, [(p["Key"], p.get("Value", ""))
                                        for p in connection_params(extra, "HeaderParameters")], fold=str.lower)
        query: Pairs = [(p["Key"], p.get("Value", "")) for p in connection_params(extra, "QueryStringParameters")]
        form: Pairs = [(p["Key"], p.get("Value", "")) for p in connection_params(extra, "BodyParameters")]
        if not any(k == "grant_type" for k, _ in query + form):
            (query if method == "GET" else form).append(("grant_type", "client_credentials"))
        url = endpoint + (("&" if "?" in endpoint else "?") + form_encode(query, "REPEAT") if query else "")
        content = None
        if form:
            content = form_encode(form, "REPEAT").encode("utf-8")
            headers.append(("Content-Type", FORM_TYPE))
        where = f"the authorization endpoint of connection '{arn}'"
        try:
            response, body = self.send(method, url, headers, content, budget.deadline)
        except CallTimeout:
            raise TaskFailure(SOCKET, f"The OAuth token request to {where} timed out: no complete response within "
                                      f"{budget.seconds:g} seconds.") from None
        except (ResponseTooLarge, httpx.HTTPError, UnicodeEncodeError) as e:
            problem = transport_problem(e) if isinstance(e, httpx.TransportError) else "it could not be completed"
            raise TaskFailure(INVALID_CONNECTION_STATE,
                              f"No OAuth token could be obtained from {where}: {problem}.") from None
        if not 200 <= response.status_code < 300:
            raise TaskFailure(INVALID_CONNECTION_STATE,
                              f"No OAuth token could be obtained from {where}: it answered {response.status_code} "
                              f"{response.reason_phrase or status_phrase(response.status_code)}.")
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
