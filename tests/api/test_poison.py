"""Poison: values and requests that once stopped the engine, lost an answer, or made a record
fail for good. Each goes through a real server over a real socket; after each, the server
answers with AWS's error or a correct answer, and an ordinary execution still succeeds."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from .conftest import ROLE, Answering, Running, http_api, wait_for
from .test_callbacks import callback_machine, hand_out, next_token, types
from .test_executions import finished
from .test_state_machines import PASS, create, error_of, name

NON_FINITE = ['{"a": 1e400}', '{"a": NaN}', '[-Infinity]', '{"a": Infinity}', '[1E+999]', '-1e400']
LONE = ['{"a": "\\ud800"}', '["\\udfff"]', '"x\\udc00y"', '{"\\ud83d": 1}']
DEEP = "[" * 10_000 + "]" * 10_000
HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


@pytest.fixture(scope="module", autouse=True)
def _register(server: Running) -> None:
    server.functions.add("hand_out", hand_out)


def canary(sfn: Any) -> None:
    """An ordinary execution still starts, runs and succeeds."""
    sm = create(sfn, PASS)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"canary": true}')["executionArn"]
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"canary": True}


def raw(server: Running, operation: str, body: bytes | str, timeout: float = 30) -> httpx.Response:
    """A request as bytes on the wire (boto3 would refuse to send some of these)."""
    return httpx.post(server.url, content=body.encode() if isinstance(body, str) else body, timeout=timeout,
                      headers={**HEADERS, "X-Amz-Target": f"AWSStepFunctions.{operation}"})


def answer_of(s: socket.socket) -> str:
    """A whole HTTP response read off a raw socket (head and body), as text."""
    s.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return data.decode()
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next((line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(
        b"content-length:")), b"0"))
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    return (head + b"\r\n\r\n" + body).decode()


def aws_error(r: httpx.Response) -> str:
    """The AWS error a response holds (it must be one: JSON with a __type, never a 500)."""
    assert r.status_code != 500 and r.headers["content-type"].startswith("application/x-amz-json"), (r.status_code,
                                                                                                    r.text)
    return r.json()["__type"]


# ---------------------------------------------------------------------------- non-finite numbers

@pytest.mark.parametrize("text", NON_FINITE + LONE + [DEEP])
def test_an_input_stepline_cannot_write_back_is_invalid_execution_input(server: Running, sfn: Any,
                                                                         text: str) -> None:
    sm = create(sfn, PASS)["stateMachineArn"]
    assert error_of(sfn.start_execution, stateMachineArn=sm, input=text)[0] == "InvalidExecutionInput"
    express = create(sfn, PASS, type="EXPRESS")["stateMachineArn"]
    sync = server.client(inject_host_prefix=False)
    assert error_of(sync.start_sync_execution, stateMachineArn=express, input=text)[0] == "InvalidExecutionInput"
    assert error_of(sync.test_state, definition=json.dumps(PASS["States"]["P"]), roleArn=ROLE,
                    input=text)[0] == "InvalidExecutionInput"
    canary(sfn)
    assert server.engine.alive


@pytest.mark.parametrize("text", NON_FINITE[:3] + LONE[:1])
def test_a_definition_that_holds_such_a_value_is_invalid(sfn: Any, text: str) -> None:
    definition = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": ' + text + ', "End": true}}}'
    code, message, _ = error_of(sfn.create_state_machine, name=name(), definition=definition, roleArn=ROLE)
    assert code == "InvalidDefinition", (code, message)
    found = sfn.validate_state_machine_definition(definition=definition)
    assert found["result"] == "FAIL" and found["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"


# ---------------------------------------------------------------------------- an HTTP Task's answer

class Poisoned(Answering):
    """Answers every request with JSON that Python's reader takes and JSON cannot hold."""

    body = b'{"a": 1e400, "b": NaN}'


@pytest.fixture(scope="module")
def poisoned_api() -> Iterator[str]:
    with http_api(Poisoned) as url:
        yield url


def http_machine(server: Running, api: str) -> dict:
    events = server.client("events")
    connection = events.create_connection(Name=name(), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}})["ConnectionArn"]
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
        "Parameters": {"ApiEndpoint": f"{api}/poison", "Method": "GET",
                       "Authentication": {"ConnectionArn": connection}}}}}


def test_an_http_answer_json_cannot_hold_is_kept_as_text_and_the_engine_goes_on(
        server: Running, sfn: Any, poisoned_api: str, tmp_path: Any) -> None:
    sm = create(sfn, http_machine(server, poisoned_api))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input="{}")["executionArn"]
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])["ResponseBody"] == Poisoned.body.decode()
    canary(sfn)
    assert server.engine.alive


