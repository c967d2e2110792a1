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
stepline's connections raise (type/parameter mismatch, duplicate name, quota, bad NextToken).
Connections to private APIs (``ConnectivityParameters``, ``InvocationConnectivityParameters``,
VPC Lattice resources) are refused: stepline calls endpoints from where it runs.

The authorization parameters themselves (their types, merging, the view without secrets,
sealing and unsealing) are in :mod:`.connection_auth`; checking requests and wording their
errors in :mod:`.connection_checks`.
"""

from __future__ import annotations

import base64
import json
import re
import string
import time
import uuid
from collections.abc import Callable
from secrets import choice
from typing import Any

from ..asl.values import parse_json
from ..secrets import Secrets
from ..store import Resource, Store
from . import pages
from .arns import partition
from .connection_auth import AUTH, AUTH_MEMBERS, clean_auth, complete, drop_secret_parameters, merge, seal, unseal
from .connection_checks import (
    bad,
    check_auth,
    check_common,
    check_matching,
    check_name,
    checked_auth_type,
    checked_name,
    not_found,
    null,
    raise_failures,
)
from .errors import ServiceError, validation

#: the operations of AWS's ``events`` API this module serves
OPERATIONS = ("CreateConnection", "DescribeConnection", "UpdateConnection", "DeleteConnection", "ListConnections",
              "DeauthorizeConnection")
CONNECTION, CONNECTION_NAME = "connection", "connection-name"
MAX_CONNECTIONS = 3000
MAX_UPDATE_ATTEMPTS = 20
DEFAULT_LIMIT = MAX_LIMIT = 100
STATES = ("CREATING", "UPDATING", "DELETING", "AUTHORIZED", "DEAUTHORIZED", "AUTHORIZING", "DEAUTHORIZING",
          "ACTIVE", "FAILED_CONNECTIVITY")


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
        name = checked_name(p)
        auth_type = checked_auth_type(p, required=True)
        given = p.get("AuthParameters")
        failures: list[str] = []
        check_common(p, failures)
        if given is None:
            failures.append(null("authParameters"))
        elif not isinstance(given, dict):
            failures.append(bad("authParameters", "Member must be a structure"))
        else:
            check_auth(given, auth_type, failures, create=True)
        raise_failures(failures)
        assert isinstance(given, dict)
        check_matching(given, auth_type)
        full = clean_auth(given, auth_type)

        now = self.clock()
        arn = f"{self.prefix}{name}/{uuid.uuid4()}"
        body: dict[str, Any] = {"ConnectionArn": arn, "Name": name}
        if p.get("Description") is not None:
            body["Description"] = p["Description"]
        body.update(AuthorizationType=auth_type, ConnectionState="AUTHORIZED", SecretArn=self._secret_arn(name))
        if p.get("KmsKeyIdentifier") is not None:
            body["KmsKeyIdentifier"] = p["KmsKeyIdentifier"]
        body.update(CreationTime=now, LastModifiedTime=now, LastAuthorizedTime=now)
        seal(self.secrets, body, full)

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
        _, body = self._by_name(checked_name(p))
        out = {k: body[k] for k in ("ConnectionArn", "Name", "Description", "ConnectionState", "StateReason",
                                    "AuthorizationType", "SecretArn", "KmsKeyIdentifier", "AuthParameters")
               if k in body}
        return {**out, **_times(body)}

    def update_connection(self, p: dict) -> dict:
        """UpdateConnection: merges into the stored parameters (see the module's doc); a
        de-authorized connection given its credentials again is AUTHORIZED again."""
        name = checked_name(p)
        new_type = checked_auth_type(p, required=False)
        given = p.get("AuthParameters")
        failures: list[str] = []
        check_common(p, failures)
        if given is not None and not isinstance(given, dict):
            failures.append(bad("authParameters", "Member must be a structure"))
        elif given is not None:
            check_auth(given, None, failures, create=False)
        raise_failures(failures)
        given = given or {}

        for _ in range(MAX_UPDATE_ATTEMPTS):
            resource, body = self._by_name(name)
            auth_type = new_type or body["AuthorizationType"]
            changed_type = auth_type != body["AuthorizationType"]
            auth = AUTH[auth_type]
            full = unseal(self.secrets, body)
            if changed_type:
                # the new type's parameters must all be given; the old type's go
                if given.get(auth.member) is None:
                    raise validation(f"AuthParameters must contain {auth.member} to change the "
                                     f"AuthorizationType to {auth_type}.")
                failures = []
                check_auth({auth.member: given[auth.member]}, auth_type, failures, create=True)
                raise_failures(failures)
                full = {k: v for k, v in full.items() if k not in AUTH_MEMBERS}
            merged = merge(full, given, auth_type)
            now = self.clock()
            new = {k: v for k, v in body.items() if k != "StateReason"}
            for member in ("Description", "KmsKeyIdentifier"):
                if p.get(member) is not None:
                    new[member] = p[member]
            new["AuthorizationType"] = auth_type
            new["LastModifiedTime"] = now
            if complete(merged, auth_type):
                reauthorized = changed_type or given.get(auth.member) is not None
                if body["ConnectionState"] != "AUTHORIZED" or reauthorized:
                    new["LastAuthorizedTime"] = now
                new["ConnectionState"] = "AUTHORIZED"
                new.setdefault("SecretArn", self._secret_arn(name))
            else:
                new["ConnectionState"] = "DEAUTHORIZED"
            seal(self.secrets, new, merged)
            if self.store.update_resource(Resource(resource.arn, CONNECTION, name, resource.parent, resource.created,
                                                   json.dumps(new)), resource.revision):
                return _answer(new)
        raise ServiceError("ConcurrentModificationException",
                           f"Connection {name} is being modified by another request; try again.")

    def delete_connection(self, p: dict) -> dict:
        """DeleteConnection: gone at once, answered ``DELETING`` as AWS does."""
        name = checked_name(p)
        resource, body = self._by_name(name)
        if not self.store.delete_resource(resource.parent or self._index_arn(name)):
            raise not_found(name)
        return _answer({**body, "ConnectionState": "DELETING"})

    def deauthorize_connection(self, p: dict) -> dict:
        """DeauthorizeConnection: the credentials and secret HTTP parameters are dropped."""
        name = checked_name(p)
        for _ in range(MAX_UPDATE_ATTEMPTS):
            resource, body = self._by_name(name)
            new = {k: v for k, v in body.items() if k not in ("SecretArn", "StateReason")}
            # the public parameters, less the secret HTTP parameters, are what remains: nothing
            # to decrypt, so a connection whose key is lost can be reset this way
            new["ConnectionState"] = "DEAUTHORIZED"
            new["LastModifiedTime"] = self.clock()
            seal(self.secrets, new, drop_secret_parameters(body["AuthParameters"]))
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
            check_name(prefix, "namePrefix", failures)
        state = p.get("ConnectionState")
        if state is not None and state not in STATES:
            failures.append(bad("connectionState", f"Member must satisfy enum value set: [{', '.join(STATES)}]",
                                state))
        limit = p.get("Limit")
        if limit is not None and type(limit) is not int:
            failures.append(bad("limit", "Member must be an integer"))
        elif limit is not None and limit > MAX_LIMIT:
            failures.append(bad("limit", f"Member must have value less than or equal to {MAX_LIMIT}", limit))
        elif limit is not None and limit < 1:
            failures.append(bad("limit", "Member must have value greater than or equal to 1", limit))
        raise_failures(failures)
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
                "AuthParameters": unseal(self.secrets, body)}

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
        raise not_found(name)

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
        created, arn = parse_json(base64.urlsafe_b64decode(text.encode("ascii")))  # type: ignore[misc]
        return float(created), str(arn)
    except (AttributeError, TypeError, ValueError):
        raise validation("Invalid NextToken: the token does not come from ListConnections.") from None
