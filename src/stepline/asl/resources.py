"""Task ``Resource`` ARNs, taken apart once when the definition is loaded."""

from __future__ import annotations

import re

from .model import Resource


def parse_resource(arn: str) -> Resource | None:
    """Take a Task resource ARN apart; None when it is not one Step Functions accepts."""
    m = _LAMBDA_ARN.fullmatch(arn)
    if m:
        return Resource(arn=arn, kind="lambda", service="lambda", action="invoke", region=m.group(2),
                        account=m.group(3), name=m.group(4))
    m = _ACTIVITY_ARN.fullmatch(arn)
    if m:
        return Resource(arn=arn, kind="activity", region=m.group(2), account=m.group(3), name=m.group(4))
    m = _SERVICE_ARN.fullmatch(arn)
    if m:
        rest = m.group(4)
        pattern = "request-response"
        for suffix, name in ((".sync:2", "sync:2"), (".sync", "sync"), (".waitForTaskToken", "waitForTaskToken")):
            if rest.endswith(suffix):
                rest, pattern = rest[: -len(suffix)], name
                break
        parts = rest.split(":")
        if parts[0] == "aws-sdk" and len(parts) == 3:
            service, action = f"aws-sdk:{parts[1]}", parts[2]
        elif len(parts) == 2:
            service, action = parts
        else:
            return None
        if not service or not action:
            return None
        return Resource(arn=arn, kind="service", service=service, action=action, pattern=pattern,
                        region=m.group(2) or None, account=m.group(3) or None)
    return None


_LAMBDA_ARN = re.compile(r"arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})"
                         r"(?::[A-Za-z0-9_$-]+)?")
_ACTIVITY_ARN = re.compile(r"arn:(aws[a-zA-Z-]*):states:([a-z0-9-]+):(\d{12}):activity:([^\s:]{1,80})")
_SERVICE_ARN = re.compile(r"arn:(aws[a-zA-Z-]*):states:([a-z0-9-]*):(\d{12})?:([A-Za-z0-9-]+:[A-Za-z0-9:.-]+)")