# ---------------------------------------------------------------------------- callbacks

@pytest.mark.parametrize("output", NON_FINITE[:3] + LONE[:2] + [DEEP])
def test_a_result_that_cannot_be_held_is_refused_and_the_task_stays_open(sfn: Any, output: str) -> None:
    sm = create(sfn, callback_machine())["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 1}')["executionArn"]
    token = next_token()
    assert error_of(sfn.send_task_success, taskToken=token, output=output)[0] == "InvalidOutput"
    sfn.send_task_heartbeat(taskToken=token)  # still open
    sfn.send_task_success(taskToken=token, output='{"fine": true}')
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"fine": True}


def test_a_failure_with_a_lone_surrogate_is_refused_and_the_task_stays_open(server: Running, sfn: Any) -> None:
    sm = create(sfn, callback_machine())["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 1}')["executionArn"]
    token = next_token()
    for member in ("error", "cause"):
        body = '{"taskToken": ' + json.dumps(token) + ', "' + member + '": "bad \\ud800"}'
        assert aws_error(raw(server, "SendTaskFailure", body)) == "SerializationException"
    sfn.send_task_failure(taskToken=token, error="Declined", cause="no")
    done = finished(sfn, arn)
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "Declined", "no")


def test_of_callers_racing_on_one_token_exactly_one_is_answered(sfn: Any) -> None:
    sm = create(sfn, callback_machine())["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 1}')["executionArn"]
    token = next_token()
    wait_for(lambda: "TaskSubmitted" in types(sfn, arn))
    barrier = threading.Barrier(20)

    def answer(i: int) -> str:
        barrier.wait()
        try:
            if i % 2:
                sfn.send_task_success(taskToken=token, output=json.dumps({"by": i}))
            else:
                sfn.send_task_failure(taskToken=token, error=f"E{i}")
        except sfn.exceptions.ClientError as e:
            return e.response["Error"]["Code"]
        return "ok"

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(answer, range(20)))
    assert answers.count("ok") == 1, answers
    assert set(answers) - {"ok"} == {"TaskTimedOut"}, answers
    done = finished(sfn, arn)
    winner = answers.index("ok")
    if winner % 2:
        assert json.loads(done["output"]) == {"by": winner}
    else:
        assert done["error"] == f"E{winner}"
    ends = [t for t in types(sfn, arn) if t in ("TaskSucceeded", "TaskFailed")]
    assert len(ends) == 1


def test_a_used_token_is_refused_even_when_the_state_data_still_holds_it(sfn: Any) -> None:
    """The first task's output keeps its token in the data, where the second task waits."""
    first = {k: v for k, v in callback_machine()["States"]["Wait for it"].items() if k != "End"}
    definition = {"StartAt": "First", "States": {
        "First": {**first, "ResultPath": "$.first", "Next": "Second",
                  "Parameters": {"FunctionName": "hand_out", "Payload": {"token.$": "$$.Task.Token", "n": 1}}},
        "Second": {**first, "ResultPath": "$.second", "End": True,
                   "Parameters": {"FunctionName": "hand_out", "Payload": {"token.$": "$$.Task.Token", "n": 2}}}}}
    sm = create(sfn, definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{}')["executionArn"]
    used = next_token()
    sfn.send_task_success(taskToken=used, output=json.dumps({"token": used}))  # now in the state's data
    second = next_token()
    wait_for(lambda: types(sfn, arn).count("TaskSubmitted") == 2)
    assert error_of(sfn.send_task_success, taskToken=used, output='{"again": true}')[0] == "TaskTimedOut"
    assert error_of(sfn.send_task_heartbeat, taskToken=used)[0] == "TaskTimedOut"
    sfn.send_task_success(taskToken=second, output='{"second": true}')
    done = finished(sfn, arn)
    assert json.loads(done["output"]) == {"first": {"token": used}, "second": {"second": True}}


def test_a_long_poll_whose_worker_went_away_takes_no_task(server: Running, sfn: Any) -> None:
    activity = sfn.create_activity(name=name())["activityArn"]
    body = json.dumps({"activityArn": activity, "workerName": "gone"})
    with pytest.raises(httpx.TimeoutException):  # the worker hangs up after half a second
        raw(server, "GetActivityTask", body, timeout=0.5)
    sm = create(sfn, {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity, "End": True}}})
    arn = sfn.start_execution(stateMachineArn=sm["stateMachineArn"], input='{"job": 1}')["executionArn"]
    time.sleep(1.0)  # the poll of the worker that went away would have taken it by now
    task = sfn.get_activity_task(activityArn=activity, workerName="here")
    assert task.get("taskToken") and json.loads(task["input"]) == {"job": 1}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    started = [e for e in sfn.get_execution_history(executionArn=arn)["events"] if e["type"] == "ActivityStarted"]
    assert [e["activityStartedEventDetails"]["workerName"] for e in started] == ["here"]


