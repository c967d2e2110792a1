"""A connection's secrets, end to end: a ``stepline server`` process, connections made with
boto3's EventBridge client, executions whose HTTP Tasks use them against an API on loopback
that echoes what it receives, and then a scan of everything stepline left behind: every API
answer, the server's output, and every file in its directory (the database and its log).

The API does see the credentials (the tasks are authorized), so the scan is not vacuous; the
API echoing them back is the hard case: stepline must not copy them into history or causes.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from .conftest import REGION, ROLE, free_port

PASSWORD = "pw-7f3c9e1a-secret"
API_KEY = "ak-5b2d8f40-secret"
CLIENT_SECRET = "cs-91e6a7c3-secret"
TOKEN = "tok-4c8e2b6d-secret"
HEADER_SECRET = "hs-0a9f3e71-secret"
QUERY_SECRET = "qs-6d1b5c28-secret"
SECRETS = (PASSWORD, API_KEY, CLIENT_SECRET, TOKEN, HEADER_SECRET, QUERY_SECRET,
           base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),
           base64.b64encode(f"client-1:{CLIENT_SECRET}".encode()).decode())


class Api(BaseHTTPRequestHandler):
    """Authorizes each path by its own credential and answers with everything it received."""

    seen: list[dict] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        received = {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        Api.seen.append(received)
        path = self.path.split("?")[0]
        if path == "/token":
            ok = self.headers.get("Authorization") == "Basic " + SECRETS[7]
            status, answer = (200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}) if ok \
                else (401, {"error": "invalid_client"})
        elif path == "/keyed":
            ok = self.headers.get("x-api-key") == API_KEY and self.headers.get("X-Sig") == HEADER_SECRET \
                and f"sig={QUERY_SECRET}" in self.path
            status, answer = (200 if ok else 403), {"authorized": ok, "received": received}
        elif path == "/oauthed":
            ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
            status, answer = (200 if ok else 403), {"authorized": ok, "received": received}
        else:  # /refuse: checks the password, then refuses anyway, echoing it in the error
            ok = self.headers.get("Authorization") == "Basic " + SECRETS[6]
            status, answer = 401, {"authorized": ok, "received": received}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Echo-Authorization", self.headers.get("Authorization") or "")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Process:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / "server.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "stepline", "server", "--port", str(self.port)],
                                     cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={k: v for k, v in os.environ.items() if k != "STEPLINE_SECRET_KEY"})
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url, timeout=1)
                return
            except httpx.HTTPError:
                assert self.proc.poll() is None and time.monotonic() < deadline, self.output()
                time.sleep(0.1)

    def stop(self) -> int:
        self.proc.terminate()
        code = self.proc.wait(30)
        self.log.close()
        return code

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.workdir / "server.log").read_text(errors="replace")


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="local",
                        aws_secret_access_key="local",
                        config=Config(retries={"max_attempts": 0}, inject_host_prefix=False))


def leaks(data: bytes | str) -> list[str]:
    raw = data.encode(errors="replace") if isinstance(data, str) else data
    return [s for s in SECRETS if s.encode() in raw]


def test_no_secret_anywhere_after_executions_that_use_them(api: str, tmp_path: Path) -> None:
    server = Process(tmp_path)
    answers: list[Any] = []

    def keep(answer: Any) -> Any:
        answers.append(answer)
        return answer
    try:
        events, sfn = client(server.url, "events"), client(server.url, "stepfunctions")
        keyed = keep(events.create_connection(Name="keyed", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": API_KEY},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "X-Sig", "Value": HEADER_SECRET, "IsValueSecret": True},
                                     {"Key": "X-Visible", "Value": "visible-header", "IsValueSecret": False}],
                "QueryStringParameters": [{"Key": "sig", "Value": QUERY_SECRET, "IsValueSecret": True}]}}))[
            "ConnectionArn"]
        basic = keep(events.create_connection(Name="basic", AuthorizationType="BASIC", AuthParameters={
            "BasicAuthParameters": {"Username": "alice", "Password": PASSWORD}}))["ConnectionArn"]
        oauthed = keep(events.create_connection(Name="oauthed", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
                                                AuthParameters={"OAuthParameters": {
                                                    "ClientParameters": {"ClientID": "client-1",
                                                                         "ClientSecret": CLIENT_SECRET},
                                                    "AuthorizationEndpoint": f"{api}/token",
                                                    "HttpMethod": "POST"}}))["ConnectionArn"]

        def call(name: str, path: str, arn: str, nxt: str | None) -> dict:
            state: dict = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                           "Parameters": {"ApiEndpoint": f"{api}{path}", "Method": "POST",
                                          "Authentication": {"ConnectionArn": arn},
                                          "RequestBody": {"order.$": "$.order"}},
                           "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody",
                                              "headers.$": "$.Headers"},
                           "ResultPath": f"$.{name}"}
            return {**state, "Next": nxt} if nxt else {**state, "End": True}

        definition = {"StartAt": "Keyed", "States": {
            "Keyed": call("keyed", "/keyed", keyed, "OAuthed"),
            "OAuthed": call("oauthed", "/oauthed", oauthed, "Refused"),
            "Refused": call("refused", "/refuse", basic, None)}}
        machine = keep(sfn.create_state_machine(name="calls", definition=json.dumps(definition), roleArn=ROLE))
        arn = keep(sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"order": 42}'))[
            "executionArn"]
        deadline = time.monotonic() + 30
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        keep(described)
        history = keep(sfn.get_execution_history(executionArn=arn, maxResults=1000))["events"]
        for name in ("keyed", "basic", "oauthed"):
            keep(events.describe_connection(Name=name))
        keep(events.list_connections())
        keep(sfn.test_state(definition=json.dumps(call("keyed", "/keyed", keyed, None)), roleArn=ROLE,
                            input='{"order": 1}', inspectionLevel="TRACE"))
        keep(sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"]))
    finally:
        code = server.stop()
    assert code == 0, server.output()

    # the tasks were authorized with every credential: the API saw them all
    assert described["status"] == "FAILED" and described["error"] == "States.Http.StatusCode.401", described
    outputs = [json.loads(e["taskSucceededEventDetails"]["output"]) for e in history
               if e["type"] == "TaskSucceeded"]
    assert [o["ResponseBody"]["authorized"] for o in outputs] == [True, True]
    assert json.loads(described["cause"])["ResponseBody"]["authorized"] is True
    assert "******" in json.dumps(history, default=str)  # the echoes came back, with the secrets masked
    seen = json.dumps(Api.seen)
    assert set(SECRETS) - {CLIENT_SECRET, PASSWORD} <= set(leaks(seen))  # (sent only as Basic credentials)

    # ... and none of them is anywhere stepline wrote: answers, output, files
    assert leaks(json.dumps(answers, default=str)) == []
    assert leaks(server.output()) == []
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "secret.key"]
    assert any(p.name == "stepline.db" for p in files)
    on_disk = b"".join(p.read_bytes() for p in files)
    assert leaks(on_disk) == []
    assert b"visible-header" in on_disk  # what the connection keeps in clear is stored, and the scan sees it
