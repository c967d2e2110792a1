"""EventBridge connections: the credentials an HTTP Task (``arn:aws:states:::http:invoke``)
calls an API with, kept out of state machine definitions.

The operations are those of AWS's ``events`` API (botocore's model): CreateConnection,
DescribeConnection, UpdateConnection, DeleteConnection, ListConnections and
DeauthorizeConnection, with requests and responses named as there (``Name``,
``AuthParameters``, ...), timestamps as epoch seconds. :meth:`Connections.resolve` gives the
HTTP Task integration a connection's parameters *with* their secrets; no operation does.

How a connection is kept. A store resource of kind ``connection`` under its ARN
(``arn:aws:events:REGION:ACCOUNT:connection/NAME/UUID``) holds, as plain JSON, what
DescribeConnection shows: the authorization parameters with every secret taken out
(``Password``, ``ApiKeyValue``, ``ClientSecret`` and the ``Value`` of each HTTP parameter
marked ``IsValueSecret``). The complete parameters are kept beside them encrypted
(:mod:`stepline.secrets`, bound to the ARN), so no secret is ever in the database in clear.
A second resource, of kind ``connection-name`` under the ARN without its UUID, maps the name
to the ARN and makes names unique (inserting it is the test, in any number of processes);
the connection is its child, so deleting the name deletes both in one transaction.

AWS behaviours followed (from AWS's documentation and responses it recorded):
- a created BASIC or API_KEY connection is ``AUTHORIZED``. AWS answers ``AUTHORIZING`` for
  OAUTH_CLIENT_CREDENTIALS while it fetches a first token from the authorization endpoint, and
  ``AUTHORIZED`` once it has one; stepline fetches OAuth tokens when a task calls (the HTTP
  Task integration's business), so it reports such a connection ``AUTHORIZED`` from the start;
- CreateConnection answers without ``LastAuthorizedTime``; DescribeConnection, ListConnections,
  UpdateConnection and DeleteConnection carry it; DeleteConnection answers ``DELETING`` (the
  connection is gone at once here);
- ``SecretArn`` names the Secrets Manager secret AWS would keep the credentials in,
  ``arn:aws:secretsmanager:REGION:ACCOUNT:secret:events!connection/NAME/UUID-XXXXXX``; an
  update keeps it;
- updating with the parameters of another authorization type than the connection's, without
  changing the type, has no effect;
- de-authorizing removes the authorization parameters and the secret: the connection is
  ``DEAUTHORIZED`` (the answer says ``DEAUTHORIZING``, as AWS's does while it works) until an
  update gives it credentials again;
- not found: ``Failed to describe the connection(s). Connection 'NAME' does not exist.``;
- at most 3,000 connections per account and region (AWS's default quota).

Guessed where AWS does not document it (see the tests): within the authorization type's
parameters an update replaces the members it names and keeps the others (a new ``Password``
keeps the ``Username``); each HTTP parameter list it names (``HeaderParameters``, ...)
replaces the stored list, and lists it omits are kept; the wording of the errors that only
this module raises (type/parameter mismatch, duplicate name, quota, bad NextToken).
Connections to private APIs (``ConnectivityParameters``, ``InvocationConnectivityParameters``,
VPC Lattice resources) are refused: stepline calls endpoints from where it runs.
"""

from __future__ import annotations

import base64
import json
import re
import string
import time
import uuid
from dataclasses import dataclass
from secrets import choice
from typing import Any, Callable

from ..secrets import Secrets, SecretsError
from ..store import Resource, Store
from . import pages
from .arns import partition
from .errors import ServiceError

#: the operations of AWS's ``events`` API this module serves
OPERATIONS = ("CreateConnection", "DescribeConnection", "UpdateConnection", "DeleteConnection", "ListConnections",
              "DeauthorizeConnection")
CONNECTION, CONNECTION_NAME = "connection", "connection-name"
MAX_CONNECTIONS = 3000
MAX_UPDATE_ATTEMPTS = 20
DEFAULT_LIMIT = MAX_LIMIT = 100
MAX_HTTP_PARAMETERS = 100
STATES = ("CREATING", "UPDATING", "DELETING", "AUTHORIZED", "DEAUTHORIZED", "AUTHORIZING", "DEAUTHORIZING",
          "ACTIVE", "FAILED_CONNECTIVITY")
