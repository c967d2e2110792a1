"""boto3 clients for the AWS integrations: one per service, the names Step Functions gives
services, and one API call with the parts of its error.

Credentials, region and endpoint come from the standard AWS configuration (environment,
profiles, ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>``); one client per service,
made on first use and shared by all threads. boto3 is optional (``pip install 'stepline[aws]'``):
without it a task that calls AWS fails with ``States.TaskFailed``. A service in
``aws-sdk:NAME`` is named as the AWS SDK for Java 2.x names its module (``sfn``,
``dynamodb``, ``cloudwatchlogs``), which is not always boto3's name (:data:`SDK_NAMES`,
:func:`java_service_name`). How a failed call is worded is each integration's own
(:mod:`.aws_sdk`, :mod:`.aws_optimized`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from . import TaskFailure

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


    def call(self, boto_name: str, operation: str, params: dict,
             fail: Callable[[BaseException], TaskFailure]) -> dict:
        """Call ``operation`` (``SendMessage``) on the service's client; its failure as ``fail`` names it."""
        from botocore import xform_name
        from botocore.exceptions import BotoCoreError, ClientError
        client = self.client(boto_name)
        try:
            return getattr(client, xform_name(operation))(**params)
        except (ClientError, BotoCoreError) as e:
            raise fail(e) from None


# ---------------------------------------------------------------------------- errors


def error_parts(e: Any) -> tuple[str, str, int, str, str | None]:
    """(code, message, status, request id, extended request id) of a botocore ClientError."""
    err = e.response.get("Error", {})
    meta = e.response.get("ResponseMetadata", {})
    code = err.get("QueryErrorCode") or err.get("Code") or "Unknown"
    message = err.get("Message") or err.get("message") or ""
    return code, message, int(meta.get("HTTPStatusCode") or 400), meta.get("RequestId") or "null", meta.get("HostId")


def exception_name(shape_name: str) -> str:
    """An error shape's name as an exception's: ``NoSuchKey`` -> ``NoSuchKeyException``."""
    return shape_name if shape_name.endswith("Exception") else shape_name + "Exception"


def validation_message(e: BaseException) -> str:
    """botocore's message for parameters it refuses, on one line."""
    return str(e).replace("\n", " ")