# ---------------------------------------------------------------------------- every answer an AWS error

SURROGATE = "\\ud800"


@pytest.mark.parametrize("operation, body", [
    ("StartExecution", '{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x", '
                       '"name": "a' + SURROGATE + 'b"}'),
    ("StartExecution", '{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x", '
                       '"traceHeader": "t' + SURROGATE + '"}'),
    ("DescribeExecution", '{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:x:' + SURROGATE + '"}'),
    ("StopExecution", '{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:x:y", '
                      '"cause": "c' + SURROGATE + '"}'),
    ("CreateStateMachine", '{"name": "x", "roleArn": "' + ROLE + '", "definition": "{\\"Comment\\": \\"\\\\ud800\\", '
                           '\\"StartAt\\": \\"P\\", \\"States\\": {\\"P\\": {\\"Type\\": \\"Pass\\", '
                           '\\"End\\": true}}}"}'),
    ("CreateStateMachine", '{"name": "x", "roleArn": "' + ROLE + '", "definition": "{}", "tags": [{"key": "k", '
                           '"value": "v' + SURROGATE + '"}]}'),
    ("TestState", '{"definition": "{\\"Type\\": \\"Pass\\", \\"End\\": true}", '
                  '"input": "[\\"\\\\ud800\\"]"}'),
    ("ListStateMachines", DEEP),
    ("ListStateMachines", '{"maxResults": 1e400}'),
    ("ListStateMachines", '{"maxResults": NaN}'),
])
def test_a_poisoned_request_gets_an_aws_error(server: Running, sfn: Any, operation: str, body: str) -> None:
    code = aws_error(raw(server, operation, body))
    assert code in ("SerializationException", "InvalidExecutionInput", "InvalidDefinition", "ValidationException",
                    "InvalidArn", "InvalidName"), code
    canary(sfn)


def test_a_definition_or_tag_with_a_lone_surrogate_never_makes_a_machine_that_fails_to_describe(
        server: Running, sfn: Any) -> None:
    for body in ('{"name": "%s", "roleArn": "%s", "definition": "{\\"Comment\\": \\"c\\\\ud800\\", \\"StartAt\\": '
                 '\\"P\\", \\"States\\": {\\"P\\": {\\"Type\\": \\"Pass\\", \\"End\\": true}}}"}',
                 '{"name": "%s", "roleArn": "%s", "definition": "{\\"StartAt\\": \\"P\\", \\"States\\": {\\"P\\": '
                 '{\\"Type\\": \\"Pass\\", \\"End\\": true}}}", "tags": [{"key": "k", "value": "v\\ud800"}]}'):
        machine = name()
        assert aws_error(raw(server, "CreateStateMachine", body % (machine, ROLE))) in (
            "InvalidDefinition", "SerializationException")
        assert error_of(sfn.describe_state_machine,
                        stateMachineArn=f"arn:aws:states:us-east-1:123456789012:stateMachine:{machine}")[0] \
            == "StateMachineDoesNotExist"
    for machine in sfn.list_state_machines()["stateMachines"]:  # every one stored can be described
        sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])


@pytest.mark.parametrize("method, path", [("GET", "/nowhere"), ("POST", "/x/y"), ("PUT", "/"), ("DELETE", "/")])
def test_an_unknown_path_gets_an_aws_error(server: Running, method: str, path: str) -> None:
    r = httpx.request(method, server.url + path, content=b"{}", headers=HEADERS)
    assert r.status_code in (404, 405) and r.json()["__type"] == "UnknownOperationException", (r.status_code, r.text)


def test_nesting_ten_thousand_deep_anywhere_gets_an_aws_error(server: Running, sfn: Any) -> None:
    sm = create(sfn, callback_machine())["stateMachineArn"]
    sfn.start_execution(stateMachineArn=sm, input='{"n": 1}')
    token = next_token()
    for operation, body in [("ListStateMachines", DEEP),
                            ("StartExecution", json.dumps({"stateMachineArn": sm, "input": DEEP})),
                            ("SendTaskSuccess", json.dumps({"taskToken": token, "output": DEEP})),
                            ("TestState", json.dumps({"definition": '{"Type": "Pass", "End": true}', "roleArn": ROLE,
                                                      "input": DEEP}))]:
        assert aws_error(raw(server, operation, body)) in ("SerializationException", "InvalidExecutionInput",
                                                           "InvalidOutput"), operation
    sfn.send_task_success(taskToken=token, output="{}")
    canary(sfn)


# ---------------------------------------------------------------------------- health

