"""Activities: the tasks a state machine hands to workers that poll for them
(CreateActivity, DescribeActivity, ListActivities, DeleteActivity).

An activity is a store resource under its ARN; creating one again with the same name is
answered with the one there (AWS's CreateActivity is idempotent). The workers' side,
GetActivityTask, is :mod:`.tasks`'s, which finds the activity with :meth:`Activities.activity`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..store import Resource, Store
from . import pages
from .arns import Arns, check_name
from .errors import ServiceError
from .resources import ACTIVITY, ENCRYPTION_DEFAULT, get
from .tags import MAX_TAGS, tags_map


class Activities:
    """The operations on activities."""

    def __init__(self, store: Store, arns: Arns, clock: Callable[[], float]) -> None:
        self.store = store
        self.arns = arns
        self.clock = clock

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
            found = get(self.store, arn, ACTIVITY)
            if found is None:
                raise ServiceError("ActivityAlreadyExists", f"Activity Already Exists: '{arn}'")
            body = found[1]
        return {"activityArn": arn, "creationDate": body["creationDate"]}

    def activity(self, text: Any) -> tuple[str, Resource, dict]:
        """The activity ``text`` names: (its ARN as we spell it, its resource, its body); else
        AWS's ActivityDoesNotExist."""
        arn = self.arns.read(text, "activity")
        canonical = self.arns.activity(arn.parts[0]) if self.arns.ours(arn) else str(arn)
        found = get(self.store, canonical, ACTIVITY)
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