OAUTH_METHODS = ("GET", "POST", "PUT")
HTTP_LISTS = ("HeaderParameters", "QueryStringParameters", "BodyParameters")

_NAME = re.compile(r"[\.\-_A-Za-z0-9]+")
_NAME_RULE = "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"


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


class Connections:
    """The connection operations of one region and account."""

    def __init__(self, store: Store, secrets: Secrets, region: str, account: str,
                 clock: Callable[[], float] = time.time, max_connections: int = MAX_CONNECTIONS) -> None:
        self.store = store
        self.secrets = secrets
        self.region = region
        self.account = account
        self.clock = clock
        self.max_connections = max_connections
        self.prefix = f"arn:{partition(region)}:events:{region}:{account}:connection/"
        self.secret_prefix = f"arn:{partition(region)}:secretsmanager:{region}:{account}:secret:events!connection/"

    def handlers(self) -> dict[str, Callable[[dict], dict]]:
        """The function serving each operation, by its AWS name (for the API's ``events`` handlers)."""
        return {op: getattr(self, re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()) for op in OPERATIONS}

    # ------------------------------------------------------------------ operations

    def create_connection(self, p: dict) -> dict:
        """CreateConnection: AUTHORIZED at once (see the module's doc for OAuth)."""
        name = _name(p)
        auth_type = _auth_type(p, required=True)
        given = p.get("AuthParameters")
        failures: list[str] = []
        _check_common(p, failures)
        if given is None:
            failures.append(_null("authParameters"))
        elif not isinstance(given, dict):
            failures.append(_bad("authParameters", "Member must be a structure"))
        else:
            _check_auth(given, auth_type, failures, create=True)
        _raise(failures)
        assert isinstance(given, dict)
        _check_matching(given, auth_type)
        full = _clean_auth(given, auth_type)

        now = self.clock()
        arn = f"{self.prefix}{name}/{uuid.uuid4()}"
        body: dict[str, Any] = {"ConnectionArn": arn, "Name": name}
        if p.get("Description") is not None:
            body["Description"] = p["Description"]
        body.update(AuthorizationType=auth_type, ConnectionState="AUTHORIZED", SecretArn=self._secret_arn(name))
        if p.get("KmsKeyIdentifier") is not None:
            body["KmsKeyIdentifier"] = p["KmsKeyIdentifier"]
        body.update(CreationTime=now, LastModifiedTime=now, LastAuthorizedTime=now)
        self._seal(body, full)

        if self._count() >= self.max_connections:
            raise ServiceError("LimitExceededException",
                               f"The requested resource exceeds the maximum number allowed: at most "
                               f"{self.max_connections} connections per account and region.")
        index = Resource(self._index_arn(name), CONNECTION_NAME, name, None, now, json.dumps({"ConnectionArn": arn}))
        if not self.store.insert_resource(index) and not self._replace_stale_index(index):
            raise ServiceError("ResourceAlreadyExistsException", f"Connection {name} already exists.")
        self.store.insert_resource(Resource(arn, CONNECTION, name, index.arn, now, json.dumps(body)))
        return {"ConnectionArn": arn, "ConnectionState": body["ConnectionState"], "CreationTime": now,
                "LastModifiedTime": now}

    def describe_connection(self, p: dict) -> dict:
        """DescribeConnection: everything but the secrets."""
        _, body = self._by_name(_name(p))
        out = {k: body[k] for k in ("ConnectionArn", "Name", "Description", "ConnectionState", "StateReason",
                                    "AuthorizationType", "SecretArn", "KmsKeyIdentifier", "AuthParameters")
               if k in body}
        return {**out, **_times(body)}

    def update_connection(self, p: dict) -> dict:
        """UpdateConnection: merges into the stored parameters (see the module's doc); a
        de-authorized connection given its credentials again is AUTHORIZED again."""
        name = _name(p)
        new_type = _auth_type(p, required=False)
        given = p.get("AuthParameters")
        failures: list[str] = []
        _check_common(p, failures)
        if given is not None and not isinstance(given, dict):
            failures.append(_bad("authParameters", "Member must be a structure"))
        elif given is not None:
            _check_auth(given, None, failures, create=False)
        _raise(failures)
        given = given or {}

        for _ in range(MAX_UPDATE_ATTEMPTS):
            resource, body = self._by_name(name)
            auth_type = new_type or body["AuthorizationType"]
            changed_type = auth_type != body["AuthorizationType"]
            auth = AUTH[auth_type]
            full = self._open(body)
            if changed_type:
                # the new type's parameters must all be given; the old type's go
                if given.get(auth.member) is None:
                    raise _validation(f"AuthParameters must contain {auth.member} to change the "
                                      f"AuthorizationType to {auth_type}.")
                failures = []
                _check_auth({auth.member: given[auth.member]}, auth_type, failures, create=True)
                _raise(failures)
                full = {k: v for k, v in full.items() if k not in AUTH_MEMBERS}
            merged = _merge(full, given, auth_type)
            now = self.clock()
            new = {k: v for k, v in body.items() if k != "StateReason"}
            for member in ("Description", "KmsKeyIdentifier"):
                if p.get(member) is not None:
                    new[member] = p[member]
            new["AuthorizationType"] = auth_type
            new["LastModifiedTime"] = now
            if _complete(merged, auth_type):
                reauthorized = changed_type or given.get(auth.member) is not None
                if body["ConnectionState"] != "AUTHORIZED" or reauthorized:
                    new["LastAuthorizedTime"] = now
                new["ConnectionState"] = "AUTHORIZED"
                new.setdefault("SecretArn", self._secret_arn(name))
            else:
                new["ConnectionState"] = "DEAUTHORIZED"
            self._seal(new, merged)
            if self.store.update_resource(Resource(resource.arn, CONNECTION, name, resource.parent, resource.created,
                                                   json.dumps(new)), resource.revision):
                return _answer(new)
        raise ServiceError("ConcurrentModificationException",
                           f"Connection {name} is being modified by another request; try again.")

    def delete_connection(self, p: dict) -> dict:
        """DeleteConnection: gone at once, answered ``DELETING`` as AWS does."""
        name = _name(p)
        resource, body = self._by_name(name)
        if not self.store.delete_resource(resource.parent or self._index_arn(name)):
            raise _not_found(name)
        return _answer({**body, "ConnectionState": "DELETING"})

    def deauthorize_connection(self, p: dict) -> dict:
        """DeauthorizeConnection: the credentials and secret HTTP parameters are dropped."""
        name = _name(p)
        for _ in range(MAX_UPDATE_ATTEMPTS):
            resource, body = self._by_name(name)
            new = {k: v for k, v in body.items() if k not in ("SecretArn", "StateReason")}
            # the public parameters, less the secret HTTP parameters, are what remains: nothing
            # to decrypt, so a connection whose key is lost can be reset this way
            new["ConnectionState"] = "DEAUTHORIZED"
            new["LastModifiedTime"] = self.clock()
            self._seal(new, _drop_secret_parameters(body["AuthParameters"]))
            if self.store.update_resource(Resource(resource.arn, CONNECTION, name, resource.parent, resource.created,
                                                   json.dumps(new)), resource.revision):
                return _answer({**new, "ConnectionState": "DEAUTHORIZING"})
        raise ServiceError("ConcurrentModificationException",
                           f"Connection {name} is being modified by another request; try again.")

    def list_connections(self, p: dict) -> dict:
        """ListConnections: oldest first, filtered by ``NamePrefix`` and ``ConnectionState``,
        ``Limit`` (1 to 100, default 100) a page, continued with ``NextToken``."""
        failures: list[str] = []
        prefix = p.get("NamePrefix")
        if prefix is not None:
            _check_name(prefix, "namePrefix", failures)
        state = p.get("ConnectionState")
        if state is not None and state not in STATES:
            failures.append(_bad("connectionState", f"Member must satisfy enum value set: [{', '.join(STATES)}]",
                                 state))
        limit = p.get("Limit")
        if limit is not None and type(limit) is not int:
            failures.append(_bad("limit", "Member must be an integer"))
        elif limit is not None and limit > MAX_LIMIT:
            failures.append(_bad("limit", f"Member must have value less than or equal to {MAX_LIMIT}", limit))
        elif limit is not None and limit < 1:
            failures.append(_bad("limit", "Member must have value greater than or equal to 1", limit))
        _raise(failures)
        size = limit or DEFAULT_LIMIT
        after = _position(p.get("NextToken"))
        found: list[dict] = []
        last: tuple[float, str] | None = None
        while True:
            rows = self.store.list_resources(CONNECTION, limit=200, after=after)
            for r in rows:
                after = (r.created, r.arn)
                if not r.arn.startswith(self.prefix) or (prefix is not None and not r.name.startswith(prefix)):
                    continue
                body = json.loads(r.body)
                if state is not None and body["ConnectionState"] != state:
                    continue
                if len(found) == size:
                    assert last is not None
                    return {"Connections": found, "NextToken": pages.token(list(last))}
                found.append(_summary(body))
                last = (r.created, r.arn)
            if len(rows) < 200:
                return {"Connections": found}

    # ------------------------------------------------------------------ for the HTTP Task

    def resolve(self, connection_arn: str) -> dict:
        """What an HTTP Task calls with: ``ConnectionArn``, ``Name``, ``AuthorizationType``,
        ``ConnectionState`` and ``AuthParameters`` complete with their secrets, shaped as
        CreateConnection takes them (``BasicAuthParameters: {Username, Password}``, ...,
        ``InvocationHttpParameters``). A ``DEAUTHORIZED`` connection has no credentials in
        it: the caller decides what a call with it does."""
        resource = self.store.get_resource(connection_arn) if isinstance(connection_arn, str) else None
        if resource is None or resource.kind != CONNECTION:
            raise ServiceError("ResourceNotFoundException",
                               f"Failed to describe the connection(s). Connection '{connection_arn}' does not exist.")
        body = json.loads(resource.body)
        return {"ConnectionArn": body["ConnectionArn"], "Name": body["Name"],
                "AuthorizationType": body["AuthorizationType"], "ConnectionState": body["ConnectionState"],
                "AuthParameters": self._open(body)}

    # ------------------------------------------------------------------ keeping them

    def _index_arn(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def _secret_arn(self, name: str) -> str:
        suffix = "".join(choice(string.ascii_letters + string.digits) for _ in range(6))
        return f"{self.secret_prefix}{name}/{uuid.uuid4()}-{suffix}"

    def _by_name(self, name: str) -> tuple[Resource, dict]:
        index = self.store.get_resource(self._index_arn(name))
        if index is not None and index.kind == CONNECTION_NAME:
            resource = self.store.get_resource(json.loads(index.body)["ConnectionArn"])
            if resource is not None and resource.kind == CONNECTION:
                return resource, json.loads(resource.body)
        raise _not_found(name)

    def _replace_stale_index(self, index: Resource) -> bool:
        """A name taken by an index without its connection (a process stopped between the
        two inserts of a create) is freed after a minute; True if ``index`` took its place."""
        found = self.store.get_resource(index.arn)
        if found is None or found.created > index.created - 60:
            return False
        if self.store.get_resource(json.loads(found.body)["ConnectionArn"]) is not None:
            return False
        self.store.delete_resource(index.arn)
        return self.store.insert_resource(index)

    def _count(self) -> int:
        rows = self.store.list_resources(CONNECTION_NAME, limit=10 * self.max_connections + 1)
        return sum(1 for r in rows if r.arn.startswith(self.prefix))

    def _seal(self, body: dict, full: dict) -> None:
        """Put the complete parameters in ``body``: encrypted, and as DescribeConnection shows them."""
        body["AuthParameters"] = _public(full)
        body["Secret"] = self.secrets.encrypt(json.dumps(full, separators=(",", ":")), body["ConnectionArn"])

    def _open(self, body: dict) -> dict:
        try:
            return json.loads(self.secrets.decrypt(body["Secret"], body["ConnectionArn"]))
        except SecretsError as e:
            raise ServiceError("InternalException",
                               f"The secrets of connection {body['Name']} cannot be decrypted: {e}. "
                               "DeauthorizeConnection, then UpdateConnection with its credentials, sets them anew.",
                               500) from None


# ---------------------------------------------------------------------- parameters

def _clean_auth(given: dict, auth_type: str) -> dict:
    """The parameters of ``auth_type`` and the invocation HTTP parameters, nothing else."""
    member = AUTH[auth_type].member
    out: dict[str, Any] = {member: _known(given[member], member)}
    if given.get("InvocationHttpParameters") is not None:
        out["InvocationHttpParameters"] = _known(given["InvocationHttpParameters"], "InvocationHttpParameters")
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


def _known(value: Any, member: str) -> Any:
    """``value`` (the member ``member``) with its nulls and unknown members dropped."""
    if isinstance(value, list):
        return [_known(item, member) for item in value if item is not None]
    if isinstance(value, dict):
        allowed = _MEMBERS.get(member, ())
        return {k: _known(v, k) for k, v in value.items() if v is not None and k in allowed}
    return value


def _merge(full: dict, given: dict, auth_type: str) -> dict:
    """UpdateConnection: the parameters of the connection's type are replaced member by
    member; an HTTP parameter list given replaces the stored one. Parameters of other
    authorization types are ignored, as on AWS."""
    member = AUTH[auth_type].member
    out = dict(full)
    if given.get(member) is not None:
        old, new = full.get(member, {}), _known(given[member], member)
        merged = {**old, **new}
        if "ClientParameters" in new:
            merged["ClientParameters"] = {**old.get("ClientParameters", {}), **new["ClientParameters"]}
        if "OAuthHttpParameters" in new:
            merged["OAuthHttpParameters"] = {**old.get("OAuthHttpParameters", {}), **new["OAuthHttpParameters"]}
        out[member] = merged
    if given.get("InvocationHttpParameters") is not None:
        out["InvocationHttpParameters"] = {**full.get("InvocationHttpParameters", {}),
                                           **_known(given["InvocationHttpParameters"], "InvocationHttpParameters")}
    return out


def _complete(full: dict, auth_type: str) -> bool:
    auth = AUTH[auth_type]
    params = full.get(auth.member) or {}
    if not all(params.get(m) is not None for m in auth.required):
        return False
    return auth.member != "OAuthParameters" or all(params["ClientParameters"].get(m) is not None
                                                   for m in CLIENT_REQUIRED)


def _public(full: dict) -> dict:
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


def _drop_secret_parameters(public: dict) -> dict:
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


# ---------------------------------------------------------------------- responses

def _times(body: dict) -> dict:
    return {k: body[k] for k in ("CreationTime", "LastModifiedTime", "LastAuthorizedTime") if k in body}


def _answer(body: dict) -> dict:
    """What Update-, Delete- and DeauthorizeConnection answer."""
    return {"ConnectionArn": body["ConnectionArn"], "ConnectionState": body["ConnectionState"], **_times(body)}


def _summary(body: dict) -> dict:
    out = {k: body[k] for k in ("ConnectionArn", "Name", "ConnectionState", "StateReason", "AuthorizationType")
           if k in body}
    return {**out, **_times(body)}


def _position(text: Any) -> tuple[float, str] | None:
    if text is None:
        return None
    try:
        created, arn = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        return float(created), str(arn)
    except (AttributeError, TypeError, ValueError):
        raise _validation("Invalid NextToken: the token does not come from ListConnections.") from None


# ---------------------------------------------------------------------- checks

def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException",
                        f"Failed to describe the connection(s). Connection '{name}' does not exist.")


