"""State machines, their versions and aliases, and tags: the registry part of the API.

Each is a store resource whose body is the JSON the API describes it with (kept as the caller
sent it where AWS does: a definition's text is returned byte for byte). Updates are
compare-and-set on the resource's revision, so two concurrent updates cannot lose one.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any, Callable

from .. import ids
from ..asl import errors as asl_errors
from ..asl import parser
from ..asl.diagnostics import ERROR
from ..store import Resource, Store
from . import pages
from .arns import Arn, Arns, check_name, is_version
from .errors import ServiceError, validation

STATE_MACHINE, VERSION, ALIAS, ACTIVITY = "state-machine", "version", "alias", "activity"
LOGGING_OFF = {"level": "OFF", "includeExecutionData": False}
TRACING_OFF = {"enabled": False}
ENCRYPTION_DEFAULT = {"type": "AWS_OWNED_KEY"}
MAX_TAGS = 50
MAX_VERSIONS = 1000
MAX_ALIASES = 100
MAX_UPDATE_ATTEMPTS = 20
# what the idempotency of CreateStateMachine compares (AWS ignores roleArn and tags there)
_IDEMPOTENT_FIELDS = ("definition", "type", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")


def check_definition(definition: str) -> None:
    """Refuse an invalid definition with AWS's InvalidDefinition message."""
    try:
        parser.parse(definition)
    except asl_errors.DefinitionError as e:
        found = ", ".join(f"{d.code}: {d.message}" + (f" at {d.location}" if d.location else "")
                          for d in e.diagnostics if d.severity == ERROR) or "invalid definition"
        raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{found}'") from None


def variable_references(definition: str) -> dict[str, list[str]]:
    """DescribeStateMachine's ``variableReferences``: for each state that reads variables,
    their names (the ``$name`` references in its JSONata expressions and JSONPath paths)."""
    try:
        data = json.loads(definition)
    except ValueError:
        return {}
    found: dict[str, list[str]] = {}

    def walk_states(states: Any) -> None:
        if not isinstance(states, dict):
            return
        for name, body in states.items():
            if not isinstance(body, dict):
                continue
            names: list[str] = []
            for key, value in body.items():
                if key in ("Branches",):
                    for branch in value if isinstance(value, list) else ():
                        if isinstance(branch, dict):
                            walk_states(branch.get("States"))
                elif key in ("Iterator", "ItemProcessor"):
                    if isinstance(value, dict):
                        walk_states(value.get("States"))
                elif key != "Assign":
                    _collect(value, names)
                else:
                    _collect(value, names, assign=True)
            if names:
                found[name] = names

    if isinstance(data, dict):
        walk_states(data.get("States"))
    return found


_VARIABLE = re.compile(r"(?<![\w$])\$([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_BOUND = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\s*:=")
_NOT_VARIABLES = {"states"}


def _collect(value: Any, names: list[str], assign: bool = False) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _collect(v, names, assign)
    elif isinstance(value, list):
        for v in value:
            _collect(v, names, assign)
    elif isinstance(value, str) and "$" in value:
        text = value.strip()
        if text.startswith("{%") and text.endswith("%}"):
            bound = set(_BOUND.findall(text))
            refs = [n for n in _VARIABLE.findall(text) if n not in bound and n not in _NOT_VARIABLES]
        elif text.startswith("$") and not text.startswith(("$$", "$.", "$[")) or "States." in text:
            refs = [n for n in _VARIABLE.findall(text) if n not in _NOT_VARIABLES]
        else:
            refs = []
        for n in refs:
            if n not in names:
                names.append(n)


def tags_map(tags: list[dict] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in tags or ()}


