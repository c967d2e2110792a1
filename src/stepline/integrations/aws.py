"""AWS services through boto3: the AWS SDK integrations and the optimized ones.

``arn:aws:states:::aws-sdk:SERVICE:ACTION`` calls any API action boto3 knows. As on AWS,
parameters are written in PascalCase whatever the API's own casing (``StateMachineArn`` for
``stateMachineArn``), the action in camelCase (``listObjectsV2``), and the result holds the
API's response members in PascalCase. Errors are named ``<Service>.<Exception>``: the service
as the AWS SDK for Java 2.x names its client (``S3``, ``DynamoDb``, ``Sqs``, ``AcmPca``) and
the exception as the API models it, always ending in ``Exception`` (``S3.NoSuchKeyException``);
an error the API does not model is the service's generic one (``S3.S3Exception``).

The optimized integrations keep the shapes Step Functions documents for them:
``sqs:sendMessage``, ``sns:publish``, ``dynamodb:getItem|putItem|updateItem|deleteItem``
(results with ``SdkHttpMetadata`` and ``SdkResponseMetadata``, errors such as
``DynamoDB.ConditionalCheckFailedException``), ``events:putEvents`` (the execution and state
machine ARNs added to each entry's ``Resources``; a failed entry fails the task with
``EventBridge.FailedEntry``), ``bedrock:invokeModel`` (``Body`` parsed, ``Input``/``Output``
through S3) and, when opted into, ``lambda:invoke`` of real AWS Lambda functions.

Credentials, region and endpoint come from the standard AWS configuration (environment,
profiles, ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>``); one client per service,
made on first use and shared by all threads. boto3 is optional (``pip install 'stepline[aws]'``).
"""

from __future__ import annotations

import base64
import datetime as _dt
import re
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from ..asl.model import Resource
from ..asl.values import JSON, NotJson, dumps, parse_json
from . import Integrations, TaskFailure

__all__ = ["AwsClients", "SdkIntegration", "java_service_name", "register_aws"]

#: Step Functions' aws-sdk service names (the SDK for Java 2.x module names) that boto3 knows
#: by another name (all of botocore 1.44's, plus older aliases); any other name is looked for
#: among boto3's own (with or without hyphens), then among every model's serviceId
SDK_NAMES = {
    "sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs", "cloudwatchevents": "events",
    "elasticloadbalancingv2": "elbv2", "elasticloadbalancing": "elb", "costexplorer": "ce",
    "cognitoidentityprovider": "cognito-idp", "cognitoidentity": "cognito-identity", "iotdataplane": "iot-data",
    "databasemigration": "dms", "directory": "ds", "elasticsearch": "es", "marketplacemetering":
    "meteringmarketplace", "lexruntimev2": "lexv2-runtime", "lexmodelsv2": "lexv2-models", "lexruntime":
    "lex-runtime", "lexmodelbuilding": "lex-models", "elasticmapreduce": "emr", "emrserverless": "emr-serverless",
    "applicationautoscaling": "application-autoscaling", "configservice": "config",
    "iotjobsdataplane": "iot-jobs-data", "kinesisvideoarchivedmedia": "kinesis-video-archived-media",
    "migrationhub": "mgh", "pinpointemail": "pinpoint-email", "costandusagereport": "cur",
    "applicationdiscovery": "discovery", "directoryservicedata": "ds-data", "simpledb": "sdb",
    "serverlessapplicationrepository": "serverlessrepo", "pinpointsmsvoice": "sms-voice",
}

ClientFactory = Callable[[str], Any]


def java_service_name(service_id: str) -> str:
    """The SDK for Java 2.x name of a service from its model's ``serviceId``, which Step
    Functions puts in front of error names: ``DynamoDB`` -> ``DynamoDb``, ``ACM PCA`` ->
    ``AcmPca``, ``CloudWatch Logs`` -> ``CloudWatchLogs``, ``SESv2`` -> ``SesV2``,
    ``Database Migration Service`` -> ``DatabaseMigration``. Lowercased, it is the name in
    ``aws-sdk:NAME``."""
    s = re.sub(r"[^A-Za-z0-9]+", " ", service_id)
    s = re.sub(r"([^a-z]{2,})v([0-9]+)", r"\1 v\2 ", s)       # SESv2 -> SES v2
    s = re.sub(r"([^A-Z]{2,})V([0-9]+)", r"\1 V\2 ", s)       # GatewayV2 -> Gateway V2
    s = re.sub(r"(?<=[a-z])(?=[A-Z][A-Za-z0-9])", " ", s)     # DynamoDB -> Dynamo DB
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)           # ACMSuccess -> ACM Success
    s = re.sub(r"([0-9])([A-Za-z])", r"\1 \2", s)
    words = s.split()
    if len(words) > 1 and words[0].lower() in ("amazon", "aws"):
        words = words[1:]
    if len(words) > 1 and words[-1].lower() == "service":
        words = words[:-1]
    return "".join(w[:1].upper() + w[1:].lower() for w in words)


