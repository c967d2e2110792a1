"""The optimized AWS integrations: the services Step Functions calls with shapes of its own.

``sqs:sendMessage``, ``sns:publish``, ``dynamodb:getItem|putItem|updateItem|deleteItem``
(results with ``SdkHttpMetadata`` and ``SdkResponseMetadata``, errors such as
``DynamoDB.ConditionalCheckFailedException``), ``events:putEvents`` (the execution and state
machine ARNs added to each entry's ``Resources``; a failed entry fails the task with
``EventBridge.FailedEntry``), ``bedrock:invokeModel`` (``Body`` parsed, ``Input``/``Output``
through S3) and, when opted into, ``lambda:invoke`` of real AWS Lambda functions. Each service
is a subclass of :class:`_Optimized` naming its actions and its errors, which are worded as
the AWS SDK for Java 1.x words them (:func:`optimized_failure`). Parameters go to the API as
the AWS SDK integrations send them (:func:`.aws_sdk.to_api`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from ..asl.model import Resource
from ..asl.values import JSON, NotJson, dumps, parse_json
from . import TaskFailure
from .aws_clients import AwsClients, error_parts, exception_name, validation_message
from .aws_sdk import UnsupportedField, from_api, plain, to_api

# ---------------------------------------------------------------------------- errors


def optimized_failure(clients: AwsClients, boto_name: str, prefix: str, service: str, generic: str,
                      e: BaseException) -> TaskFailure:
    """An optimized integration's failure (the SDK for Java 1.x wording):
    ``DynamoDB.ResourceNotFoundException`` / ``Requested resource not found (Service:
    AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: ...;
    Proxy: null)``; an error the API does not model is ``generic`` (``AmazonSQSException``)."""
    from botocore.exceptions import ClientError, ParamValidationError
    if isinstance(e, ClientError):
        code, message, status, rid, _ = error_parts(e)
        wire_code = e.response.get("Error", {}).get("Code") or code
        shape = clients.errors(boto_name).get(code) or clients.errors(boto_name).get(wire_code)
        name = exception_name(shape) if shape else generic
        return TaskFailure(f"{prefix}.{name}", f"{message} (Service: {service}; Status Code: {status}; Error Code: "
                                               f"{wire_code}; Request ID: {rid}; Proxy: null)")
    if isinstance(e, ParamValidationError):  # what the service would refuse with a 400
        return TaskFailure(f"{prefix}.{generic}", f"{validation_message(e)} (Service: {service}; Status Code: 400; "
                                                  "Error Code: ValidationException; Request ID: null; Proxy: null)")
    return TaskFailure(f"{prefix}.SdkClientException", str(e))


# ---------------------------------------------------------------------------- the services


_HEADER_CASE = {"x-amzn-requestid": "x-amzn-RequestId", "x-amzn-trace-id": "X-Amzn-Trace-Id",
                "x-amz-executed-version": "X-Amz-Executed-Version", "x-amz-function-error": "X-Amz-Function-Error",
                "x-amz-log-result": "X-Amz-Log-Result"}


def _header_name(name: str) -> str:
    known = _HEADER_CASE.get(name)
    if known is not None:
        return known
    if name.startswith("x-amz"):
        return name
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def sdk_metadata(response: dict) -> dict:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` of an optimized integration's result."""
    meta = response.get("ResponseMetadata", {})
    headers = {_header_name(k): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {k: [v] for k, v in headers.items()},
            "HttpHeaders": dict(sorted(headers.items(), key=lambda kv: kv[0].lower())),
            "HttpStatusCode": meta.get("HTTPStatusCode", 200),
        },
        "SdkResponseMetadata": {"RequestId": meta.get("RequestId", "")},
    }


def _object(resource: Resource, payload: JSON) -> dict:
    if not isinstance(payload, dict):
        raise TaskFailure("States.Runtime", f"The parameters of {resource.arn} must be a JSON object")
    return dict(payload)


def _text(value: JSON) -> JSON:
    """A JSON parameter where the API takes text: objects and arrays are sent as JSON text."""
    return value if isinstance(value, str) or value is None else dumps(value)