def _null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


_HIDDEN = object()


def _bad(path: str, rule: str, value: Any = _HIDDEN) -> str:
    """One failure, worded as AWS's model validation words it; a value not passed (a
    sensitive one, or a structure) is not shown."""
    if value is _HIDDEN:
        return f"Value at '{path}' failed to satisfy constraint: {rule}"
    return f"Value '{value}' at '{path}' failed to satisfy constraint: {rule}"


def _raise(failures: list[str]) -> None:
    if failures:
        n = len(failures)
        raise _validation(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(failures))


def _check_name(value: Any, path: str, failures: list[str]) -> None:
    if not isinstance(value, str):
        failures.append(_bad(path, "Member must be a string"))
        return
    if len(value) > 64:
        failures.append(_bad(path, "Member must have length less than or equal to 64", value))
    elif len(value) < 1:
        failures.append(_bad(path, "Member must have length greater than or equal to 1", value))
    if not _NAME.fullmatch(value):
        failures.append(_bad(path, _NAME_RULE, value))


def _name(p: dict) -> str:
    failures: list[str] = []
    value = p.get("Name")
    if value is None:
        failures.append(_null("name"))
    else:
        _check_name(value, "name", failures)
    _raise(failures)
    return str(value)


def _auth_type(p: dict, required: bool) -> Any:
    value = p.get("AuthorizationType")
    if value is None:
        if required:
            _raise([_null("authorizationType")])
        return None
    if value not in AUTH:
        _raise([_bad("authorizationType", "Member must satisfy enum value set: "
                     "[BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]", value)])
    return value


