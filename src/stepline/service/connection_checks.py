"""Checking the requests of the connection operations as AWS's model validation does
(``N validation errors detected: Value ... at 'path' failed to satisfy constraint: ...``),
and the errors a refused request is answered with, worded as AWS words them.

A check appends what fails to a list of failures, so that a request is refused with all of
them at once (:func:`raise_failures`), as AWS refuses it; what stepline does not support
(connections to private APIs) is refused at once.
"""

from __future__ import annotations

import re
from typing import Any

from .connection_auth import AUTH, AUTH_MEMBERS, CLIENT_REQUIRED, HTTP_LISTS
from .errors import ServiceError, validation

MAX_HTTP_PARAMETERS = 100
OAUTH_METHODS = ("GET", "POST", "PUT")

_NAME = re.compile(r"[\.\-_A-Za-z0-9]+")
_NAME_RULE = "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"


def not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException",
                        f"Failed to describe the connection(s). Connection '{name}' does not exist.")


def null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


_HIDDEN = object()


def bad(path: str, rule: str, value: Any = _HIDDEN) -> str:
    """One failure, worded as AWS's model validation words it; a value not passed (a
    sensitive one, or a structure) is not shown."""
    if value is _HIDDEN:
        return f"Value at '{path}' failed to satisfy constraint: {rule}"
    return f"Value '{value}' at '{path}' failed to satisfy constraint: {rule}"


def raise_failures(failures: list[str]) -> None:
    if failures:
        n = len(failures)
        raise validation(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(failures))


def check_name(value: Any, path: str, failures: list[str]) -> None:
    if not isinstance(value, str):
        failures.append(bad(path, "Member must be a string"))
        return
    if len(value) > 64:
        failures.append(bad(path, "Member must have length less than or equal to 64", value))
    elif len(value) < 1:
        failures.append(bad(path, "Member must have length greater than or equal to 1", value))
    if not _NAME.fullmatch(value):
        failures.append(bad(path, _NAME_RULE, value))


def checked_name(p: dict) -> str:
    failures: list[str] = []
    value = p.get("Name")
    if value is None:
        failures.append(null("name"))
    else:
        check_name(value, "name", failures)
    raise_failures(failures)
    return str(value)


def checked_auth_type(p: dict, required: bool) -> Any:
    value = p.get("AuthorizationType")
    if value is None:
        if required:
            raise_failures([null("authorizationType")])
        return None
    if value not in AUTH:
        raise_failures([bad("authorizationType", "Member must satisfy enum value set: "
                            "[BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]", value)])
    return value


def check_common(p: dict, failures: list[str]) -> None:
    description = p.get("Description")
    if description is not None and (not isinstance(description, str) or len(description) > 512):
        failures.append(bad("description", "Member must have length less than or equal to 512"))
    if p.get("InvocationConnectivityParameters") is not None:
        raise validation("InvocationConnectivityParameters (connections to private APIs through VPC Lattice) is "
                         "not supported by stepline: it calls HTTP endpoints directly from where it runs.")


def _camel(member: str) -> str:
    return member[0].lower() + member[1:]


def check_auth(given: dict, auth_type: str | None, failures: list[str], create: bool) -> None:
    """The members of AuthParameters that are there: required members (of ``auth_type``'s
    parameters, when creating), strings, enum values, HTTP parameter lists."""
    if given.get("ConnectivityParameters") is not None:
        raise validation("ConnectivityParameters (authorization endpoints in private networks) is not supported "
                         "by stepline: it calls HTTP endpoints directly from where it runs.")
    for name, auth in AUTH.items():
        params = given.get(auth.member)
        path = f"authParameters.{_camel(auth.member)}"
        if params is None:
            continue
        if not isinstance(params, dict):
            failures.append(bad(path, "Member must be a structure"))
            continue
        strict = create and name == auth_type
        for member in auth.required:
            value = params.get(member)
            if value is None:
                if strict:
                    failures.append(null(f"{path}.{_camel(member)}"))
            elif member == "ClientParameters":
                _check_client(value, f"{path}.clientParameters", failures, strict)
            elif member == "HttpMethod" and value not in OAUTH_METHODS:
                failures.append(bad(f"{path}.httpMethod", "Member must satisfy enum value set: [GET, POST, PUT]",
                                    value))
            elif not isinstance(value, str) or not 1 <= len(value) <= (2048 if member == "AuthorizationEndpoint"
                                                                       else 512):
                failures.append(bad(f"{path}.{_camel(member)}", "Member must be a string of 1 to "
                                    f"{2048 if member == 'AuthorizationEndpoint' else 512} characters"))
        if auth.member == "OAuthParameters" and params.get("OAuthHttpParameters") is not None:
            _check_http(params["OAuthHttpParameters"], f"{path}.oAuthHttpParameters", failures)
    if given.get("InvocationHttpParameters") is not None:
        _check_http(given["InvocationHttpParameters"], "authParameters.invocationHttpParameters", failures)


def _check_client(value: Any, path: str, failures: list[str], strict: bool) -> None:
    if not isinstance(value, dict):
        failures.append(bad(path, "Member must be a structure"))
        return
    for member in CLIENT_REQUIRED:
        if value.get(member) is None:
            if strict:
                failures.append(null(f"{path}.{_camel(member)}"))
        elif not isinstance(value[member], str) or not 1 <= len(value[member]) <= 512:
            failures.append(bad(f"{path}.{_camel(member)}", "Member must be a string of 1 to 512 characters"))


def _check_http(value: Any, path: str, failures: list[str]) -> None:
    if not isinstance(value, dict):
        failures.append(bad(path, "Member must be a structure"))
        return
    for kind in HTTP_LISTS:
        items = value.get(kind)
        if items is None:
            continue
        where = f"{path}.{_camel(kind)}"
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            failures.append(bad(where, "Member must be a list of structures"))
            continue
        if len(items) > MAX_HTTP_PARAMETERS:
            failures.append(bad(where, f"Member must have length less than or equal to {MAX_HTTP_PARAMETERS}"))
        for n, item in enumerate(items, 1):
            for member, kind_ok in (("Key", str), ("Value", str), ("IsValueSecret", bool)):
                if item.get(member) is not None and not isinstance(item[member], kind_ok):
                    failures.append(bad(f"{where}.{n}.member.{_camel(member)}",
                                        f"Member must be a {'boolean' if kind_ok is bool else 'string'}"))


def check_matching(given: dict, auth_type: str) -> None:
    """CreateConnection: the parameters of the authorization type, and only those."""
    member = AUTH[auth_type].member
    others = [m for m in AUTH_MEMBERS if m != member and given.get(m) is not None]
    if given.get(member) is None or others:
        raise validation(f"AuthParameters must contain {member}, and no other authorization parameters, "
                         f"for AuthorizationType {auth_type}.")
