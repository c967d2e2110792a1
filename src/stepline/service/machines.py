"""State machines: CreateStateMachine, DescribeStateMachine, UpdateStateMachine,
DeleteStateMachine, ListStateMachines and ValidateStateMachineDefinition, and what an
execution of a state machine, version or alias ARN runs (:meth:`Registry.resolve`).

A state machine is a store resource whose body is the JSON the API describes it with (see
:mod:`.resources`). Its versions and aliases are in :mod:`.versions`, its tags in :mod:`.tags`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .. import ids
from ..asl import errors as asl_errors
from ..asl import parser
from ..asl.diagnostics import ERROR
from ..asl.model import Program, TaskState, programs_within
from ..store import Resource, Store
from . import pages, resources
from .arns import Arn, Arns, check_name, is_version
from .errors import ServiceError, validation
from .resources import ALIAS, ENCRYPTION_DEFAULT, STATE_MACHINE, VERSION, get, update
from .tags import MAX_TAGS, tags_map
from .versions import Versions, pick_version

LOGGING_OFF = {"level": "OFF", "includeExecutionData": False}
TRACING_OFF = {"enabled": False}
# what the idempotency of CreateStateMachine compares (AWS ignores roleArn and tags there)
_IDEMPOTENT_FIELDS = ("definition", "type", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")


def check_definition(definition: str, kind: str = "STANDARD") -> None:
    """Refuse an invalid definition with AWS's InvalidDefinition message; an EXPRESS machine's
    also when a Task would wait (docs: "Express Workflows only support Request Response
    integrations", and no activities)."""
    try:
        machine = parser.parse(definition)
    except asl_errors.DefinitionError as e:
        found = ", ".join(f"{d.code}: {d.message}" + (f" at {d.location}" if d.location else "")
                          for d in e.diagnostics if d.severity == ERROR) or "invalid definition"
        raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{found}'") from None
    if kind == "EXPRESS":
        waits = [f"SCHEMA_VALIDATION_FAILED: {why} at {where}" for where, why in _waiting_tasks(machine.program)]
        if waits:
            raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{', '.join(waits)}'")


def _waiting_tasks(program: Program) -> list[tuple[str, str]]:
    """(location, why) of each Task in ``program`` (and the programs inside it) that an Express
    machine cannot run: an activity, a .sync or a .waitForTaskToken integration."""
    found = []
    for inner in programs_within(program):
        for name, st in inner.states.items():
            if not isinstance(st, TaskState):
                continue
            where = f"{inner.path}/States/{name}/Resource"
            if st.resource.kind == "activity":
                found.append((where, "Express state machine does not support Activities"))
            elif st.resource.pattern != "request-response":
                found.append((where, f"Express state machine does not support '.{st.resource.pattern}' service "
                                     "integration"))
    return found


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
        for v in value.values():
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


class Registry:
    """The operations on state machines (publishing one is :class:`~.versions.Versions`' job)."""

    def __init__(self, store: Store, arns: Arns, clock: Callable[[], float],
                 versions: Versions | None = None) -> None:
        self.store = store
        self.arns = arns
        self.clock = clock
        self.versions = versions or Versions(store, arns, clock)

    # ------------------------------------------------------------------ lookups

    def machine(self, arn: str) -> tuple[Resource, dict]:
        return resources.machine(self.store, arn)

    def read_machine_arn(self, text: Any) -> tuple[Arn, str, str | None]:
        """A state machine ARN, maybe qualified: (read ARN, unqualified ARN, qualifier)."""
        return resources.read_machine_arn(self.arns, text)

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
            found = get(self.store, alias_arn, ALIAS)
            if found is None:
                raise ServiceError("ResourceNotFound", f"Resource not found: '{alias_arn}'")
            version_arn = pick_version(found[1]["routingConfiguration"])
            out["aliasArn"] = alias_arn
        version = get(self.store, version_arn, VERSION)
        if version is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{version_arn}'")
        body = version[1]
        out.update(definition=body["definition"], roleArn=body["roleArn"], versionArn=version_arn)
        return out

    # ------------------------------------------------------------------ state machines

    def create_state_machine(self, p: dict) -> dict:
        name = check_name(p["name"])
        definition = p["definition"]
        kind = p.get("type", "STANDARD")
        check_definition(definition, kind)
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
            published = self.versions.publish(arn, None, p.get("versionDescription"))
            out["stateMachineVersionArn"] = published["stateMachineVersionArn"]
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
            found = get(self.store, version_arn, VERSION)
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
        if p.get("definition") is not None and machine["type"] == "EXPRESS":
            check_definition(p["definition"], "EXPRESS")
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

        body = update(self.store, resource, change)
        out = {"updateDate": body["updateDate"], "revisionId": body["revisionId"]}
        if p.get("publish"):
            published = self.versions.publish(base, None, p.get("versionDescription"))
            out["stateMachineVersionArn"] = published["stateMachineVersionArn"]
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


def _logging(config: dict | None, kind: str) -> dict:
    if config is None:
        return LOGGING_OFF
    level = config.get("level", "OFF")
    if level != "OFF" and not config.get("destinations"):
        raise ServiceError("InvalidLoggingConfiguration",
                           "Invalid Logging Configuration: Must specify exactly one Log Destination.")
    return {"level": level, "includeExecutionData": bool(config.get("includeExecutionData", False)),
            **({"destinations": config["destinations"]} if config.get("destinations") else {})}