class AwsClients:
    """boto3 clients, one per service, made on first use under a lock and shared by all
    threads (boto3 clients are thread-safe; sessions are not)."""

    def __init__(self, session: Any = None, *, region: str | None = None) -> None:
        self._session = session
        self._region = region
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._errors: dict[str, dict[str, str]] = {}
        self._names: dict[str, str] | None = None

    def client(self, name: str) -> Any:
        """The boto3 client of ``name`` (boto3's name: ``sqs``, ``stepfunctions``, ...)."""
        client = self._clients.get(name)
        if client is None:
            with self._lock:
                client = self._clients.get(name)
                if client is None:
                    session = self._boto3_session()
                    region = session.region_name or self._region
                    client = self._clients[name] = session.client(name, region_name=region)
        return client

    def _boto3_session(self) -> Any:
        if self._session is None:
            try:
                import boto3
            except ImportError:
                raise TaskFailure("States.TaskFailed", "stepline calls AWS services through boto3, which is not "
                                  "installed: pip install 'stepline[aws]'") from None
            self._session = boto3.session.Session()
        return self._session

    def available(self) -> list[str]:
        """boto3's service names (read from botocore's data, so boto3 need not be installed)."""
        if self._session is not None:
            return list(self._session.get_available_services())
        import botocore.session
        return list(botocore.session.get_session().get_available_services())

    def resolve(self, sdk_name: str) -> str | None:
        """The boto3 name of a Step Functions aws-sdk service name, or None."""
        name = SDK_NAMES.get(sdk_name)
        if name is not None:
            return name
        available = self.available()
        if sdk_name in available:
            return sdk_name
        for candidate in available:
            if candidate.replace("-", "") == sdk_name:
                return candidate
        if self._names is None:  # last resort: every model's serviceId (slow, once)
            import botocore.session
            loader = botocore.session.get_session().get_component("data_loader")
            names = {}
            for candidate in available:
                try:
                    meta = loader.load_service_model(candidate, "service-2")["metadata"]
                except Exception:  # noqa: BLE001, S112 - a model botocore cannot load is skipped
                    continue
                names[java_service_name(meta.get("serviceId") or candidate).lower()] = candidate
            self._names = names
        return self._names.get(sdk_name)

    def errors(self, name: str) -> dict[str, str]:
        """The service's modelled errors: wire code (and shape name) -> shape name."""
        table = self._errors.get(name)
        if table is None:
            table = {}
            for shape in self.client(name).meta.service_model.error_shapes:
                table[shape.name] = shape.name
                code = shape.metadata.get("error", {}).get("code")
                if code:
                    table.setdefault(code, shape.name)
            self._errors[name] = table
        return table


# ---------------------------------------------------------------------------- errors


def _error_parts(e: Any) -> tuple[str, str, int, str, str | None]:
    """(code, message, status, request id, extended request id) of a botocore ClientError."""
    err = e.response.get("Error", {})
    meta = e.response.get("ResponseMetadata", {})
    code = err.get("QueryErrorCode") or err.get("Code") or "Unknown"
    message = err.get("Message") or err.get("message") or ""
    return code, message, int(meta.get("HTTPStatusCode") or 400), meta.get("RequestId") or "null", meta.get("HostId")


def _exception_name(shape_name: str) -> str:
    return shape_name if shape_name.endswith("Exception") else shape_name + "Exception"


def sdk_failure(clients: AwsClients, boto_name: str, prefix: str, e: BaseException) -> TaskFailure:
    """An aws-sdk call's failure as Step Functions reports it (the SDK for Java 2.x wording):
    ``S3.NoSuchKeyException`` / ``The specified key does not exist. (Service: S3, Status Code:
    404, Request ID: ..., Extended Request ID: ...)``."""
    from botocore.exceptions import ClientError, ParamValidationError
    if isinstance(e, ClientError):
        code, message, status, rid, host_id = _error_parts(e)
        modelled = clients.errors(boto_name)
        shape = modelled.get(code) or modelled.get(e.response.get("Error", {}).get("Code", ""))
        name = _exception_name(shape) if shape else f"{prefix}Exception"
        details = f"Service: {prefix}, Status Code: {status}, Request ID: {rid}"
        if host_id:
            details += f", Extended Request ID: {host_id}"
        return TaskFailure(f"{prefix}.{name}", f"{message or 'null'} ({details})")
    if isinstance(e, ParamValidationError):  # what the service would refuse with a 400
        return TaskFailure(f"{prefix}.{prefix}Exception", f"{_validation_message(e)} (Service: {prefix}, "
                                                          "Status Code: 400, Request ID: null)")
    return TaskFailure(f"{prefix}.SdkClientException", str(e))


