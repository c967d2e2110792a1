"""The operations of the Step Functions API, on top of the engine and the store.

``Service.call(operation, params)`` takes a request as the API's JSON object (its members
named as in botocore's service model) and returns the response object, or raises
:class:`ServiceError` with AWS's error code. Timestamps in responses are epoch seconds, as
the JSON protocol carries them. The HTTP wire is :mod:`stepline.api`'s business.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from ..asl.values import JsonText, loads
from ..engine.durable import Engine
from ..integrations import Integrations
from ..integrations.aws import register_aws
from ..integrations.http import register_http
from ..secrets import Secrets
from ..store import Store, StoreError
from .activities import Activities
from .arns import Arns
from .connections import Connections
from .errors import ServiceError, store_refusal
from .executions import Executions
from .machines import Registry
from .nested import register_nested
from .pending import Pending
from .tags import Tags
from .tasks import Tasks
from .teststate import test_state
from .versions import Aliases, Versions

__all__ = ["Service", "ServiceError"]


#: the operations of AWS's API (botocore's ``stepfunctions`` model)
OPERATIONS = (
    "CreateActivity", "CreateStateMachine", "CreateStateMachineAlias", "DeleteActivity", "DeleteStateMachine",
    "DeleteStateMachineAlias", "DeleteStateMachineVersion", "DescribeActivity", "DescribeExecution",
    "DescribeMapRun", "DescribeStateMachine", "DescribeStateMachineAlias", "DescribeStateMachineForExecution",
    "GetActivityTask", "GetExecutionHistory", "ListActivities", "ListExecutions", "ListMapRuns",
    "ListStateMachineAliases", "ListStateMachineVersions", "ListStateMachines", "ListTagsForResource",
    "PublishStateMachineVersion", "RedriveExecution", "SendTaskFailure", "SendTaskHeartbeat", "SendTaskSuccess",
    "StartExecution", "StartSyncExecution", "StopExecution", "TagResource", "TestState", "UntagResource",
    "UpdateMapRun", "UpdateStateMachine", "UpdateStateMachineAlias", "ValidateStateMachineDefinition",
)

#: operations quick enough to serve on the API server's event loop, holding no thread: they only
#: read the store, or (StartExecution) hand a start to the engine and answer once it commits (a
#: :class:`~.pending.Pending` the server awaits)
INLINE = frozenset({
    "DescribeActivity", "DescribeExecution", "DescribeMapRun", "DescribeStateMachine", "DescribeStateMachineAlias",
    "DescribeStateMachineForExecution", "GetExecutionHistory", "ListActivities", "ListExecutions", "ListMapRuns",
    "ListStateMachineAliases", "ListStateMachineVersions", "ListStateMachines", "ListTagsForResource",
    "StartExecution",
})


def _guarded(method: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """The operation, with a database failure (a full disk, a lost connection) answered as a
    clear error instead of a crash; nothing half-written stays behind (writes are atomic)."""
    def call(params: dict) -> Any:
        try:
            return method(params)
        except StoreError as e:
            raise store_refusal(e) from e
    call.__name__ = method.__name__
    return call


def snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


class Service:
    def __init__(self, store: Store, engine: Engine, integrations: Integrations, *, region: str, account: str,
                 secrets: Secrets | None = None, clock: Callable[[], float] = time.time) -> None:
        """``secrets`` encrypts connection credentials (None: a key made for this process only,
        for tests; a server passes the installation's key)."""
        self.store = store
        self.engine = engine
        self.integrations = integrations
        self.arns = Arns(region, account)
        self.versions = Versions(store, self.arns, clock)
        self.aliases = Aliases(store, self.arns, clock)
        self.registry = Registry(store, self.arns, clock, self.versions)
        self.activities = Activities(store, self.arns, clock)
        self.tags = Tags(store, self.arns)
        self.executions = Executions(store, engine, self.registry, integrations, self.arns, clock)
        self.tasks = Tasks(store, self.activities, clock, wake_engine=engine.wake)
        self.connections = Connections(store, secrets or Secrets(os.urandom(32)), region, account, clock)
        register_nested(integrations, self.executions)
        self.http = register_http(integrations, self.connections.resolve)
        # AWS services through boto3 (stepline[aws]), with the standard AWS configuration; real
        # AWS Lambda only when asked for (Python functions serve Lambda ARNs otherwise)
        register_aws(integrations, lambda_functions=os.environ.get("STEPLINE_AWS_LAMBDA") == "1")
        self.operations: dict[str, Callable[[dict], Any]] = {
            "TestState": lambda p: test_state(p, integrations=integrations, region=region, account=account)}
        for operation in OPERATIONS:
            for part in (self.registry, self.versions, self.aliases, self.activities, self.tags, self.executions,
                         self.tasks):
                method = getattr(part, snake(operation), None)
                if method is not None and operation not in self.operations:
                    self.operations[operation] = _guarded(method)

    def handler(self, operation: str) -> Callable[[dict], Any] | None:
        """The function serving an API operation (``StartExecution`` ...), or None."""
        return self.operations.get(operation)

    def call(self, operation: str, params: dict) -> Any:
        """The response object (as values, also where the wire gets it as written JSON text)."""
        handler = self.handler(operation)
        if handler is None:
            raise ServiceError("UnknownOperationException", f"Unknown operation: {operation}")
        response = handler(params)
        if isinstance(response, Pending):
            response = response.wait()
        return loads(response) if isinstance(response, JsonText) else response

    def close(self) -> None:
        self.executions.close()
        self.http.close()
