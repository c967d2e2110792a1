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
    problem = _mismatch(shape, result, "", strict)
    if problem:
        raise validation(f"The mocked result does not match the response of {service}:{r.action}: {problem}")


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


def _mismatch(shape: Any, value: JSON, where: str, strict: bool) -> str | None:
    """The first way ``value`` breaks ``shape`` (Step Functions writes member names with a
    capital first letter, so both spellings are accepted), or None."""
    t = shape.type_name
    name = where or "the result"
    meta = shape.metadata
    if value is None:
        return None
    if t == "structure":
        if type(value) is not dict:
            return f"{name} must be an object"
        by_pascal = {_pascal(m): m for m in shape.members}
        if strict:
            for m in shape.required_members:
                if m not in value and _pascal(m) not in value:
                    return f"the required field '{where + '.' if where else ''}{_pascal(m)}' is missing"
        for key, v in value.items():
            member = shape.members.get(key) or shape.members.get(by_pascal.get(key, ""))
            if member is not None:
                problem = _mismatch(member, v, f"{where}.{key}" if where else key, strict)
                if problem:
                    return problem
        return None
    if t in ("list", "map"):
        if type(value) is not (list if t == "list" else dict):
            return f"{name} must be {'an array' if t == 'list' else 'an object'}"
        if t == "list" and not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            return f"{name} has {len(value)} elements, outside [{meta.get('min', 0)}, {meta.get('max', '')}]"
        inner = shape.member if t == "list" else shape.value
        items: Any = enumerate(value) if isinstance(value, list) else value.items()
        for k, v in items:
            problem = _mismatch(inner, v, f"{name}[{k}]" if t == "list" else f"{name}.{k}", strict)
            if problem:
                return problem
        return None
    if t == "string":
        if type(value) is not str:
            return f"{name} must be a string"
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            return f"{name} must be {meta.get('min', 0)} to {meta.get('max', '')} characters long"
        return None
    if t in ("integer", "long", "float", "double"):
        ok = (int,) if t in ("integer", "long") else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok):
            return f"{name} must be {'an integer' if t in ('integer', 'long') else 'a number'}"
        if not meta.get("min", value) <= value <= meta.get("max", value):
            return f"{name} must be between {meta.get('min', '')} and {meta.get('max', '')}"
        return None
    if t == "boolean" and type(value) is not bool:
        return f"{name} must be a boolean"
    if t == "timestamp" and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
        return f"{name} must be a timestamp"
    return None  # blob, document: Step Functions hands them over as JSON of any shape
