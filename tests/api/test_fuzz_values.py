"""Adversarial JSON values in every field of every operation, and in every kind of task result,
through the real server: non-finite numbers in every spelling, lone and paired surrogates, deep
nesting, huge strings and numbers, duplicate keys. After each, the server has answered with an
AWS error or a correct answer, an ordinary execution still succeeds, and what was stored before
is as it was.

``STEPLINE_FUZZ_EXAMPLES`` sets how many examples each test draws (default 120; the note of the
hardening issue reports a run of 5,000)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepline.api import shapes

from .conftest import ROLE, Answering, Running, http_api
from .test_callbacks import callback_machine, hand_out, tokens
from .test_executions import finished
from .test_state_machines import PASS, create, name

EXAMPLES = int(os.environ.get("STEPLINE_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

# ---------------------------------------------------------------------------- JSON text, adversarially

NUMBERS = st.sampled_from(["NaN", "Infinity", "-Infinity", "+Infinity", "1e400", "-1e400", "1E+999", "1e-400",
                           "-0.0", "0", "1" * 5000, "1" * 400, "12345678901234567890.5", "1.5", "-7", "2e308"])
STRINGS = st.sampled_from(['"\\ud800"', '"\\udfff"', '"a\\ud83d"', '"\\ude00b"', '"\\ud83d\\ude00"', '"\\u0000"',
                           '"x"', '""', '"' + "y" * 70_000 + '"', '"\\\\ud800"', '"\u00e9\u4e2d"', '"\\t\\n"'])
SCALARS = NUMBERS | STRINGS | st.sampled_from(["true", "false", "null"])


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"


KEYS = STRINGS | st.sampled_from(['"k"', '"k"', '"Type"'])  # twice "k": duplicate keys
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3).map(_array)
                      | st.lists(st.tuples(KEYS, inner), max_size=3).map(_object), max_leaves=8) \
    | st.integers(400, 12_000).map(lambda n: "[" * n + "]" * n) \
    | st.integers(400, 3_000).map(lambda n: '{"a":' * n + "1" + "}" * n)

# members whose string is JSON text of its own (what StartExecution's input is, and the like)
JSON_TEXT = {"input", "output", "definition", "variables", "context", "result", "mapItemReaderData"}


@pytest.fixture(scope="module")
def world(server: Running) -> dict:
    """What the fuzzing aims at, and what it must leave as it was."""
    server.functions.add("hand_out", hand_out)
    sfn = server.client()
    kept = create(sfn, PASS, tags=[{"key": "keep", "value": "me"}])["stateMachineArn"]
    kept_run = sfn.start_execution(stateMachineArn=kept, input='{"keep": true}')["executionArn"]
    finished(sfn, kept_run)
    activity = sfn.create_activity(name=name())["activityArn"]
    return {"sfn": sfn, "kept": kept, "kept_run": kept_run, "activity": activity,
            "machine": create(sfn, PASS)["stateMachineArn"], "canary": create(sfn, PASS)["stateMachineArn"],
            "express": create(sfn, PASS, type="EXPRESS")["stateMachineArn"],
            "callbacks": create(sfn, callback_machine())["stateMachineArn"], "token": None,
            "before": stored(sfn, kept, kept_run)}


def stored(sfn: Any, machine: str, execution: str) -> Any:
    described = [sfn.describe_state_machine(stateMachineArn=machine), sfn.list_tags_for_resource(resourceArn=machine),
                 sfn.describe_execution(executionArn=execution),
                 sfn.get_execution_history(executionArn=execution)]
    for d in described:
        d.pop("ResponseMetadata")
    return described


def open_token(server: Running, world: dict) -> str:
    """A task token that is still open (a new callback execution when the last was answered)."""
    token = world["token"]
    if token is None or not server.store.task_token(token):
        world["sfn"].start_execution(stateMachineArn=world["callbacks"], input='{"n": 1}')
        token = world["token"] = tokens.get(timeout=10)
    return token


def after_each(server: Running, world: dict) -> None:
    sfn = world["sfn"]
    arn = sfn.start_execution(stateMachineArn=world["canary"], input='{"canary": 1}')["executionArn"]
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert server.engine.alive
    assert stored(sfn, world["kept"], world["kept_run"]) == world["before"]


def member_text(shape: Shape, member: str, draw: Any, world: dict, server: Running) -> str:
    """A member's value as JSON text: often plausible (so the request goes deep), often poison."""
    if shape.type_name == "string":
        if member in JSON_TEXT and draw(st.booleans()):
            return json.dumps(draw(VALUES))  # poison inside the JSON text the member holds
        plausible = {"stateMachineArn": world["machine"], "executionArn": world["kept_run"],
                     "activityArn": world["activity"], "resourceArn": world["machine"], "roleArn": ROLE,
                     "name": name(), "definition": json.dumps(PASS), "input": "{}", "output": "{}"}
        if member == "taskToken":
            plausible[member] = open_token(server, world)
        choice = draw(st.integers(0, 3))
        if choice == 0 and member in plausible:
            return json.dumps(plausible[member])
        if choice == 1:
            return draw(STRINGS)  # a poisoned string at the body's own level
        return draw(VALUES)
    if shape.type_name in ("structure",) and draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(sorted(shape.members)), max_size=3, unique=True)) \
            if shape.members else []
        return _object([(json.dumps(m), member_text(shape.members[m], m, draw, world, server)) for m in members])
    return draw(VALUES)


