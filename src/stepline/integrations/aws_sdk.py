"""The AWS SDK integrations: ``arn:aws:states:::aws-sdk:SERVICE:ACTION`` calls any API action
boto3 knows.

As on AWS, parameters are written in PascalCase whatever the API's own casing
(``StateMachineArn`` for ``stateMachineArn``), the action in camelCase (``listObjectsV2``),
and the result holds the API's response members in PascalCase. Errors are named
``<Service>.<Exception>``: the service as the AWS SDK for Java 2.x names its client (``S3``,
``DynamoDb``, ``Sqs``, ``AcmPca``) and the exception as the API models it, always ending in
``Exception`` (``S3.NoSuchKeyException``); an error the API does not model is the service's
generic one (``S3.S3Exception``). The conversions between Step Functions' values and boto3's
(:func:`to_api`, :func:`from_api`, :func:`plain`) serve the optimized integrations too
(:mod:`.aws_optimized`).
"""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any

from ..asl.model import Resource
from ..asl.values import JSON, dumps
from . import TaskFailure
from .aws_clients import (
    AwsClients,
    error_parts,
    exception_name,
    java_service_name,
    validation_message,
)

# ---------------------------------------------------------------------------- values


def _timestamp(value: _dt.datetime) -> str:
    """ISO-8601 in UTC with the fraction trimmed to milli/microseconds, as Java's Instant prints."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def _blob_text(value: Any) -> str:
    data = value.read() if hasattr(value, "read") else bytes(value)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii")


def plain(value: Any) -> JSON:
    """A botocore value as JSON without a model (optimized integrations)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return _timestamp(value)
    if isinstance(value, (bytes, bytearray)) or hasattr(value, "read"):
        return _blob_text(value)
    return value


class UnsupportedField(Exception):
    """A parameter the API's input shape has no member for (its path is the message)."""


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def to_api(shape: Any, value: JSON, where: str = "") -> Any:
    """Step Functions parameters -> boto3 parameters, guided by the input shape: member names
    from PascalCase to the API's own, blobs from text (or JSON) to bytes; map keys untouched."""
    if shape is None or value is None:
        return value
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        members = shape.members
        out = {}
        for key, v in value.items():
            member = key if key in members else _member_named(members, key)
            if member is None:
                raise UnsupportedField(f"{where}.{key}" if where else key)
            out[member] = to_api(members[member], v, f"{where}.{key}" if where else key)
        return out
    if t == "list" and isinstance(value, list):
        return [to_api(shape.member, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if t == "map" and isinstance(value, dict):
        return {k: to_api(shape.value, v, f"{where}.{k}") for k, v in value.items()}
    if t == "blob":
        if isinstance(value, str):
            return value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray)):
            return dumps(value).encode("utf-8")
    return value


def _member_named(members: Any, key: str) -> str | None:
    for name in members:
        if _pascal(name) == key:
            return name
    if key == "EqualsValue" and "Equals" in members:  # "API fields for equals ... EqualsValue"
        return "Equals"
    return None


def from_api(shape: Any, value: Any, *, body: bool = False) -> JSON:
    """A boto3 response -> the result Step Functions shows: member names in PascalCase,
    timestamps as ISO-8601 text, the HTTP body (``Body`` of S3 getObject) as text, other
    blobs in base64; map keys untouched. ``body``: ``value`` is the response's HTTP body."""
    if shape is None:
        return plain(value)
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        members = shape.members
        body_member = shape.serialization.get("payload")
        out = {}
        for k, v in value.items():
            if k == "ResponseMetadata":
                continue
            out[_pascal(k)] = from_api(members[k], v, body=k == body_member) if k in members else plain(v)
        return out
    if t == "list" and isinstance(value, list):
        return [from_api(shape.member, v) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: from_api(shape.value, v) for k, v in value.items()}
    if t == "timestamp" and isinstance(value, _dt.datetime):
        return _timestamp(value)
    if t == "blob":
        if body or hasattr(value, "read"):
            return _blob_text(value)
        if isinstance(value, (bytes, bytearray)):
            return base64.b64encode(bytes(value)).decode("ascii")
    return plain(value)