class _Optimized:
    """One optimized service: its actions, and how its errors are named."""

    boto_name = ""
    prefix = ""      # before the error name: "SQS", "DynamoDB", ...
    service = ""     # in the cause: "AmazonSQS", ...
    generic = ""     # an unmodelled error: "AmazonSQSException"
    actions: ClassVar[dict[str, str]] = {}  # action -> API operation
    patterns: tuple[str, ...] = ("request-response", "waitForTaskToken")

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    def __call__(self, resource: Resource, payload: JSON, *, timeout: float | None, token: str | None,
                 **context: Any) -> JSON:
        operation = self.actions.get(resource.action or "")
        if operation is None or resource.pattern not in self.patterns:
            what = resource.action if operation is None else f"{resource.action}.{resource.pattern}"
            raise TaskFailure("States.Runtime", f"The resource '{resource.arn}' is not supported: stepline has "
                                                f"no optimized integration {resource.service}:{what}")
        return self.run(resource, operation, _object(resource, payload), context)

    def run(self, resource: Resource, operation: str, params: dict, context: dict) -> JSON:
        response = self.call(operation, params)
        return {**plain(response), **sdk_metadata(response)}

    def call(self, operation: str, params: dict, boto_name: str | None = None,
             fail: Callable[[BaseException], TaskFailure] | None = None) -> dict:
        """Call the API with the parameters as Step Functions takes them (PascalCase)."""
        boto_name = boto_name or self.boto_name
        model = self.clients.client(boto_name).meta.service_model
        try:
            api_params = to_api(model.operation_model(operation).input_shape, params)
        except UnsupportedField as e:
            raise TaskFailure("States.Runtime", f"The field '{e}' is not supported by Step Functions") from None
        return self.clients.call(boto_name, operation, api_params, fail or self.failure)

    def failure(self, e: BaseException) -> TaskFailure:
        return optimized_failure(self.clients, self.boto_name, self.prefix, self.service, self.generic, e)


class _Messaging(_Optimized):
    """An optimized integration whose message field may be any JSON value, sent as its text."""

    message_field: ClassVar[str]

    def run(self, resource: Resource, operation: str, params: dict, context: dict) -> JSON:
        if self.message_field in params:
            params[self.message_field] = _text(params[self.message_field])
        return super().run(resource, operation, params, context)


class Sqs(_Messaging):
    """``sqs:sendMessage``: ``MessageBody`` may be JSON (sent as its text)."""

    boto_name, prefix, service, generic = "sqs", "SQS", "AmazonSQS", "AmazonSQSException"
    actions: ClassVar[dict[str, str]] = {"sendMessage": "SendMessage"}
    message_field = "MessageBody"


class Sns(_Messaging):
    """``sns:publish``: ``Message`` may be JSON (sent as its text)."""

    boto_name, prefix, service, generic = "sns", "SNS", "AmazonSNS", "AmazonSNSException"
    actions: ClassVar[dict[str, str]] = {"publish": "Publish"}
    message_field = "Message"


class DynamoDb(_Optimized):
    """``dynamodb:getItem|putItem|updateItem|deleteItem`` (request-response only)."""

    boto_name, prefix, service, generic = "dynamodb", "DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"
    actions: ClassVar[dict[str, str]] = {"getItem": "GetItem", "putItem": "PutItem", "updateItem": "UpdateItem",
                                         "deleteItem": "DeleteItem"}
    patterns = ("request-response",)


class EventBridge(_Optimized):
    """``events:putEvents``: ``Detail`` may be JSON; the execution and state machine ARNs are
    appended to each entry's ``Resources``; a failed entry fails the task
    (``EventBridge.FailedEntry``). The result is PutEvents' response."""

    boto_name, prefix, service, generic = "events", "EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"
    actions: ClassVar[dict[str, str]] = {"putEvents": "PutEvents"}

    def run(self, resource: Resource, operation: str, params: dict, context: dict) -> JSON:
        entries = params.get("Entries")
        if isinstance(entries, list):
            arns = _execution_arns(context.get("execution_arn"))
            params["Entries"] = [_event_entry(entry, arns) for entry in entries]
        result = plain(self.call(operation, params))
        if result.get("FailedEntryCount"):
            raise TaskFailure("EventBridge.FailedEntry", dumps(result))
        return result


def _event_entry(entry: JSON, arns: list[str]) -> JSON:
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    if "Detail" in entry:
        entry["Detail"] = _text(entry["Detail"])
    if arns:
        resources = entry.get("Resources")
        entry["Resources"] = (list(resources) if isinstance(resources, list) else []) + arns
    return entry


def _execution_arns(execution_arn: str | None) -> list[str]:
    """[execution ARN, state machine ARN] (``...:execution:SM:NAME`` -> ``...:stateMachine:SM``)."""
    if not execution_arn:
        return []
    parts = execution_arn.split(":")
    if len(parts) < 8 or parts[5] not in ("execution", "express"):
        return [execution_arn]
    return [execution_arn, ":".join(parts[:5] + ["stateMachine", parts[6]])]


