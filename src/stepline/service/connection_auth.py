"""A connection's authorization parameters: the three authorization types, the members kept
of what a request gives, an update merged into them, the view without secrets that
DescribeConnection shows, and the sealing that keeps the complete parameters encrypted.

:class:`~.connections.Connections` stores a connection's body with ``AuthParameters`` as
:func:`without_secrets` makes them and ``Secret``, the complete parameters encrypted with
:mod:`stepline.secrets` and bound to the connection's ARN (:func:`seal`); :func:`unseal`
opens them again, for an update to merge into and for the HTTP Task to call with
(:meth:`~.connections.Connections.resolve`). The secrets are ``Password``, ``ApiKeyValue``,
``ClientSecret`` and the ``Value`` of each HTTP parameter marked ``IsValueSecret``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..secrets import Secrets, SecretsError
from .errors import ServiceError

HTTP_LISTS = ("HeaderParameters", "QueryStringParameters", "BodyParameters")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Auth:
    """One authorization type: the member of AuthParameters that holds its parameters, the
    members it requires (``ClientParameters`` stands for ClientID and ClientSecret) and the
    secret ones."""

    member: str
    required: tuple[str, ...]
    secret: tuple[str, ...] = ()


AUTH = {
    "BASIC": _Auth(member="BasicAuthParameters", required=("Username", "Password"), secret=("Password",)),
    "API_KEY": _Auth(member="ApiKeyAuthParameters", required=("ApiKeyName", "ApiKeyValue"), secret=("ApiKeyValue",)),
    "OAUTH_CLIENT_CREDENTIALS": _Auth(member="OAuthParameters",
                                      required=("ClientParameters", "AuthorizationEndpoint", "HttpMethod")),
}
CLIENT_REQUIRED, CLIENT_SECRET = ("ClientID", "ClientSecret"), "ClientSecret"
AUTH_MEMBERS = tuple(a.member for a in AUTH.values())


def clean_auth(given: dict, auth_type: str) -> dict:
    """The parameters of ``auth_type`` and the invocation HTTP parameters, nothing else."""
    member = AUTH[auth_type].member
    out: dict[str, Any] = {member: known(given[member], member)}
    if given.get("InvocationHttpParameters") is not None:
        out["InvocationHttpParameters"] = known(given["InvocationHttpParameters"], "InvocationHttpParameters")
    return out


#: the members each structure of the parameters has (in botocore's model); others are dropped,
#: so that nothing unknown (which could be secret) is ever shown
_MEMBERS: dict[str, tuple[str, ...]] = {
    "BasicAuthParameters": ("Username", "Password"),
    "ApiKeyAuthParameters": ("ApiKeyName", "ApiKeyValue"),
    "OAuthParameters": ("ClientParameters", "AuthorizationEndpoint", "HttpMethod", "OAuthHttpParameters"),
    "ClientParameters": CLIENT_REQUIRED,
    "OAuthHttpParameters": HTTP_LISTS, "InvocationHttpParameters": HTTP_LISTS,
    **{kind: ("Key", "Value", "IsValueSecret") for kind in HTTP_LISTS},
}


def known(value: Any, member: str) -> Any:
    """``value`` (the member ``member``) with its nulls and unknown members dropped."""
    if isinstance(value, list):
        return [known(item, member) for item in value if item is not None]
    if isinstance(value, dict):
        allowed = _MEMBERS.get(member, ())
        return {k: known(v, k) for k, v in value.items() if v is not None and k in allowed}
    return value


def merge(full: dict, given: dict, auth_type: str) -> dict:
    """UpdateConnection: the parameters of the connection's type are replaced member by
    member; an HTTP parameter list given replaces the stored one. Parameters of other
    authorization types are ignored, as on AWS."""
    member = AUTH[auth_type].member
    out = dict(full)
    if given.get(member) is not None:
        old, new = full.get(member, {}), known(given[member], member)
        merged = {**old, **new}
        if "ClientParameters" in new:
            merged["ClientParameters"] = {**old.get("ClientParameters", {}), **new["ClientParameters"]}
        if "OAuthHttpParameters" in new:
            merged["OAuthHttpParameters"] = {**old.get("OAuthHttpParameters", {}), **new["OAuthHttpParameters"]}
        out[member] = merged
    if given.get("InvocationHttpParameters") is not None:
        out["InvocationHttpParameters"] = {**full.get("InvocationHttpParameters", {}),
                                           **known(given["InvocationHttpParameters"], "InvocationHttpParameters")}
    return out


def complete(full: dict, auth_type: str) -> bool:
    """Whether ``full`` holds every parameter ``auth_type`` requires (a connection without them is DEAUTHORIZED)."""
    auth = AUTH[auth_type]
    params = full.get(auth.member) or {}
    if not all(params.get(m) is not None for m in auth.required):
        return False
    return auth.member != "OAuthParameters" or all(params["ClientParameters"].get(m) is not None
                                                   for m in CLIENT_REQUIRED)


def without_secrets(full: dict) -> dict:
    """AuthParameters as DescribeConnection shows them: no secret."""
    out: dict[str, Any] = {}
    for auth in AUTH.values():
        params = full.get(auth.member)
        if params is None:
            continue
        shown = {k: v for k, v in params.items() if k not in auth.secret}
        if "ClientParameters" in shown:
            shown["ClientParameters"] = {k: v for k, v in shown["ClientParameters"].items() if k != CLIENT_SECRET}
        if "OAuthHttpParameters" in shown:
            shown["OAuthHttpParameters"] = _public_http(shown["OAuthHttpParameters"])
        out[auth.member] = shown
    if "InvocationHttpParameters" in full:
        out["InvocationHttpParameters"] = _public_http(full["InvocationHttpParameters"])
    return out


def _public_http(http: dict) -> dict:
    out = {}
    for kind in HTTP_LISTS:
        if kind in http:
            out[kind] = [{k: v for k, v in item.items() if k != "Value" or not item.get("IsValueSecret")}
                         | {"IsValueSecret": bool(item.get("IsValueSecret"))} for item in http[kind]]
    return out


def drop_secret_parameters(public: dict) -> dict:
    """What de-authorizing leaves of the (public) parameters: no HTTP parameter whose value
    was secret (its value is gone with the secret)."""
    def http(params: dict) -> dict:
        return {kind: [item for item in params[kind] if not item.get("IsValueSecret")]
                for kind in HTTP_LISTS if kind in params}

    out = json.loads(json.dumps(public))
    if "InvocationHttpParameters" in out:
        out["InvocationHttpParameters"] = http(out["InvocationHttpParameters"])
    oauth = out.get("OAuthParameters")
    if oauth is not None and "OAuthHttpParameters" in oauth:
        oauth["OAuthHttpParameters"] = http(oauth["OAuthHttpParameters"])
    return out


def seal(secrets: Secrets, body: dict, full: dict) -> None:
    """Put the complete parameters ``full`` in the connection's ``body``: encrypted (bound to
    its ARN), and as DescribeConnection shows them."""
    body["AuthParameters"] = without_secrets(full)
    body["Secret"] = secrets.encrypt(json.dumps(full, separators=(",", ":")), body["ConnectionArn"])


def unseal(secrets: Secrets, body: dict) -> dict:
    """The complete parameters of the connection ``body``, secrets and all (what the HTTP Task
    calls with, and what an update merges into)."""
    try:
        return json.loads(secrets.decrypt(body["Secret"], body["ConnectionArn"]))
    except SecretsError as e:
        raise ServiceError("InternalException",
                           f"The secrets of connection {body['Name']} cannot be decrypted: {e}. "
                           "DeauthorizeConnection, then UpdateConnection with its credentials, sets them anew.",
                           500) from None