# ---------------------------------------------------------------------------- errors


def sdk_failure(clients: AwsClients, boto_name: str, prefix: str, e: BaseException) -> TaskFailure:
    """An aws-sdk call's failure as Step Functions reports it (the SDK for Java 2.x wording):
    ``S3.NoSuchKeyException`` / ``The specified key does not exist. (Service: S3, Status Code:
    404, Request ID: ..., Extended Request ID: ...)``."""
    from botocore.exceptions import ClientError, ParamValidationError
    if isinstance(e, ClientError):
        code, message, status, rid, host_id = error_parts(e)
        modelled = clients.errors(boto_name)
        shape = modelled.get(code) or modelled.get(e.response.get("Error", {}).get("Code", ""))
        name = exception_name(shape) if shape else f"{prefix}Exception"
        details = f"Service: {prefix}, Status Code: {status}, Request ID: {rid}"
        if host_id:
            details += f", Extended Request ID: {host_id}"
        return TaskFailure(f"{prefix}.{name}", f"{message or 'null'} ({details})")
    if isinstance(e, ParamValidationError):  # what the service would refuse with a 400
        return TaskFailure(f"{prefix}.{prefix}Exception", f"{validation_message(e)} (Service: {prefix}, "
                                                          "Status Code: 400, Request ID: null)")
    return TaskFailure(f"{prefix}.SdkClientException", str(e))


# ---------------------------------------------------------------------------- aws-sdk


class SdkIntegration:
    """``arn:aws:states:::aws-sdk:SERVICE:ACTION``: any API action boto3 knows."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self._services: dict[str, tuple[str, str]] = {}

    def __call__(self, resource: Resource, payload: JSON, *, timeout: float | None, token: str | None,
                 **context: Any) -> JSON:
        service = (resource.service or "").removeprefix("aws-sdk:")
        if resource.pattern not in ("request-response", "waitForTaskToken"):
            raise TaskFailure("States.Runtime", f"The resource '{resource.arn}' is not supported: AWS SDK "
                                                f"integrations do not support the .{resource.pattern} pattern")
        boto_name, prefix = self._service(service, resource.arn)
        model = self.clients.client(boto_name).meta.service_model
        operation = _operation(model, resource.action or "")
        if operation is None:
            raise TaskFailure("States.Runtime", f"The resource '{resource.arn}' is not recognized: {service} has no "
                                                f"API action '{resource.action}'")
        op = model.operation_model(operation)
        try:
            params = to_api(op.input_shape, {} if payload is None else payload)
        except UnsupportedField as e:
            raise TaskFailure("States.Runtime", f"The field '{e}' is not supported by Step Functions for "
                                                f"{resource.arn}") from None
        if not isinstance(params, dict):
            raise TaskFailure("States.Runtime", f"The parameters of {resource.arn} must be a JSON object")
        result = self.clients.call(boto_name, operation, params,
                                   lambda e: sdk_failure(self.clients, boto_name, prefix, e))
        return from_api(op.output_shape, result)

    def _service(self, service: str, arn: str) -> tuple[str, str]:
        known = self._services.get(service)
        if known is None:
            boto_name = self.clients.resolve(service)
            if boto_name is None:
                raise TaskFailure("States.Runtime", f"The resource '{arn}' is not recognized: no AWS service "
                                                    f"'{service}' is known to this installation's boto3")
            service_id = self.clients.client(boto_name).meta.service_model.metadata.get("serviceId") or boto_name
            known = self._services[service] = (boto_name, java_service_name(service_id))
        return known


def _operation(model: Any, action: str) -> str | None:
    name = _pascal(action)
    names = model.operation_names
    if name in names:
        return name
    lowered = name.lower()
    return next((n for n in names if n.lower() == lowered), None)
