"""Fuzzed requests over the real socket: whatever the body, the server answers with AWS's error
shape (never a 500, never a dropped connection), and what was stored before is intact."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepline.api import shapes

from .test_state_machines import PASS, create

OPERATIONS = shapes.operations("stepfunctions")
ARNISH = st.sampled_from([
    "arn:aws:states:us-east-1:123456789012:stateMachine:x", "arn:aws:states:us-east-1:123456789012:execution:x:y",
    "arn:aws:states:us-east-1:123456789012:activity:a", "arn:aws:states:us-east-1:123456789012:stateMachine:x:1",
    "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:x:live", "arn:", "", "x" * 300])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30) | ARNISH,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)
MEMBERS = st.sampled_from(["stateMachineArn", "executionArn", "name", "input", "definition", "roleArn", "type",
                           "maxResults", "nextToken", "taskToken", "output", "activityArn", "resourceArn", "tags",
                           "routingConfiguration", "statusFilter", "reverseOrder", "includedData", "publish",
                           "stateMachineVersionArn", "stateMachineAliasArn", "loggingConfiguration", "mapRunArn"])
BODIES = st.dictionaries(MEMBERS, JSON_VALUES, max_size=6).map(json.dumps).map(str.encode) | st.binary(max_size=64)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(operation=st.sampled_from(OPERATIONS + ["NoSuchOperation"]), body=BODIES)
def test_fuzzed_bodies_get_an_aws_error_or_an_answer(server: Any, operation: str, body: bytes) -> None:
    if operation in ("GetActivityTask", "StartSyncExecution"):
        operation = "DescribeActivity"  # a long poll or a real run would only slow the fuzzing down
    r = httpx.post(server.url, content=body, headers={"X-Amz-Target": f"AWSStepFunctions.{operation}",
                                                      "Content-Type": "application/x-amz-json-1.0"}, timeout=30)
    assert r.status_code in (200, 400, 403, 404, 413), (r.status_code, r.text)
    answer = r.json()
    if r.status_code != 200:
        assert isinstance(answer.get("__type"), str) and answer["__type"] != "InternalFailure", answer


def test_fuzzing_leaves_stored_data_intact(server: Any, sfn: Any) -> None:
    sm = create(sfn, PASS)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"keep": true}')["executionArn"]
    before = (sfn.describe_state_machine(stateMachineArn=sm), sfn.describe_execution(executionArn=arn))
    test_fuzzed_bodies_get_an_aws_error_or_an_answer(server)  # another round of fuzzing meanwhile
    after = (sfn.describe_state_machine(stateMachineArn=sm), sfn.describe_execution(executionArn=arn))
    for b, a in zip(before, after, strict=True):
        b.pop("ResponseMetadata")
        a.pop("ResponseMetadata")
    assert before[0] == after[0]
    assert before[1]["input"] == after[1]["input"] and after[1]["status"] in ("RUNNING", "SUCCEEDED")


def test_malformed_and_oversized_requests(server: Any) -> None:
    url = server.url
    headers = {"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Content-Type": "application/x-amz-json-1.0"}
    r = httpx.post(url, content=b"{not json", headers=headers)
    assert (r.status_code, r.json()["__type"]) == (400, "SerializationException")
    r = httpx.post(url, content=b"[1, 2]", headers=headers)
    assert (r.status_code, r.json()["__type"]) == (400, "SerializationException")
    r = httpx.post(url, content=b"{}", headers={**headers, "X-Amz-Target": "AWSStepFunctions.Nope"})
    assert r.json()["__type"] == "UnknownOperationException"
    r = httpx.post(url, content=b"{}", headers={"Content-Type": "application/x-amz-json-1.0"})
    assert r.json()["__type"] == "UnknownOperationException"
    r = httpx.post(url, content=b"x" * (3 * 1024 * 1024), headers=headers)
    assert r.status_code == 413
    r = httpx.post(url, content=b'{"maxResults": "ten"}', headers=headers)
    assert (r.status_code, r.json()["__type"]) == (400, "SerializationException")
