"""The registry's resources in the store: their kinds, reading one, updating one, and reading
the ARN of a state machine (maybe qualified by a version or an alias).

State machines, versions, aliases and activities are each a store resource whose body is the
JSON the API describes it with (kept as the caller sent it where AWS does: a definition's text
is returned byte for byte). Updates are compare-and-set on the resource's revision, so two
concurrent updates cannot lose one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..store import Resource, Store
from .arns import Arn, Arns
from .errors import ServiceError

STATE_MACHINE, VERSION, ALIAS, ACTIVITY = "state-machine", "version", "alias", "activity"
ENCRYPTION_DEFAULT = {"type": "AWS_OWNED_KEY"}
MAX_UPDATE_ATTEMPTS = 20


def get(store: Store, arn: str, kind: str) -> tuple[Resource, dict] | None:
    """The resource ``arn`` of ``kind`` and its body, or None."""
    found = store.get_resource(arn)
    if found is None or found.kind != kind:
        return None
    return found, json.loads(found.body)


def update(store: Store, resource: Resource, change: Callable[[dict], dict | None]) -> dict:
    """Apply ``change`` to a resource's body, again on a newer body if another update came
    first (compare-and-set); returns the body stored."""
    for _ in range(MAX_UPDATE_ATTEMPTS):
        body = json.loads(resource.body)
        new = change(body)
        if new is None:
            return body
        resource.body = json.dumps(new)
        if store.update_resource(resource, resource.revision):
            return new
        latest = store.get_resource(resource.arn)
        if latest is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{resource.arn}'")
        resource = latest
    raise ServiceError("ConflictException", "Too many concurrent updates; try again.")


def machine(store: Store, arn: str) -> tuple[Resource, dict]:
    """The state machine ``arn`` (unqualified) and its body; else AWS's StateMachineDoesNotExist."""
    found = get(store, arn, STATE_MACHINE)
    if found is None:
        raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
    return found


def read_machine_arn(arns: Arns, text: Any) -> tuple[Arn, str, str | None]:
    """A state machine ARN, maybe qualified: (read ARN, unqualified ARN, qualifier)."""
    arn = arns.read(text, "stateMachine")
    if len(arn.parts) > 2 or not arn.parts[0]:
        raise ServiceError("InvalidArn", f"Invalid Arn: '{text}'")
    base = arns.state_machine(arn.parts[0]) if arns.ours(arn) else str(Arn(
        arn.region, arn.account, arn.kind, arn.parts[:1]))
    return arn, base, arn.parts[1] if len(arn.parts) == 2 else None
