"""Tags on state machines and activities: TagResource, UntagResource, ListTagsForResource,
and the reading of the ``tags`` CreateStateMachine and CreateActivity take.

Tags live in the body of the resource they tag (a ``key: value`` object), so they go with it;
tagging is a compare-and-set update of that body, and at most :data:`MAX_TAGS` are kept.
"""

from __future__ import annotations

import json
from typing import Any

from ..store import Resource, Store
from .arns import Arns
from .errors import ServiceError, validation
from .resources import ACTIVITY, STATE_MACHINE, update

MAX_TAGS = 50


def tags_map(tags: list[dict] | None) -> dict[str, str]:
    """Tags as a dict; a tag without a key is refused (botocore's model leaves it optional)."""
    missing = [i for i, t in enumerate(tags or (), 1) if t.get("key") is None]
    if missing:
        count = len(missing)
        raise validation(f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(
            f"Value null at 'tags.{i}.member.key' failed to satisfy constraint: Member must not be null"
            for i in missing))
    return {t["key"]: t.get("value", "") for t in tags or ()}


class Tags:
    """The tag operations, on state machines and activities."""

    def __init__(self, store: Store, arns: Arns) -> None:
        self.store = store
        self.arns = arns

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

        update(self.store, resource, change)
        return {}

    def untag_resource(self, p: dict) -> dict:
        resource = self._tagged(p["resourceArn"])
        keys = set(p["tagKeys"])
        update(self.store, resource, lambda body: {**body, "tags": {k: v for k, v in body.get("tags", {}).items()
                                                                     if k not in keys}})
        return {}

    def list_tags_for_resource(self, p: dict) -> dict:
        resource = self._tagged(p["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in json.loads(resource.body).get("tags", {}).items()]}