def _validation_message(e: BaseException) -> str:
    return str(e).replace("\n", " ")


def optimized_failure(clients: AwsClients, boto_name: str, prefix: str, service: str, generic: str,
                      e: BaseException) -> TaskFailure:
    """An optimized integration's failure (the SDK for Java 1.x wording):
    ``DynamoDB.ResourceNotFoundException`` / ``Requested resource not found (Service:
    AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: ...;
    Proxy: null)``; an error the API does not model is ``generic`` (``AmazonSQSException``)."""
    from botocore.exceptions import ClientError, ParamValidationError
    if isinstance(e, ClientError):
        code, message, status, rid, _ = _error_parts(e)
        wire_code = e.response.get("Error", {}).get("Code") or code
        shape = clients.errors(boto_name).get(code) or clients.errors(boto_name).get(wire_code)
        name = _exception_name(shape) if shape else generic
        return TaskFailure(f"{prefix}.{name}", f"{message} (Service: {service}; Status Code: {status}; Error Code: "
                                               f"{wire_code}; Request ID: {rid}; Proxy: null)")
    if isinstance(e, ParamValidationError):  # what the service would refuse with a 400
        return TaskFailure(f"{prefix}.{generic}", f"{_validation_message(e)} (Service: {service}; Status Code: 400; "
                                                  "Error Code: ValidationException; Request ID: null; Proxy: null)")
    return TaskFailure(f"{prefix}.SdkClientException", str(e))


def _call(clients: AwsClients, boto_name: str, operation: str, params: dict,
          fail: Callable[[BaseException], TaskFailure]) -> dict:
    """Call ``operation`` (``SendMessage``) on the service's client; its failure as ``fail`` names it."""
    from botocore import xform_name
    from botocore.exceptions import BotoCoreError, ClientError
    client = clients.client(boto_name)
    try:
        return getattr(client, xform_name(operation))(**params)
    except (ClientError, BotoCoreError) as e:
        raise fail(e) from None


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


class _Unsupported(Exception):
    pass


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
                raise _Unsupported(f"{where}.{key}" if where else key)
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
        except _Unsupported as e:
            raise TaskFailure("States.Runtime", f"The field '{e}' is not supported by Step Functions for "
                                                f"{resource.arn}") from None
        if not isinstance(params, dict):
            raise TaskFailure("States.Runtime", f"The parameters of {resource.arn} must be a JSON object")
        result = _call(self.clients, boto_name, operation, params,
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


# ---------------------------------------------------------------------------- optimized


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
        except _Unsupported as e:
            raise TaskFailure("States.Runtime", f"The field '{e}' is not supported by Step Functions") from None
        return _call(self.clients, boto_name, operation, api_params, fail or self.failure)

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


# ---------------------------------------------------------------------------- registration


def register_aws(integrations: Integrations, *, session: Any = None, lambda_functions: bool = False,
                 clients: AwsClients | None = None) -> AwsClients:
    """Serve AWS services from ``integrations``: every ``aws-sdk:SERVICE`` boto3 knows (also
    under ``aws-sdk:*``, for a registry that falls back to it), the optimized ``sqs``, ``sns``,
    ``dynamodb``, ``events`` and ``bedrock``, and with ``lambda_functions`` real AWS Lambda for
    ``lambda:invoke``. ``session`` is a boto3 Session (default: the standard configuration)."""
    clients = clients or AwsClients(session, region=integrations.region)
    sdk = SdkIntegration(clients)
    names = set(SDK_NAMES)
    for name in clients.available():
        names.add(name)
        names.add(name.replace("-", ""))
    for name in names:
        integrations.register(f"aws-sdk:{name}", sdk)
    integrations.register("aws-sdk:*", sdk)
    for service, kind in (("sqs", Sqs), ("sns", Sns), ("dynamodb", DynamoDb), ("events", EventBridge),
                          ("bedrock", Bedrock)):
        integrations.register(service, kind(clients))
    if lambda_functions:
        integrations.register("lambda", Lambda(clients))
    return clients
