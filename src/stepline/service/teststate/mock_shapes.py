"""A mocked result checked against the service's response shape, from the API model botocore
ships (``fieldValidationMode`` STRICT: types, required members, lengths, ranges, enums, no
unknown members; PRESENT: only the members present)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ...asl.model import Resource
from ...asl.values import JSON
from .request import validation

#: SDK service names (aws-sdk:<service>:<action>) that botocore knows by another name
_BOTOCORE_NAMES = {"sfn": "stepfunctions", "states": "stepfunctions", "elasticmapreduce": "emr",
                   "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elbv2", "costexplorer": "ce",
                   "applicationautoscaling": "application-autoscaling", "cognitoidentityprovider": "cognito-idp",
                   "eventbridge": "events"}


def check_mock(r: Resource, result: JSON, strict: bool) -> None:
    """"TestState validates mocked responses against AWS service API models": the mocked
    result of a request-response service integration is checked against the output shape of
    its API action in botocore's model (STRICT: required fields too; PRESENT: the fields
    present). Fields the model does not define are ignored; HTTP Task, API Gateway and EKS
    are not validated (docs); neither are .sync / .waitForTaskToken results (not done here)."""
    if r.kind != "service" or r.pattern != "request-response" or r.service is None or r.action is None:
        return
    service = r.service[len("aws-sdk:"):] if r.service.startswith("aws-sdk:") else r.service
    if service in ("http", "apigateway") or service == "eks" and r.action in ("call", "runJob"):
        return
    shape = _output_shape(service, r.action)
    if shape is None:
        return
    problem = _mismatch(shape, result, "result", strict)
    if problem:
        raise validation(f"Mock result schema validation error: {problem}")


@lru_cache(maxsize=256)
def _output_shape(service: str, action: str) -> Any:
    try:
        model = _botocore_session().get_service_model(_BOTOCORE_NAMES.get(service, service))
        operation = action[:1].upper() + action[1:]
        if operation not in model.operation_names:
            return None
        return model.operation_model(operation).output_shape
    except Exception:  # noqa: BLE001 - a service botocore does not know is simply not validated
        return None


@lru_cache(maxsize=1)
def _botocore_session() -> Any:
    import botocore.session
    return botocore.session.get_session()


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _mismatch(shape: Any, value: JSON, field: str, strict: bool) -> str | None:
    """The first way ``value`` breaks ``shape``, in AWS's words about the innermost ``field``
    (a member's name; an array's elements are their array's), or None. Step Functions writes
    member names with a capital first letter, so both spellings are accepted."""
    t = shape.type_name
    meta = shape.metadata
    if value is None:
        return None
    kind = _KINDS.get(t)
    if kind is not None and not _is(kind, value):
        return f"Field '{field}' must be {kind}"
    if t == "structure":
        assert isinstance(value, dict)
        by_pascal = {_pascal(m): m for m in shape.members}
        if strict:
            for m in shape.required_members:
                if m not in value and _pascal(m) not in value:
                    return f"Field '{_pascal(m)}' is required"
        for key, v in value.items():
            member = shape.members.get(key) or shape.members.get(by_pascal.get(key, ""))
            if member is not None:
                problem = _mismatch(member, v, key, strict)
                if problem:
                    return problem
        return None
    if t in ("list", "map"):
        assert isinstance(value, (list, dict))
        if t == "list" and not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            return f"Field '{field}' must have {meta.get('min', 0)} to {meta.get('max', '')} items"
        inner = shape.member if t == "list" else shape.value
        for v in (value if isinstance(value, list) else value.values()):
            problem = _mismatch(inner, v, field, strict)
            if problem:
                return problem
        return None
    if t == "string":
        assert isinstance(value, str)
        if shape.enum and value not in shape.enum:
            return f"Field '{field}' is not an expected value"
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            return f"Field '{field}' must be {meta.get('min', 0)} to {meta.get('max', '')} characters long"
        return None
    if t in ("integer", "long", "float", "double"):
        assert isinstance(value, (int, float))
        if t in ("integer", "long") and not float(value).is_integer():
            return f"Field '{field}' must be a whole number"
        if not meta.get("min", value) <= value <= meta.get("max", value):
            return f"Field '{field}' must be between {meta.get('min', '')} and {meta.get('max', '')}"
    return None  # blob, document: Step Functions hands them over as JSON of any shape


#: the JSON type each shape type takes, as AWS's messages name it (a timestamp is written as a
#: string in a mocked result)
_KINDS = {"structure": "an object", "map": "an object", "list": "an array", "string": "a string",
          "timestamp": "a string", "boolean": "a boolean", "integer": "a number", "long": "a number",
          "float": "a number", "double": "a number"}


def _is(kind: str, value: JSON) -> bool:
    if kind == "a number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return type(value) is {"an object": dict, "an array": list, "a string": str, "a boolean": bool}[kind]