class Registry:
    """The operations on state machines, versions, aliases, activities and tags."""

    def __init__(self, store: Store, arns: Arns, clock: Callable[[], float]) -> None:
        self.store = store
        self.arns = arns
        self.clock = clock

    # ------------------------------------------------------------------ lookups

    def _get(self, arn: str, kind: str) -> tuple[Resource, dict] | None:
        found = self.store.get_resource(arn)
        if found is None or found.kind != kind:
            return None
        return found, json.loads(found.body)

    def machine(self, arn: str) -> tuple[Resource, dict]:
        found = self._get(arn, STATE_MACHINE)
        if found is None:
            raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return found

    def read_machine_arn(self, text: Any) -> tuple[Arn, str, str | None]:
        """A state machine ARN, maybe qualified: (read ARN, unqualified ARN, qualifier)."""
        arn = self.arns.read(text, "stateMachine")
        if len(arn.parts) > 2 or not arn.parts[0]:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{text}'")
        base = self.arns.state_machine(arn.parts[0]) if self.arns.ours(arn) else str(Arn(
            arn.region, arn.account, arn.kind, arn.parts[:1]))
        return arn, base, arn.parts[1] if len(arn.parts) == 2 else None

    def resolve(self, text: Any) -> dict:
        """What an execution of ``text`` (a state machine, version or alias ARN) runs: the
        definition and settings, with the version and alias ARNs it came through."""
        arn, base, qualifier = self.read_machine_arn(text)
        _, machine = self.machine(base)
        out = {"stateMachineArn": base, "name": arn.parts[0], "machine": machine,
               "definition": machine["definition"], "roleArn": machine["roleArn"], "type": machine["type"],
               "versionArn": None, "aliasArn": None}
        if qualifier is None:
            return out
        if is_version(qualifier):
            version_arn = f"{base}:{qualifier}"
        else:
            alias_arn = f"{base}:{qualifier}"
            found = self._get(alias_arn, ALIAS)
            if found is None:
                raise ServiceError("ResourceNotFound", f"Resource not found: '{alias_arn}'")
            version_arn = _route(found[1]["routingConfiguration"])
            out["aliasArn"] = alias_arn
        version = self._get(version_arn, VERSION)
        if version is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{version_arn}'")
        body = version[1]
        out.update(definition=body["definition"], roleArn=body["roleArn"], versionArn=version_arn)
        return out

    def _update(self, resource: Resource, change: Callable[[dict], dict | None]) -> dict:
        """Apply ``change`` to a resource's body, again on a newer body if another update came
        first (compare-and-set); returns the body stored."""
        for _ in range(MAX_UPDATE_ATTEMPTS):
            body = json.loads(resource.body)
            new = change(body)
            if new is None:
                return body
            resource.body = json.dumps(new)
            if self.store.update_resource(resource, resource.revision):
                return new
            latest = self.store.get_resource(resource.arn)
            if latest is None:
                raise ServiceError("ResourceNotFound", f"Resource not found: '{resource.arn}'")
            resource = latest
        raise ServiceError("ConflictException", "Too many concurrent updates; try again.")

    # ------------------------------------------------------------------ state machines

    def create_state_machine(self, p: dict) -> dict:
        name = check_name(p["name"])
        definition = p["definition"]
        check_definition(definition)
        kind = p.get("type", "STANDARD")
        logging = _logging(p.get("loggingConfiguration"), kind)
        if p.get("versionDescription") is not None and not p.get("publish"):
            raise validation("Version description can only be set when publish is true")
        tags = tags_map(p.get("tags"))
        if len(tags) > MAX_TAGS:
            raise ServiceError("TooManyTags", "Too many tags: the limit is 50.")
        arn = self.arns.state_machine(name)
        now = self.clock()
        body = {"definition": definition, "roleArn": p["roleArn"], "type": kind, "loggingConfiguration": logging,
                "tracingConfiguration": p.get("tracingConfiguration") or TRACING_OFF,
                "encryptionConfiguration": p.get("encryptionConfiguration") or ENCRYPTION_DEFAULT,
                "creationDate": now, "updateDate": now, "revisionId": ids.new_uuid(), "tags": tags,
                "versions": 0}
        if not self.store.insert_resource(Resource(arn, STATE_MACHINE, name, None, now, json.dumps(body))):
            existing = self.machine(arn)[1]
            if any(existing[f] != body[f] for f in _IDEMPOTENT_FIELDS):
                raise ServiceError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            body = existing
        out = {"stateMachineArn": arn, "creationDate": body["creationDate"]}
        if p.get("publish"):
            out["stateMachineVersionArn"] = self._publish(arn, None, p.get("versionDescription"))["stateMachineVersionArn"]
        return out

    def describe_state_machine(self, p: dict) -> dict:
        arn, base, qualifier = self.read_machine_arn(p["stateMachineArn"])
        if qualifier is not None and not is_version(qualifier):
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        _, machine = self.machine(base)
        out = {"stateMachineArn": base, "name": arn.parts[0], "status": "ACTIVE", "definition": machine["definition"],
               "roleArn": machine["roleArn"], "type": machine["type"], "creationDate": machine["creationDate"],
               "loggingConfiguration": machine["loggingConfiguration"],
               "tracingConfiguration": machine["tracingConfiguration"], "revisionId": machine["revisionId"],
               "encryptionConfiguration": machine["encryptionConfiguration"]}
        if qualifier is not None:
            version_arn = f"{base}:{qualifier}"
            found = self._get(version_arn, VERSION)
            if found is None:
                raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{version_arn}'")
            v = found[1]
            out.update(stateMachineArn=version_arn, definition=v["definition"], roleArn=v["roleArn"],
                       creationDate=v["creationDate"], revisionId=v["revisionId"],
                       loggingConfiguration=v["loggingConfiguration"], tracingConfiguration=v["tracingConfiguration"])
            if v.get("description"):
                out["description"] = v["description"]
        if p.get("includedData") == "METADATA_ONLY":
            out.pop("definition")
        else:
            refs = variable_references(out["definition"])
            if refs:
                out["variableReferences"] = refs
        return out

    def update_state_machine(self, p: dict) -> dict:
        arn, base, qualifier = self.read_machine_arn(p["stateMachineArn"])
        if qualifier is not None:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        fields = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")
        if all(p.get(f) is None for f in fields):
            raise ServiceError("MissingRequiredParameter", "Either the definition, the role ARN, the "
                               "LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must be "
                               "specified")
        if p.get("versionDescription") is not None and not p.get("publish"):
            raise validation("Version description can only be set when publish is true")
        if p.get("definition") is not None:
            check_definition(p["definition"])
        resource, machine = self.machine(base)
        if p.get("loggingConfiguration") is not None:
            _logging(p["loggingConfiguration"], machine["type"])
        now = self.clock()

        def change(body: dict) -> dict | None:
            new = dict(body)
            for f in fields:
                if p.get(f) is not None:
                    new[f] = p[f]
            if all(new[f] == body[f] for f in fields):
                return None
            new["updateDate"] = now
            new["revisionId"] = ids.new_uuid()
            return new

        body = self._update(resource, change)
        out = {"updateDate": body["updateDate"], "revisionId": body["revisionId"]}
        if p.get("publish"):
            out["stateMachineVersionArn"] = self._publish(base, None, p.get("versionDescription"))["stateMachineVersionArn"]
        return out

    def delete_state_machine(self, p: dict) -> dict:
        arn, base, qualifier = self.read_machine_arn(p["stateMachineArn"])
        if qualifier is not None:
            raise validation("Service does not support deleting a qualified state machine ARN; use "
                             "DeleteStateMachineVersion or DeleteStateMachineAlias.")
        self.store.delete_resource(base)  # its versions and aliases go with it; executions go on
        return {}

    def list_state_machines(self, p: dict) -> dict:
        size = pages.page_size(p)
        after = pages.position(p)
        found = self.store.list_resources(STATE_MACHINE, limit=size + 1, after=tuple(after) if after else None)
        out: dict[str, Any] = {"stateMachines": [
            {"stateMachineArn": r.arn, "name": r.name, "type": json.loads(r.body)["type"],
             "creationDate": r.created} for r in found[:size]]}
        if len(found) > size:
            out["nextToken"] = pages.token([found[size - 1].created, found[size - 1].arn])
        return out

    def validate_state_machine_definition(self, p: dict) -> dict:
        order = {"WARNING": 0, "ERROR": 1}
        floor = order.get(p.get("severity", "ERROR"), 1)
        found = [d for d in parser.validate(p["definition"]) if order.get(d.severity, 1) >= floor]
        limit = p.get("maxResults") or 100
        failed = any(d.severity == ERROR for d in found)
        return {"result": "FAIL" if failed else "OK", "diagnostics": [d.to_json() for d in found[:limit]],
                "truncated": len(found) > limit}

    # ------------------------------------------------------------------ versions

    def publish_state_machine_version(self, p: dict) -> dict:
        arn, base, qualifier = self.read_machine_arn(p["stateMachineArn"])
        if qualifier is not None:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        return self._publish(base, p.get("revisionId"), p.get("description"))

    def _publish(self, base: str, revision_id: str | None, description: str | None) -> dict:
        resource, _ = self.machine(base)
        now = self.clock()
        made: dict[str, Any] = {}

        def change(body: dict) -> dict | None:
            made.clear()
            if revision_id is not None and revision_id != body["revisionId"]:
                raise ServiceError("ConflictException", f"Failed to publish the State Machine version for revision "
                                   f"{revision_id}. The current State Machine revision is {body['revisionId']}.")
            latest = body.get("latestVersion")
            if latest is not None and latest["revisionId"] == body["revisionId"] and \
                    self._get(latest["arn"], VERSION) is not None:
                made.update(latest, new=False)  # this revision is published already: that version again
                return None
            live = len(self.store.list_resources(VERSION, parent=base, limit=MAX_VERSIONS + 1))
            if live >= MAX_VERSIONS:
                raise ServiceError("ServiceQuotaExceededException",
                                   f"The maximum number of versions ({MAX_VERSIONS}) has been reached.")
            number = body["versions"] + 1
            made.update(arn=f"{base}:{number}", revisionId=body["revisionId"], creationDate=now)
            new = {**body, "versions": number, "latestVersion": dict(made)}
            made.update(new=True, number=number, body=new)
            return new

        self._update(resource, change)
        if made["new"]:
            body = made["body"]
            version = {"definition": body["definition"], "roleArn": body["roleArn"], "type": body["type"],
                       "loggingConfiguration": body["loggingConfiguration"],
                       "tracingConfiguration": body["tracingConfiguration"], "revisionId": body["revisionId"],
                       "creationDate": now, "description": description or ""}
            name = base.rsplit(":", 1)[1]
            self.store.insert_resource(Resource(made["arn"], VERSION, f"{name}:{made['number']}", base, now,
                                                json.dumps(version)))
        return {"stateMachineVersionArn": made["arn"], "creationDate": made["creationDate"]}

    def list_state_machine_versions(self, p: dict) -> dict:
        arn, base, qualifier = self.read_machine_arn(p["stateMachineArn"])
        if qualifier is not None:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        self.machine(base)
        found = self.store.list_resources(VERSION, parent=base, limit=MAX_VERSIONS + 1)
        found.sort(key=lambda r: int(r.arn.rsplit(":", 1)[1]), reverse=True)  # newest first
        return _paged(p, [{"stateMachineVersionArn": r.arn, "creationDate": r.created} for r in found],
                      "stateMachineVersions")

    def delete_state_machine_version(self, p: dict) -> dict:
        arn, base, qualifier = self.read_machine_arn(p["stateMachineVersionArn"])
        if qualifier is None or not is_version(qualifier):
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineVersionArn']}'")
        version_arn = f"{base}:{qualifier}"
        using = [r.arn for r in self.store.list_resources(ALIAS, parent=base, limit=MAX_ALIASES + 1)
                 if any(route["stateMachineVersionArn"] == version_arn
                        for route in json.loads(r.body)["routingConfiguration"])]
        if using:
            raise ServiceError("ConflictException", "Version to be deleted must not be referenced by an alias. "
                               f"Current list of aliases referencing this version: [{', '.join(using)}]")
        self.store.delete_resource(version_arn)
        return {}

    # ------------------------------------------------------------------ aliases

    def _routing(self, base: str, routes: list[dict]) -> list[dict]:
        seen = set()
        for route in routes:
            arn, route_base, qualifier = self.read_machine_arn(route["stateMachineVersionArn"])
            if qualifier is None or not is_version(qualifier) or route_base != base:
                raise validation(f"Routing configuration must contain state machine version ARNs of "
                                 f"'{base}': '{route['stateMachineVersionArn']}'")
            if self._get(str(route["stateMachineVersionArn"]), VERSION) is None and \
                    self._get(f"{base}:{qualifier}", VERSION) is None:
                raise ServiceError("ResourceNotFound", f"Resource not found: '{route['stateMachineVersionArn']}'")
            seen.add(f"{base}:{qualifier}")
        if len(seen) != len(routes):
            raise validation("Routing configuration must contain distinct state machine versions.")
        if sum(r["weight"] for r in routes) != 100:
            raise validation("Sum of routing configuration weights must equal 100.")
        return [{"stateMachineVersionArn": f"{base}:{self.read_machine_arn(r['stateMachineVersionArn'])[2]}",
                 "weight": r["weight"]} for r in routes]

    def _alias_arn(self, text: Any) -> tuple[str, str]:
        arn, base, qualifier = self.read_machine_arn(text)
        if qualifier is None or is_version(qualifier):
            raise ServiceError("InvalidArn", f"Invalid Arn: '{text}'")
        return f"{base}:{qualifier}", base

    def create_state_machine_alias(self, p: dict) -> dict:
        version = self.read_machine_arn(p["routingConfiguration"][0]["stateMachineVersionArn"])
        base = version[1]
        self.machine(base)
        routes = self._routing(base, p["routingConfiguration"])
        name = p["name"]
        arn = f"{base}:{name}"
        now = self.clock()
        body = {"description": p.get("description", ""), "routingConfiguration": routes, "creationDate": now,
                "updateDate": now}
        if len(self.store.list_resources(ALIAS, parent=base, limit=MAX_ALIASES + 1)) >= MAX_ALIASES:
            raise ServiceError("ServiceQuotaExceededException",
                               f"The maximum number of aliases ({MAX_ALIASES}) has been reached.")
        if not self.store.insert_resource(Resource(arn, ALIAS, name, base, now, json.dumps(body))):
            found = self._get(arn, ALIAS)
            if found is None or found[1]["routingConfiguration"] != routes or \
                    found[1]["description"] != body["description"]:
                raise ServiceError("ConflictException", f"Alias already exists with a different configuration: "
                                   f"'{arn}'")
            body = found[1]
        return {"stateMachineAliasArn": arn, "creationDate": body["creationDate"]}

    def describe_state_machine_alias(self, p: dict) -> dict:
        arn, _ = self._alias_arn(p["stateMachineAliasArn"])
        found = self._get(arn, ALIAS)
        if found is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        resource, body = found
        return {"stateMachineAliasArn": arn, "name": resource.name, "description": body["description"],
                "routingConfiguration": body["routingConfiguration"], "creationDate": body["creationDate"],
                "updateDate": body["updateDate"]}

    def update_state_machine_alias(self, p: dict) -> dict:
        arn, base = self._alias_arn(p["stateMachineAliasArn"])
        if p.get("description") is None and p.get("routingConfiguration") is None:
            raise validation("Either the description or the routing configuration must be specified.")
        routes = self._routing(base, p["routingConfiguration"]) if p.get("routingConfiguration") is not None else None
        found = self._get(arn, ALIAS)
        if found is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        now = self.clock()

        def change(body: dict) -> dict:
            new = dict(body, updateDate=now)
            if p.get("description") is not None:
                new["description"] = p["description"]
            if routes is not None:
                new["routingConfiguration"] = routes
            return new

        body = self._update(found[0], change)
        return {"updateDate": body["updateDate"]}

    def delete_state_machine_alias(self, p: dict) -> dict:
        arn, _ = self._alias_arn(p["stateMachineAliasArn"])
        if not self.store.delete_resource(arn):
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return {}

    def list_state_machine_aliases(self, p: dict) -> dict:
        arn, base, qualifier = self.read_machine_arn(p["stateMachineArn"])
        if qualifier is not None and not is_version(qualifier):
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        self.machine(base)
        found = self.store.list_resources(ALIAS, parent=base, limit=MAX_ALIASES + 1)
        if qualifier is not None:  # a version ARN: the aliases that route to it
            version_arn = f"{base}:{qualifier}"
            found = [r for r in found if any(route["stateMachineVersionArn"] == version_arn
                                             for route in json.loads(r.body)["routingConfiguration"])]
        return _paged(p, [{"stateMachineAliasArn": r.arn, "creationDate": r.created} for r in found],
                      "stateMachineAliases")

    # ------------------------------------------------------------------ activities

    def create_activity(self, p: dict) -> dict:
        name = check_name(p["name"])
        tags = tags_map(p.get("tags"))
        if len(tags) > MAX_TAGS:
            raise ServiceError("TooManyTags", "Too many tags: the limit is 50.")
        arn = self.arns.activity(name)
        now = self.clock()
        body = {"creationDate": now, "tags": tags,
                "encryptionConfiguration": p.get("encryptionConfiguration") or ENCRYPTION_DEFAULT}
        if not self.store.insert_resource(Resource(arn, ACTIVITY, name, None, now, json.dumps(body))):
            found = self._get(arn, ACTIVITY)
            if found is None:
                raise ServiceError("ActivityAlreadyExists", f"Activity Already Exists: '{arn}'")
            body = found[1]
        return {"activityArn": arn, "creationDate": body["creationDate"]}

    def activity(self, text: Any) -> tuple[str, Resource, dict]:
        arn = self.arns.read(text, "activity")
        canonical = self.arns.activity(arn.parts[0]) if self.arns.ours(arn) else str(arn)
        found = self._get(canonical, ACTIVITY)
        if found is None:
            raise ServiceError("ActivityDoesNotExist", f"Activity Does Not Exist: '{text}'")
        return canonical, found[0], found[1]

    def describe_activity(self, p: dict) -> dict:
        arn, resource, body = self.activity(p["activityArn"])
        return {"activityArn": arn, "name": resource.name, "creationDate": body["creationDate"],
                "encryptionConfiguration": body["encryptionConfiguration"]}

    def delete_activity(self, p: dict) -> dict:
        arn = self.arns.read(p["activityArn"], "activity")
        self.store.delete_resource(self.arns.activity(arn.parts[0]) if self.arns.ours(arn) else str(arn))
        return {}

    def list_activities(self, p: dict) -> dict:
        size = pages.page_size(p)
        after = pages.position(p)
        found = self.store.list_resources(ACTIVITY, limit=size + 1, after=tuple(after) if after else None)
        out: dict[str, Any] = {"activities": [{"activityArn": r.arn, "name": r.name, "creationDate": r.created}
                                              for r in found[:size]]}
        if len(found) > size:
            out["nextToken"] = pages.token([found[size - 1].created, found[size - 1].arn])
        return out

    # ------------------------------------------------------------------ tags

    def _tagged(self, text: Any) -> Resource:
        try:
            arn = self.arns.read(text, "stateMachine", "activity")
        except ServiceError:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{text}'") from None
        canonical = str(arn) if not self.arns.ours(arn) else f"{self.arns.prefix}:{arn.kind}:{':'.join(arn.parts)}"
        found = self.store.get_resource(canonical)
        if found is None or found.kind not in (STATE_MACHINE, ACTIVITY):
            raise ServiceError("ResourceNotFound", f"Resource not found: '{text}'")
        return found

    def tag_resource(self, p: dict) -> dict:
        resource = self._tagged(p["resourceArn"])
        new_tags = tags_map(p["tags"])

        def change(body: dict) -> dict:
            tags = {**body.get("tags", {}), **new_tags}
            if len(tags) > MAX_TAGS:
                raise ServiceError("TooManyTags", "Too many tags: the limit is 50.")
            return {**body, "tags": tags}

        self._update(resource, change)
        return {}

    def untag_resource(self, p: dict) -> dict:
        resource = self._tagged(p["resourceArn"])
        keys = set(p["tagKeys"])
        self._update(resource, lambda body: {**body, "tags": {k: v for k, v in body.get("tags", {}).items()
                                                               if k not in keys}})
        return {}

    def list_tags_for_resource(self, p: dict) -> dict:
        resource = self._tagged(p["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in json.loads(resource.body).get("tags", {}).items()]}


def _route(routes: list[dict]) -> str:
    """Pick a version by the alias's weights."""
    pick = random.random() * 100
    for route in routes:
        pick -= route["weight"]
        if pick < 0:
            return route["stateMachineVersionArn"]
    return routes[-1]["stateMachineVersionArn"]


def _logging(config: dict | None, kind: str) -> dict:
    if config is None:
        return LOGGING_OFF
    level = config.get("level", "OFF")
    if level != "OFF" and not config.get("destinations"):
        raise ServiceError("InvalidLoggingConfiguration",
                           "Invalid Logging Configuration: Must specify exactly one Log Destination.")
    return {"level": level, "includeExecutionData": bool(config.get("includeExecutionData", False)),
            **({"destinations": config["destinations"]} if config.get("destinations") else {})}


def _paged(p: dict, items: list[dict], key: str) -> dict:
    """A page of a list built in memory (versions, aliases: at most a thousand)."""
    size = pages.page_size(p)
    start = pages.position(p) or 0
    if not isinstance(start, int) or start < 0:
        raise ServiceError("InvalidToken", f"Invalid Token: '{p.get('nextToken')}'")
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["nextToken"] = pages.token(start + size)
    return out