def _check_common(p: dict, failures: list[str]) -> None:
    description = p.get("Description")
    if description is not None and (not isinstance(description, str) or len(description) > 512):
        failures.append(_bad("description", "Member must have length less than or equal to 512"))
    if p.get("InvocationConnectivityParameters") is not None:
        raise _validation("InvocationConnectivityParameters (connections to private APIs through VPC Lattice) is "
                          "not supported by stepline: it calls HTTP endpoints directly from where it runs.")


def _camel(member: str) -> str:
    return member[0].lower() + member[1:]


def _check_auth(given: dict, auth_type: str | None, failures: list[str], create: bool) -> None:
    """The members of AuthParameters that are there: required members (of ``auth_type``'s
    parameters, when creating), strings, enum values, HTTP parameter lists."""
    if given.get("ConnectivityParameters") is not None:
        raise _validation("ConnectivityParameters (authorization endpoints in private networks) is not supported "
                          "by stepline: it calls HTTP endpoints directly from where it runs.")
    for name, auth in AUTH.items():
        params = given.get(auth.member)
        path = f"authParameters.{_camel(auth.member)}"
        if params is None:
            continue
        if not isinstance(params, dict):
            failures.append(_bad(path, "Member must be a structure"))
            continue
        strict = create and name == auth_type
        for member in auth.required:
            value = params.get(member)
            if value is None:
                if strict:
                    failures.append(_null(f"{path}.{_camel(member)}"))
            elif member == "ClientParameters":
                _check_client(value, f"{path}.clientParameters", failures, strict)
            elif member == "HttpMethod" and value not in OAUTH_METHODS:
                failures.append(_bad(f"{path}.httpMethod", "Member must satisfy enum value set: [GET, POST, PUT]",
                                     value))
            elif not isinstance(value, str) or not 1 <= len(value) <= (2048 if member == "AuthorizationEndpoint"
                                                                       else 512):
                failures.append(_bad(f"{path}.{_camel(member)}", "Member must be a string of 1 to "
                                     f"{2048 if member == 'AuthorizationEndpoint' else 512} characters"))
        if auth.member == "OAuthParameters" and params.get("OAuthHttpParameters") is not None:
            _check_http(params["OAuthHttpParameters"], f"{path}.oAuthHttpParameters", failures)
    if given.get("InvocationHttpParameters") is not None:
        _check_http(given["InvocationHttpParameters"], "authParameters.invocationHttpParameters", failures)


