"""State machine versions and aliases: the numbered snapshots a state machine is published as,
and the names that route its executions to them by weight.

A version keeps what an execution of it runs (definition, role, logging and tracing) as the
state machine had it when published; publishing the same revision twice gives the same
version. An alias routes to versions of its own state machine only, and a version an alias
routes to cannot be deleted. Both are children of their state machine in the store, so they
go when it goes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from ..store import Resource, Store
from . import pages
from .arns import Arns, is_version
from .errors import ServiceError, validation
from .resources import ALIAS, VERSION, get, machine, read_machine_arn, update

MAX_VERSIONS = 1000
MAX_ALIASES = 100


class Versions:
    """PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion, and the
    publishing CreateStateMachine and UpdateStateMachine do when asked to."""

    def __init__(self, store: Store, arns: Arns, clock: Callable[[], float]) -> None:
        self.store = store
        self.arns = arns
        self.clock = clock

    def publish_state_machine_version(self, p: dict) -> dict:
        arn, base, qualifier = read_machine_arn(self.arns, p["stateMachineArn"])
        if qualifier is not None:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        return self.publish(base, p.get("revisionId"), p.get("description"))

    def publish(self, base: str, revision_id: str | None, description: str | None) -> dict:
        """Publish the state machine ``base`` (its current revision, which must be
        ``revision_id`` when given): PublishStateMachineVersion's answer."""
        resource, _ = machine(self.store, base)
        now = self.clock()
        made: dict[str, Any] = {}

        def change(body: dict) -> dict | None:
            made.clear()
            if revision_id is not None and revision_id != body["revisionId"]:
                raise ServiceError("ConflictException", f"Failed to publish the State Machine version for revision "
                                   f"{revision_id}. The current State Machine revision is {body['revisionId']}.")
            latest = body.get("latestVersion")
            if latest is not None and latest["revisionId"] == body["revisionId"] and \
                    get(self.store, latest["arn"], VERSION) is not None:
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

        update(self.store, resource, change)
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
        arn, base, qualifier = read_machine_arn(self.arns, p["stateMachineArn"])
        if qualifier is not None:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        machine(self.store, base)
        found = self.store.list_resources(VERSION, parent=base, limit=MAX_VERSIONS + 1)
        found.sort(key=lambda r: int(r.arn.rsplit(":", 1)[1]), reverse=True)  # newest first
        return paged(p, [{"stateMachineVersionArn": r.arn, "creationDate": r.created} for r in found],
                     "stateMachineVersions")

    def delete_state_machine_version(self, p: dict) -> dict:
        arn, base, qualifier = read_machine_arn(self.arns, p["stateMachineVersionArn"])
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


class Aliases:
    """Create-, Describe-, Update-, Delete- and ListStateMachineAlias(es)."""

    def __init__(self, store: Store, arns: Arns, clock: Callable[[], float]) -> None:
        self.store = store
        self.arns = arns
        self.clock = clock

    def _routing(self, base: str, routes: list[dict]) -> list[dict]:
        seen = set()
        for route in routes:
            arn, route_base, qualifier = read_machine_arn(self.arns, route["stateMachineVersionArn"])
            if qualifier is None or not is_version(qualifier) or route_base != base:
                raise validation(f"Routing configuration must contain state machine version ARNs of "
                                 f"'{base}': '{route['stateMachineVersionArn']}'")
            if get(self.store, str(route["stateMachineVersionArn"]), VERSION) is None and \
                    get(self.store, f"{base}:{qualifier}", VERSION) is None:
                raise ServiceError("ResourceNotFound", f"Resource not found: '{route['stateMachineVersionArn']}'")
            seen.add(f"{base}:{qualifier}")
        if len(seen) != len(routes):
            raise validation("Routing configuration must contain distinct state machine versions.")
        if sum(r["weight"] for r in routes) != 100:
            raise validation("Sum of routing configuration weights must equal 100.")
        return [{"stateMachineVersionArn": f"{base}:{read_machine_arn(self.arns, r['stateMachineVersionArn'])[2]}",
                 "weight": r["weight"]} for r in routes]

    def _alias_arn(self, text: Any) -> tuple[str, str]:
        arn, base, qualifier = read_machine_arn(self.arns, text)
        if qualifier is None or is_version(qualifier):
            raise ServiceError("InvalidArn", f"Invalid Arn: '{text}'")
        return f"{base}:{qualifier}", base

    def create_state_machine_alias(self, p: dict) -> dict:
        version = read_machine_arn(self.arns, p["routingConfiguration"][0]["stateMachineVersionArn"])
        base = version[1]
        machine(self.store, base)
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
            found = get(self.store, arn, ALIAS)
            if found is None or found[1]["routingConfiguration"] != routes or \
                    found[1]["description"] != body["description"]:
                raise ServiceError("ConflictException", f"Alias already exists with a different configuration: "
                                   f"'{arn}'")
            body = found[1]
        return {"stateMachineAliasArn": arn, "creationDate": body["creationDate"]}

    def describe_state_machine_alias(self, p: dict) -> dict:
        arn, _ = self._alias_arn(p["stateMachineAliasArn"])
        found = get(self.store, arn, ALIAS)
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
        found = get(self.store, arn, ALIAS)
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

        body = update(self.store, found[0], change)
        return {"updateDate": body["updateDate"]}

    def delete_state_machine_alias(self, p: dict) -> dict:
        arn, _ = self._alias_arn(p["stateMachineAliasArn"])
        if not self.store.delete_resource(arn):
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return {}

    def list_state_machine_aliases(self, p: dict) -> dict:
        arn, base, qualifier = read_machine_arn(self.arns, p["stateMachineArn"])
        if qualifier is not None and not is_version(qualifier):
            raise ServiceError("InvalidArn", f"Invalid Arn: '{p['stateMachineArn']}'")
        machine(self.store, base)
        found = self.store.list_resources(ALIAS, parent=base, limit=MAX_ALIASES + 1)
        if qualifier is not None:  # a version ARN: the aliases that route to it
            version_arn = f"{base}:{qualifier}"
            found = [r for r in found if any(route["stateMachineVersionArn"] == version_arn
                                             for route in json.loads(r.body)["routingConfiguration"])]
        return paged(p, [{"stateMachineAliasArn": r.arn, "creationDate": r.created} for r in found],
                     "stateMachineAliases")


def pick_version(routes: list[dict]) -> str:
    """Pick a version by the alias's weights."""
    pick = random.random() * 100
    for route in routes:
        pick -= route["weight"]
        if pick < 0:
            return route["stateMachineVersionArn"]
    return routes[-1]["stateMachineVersionArn"]


def paged(p: dict, items: list[dict], key: str) -> dict:
    """A page of a list built in memory (versions, aliases: at most a thousand)."""
    size = pages.page_size(p)
    start = pages.position(p) or 0
    if not isinstance(start, int) or start < 0:
        raise ServiceError("InvalidToken", f"Invalid Token: '{p.get('nextToken')}'")
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["nextToken"] = pages.token(start + size)
    return out