OPERATIONS = [op for op in shapes.operations("stepfunctions") if op != "GetActivityTask"]


@FUZZ
@given(data=st.data())
def test_poisoned_fields_of_every_operation(server: Running, world: dict, data: Any) -> None:
    operation = data.draw(st.sampled_from(OPERATIONS))
    shape = shapes.service_model("stepfunctions").operation_model(operation).input_shape
    members = sorted(shape.members) if shape is not None else []
    chosen = data.draw(st.lists(st.sampled_from(members), min_size=min(1, len(members)), max_size=4, unique=True)) \
        if members else []
    required = shape.required_members if shape is not None else []
    picked = list(dict.fromkeys([*required, *chosen]))
    body = _object([(json.dumps(m), member_text(shape.members[m], m, data.draw, world, server)) for m in picked])
    host = {"StartSyncExecution": "sync-", "TestState": "sync-"}.get(operation, "")
    r = httpx.post(server.url, content=body.encode(), timeout=60,
                   headers={"X-Amz-Target": f"AWSStepFunctions.{operation}", "Host": f"{host}127.0.0.1",
                            "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code in (200, 400, 404, 413), (operation, r.status_code, r.text[:300])
    answer = r.json()
    if r.status_code != 200:
        assert isinstance(answer.get("__type"), str) and answer["__type"] != "InternalFailure", answer
    after_each(server, world)


# ---------------------------------------------------------------------------- task results

PY_VALUES = st.recursive(
    st.sampled_from([float("inf"), float("-inf"), float("nan"), "\ud800", "a\udfffb", "\U0001f600", "\x00",
                     10 ** 400, 1.5, None, True, "x" * 70_000, {1, 2}, b"bytes"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["k", "\ud800", "v"]), inner,
                                                                max_size=3), max_leaves=6) \
    | st.integers(400, 3_000).map(lambda n: _nest(n))


def _nest(n: int) -> Any:
    value: Any = 1
    for _ in range(n):
        value = [value]
    return value


class Answers(Answering):
    """An HTTP API that answers with whatever JSON text the test put there last."""


@pytest.fixture(scope="module")
def answers() -> Iterator[str]:
    with http_api(Answers) as url:
        yield url


returned: list[Any] = [None]


def returns(event: Any, context: Any) -> Any:
    return returned[0]


@FUZZ
@given(result=PY_VALUES, text=VALUES, callback=VALUES)
def test_poisoned_task_results_of_every_kind(server: Running, world: dict, answers: str, result: Any, text: str,
                                             callback: str) -> None:
    sfn = world["sfn"]
    if "tasks" not in world:
        server.functions.add("returns", returns)
        events = server.client("events")
        connection = events.create_connection(Name=name(), AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}})["ConnectionArn"]
        function = "arn:aws:lambda:us-east-1:123456789012:function:returns"
        world["tasks"] = [
            create(sfn, {"StartAt": "F", "States": {"F": {"Type": "Task", "Resource": function, "End": True}}}),
            create(sfn, {"StartAt": "H", "States": {"H": {
                "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
                "Parameters": {"ApiEndpoint": f"{answers}/x", "Method": "GET",
                               "Authentication": {"ConnectionArn": connection}}}}})]
    returned[0] = result
    Answers.body = text.encode("utf-8", "surrogatepass")
    for machine in world["tasks"]:
        arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
        done = finished(sfn, arn)
        assert done["status"] in ("SUCCEEDED", "FAILED"), done
        if done["status"] == "SUCCEEDED":
            json.loads(done["output"])  # what was kept is JSON
    token = open_token(server, world)
    r = httpx.post(server.url, content=json.dumps({"taskToken": token, "output": callback}).encode(), timeout=30,
                   headers={"X-Amz-Target": "AWSStepFunctions.SendTaskSuccess",
                            "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code in (200, 400), r.text[:300]
    if r.status_code == 400:
        # past SendTaskSuccess's 262,144-byte bound the API model refuses it first, as AWS does
        too_big = len(callback.encode("utf-8", "surrogatepass")) > 262144
        assert r.json()["__type"] == ("ValidationException" if too_big else "InvalidOutput"), r.text[:300]
    after_each(server, world)


def test_every_state_machine_stored_by_the_fuzzing_can_be_described(server: Running, world: dict) -> None:
    sfn = world["sfn"]
    pages = sfn.get_paginator("list_state_machines").paginate()
    for machine in (m for page in pages for m in page["stateMachines"]):
        sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
        sfn.list_tags_for_resource(resourceArn=machine["stateMachineArn"])