def test_health_says_whether_the_engine_runs_and_a_stopped_engine_is_unavailable_at_once(tmp_path: Any) -> None:
    running = Running(f"sqlite:///{tmp_path / 'health.db'}")
    try:
        sfn = running.client()
        r = httpx.get(running.url + "/health")
        assert (r.status_code, r.json()["engine"]) == (200, "alive")
        sm = create(sfn, PASS)["stateMachineArn"]
        running.engine.shutdown()
        r = httpx.get(running.url + "/health")
        assert (r.status_code, r.json()["engine"]) == (503, "stopped")
        started = time.monotonic()
        code, _, status = error_of(sfn.start_execution, stateMachineArn=sm, input="{}")
        assert (code, status) == ("ServiceUnavailable", 503) and time.monotonic() - started < 5
    finally:
        running.stop()


def test_a_server_restarted_after_poison_comes_back_healthy(tmp_path: Any, poisoned_api: str) -> None:
    db = f"sqlite:///{tmp_path / 'restart.db'}"
    first = Running(db)
    sfn = first.client()
    arns = []
    try:
        sm = create(sfn, http_machine(first, poisoned_api))["stateMachineArn"]
        arns.append(sfn.start_execution(stateMachineArn=sm, input="{}")["executionArn"])
        for text in NON_FINITE[:2]:
            error_of(sfn.start_execution, stateMachineArn=sm, input=text)
        finished(sfn, arns[0])
    finally:
        first.stop()
    second = Running(db)
    try:
        sfn = second.client()
        assert sfn.describe_execution(executionArn=arns[0])["status"] == "SUCCEEDED"
        canary(sfn)
        assert second.engine.alive
    finally:
        second.stop()


def test_an_idle_connection_is_closed_and_connections_past_the_cap_get_an_aws_error(tmp_path: Any) -> None:
    from stepline.api.server import Limits
    running = Running(f"sqlite:///{tmp_path / 'limits.db'}", limits=Limits(max_connections=4, header_timeout=0.5))
    held = []
    try:
        for _ in range(4):
            held.append(socket.create_connection(("127.0.0.1", running.port)))
        extra = socket.create_connection(("127.0.0.1", running.port))
        answer = answer_of(extra)
        assert answer.startswith("HTTP/1.1 503") and '"__type": "ServiceUnavailable"' in answer
        extra.close()
        for s in held:  # they sent nothing: closed after the header timeout
            s.settimeout(5)
            assert s.recv(1) == b""
        r = httpx.post(running.url, content=b"{}", headers={**HEADERS,
                                                            "X-Amz-Target": "AWSStepFunctions.ListActivities"})
        assert r.status_code == 200  # room again
    finally:
        for s in held:
            s.close()
        running.stop()


def test_a_body_that_does_not_come_is_refused_and_a_client_that_hangs_up_is_not_an_error(
        tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    running = Running(f"sqlite:///{tmp_path / 'bodies.db'}", app={"body_timeout": 0.5})
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\nX-Amz-Target: AWSStepFunctions.ListActivities"
            "\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{\"maxRes").encode()
    try:
        with socket.create_connection(("127.0.0.1", running.port)) as s:
            s.sendall(head)
            started = time.monotonic()
            answer = answer_of(s)
            assert answer.startswith("HTTP/1.1 408") and "RequestTimeoutException" in answer, answer
            assert time.monotonic() - started < 3
        with caplog.at_level(logging.DEBUG):
            for _ in range(20):  # each sends half a body and hangs up
                with socket.create_connection(("127.0.0.1", running.port)) as s:
                    s.sendall(head)
            time.sleep(0.5)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], \
            [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        went_away = [r for r in caplog.records if "went away" in r.getMessage()]
        assert went_away and all(r.levelno == logging.DEBUG and r.exc_info is None for r in went_away)
    finally:
        running.stop()


def test_a_request_of_an_unknown_key_is_refused_before_its_body_is_read(tmp_path: Any) -> None:
    from stepline.api.auth import Verifier
    running = Running(f"sqlite:///{tmp_path / 'keys.db'}", verifier=Verifier("AKIDKNOWN:secret"),
                      app={"body_timeout": 30})
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\nX-Amz-Target: AWSStepFunctions.ListActivities"
            f"\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 1000000\r\nX-Amz-Date: {stamp}\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential=AKIDSTRANGER/{stamp[:8]}/us-east-1/states/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00\r\n\r\n{").encode()
    try:
        with socket.create_connection(("127.0.0.1", running.port)) as s:
            s.sendall(head)
            answer = answer_of(s)  # at once: not after 30 s, nor after a megabyte
        assert answer.startswith("HTTP/1.1 400") and "UnrecognizedClientException" in answer, answer
    finally:
        running.stop()