def _check_client(value: Any, path: str, failures: list[str], strict: bool) -> None:
    if not isinstance(value, dict):
        failures.append(_bad(path, "Member must be a structure"))
        return
    for member in CLIENT_REQUIRED:
        if value.get(member) is None:
            if strict:
                failures.append(_null(f"{path}.{_camel(member)}"))
        elif not isinstance(value[member], str) or not 1 <= len(value[member]) <= 512:
            failures.append(_bad(f"{path}.{_camel(member)}", "Member must be a string of 1 to 512 characters"))


def _check_http(value: Any, path: str, failures: list[str]) -> None:
    if not isinstance(value, dict):
        failures.append(_bad(path, "Member must be a structure"))
        return
    for kind in HTTP_LISTS:
        items = value.get(kind)
        if items is None:
            continue
        where = f"{path}.{_camel(kind)}"
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            failures.append(_bad(where, "Member must be a list of structures"))
            continue
        if len(items) > MAX_HTTP_PARAMETERS:
            failures.append(_bad(where, f"Member must have length less than or equal to {MAX_HTTP_PARAMETERS}"))
        for n, item in enumerate(items, 1):
            for member, kind_ok in (("Key", str), ("Value", str), ("IsValueSecret", bool)):
                if item.get(member) is not None and not isinstance(item[member], kind_ok):
                    failures.append(_bad(f"{where}.{n}.member.{_camel(member)}",
                                         f"Member must be a {'boolean' if kind_ok is bool else 'string'}"))


def _check_matching(given: dict, auth_type: str) -> None:
    """CreateConnection: the parameters of the authorization type, and only those."""
    member = AUTH[auth_type].member
    others = [m for m in AUTH_MEMBERS if m != member and given.get(m) is not None]
    if given.get(member) is None or others:
        raise _validation(f"AuthParameters must contain {member}, and no other authorization parameters, "
                          f"for AuthorizationType {auth_type}.")
