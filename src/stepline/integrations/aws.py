"""AWS services through boto3: the AWS SDK integrations and the optimized ones, served by
:func:`register_aws`.

- ``arn:aws:states:::aws-sdk:SERVICE:ACTION`` calls any API action boto3 knows, in Step
  Functions' PascalCase, with errors named ``<Service>.<Exception>``
  (:class:`SdkIntegration`, in :mod:`.aws_sdk`);
- the optimized integrations (``sqs:sendMessage``, ``sns:publish``, ``dynamodb:getItem`` and
  its siblings, ``events:putEvents``, ``bedrock:invokeModel`` and, when opted into,
  ``lambda:invoke`` of real AWS Lambda functions) keep the shapes Step Functions documents for
  them (:mod:`.aws_optimized`);
- both call through :class:`AwsClients` (:mod:`.aws_clients`): credentials, region and
  endpoint from the standard AWS configuration, one client per service, shared by all threads.
  boto3 is optional (``pip install 'stepline[aws]'``).
"""

from __future__ import annotations

from typing import Any

from . import Integrations
from .aws_clients import SDK_NAMES, AwsClients, java_service_name
from .aws_optimized import Bedrock, DynamoDb, EventBridge, Lambda, Sns, Sqs
from .aws_sdk import SdkIntegration

__all__ = ["AwsClients", "SdkIntegration", "java_service_name", "register_aws"]


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
