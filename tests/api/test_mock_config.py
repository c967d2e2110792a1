"""A server with a MockConfigFile: StartExecution with stateMachineArn#TestCase answers that
test case's Task states from their mocked responses (Lambda, activity, callback), as Step
Functions Local does; other executions call the real targets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.cli import _serve_mocks

from .conftest import ACCOUNT, Running
from .test_executions import finished
from .test_state_machines import error_of

LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:echo"


@pytest.fixture(scope="module")
def mocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    base = tmp_path_factory.mktemp("mocks")
    activity = f"arn:aws:states:us-east-1:{ACCOUNT}:activity:never-served"
    config = {
        "StateMachines": {"orders": {"TestCases": {
            "HappyPath": {"Price": "Priced", "Approve": "Approved", "Ship": "Shipped"},
            "Declined": {"Price": "PriceFails"}}}},
        "MockedResponses": {
            "Priced": {"0": {"Return": {"total": 42}}},
            "PriceFails": {"0-1": {"Throw": {"Error": "PriceError", "Cause": "no price"}}},
            "Approved": {"0": {"Return": {"approved": True}}},
            "Shipped": {"0": {"Return": {"shipped": "yes"}}}}}
    path = base / "MockConfigFile.json"
    path.write_text(json.dumps(config))
    running = Running(f"sqlite:///{base / 'stepline.db'}")
    running.functions.add("echo", lambda event, context: {"real": event})
    _serve_mocks(running.service, running.integrations, str(path))
    sfn = running.client()
    definition = {"StartAt": "Price", "States": {
        "Price": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.price",
                  "Retry": [{"ErrorEquals": ["PriceError"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                  "Next": "Approve"},
        "Approve": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": "echo", "Payload": {"token.$": "$$.Task.Token"}},
                    "ResultPath": "$.approval", "Next": "Ship"},
        "Ship": {"Type": "Task", "Resource": activity, "ResultPath": "$.shipping", "End": True}}}
    sfn.create_state_machine(name="orders", definition=json.dumps(definition),
                             roleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
    yield running
    running.stop()


def test_a_test_case_answers_from_its_mocks(mocked: Running) -> None:
    sfn = mocked.client()
    sm = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:orders"
    arn = sfn.start_execution(stateMachineArn=f"{sm}#HappyPath", input='{"order": 1}')["executionArn"]
    assert "#" not in arn and arn.startswith(sm.replace(":stateMachine:", ":execution:"))
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"order": 1, "price": {"total": 42}, "approval": {"approved": True},
                                          "shipping": {"shipped": "yes"}}
    types = [e["type"] for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]
    assert "ActivityStarted" in types and "ActivitySucceeded" in types


def test_a_thrown_error_is_retried_from_the_next_mocked_invocation_then_fails(mocked: Running) -> None:
    sfn = mocked.client()
    sm = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:orders"
    done = finished(sfn, sfn.start_execution(stateMachineArn=f"{sm}#Declined")["executionArn"])
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "PriceError", "no price")


def test_unknown_test_cases_are_refused_and_plain_executions_call_real_targets(mocked: Running) -> None:
    sfn = mocked.client()
    sm = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:orders"
    assert error_of(sfn.start_execution, stateMachineArn=f"{sm}#Nope")[0] == "ValidationException"
    arn = sfn.start_execution(stateMachineArn=sm, input='{"order": 2}')["executionArn"]
    history = wait_for_task(sfn, arn)
    assert history  # the real function ran for the first state


def wait_for_task(sfn: Any, arn: str) -> list[str]:
    from .conftest import wait_for
    return wait_for(lambda: [e for e in sfn.get_execution_history(executionArn=arn)["events"]
                             if e["type"] == "LambdaFunctionSucceeded"
                             and json.loads(e["lambdaFunctionSucceededEventDetails"]["output"]) == {
                                 "real": {"order": 2}}])