class Bedrock(_Optimized):
    """``bedrock:invokeModel`` (``Body`` JSON, or ``Input: {S3Uri}``; ``Output: {S3Uri}`` writes
    the response body to S3 instead of the result) and ``bedrock:createModelCustomizationJob``."""

    boto_name, prefix, service, generic = "bedrock-runtime", "Bedrock", "BedrockRuntime", "BedrockRuntimeException"
    actions: ClassVar[dict[str, str]] = {"invokeModel": "InvokeModel",
                                         "createModelCustomizationJob": "CreateModelCustomizationJob"}
    patterns = ("request-response",)

    def run(self, resource: Resource, operation: str, params: dict, context: dict) -> JSON:
        if operation == "CreateModelCustomizationJob":
            model = self.clients.client("bedrock").meta.service_model
            response = self.call(operation, params, "bedrock", self._control_plane_failure)
            return from_api(model.operation_model(operation).output_shape, response)
        source, target = params.pop("Input", None), params.pop("Output", None)
        if source is not None:
            if "Body" in params:
                raise TaskFailure("States.Runtime", "bedrock:invokeModel takes either 'Body' or 'Input', not both")
            obj = self._s3("GetObject", _s3_location(source))
            params["Body"] = obj["Body"].read()
            params.setdefault("ContentType", obj.get("ContentType") or "application/json")
        elif "Body" in params and not isinstance(params["Body"], (bytes, bytearray)):
            params["Body"] = _text(params["Body"]).encode("utf-8")
        response = self.call(operation, params)
        body = response["body"].read()
        if target is not None:
            self._s3("PutObject", {**_s3_location(target), "Body": body})
            return {"Body": {"S3Uri": target["S3Uri"]}, "ContentType": response.get("contentType")}
        try:
            parsed: JSON = parse_json(body)
        except NotJson:
            parsed = body.decode("utf-8", errors="replace")
        return {"Body": parsed, "ContentType": response.get("contentType")}

    def _s3(self, operation: str, params: dict) -> dict:
        return self.call(operation, params, "s3", self._s3_failure)

    def _s3_failure(self, e: BaseException) -> TaskFailure:
        return optimized_failure(self.clients, "s3", "S3", "Amazon S3", "AmazonS3Exception", e)

    def _control_plane_failure(self, e: BaseException) -> TaskFailure:
        return optimized_failure(self.clients, "bedrock", "Bedrock", "Bedrock", "BedrockException", e)


def _s3_location(value: JSON) -> dict:
    uri = value.get("S3Uri") if isinstance(value, dict) else None
    m = re.fullmatch(r"s3://([^/]+)/(.+)", uri or "")
    if m is None:
        raise TaskFailure("States.Runtime", f"Expected {{'S3Uri': 's3://bucket/key'}}, got {dumps(value)}")
    return {"Bucket": m.group(1), "Key": m.group(2)}


class Lambda(_Optimized):
    """``lambda:invoke`` of real AWS Lambda functions: Lambda's Invoke response with the
    ``Payload`` parsed; a function error fails the task with its ``errorType`` and the payload."""

    boto_name, prefix, service, generic = "lambda", "Lambda", "AWSLambda", "AWSLambdaException"
    actions: ClassVar[dict[str, str]] = {"invoke": "Invoke"}

    def run(self, resource: Resource, operation: str, params: dict, context: dict) -> JSON:
        if "Payload" in params and not isinstance(params["Payload"], (bytes, bytearray)):
            params["Payload"] = _text(params["Payload"]).encode("utf-8")
        response = self.call(operation, params)
        raw = response["Payload"].read() if "Payload" in response else b""
        text = raw.decode("utf-8", errors="replace")
        try:
            payload: JSON = parse_json(text) if text else None
        except NotJson:
            payload = text
        if response.get("FunctionError"):
            error = payload.get("errorType") if isinstance(payload, dict) else None
            raise TaskFailure(error if isinstance(error, str) else "Lambda.Unknown", text)
        result = {k: plain(v) for k, v in response.items() if k not in ("Payload", "ResponseMetadata")}
        return {**result, "Payload": "" if payload is None else payload, **sdk_metadata(response)}

    def invoke_function(self, arn: str, payload: JSON) -> JSON:
        """A plain function ARN as a Task resource: the function's own result."""
        resource = Resource(arn=arn, kind="lambda", service="lambda", action="invoke")
        return self.run(resource, "Invoke", {"FunctionName": arn, "Payload": payload}, {})["Payload"]

