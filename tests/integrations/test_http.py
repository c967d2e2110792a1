"""The HTTP Task (``arn:aws:states:::http:invoke``) against a real HTTP server on loopback:
every parameter, every array format, every authorization type, OAuth token caching and
refresh, each failure, TestState's TRACE, and whole executions whose history keeps no secret.

``[docs]`` marks a behaviour AWS documents ("Call HTTPS APIs in Step Functions workflows",
TestState's guide, EventBridge's connection authorization); ``[guess]`` one stepline had to
choose (see the module's doc of :mod:`stepline.integrations.http`)."""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stepline.asl.resources import parse_resource
from stepline.asl.values import dumps
from stepline.engine.local import run
from stepline.integrations import Integrations, TaskFailure
from stepline.integrations import http as http_module
from stepline.integrations.http import HttpTask, form_encode, register_http
from stepline.secrets import Secrets
from stepline.service.connections import Connections
from stepline.service.teststate import test_state as run_test_state
from stepline.store import Store, open_store

REGION, ACCOUNT = "eu-west-1", "123456789012"
INVOKE = parse_resource("arn:aws:states:::http:invoke")
PASSWORD = "pa55-w0rd-secret"
API_KEY = "key-0123456789-secret"
CLIENT_SECRET = "client-secret-xyz"
SECRET_HEADER = "hdr-secret-value"
SECRET_QUERY = "qry-secret-value"
SECRET_BODY = "body-secret-value"
SECRETS = (PASSWORD, API_KEY, CLIENT_SECRET, SECRET_HEADER, SECRET_QUERY, SECRET_BODY)


# ---------------------------------------------------------------------------- the server

class Recorder:
    """What the test server received, and how it is to answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.valid_tokens: set[str] = set()
        self.expires_in: Any = 3600
        self.token_status = 200
        self.refuse_all_tokens = False

    def issue(self) -> str:
        with self.lock:
            token = f"tok-{len(self.token_requests)}-{os.urandom(4).hex()}"
            self.valid_tokens.add(token)
            return token


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    recorder: Recorder

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", content_type: str | None = "application/json",
                headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: Any, **kw: Any) -> None:
        self._answer(status, json.dumps(value).encode(), **kw)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        seen = {"method": self.command, "path": url.path, "query": url.query,
                "headers": [[k, v] for k, v in self.headers.items()], "body": body.decode("utf-8", "replace")}
        rec = self.recorder
        parts = url.path.strip("/").split("/")
        if parts[0] == "token":
            with rec.lock:
                rec.token_requests.append(seen)
            if rec.token_status != 200:
                return self._json(rec.token_status, {"error": "invalid_client"})
            answer: dict = {"access_token": rec.issue(), "token_type": "Bearer"}
            if rec.expires_in is not None:
                answer["expires_in"] = rec.expires_in
            return self._json(200, answer)
        with rec.lock:
            rec.requests.append(seen)
        if parts[0] == "echo":
            return self._json(200, seen, headers=(("X-Multi", "one"), ("X-Multi", "two")))
        if parts[0] == "status":
            return self._json(int(parts[1]), {"message": "refused", "echo": seen}, headers=(("X-Reason", "test"),))
        if parts[0] == "delay":
            time.sleep(float(parts[1]))
            return self._json(200, {"slept": float(parts[1])})
        if parts[0] == "protected":
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            if rec.refuse_all_tokens or token not in rec.valid_tokens:
                return self._json(401, {"message": "bad token"})
            return self._json(200, {"ok": True})
        if parts[0] == "private":  # checks the connection's credentials without echoing them
            q = parse_qs(url.query)
            ok = (self.headers.get("x-api-key") == API_KEY and self.headers.get("X-Secret") == SECRET_HEADER
                  and q.get("secret") == [SECRET_QUERY] and json.loads(body or b"{}").get("secret") == SECRET_BODY)
            return self._json(200, {"authorized": ok})
        if parts[0] == "text":
            return self._answer(200, "héllo wörld".encode(), "text/plain; charset=utf-8")
        if parts[0] == "badjson":
            return self._answer(200, b"{not json", "application/json")
        if parts[0] == "image":
            return self._answer(200, b"\x89PNG\r\n\x1a\n", "image/png")
        if parts[0] == "binary":
            return self._answer(200, b"\xff\xfe\x00\x81", "text/plain")
        if parts[0] == "big":
            return self._answer(200, b"x" * 300_000, "text/plain")
        if parts[0] == "redirect":
            return self._answer(302, b"", None, headers=(("Location", "/echo"),))
        if parts[0] == "empty":
            return self._answer(204, b"", None)
        return self._json(404, {"message": "no such path"})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _handle


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a timeout test) is no news


class Server:
    def __init__(self) -> None:
        self.recorder = Recorder()
        handler = type("BoundHandler", (Handler,), {"recorder": self.recorder})
        self.httpd = QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def requests(self) -> list[dict]:
        return self.recorder.requests

    @property
    def last(self) -> dict:
        return self.recorder.requests[-1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def header(seen: dict, name: str) -> list[str]:
    return [v for k, v in seen["headers"] if k.lower() == name.lower()]


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'stepline.db'}")
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def conns(store: Store) -> Connections:
    return Connections(store, Secrets(os.urandom(32)), REGION, ACCOUNT)


@pytest.fixture
def task(conns: Connections) -> Iterator[HttpTask]:
    t = HttpTask(conns.resolve, region=REGION)
    yield t
    t.close()


def connect(conns: Connections, auth_type: str, params: dict, name: str = "conn") -> str:
    return conns.create_connection({"Name": name, "AuthorizationType": auth_type,
                                    "AuthParameters": params})["ConnectionArn"]


def basic(conns: Connections, **extra: Any) -> str:
    return connect(conns, "BASIC", {"BasicAuthParameters": {"Username": "user", "Password": PASSWORD}, **extra},
                   name="basic")


def api_key(conns: Connections, invocation: dict | None = None, name: str = "apikey") -> str:
    params: dict = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": API_KEY}}
    if invocation is not None:
        params["InvocationHttpParameters"] = invocation
    return connect(conns, "API_KEY", params, name=name)


def oauth(conns: Connections, server: Server, method: str = "POST", http: dict | None = None) -> str:
    params: dict = {"ClientParameters": {"ClientID": "client-1", "ClientSecret": CLIENT_SECRET},
                    "AuthorizationEndpoint": f"{server.url}/token", "HttpMethod": method}
    if http is not None:
        params["OAuthHttpParameters"] = http
    return connect(conns, "OAUTH_CLIENT_CREDENTIALS", {"OAuthParameters": params}, name="oauth")


SECRET_PARAMETERS = {
    "HeaderParameters": [{"Key": "X-Secret", "Value": SECRET_HEADER, "IsValueSecret": True},
                         {"Key": "X-Public", "Value": "public-header", "IsValueSecret": False}],
    "QueryStringParameters": [{"Key": "secret", "Value": SECRET_QUERY, "IsValueSecret": True}],
    "BodyParameters": [{"Key": "secret", "Value": SECRET_BODY, "IsValueSecret": True}],
}


def params(server: Server, arn: str, path: str = "/echo", method: str = "GET", **extra: Any) -> dict:
    return {"ApiEndpoint": server.url + path, "Method": method, "Authentication": {"ConnectionArn": arn}, **extra}


def invoke(task: HttpTask, payload: Any, timeout: float | None = None, **context: Any) -> Any:
    return task(INVOKE, payload, timeout=timeout, token=None, **context)


def failure(task: HttpTask, payload: Any, timeout: float | None = None, **context: Any) -> TaskFailure:
    with pytest.raises(TaskFailure) as e:
        invoke(task, payload, timeout, **context)
    return e.value


def no_secret_in(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"secret {secret!r} leaked"
    assert base64.b64encode(f"user:{PASSWORD}".encode()).decode() not in text


# ---------------------------------------------------------------------------- the request and the result

def test_result_shape_and_the_headers_step_functions_sets(task: HttpTask, conns: Connections,
                                                          server: Server) -> None:
    result = invoke(task, params(server, basic(conns)))
    # [docs] {"Headers": {name: [values]}, "ResponseBody": <JSON>, "StatusCode": 200, "StatusText": "OK"}
    assert list(result) == ["Headers", "ResponseBody", "StatusCode", "StatusText"]
    assert result["StatusCode"] == 200 and result["StatusText"] == "OK"
    assert result["Headers"]["content-type"] == ["application/json"]
    assert result["Headers"]["x-multi"] == ["one", "two"]  # lower-case names, every value
    assert all(name == name.lower() for name in result["Headers"])
    assert result["ResponseBody"]["method"] == "GET" and result["ResponseBody"]["path"] == "/echo"
    seen = server.last
    # [docs] Step Functions sets User-Agent, Range and Host
    assert header(seen, "User-Agent") == [f"Amazon|StepFunctions|HttpInvoke|{REGION}"]
    assert header(seen, "Range") == ["bytes=0-262144"]
    assert header(seen, "Host") == [server.url.removeprefix("http://")]
    # [docs] BASIC: Authorization: Basic <base64 of username and password>
    assert header(seen, "Authorization") == ["Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode()]
    assert seen["body"] == "" and header(seen, "Content-Type") == []  # no RequestBody: no body


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_every_method(task: HttpTask, conns: Connections, server: Server, method: str) -> None:
    result = invoke(task, params(server, basic(conns), method=method))
    assert server.last["method"] == method
    assert result["StatusCode"] == 200
    assert result["ResponseBody"] == ("" if method == "HEAD" else result["ResponseBody"])
    if method != "HEAD":
        assert result["ResponseBody"]["method"] == method


def test_method_and_endpoint_from_paths(conns: Connections, server: Server, task: HttpTask) -> None:
    # [docs] "ApiEndpoint.$" and "Method.$" resolve at run time: the task gets plain values
    arn = basic(conns)
    definition = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {"ApiEndpoint.$": "States.Format('{}/echo/{}', $.base, $.id)", "Method.$": "$.method",
                       "Authentication": {"ConnectionArn": arn}},
        "OutputPath": "$.ResponseBody", "End": True}}}
    integrations = Integrations(region=REGION, account=ACCOUNT)
    integrations.register("http", task)
    ex = run(definition, {"base": server.url, "id": "42", "method": "PUT"}, integrations=integrations)
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output["method"] == "PUT" and ex.output["path"] == "/echo/42"


def test_headers_are_sent(task: HttpTask, conns: Connections, server: Server) -> None:
    invoke(task, params(server, basic(conns), Headers={"X-Custom": "v1", "X-Number": 7, "X-Flag": True,
                                                        "X-Multi": ["a", "b"]}))
    seen = server.last
    assert header(seen, "X-Custom") == ["v1"]
    assert header(seen, "X-Number") == ["7"] and header(seen, "X-Flag") == ["true"]
    assert header(seen, "X-Multi") == ["a", "b"]


def test_headers_as_a_list_or_lines(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = basic(conns)
    invoke(task, params(server, arn, Headers=[{"X-One": "1"}, {"X-Two": "2"}]))
    assert header(server.last, "X-One") == ["1"] and header(server.last, "X-Two") == ["2"]
    invoke(task, params(server, arn, Headers="X-Three: 3\nX-Four: four"))
    assert header(server.last, "X-Three") == ["3"] and header(server.last, "X-Four") == ["four"]


@pytest.mark.parametrize("name", ["Authorization", "Host", "Cache-Control", "Accept-Encoding", "If-None-Match",
                                  "Transfer-Encoding", "Origin", "x-amz-date", "X-Amzn-Trace-Id",
                                  "X-Forwarded-For", "Proxy-Authorization", "HTTP2-Settings"])
def test_forbidden_headers_fail_with_runtime(task: HttpTask, conns: Connections, server: Server, name: str) -> None:
    # [docs] "You can't use the following headers ... the HTTP Task fails with the States.Runtime error"
    e = failure(task, params(server, basic(conns), Headers={name: "x", "X-Fine": "y"}))
    assert e.error == "States.Runtime"
    assert f"The 'Headers' field contains unsupported values: [{name.lower()}]" in e.cause
    assert server.requests == []  # refused before anything is sent


def test_user_agent_and_range_are_replaced(task: HttpTask, conns: Connections, server: Server) -> None:
    # [docs] Step Functions sets User-Agent and Range: the definition's values do not go out
    invoke(task, params(server, basic(conns), Headers={"User-Agent": "mine", "Range": "bytes=0-1",
                                                        "Content-Length": "999"}))
    seen = server.last
    assert header(seen, "User-Agent") == [f"Amazon|StepFunctions|HttpInvoke|{REGION}"]
    assert header(seen, "Range") == ["bytes=0-262144"]
    assert seen["body"] == ""


def test_query_parameters(task: HttpTask, conns: Connections, server: Server) -> None:
    # [docs] "Step Functions automatically URL-encodes query parameters"
    arn = basic(conns)
    invoke(task, params(server, arn, QueryParameters={"currency": "usd", "q": "a b&c=d/é", "n": 10, "flag": False,
                                                      "none": None}))
    assert server.last["query"] == "currency=usd&q=a%20b%26c%3Dd%2F%C3%A9&n=10&flag=false&none="
    # [guess] nested values take the Transform's array format (INDICES by default)
    invoke(task, params(server, arn, QueryParameters={"ids": [1, 2], "filter": {"state": "open"}}))
    assert server.last["query"] == "ids%5B0%5D=1&ids%5B1%5D=2&filter%5Bstate%5D=open"
    invoke(task, params(server, arn, QueryParameters={"ids": [1, 2]},
                        Transform={"RequestEncodingOptions": {"ArrayFormat": "REPEAT"}}))
    assert server.last["query"] == "ids=1&ids=2"
    # appended to a query the endpoint already has
    invoke(task, params(server, arn, path="/echo?fixed=1", QueryParameters={"more": "2"}))
    assert server.last["query"] == "fixed=1&more=2"
    # [docs] "as a string, JSON array, or a JSON object"
    invoke(task, params(server, arn, QueryParameters="a=1&b=two words"))
    assert server.last["query"] == "a=1&b=two%20words"
    invoke(task, params(server, arn, QueryParameters=[{"a": "1"}, {"b": "2"}]))
    assert server.last["query"] == "a=1&b=2"


def test_request_body_as_json(task: HttpTask, conns: Connections, server: Server) -> None:
    # [docs] NONE (the default): "the serialized JSON of the RequestBody field"
    body = {"Card": {"Number": "1234567890", "Expiry": "09/25", "Name": "John Doe"}, "list": [1, 2.5, None, True]}
    invoke(task, params(server, basic(conns), method="POST", RequestBody=body))
    seen = server.last
    assert json.loads(seen["body"]) == body
    assert seen["body"] == json.dumps(body, separators=(",", ":"))
    assert header(seen, "Content-Type") == ["application/json; charset=UTF-8"]


def test_request_body_string_and_own_content_type(task: HttpTask, conns: Connections, server: Server) -> None:
    # [guess] a string body goes out as it is
    invoke(task, params(server, basic(conns), method="POST", RequestBody="<xml>hi</xml>",
                        Headers={"Content-Type": "application/xml"}))
    assert server.last["body"] == "<xml>hi</xml>"
    assert header(server.last, "Content-Type") == ["application/xml"]


ARRAY = {"array": ["a", "b", "c", "d"]}


@pytest.mark.parametrize("array_format, expected", [
    # [docs] the four encodings of {"array": ["a","b","c","d"]}, percent-encoded as the docs'
    # Stripe example is (its brackets are %5B %5D); [guess] the comma of COMMAS too
    ("INDICES", "array%5B0%5D=a&array%5B1%5D=b&array%5B2%5D=c&array%5B3%5D=d"),
    ("REPEAT", "array=a&array=b&array=c&array=d"),
    ("COMMAS", "array=a%2Cb%2Cc%2Cd"),
    ("BRACKETS", "array%5B%5D=a&array%5B%5D=b&array%5B%5D=c&array%5B%5D=d"),
])
def test_url_encoded_body_array_formats(task: HttpTask, conns: Connections, server: Server,
                                        array_format: str, expected: str) -> None:
    invoke(task, params(server, basic(conns), method="POST", RequestBody=ARRAY,
                        Headers={"Content-Type": "application/x-www-form-urlencoded"},
                        Transform={"RequestBodyEncoding": "URL_ENCODED",
                                   "RequestEncodingOptions": {"ArrayFormat": array_format}}))
    seen = server.last
    assert seen["body"] == expected
    assert header(seen, "Content-Type") == ["application/x-www-form-urlencoded"]


def test_url_encoded_body_like_the_stripe_example(task: HttpTask, conns: Connections, server: Server) -> None:
    # [docs] the HTTP Task example: nested objects as key[sub], spaces as %20
    body = {"description": "Monthly subscription", "metadata": {"order_details": "monthly report data"},
            "customer": "1234567890"}
    invoke(task, params(server, basic(conns), method="POST", RequestBody=body,
                        Transform={"RequestBodyEncoding": "URL_ENCODED"}))  # INDICES by default
    seen = server.last
    assert seen["body"] == ("description=Monthly%20subscription&metadata%5Border_details%5D=monthly%20report%20data"
                            "&customer=1234567890")
    # [guess] no Content-Type in the definition: the form type, not JSON
    assert header(seen, "Content-Type") == ["application/x-www-form-urlencoded"]


def test_form_encode_nested_values() -> None:
    value = [("a", {"b": [1, {"c": None}], "t": True}), ("e", []), ("o", {}), ("n", 1.5)]
    assert form_encode(value, "INDICES") == "a%5Bb%5D%5B0%5D=1&a%5Bb%5D%5B1%5D%5Bc%5D=&a%5Bt%5D=true&n=1.5"
    assert form_encode(value, "BRACKETS") == "a%5Bb%5D%5B%5D=1&a%5Bb%5D%5B%5D%5Bc%5D=&a%5Bt%5D=true&n=1.5"
    assert form_encode(value, "REPEAT") == "a%5Bb%5D=1&a%5Bb%5D%5Bc%5D=&a%5Bt%5D=true&n=1.5"
    # COMMAS joins plain values only; a list holding objects is indexed
    assert form_encode([("x", [[1, 2], 3])], "COMMAS") == "x%5B0%5D=1%2C2&x%5B1%5D=3"
    assert form_encode([("k~-._", "ü ~*")], "INDICES") == "k~-._=%C3%BC%20~%2A"


@pytest.mark.parametrize("bad, reason", [
    ({"Method": "GET"}, "The field 'ApiEndpoint' is required but was missing"),
    ({"ApiEndpoint": "http://x"}, "The field 'Method' is required but was missing"),
    ({"ApiEndpoint": "ftp://host/x", "Method": "GET"}, "'ApiEndpoint' has an invalid format"),
    ({"ApiEndpoint": 7, "Method": "GET"}, "'ApiEndpoint' has an invalid format"),
    ({"ApiEndpoint": "http://x", "Method": "FETCH"}, "'Method' is not valid"),
    ({"ApiEndpoint": "http://x", "Method": "get"}, "'Method' is not valid"),
    ({"ApiEndpoint": "http://x", "Method": "GET", "Headers": 7}, "'Headers' has an invalid format"),
    ({"ApiEndpoint": "http://x", "Method": "GET", "Headers": {"X": {"a": 1}}}, "'Headers' has an invalid format"),
    ({"ApiEndpoint": "http://x", "Method": "GET", "Headers": {"Bad Name": "1"}}, "'Headers' has an invalid format"),
    ({"ApiEndpoint": "http://x", "Method": "GET", "QueryParameters": 5}, "'QueryParameters' has an invalid format"),
    ({"ApiEndpoint": "http://x", "Method": "GET", "Transform": {"RequestBodyEncoding": "GZIP"}},
     "'RequestBodyEncoding' is not valid"),
    ({"ApiEndpoint": "http://x", "Method": "GET", "Transform": {"RequestEncodingOptions": {"ArrayFormat": "X"}}},
     "'ArrayFormat' is not valid"),
    ({"ApiEndpoint": "http://x", "Method": "POST", "RequestBody": [1, 2],
      "Transform": {"RequestBodyEncoding": "URL_ENCODED"}}, "'RequestBody' must be a JSON object"),
])
def test_bad_parameters_fail_with_runtime(task: HttpTask, conns: Connections, bad: dict, reason: str) -> None:
    payload = {"Authentication": {"ConnectionArn": basic(conns)}, **bad}
    e = failure(task, payload)
    assert e.error == "States.Runtime"
    assert e.cause.startswith(f"The Parameters '{json.dumps(payload, separators=(',', ':'))}' could not be used to "
                              "start the Task: [")
    assert reason in e.cause


def test_parameters_not_an_object(task: HttpTask) -> None:
    assert failure(task, "nope").error == "States.Runtime"


def test_cause_names_the_state_when_the_engine_says_where_it_was_entered(task: HttpTask) -> None:
    e = failure(task, {"Method": "GET"}, state_name="Call", entered_event_id=4)
    assert e.cause.startswith("An error occurred while executing the state 'Call' (entered at the event id #4). "
                              "The Parameters '{\"Method\":\"GET\"}' could not be used to start the Task: [")


def test_unsupported_resource_pattern(task: HttpTask, conns: Connections, server: Server) -> None:
    resource = parse_resource("arn:aws:states:::http:invoke.waitForTaskToken")
    with pytest.raises(TaskFailure) as e:
        task(resource, params(server, basic(conns)), timeout=None, token="t")
    assert e.value.error == "States.Runtime" and server.requests == []


# ---------------------------------------------------------------------------- connections

def test_connection_is_required(task: HttpTask, server: Server) -> None:
    # [docs] "To specify the EventBridge connection, use either the Authentication or InvocationConfig field"
    e = failure(task, {"ApiEndpoint": server.url + "/echo", "Method": "GET"})
    assert e.error == "States.Runtime"
    assert "The field 'Authentication' (or 'InvocationConfig') with a 'ConnectionArn' is required" in e.cause
    e = failure(task, {"ApiEndpoint": server.url + "/echo", "Method": "GET", "Authentication": {}})
    assert e.error == "States.Runtime" and "'ConnectionArn'" in e.cause
    assert server.requests == []


def test_invocation_config_names_the_connection_too(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = api_key(conns)
    payload = {"ApiEndpoint": server.url + "/echo", "Method": "GET", "InvocationConfig": {"ConnectionArn": arn}}
    assert invoke(task, payload)["StatusCode"] == 200
    assert header(server.last, "x-api-key") == [API_KEY]


def test_unknown_connection(task: HttpTask, server: Server) -> None:
    # [docs] connection errors are prefixed with Events.ConnectionResource.
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:connection/missing/00000000-0000-0000-0000-000000000000"
    e = failure(task, params(server, arn))
    assert e.error == "Events.ConnectionResource.ResourceNotFound"
    assert "does not exist" in e.cause
    assert server.requests == []


def test_resolver_failures_are_connection_errors(server: Server) -> None:
    def broken(arn: str) -> dict:
        raise RuntimeError("database on fire")

    t = HttpTask(broken)
    try:
        e = failure(t, params(server, "arn:aws:events:eu-west-1:123456789012:connection/x/y"))
    finally:
        t.close()
    assert e.error == "Events.ConnectionResource.InternalError"
    assert "fire" not in e.cause  # the resolver's internals stay out of the history


def test_deauthorized_connection(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = basic(conns)
    conns.deauthorize_connection({"Name": "basic"})
    e = failure(task, params(server, arn))
    assert e.error == "Events.ConnectionResource.InvalidConnectionState"
    assert "DEAUTHORIZED" in e.cause
    assert server.requests == []


def test_authorizing_connection(server: Server) -> None:
    t = HttpTask(lambda arn: {"ConnectionArn": arn, "AuthorizationType": "BASIC", "ConnectionState": "AUTHORIZING",
                              "AuthParameters": {}})
    try:
        assert failure(t, params(server, "arn:x")).error == "Events.ConnectionResource.AuthInProgress"
    finally:
        t.close()


def test_api_key(task: HttpTask, conns: Connections, server: Server) -> None:
    invoke(task, params(server, api_key(conns)))
    assert header(server.last, "x-api-key") == [API_KEY]
    assert header(server.last, "Authorization") == []


def test_invocation_parameters_merge_and_the_connection_wins(task: HttpTask, conns: Connections,
                                                             server: Server) -> None:
    # [docs] the merging example of "Merging EventBridge connection and HTTP Task definition data"
    arn = connect(conns, "API_KEY", {
        "ApiKeyAuthParameters": {"ApiKeyName": "ApiKey", "ApiKeyValue": "key_value"},
        "InvocationHttpParameters": {
            "BodyParameters": [{"Key": "BodyParam", "Value": "connection_body_param"}],
            "HeaderParameters": [{"Key": "Header-Param", "Value": "connection_header_param"}],
            "QueryStringParameters": [{"Key": "QueryParam", "Value": "connection_query_param"}]}})
    invoke(task, params(server, arn, path="/echo/path", method="POST",
                        Headers={"Request-Id": "my_request_id", "Header-Param": "state_machine_header_param"},
                        RequestBody={"Job": "Software Engineer", "Company": "AnyCompany",
                                     "BodyParam": "state_machine_body_param"},
                        QueryParameters={"QueryParam": "state_machine_query_param"}))
    seen = server.last
    assert seen["query"] == "QueryParam=connection_query_param"
    assert header(seen, "Apikey") == ["key_value"]
    assert header(seen, "Header-Param") == ["connection_header_param"]
    assert header(seen, "Request-Id") == ["my_request_id"]
    assert header(seen, "Content-Type") == ["application/json; charset=UTF-8"]
    assert seen["body"] == '{"Job":"Software Engineer","Company":"AnyCompany","BodyParam":"connection_body_param"}'


def test_connection_headers_override_whatever_the_case(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = api_key(conns, {"HeaderParameters": [{"Key": "Content-Type", "Value": "application/vnd.conn+json"}]})
    invoke(task, params(server, arn, method="POST", Headers={"content-type": "text/plain"}, RequestBody={"a": 1}))
    assert header(server.last, "Content-Type") == ["application/vnd.conn+json"]


def test_connection_body_parameters_without_a_request_body(task: HttpTask, conns: Connections,
                                                           server: Server) -> None:
    arn = api_key(conns, {"BodyParameters": [{"Key": "k", "Value": "v"}]})
    invoke(task, params(server, arn, method="POST"))
    assert server.last["body"] == '{"k":"v"}'
    # and URL-encoded like the rest of the body
    invoke(task, params(server, arn, method="POST", RequestBody={"a": [1, 2]},
                        Transform={"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions":
                                   {"ArrayFormat": "BRACKETS"}}))
    assert server.last["body"] == "a%5B%5D=1&a%5B%5D=2&k=v"


def test_string_body_cannot_take_connection_body_parameters(task: HttpTask, conns: Connections,
                                                            server: Server) -> None:
    # [docs] "It fails the HTTP Task with the States.Runtime error"
    arn = api_key(conns, {"BodyParameters": [{"Key": "k", "Value": "v"}]})
    e = failure(task, params(server, arn, method="POST", RequestBody="raw text"))
    assert e.error == "States.Runtime"
    assert server.requests == []
    # without connection body parameters a string body is fine
    invoke(task, params(server, api_key(conns, name="plain"), method="POST", RequestBody="raw text"))
    assert server.last["body"] == "raw text"


# ---------------------------------------------------------------------------- OAuth

def test_oauth_client_credentials(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = oauth(conns, server, http={
        "HeaderParameters": [{"Key": "X-Tenant", "Value": "t1"}],
        "QueryStringParameters": [{"Key": "audience", "Value": "api"}],
        "BodyParameters": [{"Key": "scope", "Value": "read write"},
                           {"Key": "client_assertion", "Value": "assert-secret", "IsValueSecret": True}]})
    result = invoke(task, params(server, arn, path="/protected"))
    assert result["StatusCode"] == 200 and result["ResponseBody"] == {"ok": True}
    [asked] = server.recorder.token_requests
    assert asked["method"] == "POST"
    # [guess] the client ID and secret as HTTP Basic credentials, grant_type added
    assert header(asked, "Authorization") == [
        "Basic " + base64.b64encode(f"client-1:{CLIENT_SECRET}".encode()).decode()]
    assert header(asked, "X-Tenant") == ["t1"]
    assert asked["query"] == "audience=api"
    assert parse_qs(asked["body"]) == {"scope": ["read write"], "client_assertion": ["assert-secret"],
                                       "grant_type": ["client_credentials"]}
    assert header(asked, "Content-Type") == ["application/x-www-form-urlencoded"]
    [token] = server.recorder.valid_tokens
    assert header(server.last, "Authorization") == [f"Bearer {token}"]


def test_oauth_with_get_and_own_grant_type(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = oauth(conns, server, method="GET", http={"QueryStringParameters": [{"Key": "grant_type",
                                                                              "Value": "custom"}]})
    assert invoke(task, params(server, arn, path="/protected"))["StatusCode"] == 200
    [asked] = server.recorder.token_requests
    assert asked["method"] == "GET" and asked["query"] == "grant_type=custom" and asked["body"] == ""


def test_oauth_token_is_kept(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = oauth(conns, server)
    for _ in range(3):
        assert invoke(task, params(server, arn, path="/protected"))["StatusCode"] == 200
    assert len(server.recorder.token_requests) == 1


def test_oauth_token_kept_until_a_minute_before_it_expires(conns: Connections, server: Server) -> None:
    now = [1000.0]
    t = HttpTask(conns.resolve, clock=lambda: now[0])
    try:
        server.recorder.expires_in = 120
        arn = oauth(conns, server)
        invoke(t, params(server, arn, path="/protected"))
        now[0] += 59  # 61 s left: kept
        invoke(t, params(server, arn, path="/protected"))
        assert len(server.recorder.token_requests) == 1
        now[0] += 2  # 59 s left: [docs] refreshed "if the token is about to expire"
        invoke(t, params(server, arn, path="/protected"))
        assert len(server.recorder.token_requests) == 2
    finally:
        t.close()


def test_oauth_token_expiring_soon_is_never_kept(task: HttpTask, conns: Connections, server: Server) -> None:
    server.recorder.expires_in = "30"  # some servers send a string
    arn = oauth(conns, server)
    invoke(task, params(server, arn, path="/protected"))
    invoke(task, params(server, arn, path="/protected"))
    assert len(server.recorder.token_requests) == 2


def test_oauth_token_without_expiry_is_kept_until_refused(task: HttpTask, conns: Connections,
                                                          server: Server) -> None:
    server.recorder.expires_in = None
    arn = oauth(conns, server)
    invoke(task, params(server, arn, path="/protected"))
    invoke(task, params(server, arn, path="/protected"))
    assert len(server.recorder.token_requests) == 1


def test_oauth_refresh_on_401_once(task: HttpTask, conns: Connections, server: Server) -> None:
    # [docs] EventBridge refreshes OAuth tokens "when a 401 or 407 response is returned"
    arn = oauth(conns, server)
    invoke(task, params(server, arn, path="/protected"))
    server.recorder.valid_tokens.clear()  # the API revokes the token it was given
    calls = len(server.requests)
    result = invoke(task, params(server, arn, path="/protected"))
    assert result["StatusCode"] == 200
    assert len(server.recorder.token_requests) == 2
    assert len(server.requests) == calls + 2  # refused once, then accepted


def test_oauth_refused_twice_fails_with_the_status(task: HttpTask, conns: Connections, server: Server) -> None:
    server.recorder.refuse_all_tokens = True
    arn = oauth(conns, server)
    e = failure(task, params(server, arn, path="/protected"))
    assert e.error == "States.Http.StatusCode.401"
    assert len(server.recorder.token_requests) == 2 and len(server.requests) == 2


def test_oauth_token_endpoint_failure(task: HttpTask, conns: Connections, server: Server) -> None:
    server.recorder.token_status = 400
    arn = oauth(conns, server)
    e = failure(task, params(server, arn, path="/protected"))
    assert e.error == "Events.ConnectionResource.InvalidConnectionState"
    assert "400" in e.cause
    no_secret_in(e.cause)
    assert server.requests == []


def test_oauth_one_token_for_concurrent_calls(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = oauth(conns, server)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(invoke(task, params(server, arn, path="/protected"))))
               for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [r["StatusCode"] for r in results] == [200] * 8
    assert len(server.recorder.token_requests) == 1


def test_oauth_new_credentials_get_a_new_token(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = oauth(conns, server)
    invoke(task, params(server, arn, path="/protected"))
    conns.update_connection({"Name": "oauth", "AuthParameters": {"OAuthParameters": {
        "ClientParameters": {"ClientID": "client-2", "ClientSecret": "another-secret"}}}})
    invoke(task, params(server, arn, path="/protected"))
    assert len(server.recorder.token_requests) == 2
    assert header(server.recorder.token_requests[1], "Authorization") == [
        "Basic " + base64.b64encode(b"client-2:another-secret").decode()]


# ---------------------------------------------------------------------------- failures

@pytest.mark.parametrize("status, text", [(400, "Bad Request"), (404, "Not Found"), (429, "Too Many Requests"),
                                          (500, "Internal Server Error"), (503, "Service Unavailable")])
def test_status_outside_2xx_fails(task: HttpTask, conns: Connections, server: Server, status: int,
                                  text: str) -> None:
    e = failure(task, params(server, basic(conns), path=f"/status/{status}"))
    assert e.error == f"States.Http.StatusCode.{status}"
    # [guess] the cause is the response as the result would have shown it
    cause = json.loads(e.cause)
    assert list(cause) == ["Headers", "ResponseBody", "StatusCode", "StatusText"]
    assert cause["StatusCode"] == status and cause["StatusText"] == text
    assert cause["ResponseBody"]["message"] == "refused"
    assert cause["Headers"]["x-reason"] == ["test"]


def test_redirects_are_not_followed(task: HttpTask, conns: Connections, server: Server) -> None:
    e = failure(task, params(server, basic(conns), path="/redirect"))
    assert e.error == "States.Http.StatusCode.302"
    assert len(server.requests) == 1


def test_timeout_seconds_bounds_the_call(task: HttpTask, conns: Connections, server: Server) -> None:
    started = time.monotonic()
    e = failure(task, params(server, basic(conns), path="/delay/3"), timeout=1)
    assert time.monotonic() - started < 2.5
    assert e.error == "States.Http.Socket"
    assert "1 seconds" in e.cause


def test_sixty_second_limit(task: HttpTask, conns: Connections, server: Server,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    # [docs] "HTTP task requests will timeout after 60 seconds" (shortened here), also when
    # TimeoutSeconds is longer
    monkeypatch.setattr(http_module, "TIMEOUT_SECONDS", 0.5)
    e = failure(task, params(server, basic(conns), path="/delay/2"), timeout=600)
    assert e.error == "States.Http.Socket"


def test_refused_connection(task: HttpTask, conns: Connections) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    payload = {"ApiEndpoint": f"http://127.0.0.1:{port}/x", "Method": "GET",
               "Authentication": {"ConnectionArn": basic(conns)}}
    e = failure(task, payload)
    assert e.error == "States.Http.Socket"
    assert f"127.0.0.1:{port}" in e.cause and "could not be made" in e.cause


def test_text_and_not_quite_json_responses(task: HttpTask, conns: Connections, server: Server) -> None:
    arn = basic(conns)
    assert invoke(task, params(server, arn, path="/text"))["ResponseBody"] == "héllo wörld"
    assert invoke(task, params(server, arn, path="/badjson"))["ResponseBody"] == "{not json"
    result = invoke(task, params(server, arn, path="/empty"))
    assert result["StatusCode"] == 204 and result["ResponseBody"] == "" and result["StatusText"] == "No Content"


@pytest.mark.parametrize("path", ["/image", "/binary"])
def test_unsupported_responses(task: HttpTask, conns: Connections, server: Server, path: str) -> None:
    # [docs] image/*, video/*, audio/*, application/octet-stream, or not a valid string
    e = failure(task, params(server, basic(conns), path=path))
    assert e.error == "States.Runtime"


def test_response_too_large(task: HttpTask, conns: Connections, server: Server) -> None:
    e = failure(task, params(server, basic(conns), path="/big"))
    assert e.error == "States.DataLimitExceeded"


# ---------------------------------------------------------------------------- secrets

def test_echoed_secrets_are_redacted(task: HttpTask, conns: Connections, server: Server,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    arn = api_key(conns, SECRET_PARAMETERS)
    result = invoke(task, params(server, arn, method="POST", RequestBody={"a": 1}))
    seen = server.last  # the API did get every credential
    assert header(seen, "x-api-key") == [API_KEY] and header(seen, "X-Secret") == [SECRET_HEADER]
    assert f"secret={SECRET_QUERY}" in seen["query"] and SECRET_BODY in seen["body"]
    text = json.dumps(result)
    no_secret_in(text)
    assert "******" in text and "public-header" in text
    e = failure(task, params(server, arn, path="/status/403", method="POST", RequestBody={"a": 1}))
    no_secret_in(e.cause)
    no_secret_in("\n".join(r.getMessage() for r in caplog.records))


def test_basic_credentials_echoed_are_redacted(task: HttpTask, conns: Connections, server: Server) -> None:
    result = invoke(task, params(server, basic(conns)))
    no_secret_in(json.dumps(result))


def test_whole_execution_keeps_no_secret_in_its_history(conns: Connections, server: Server) -> None:
    arn = api_key(conns, SECRET_PARAMETERS)
    integrations = Integrations(region=REGION, account=ACCOUNT)
    task = register_http(integrations, conns.resolve)
    try:
        definition = {"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                     "Parameters": {"ApiEndpoint": f"{server.url}/private", "Method": "POST",
                                    "Authentication": {"ConnectionArn": arn},
                                    "Headers": {"X-Request": "r1"}, "RequestBody": {"order.$": "$.order"}},
                     "Next": "Echo"},
            "Echo": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                     "Parameters": {"ApiEndpoint": f"{server.url}/echo", "Method": "GET",
                                    "InvocationConfig": {"ConnectionArn": arn}},
                     "ResultPath": "$.echo", "Next": "Refused"},
            "Refused": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                        "Parameters": {"ApiEndpoint": f"{server.url}/status/401", "Method": "GET",
                                       "Authentication": {"ConnectionArn": arn}},
                        "End": True}}}
        ex = run(definition, {"order": 17}, integrations=integrations)
    finally:
        task.close()
    assert ex.status == "FAILED" and ex.error == "States.Http.StatusCode.401"
    history = ex.history
    scheduled = [e for e in history if e["type"] == "TaskScheduled"]
    assert json.loads(scheduled[0]["taskScheduledEventDetails"]["parameters"])["Authentication"] == \
        {"ConnectionArn": arn}
    succeeded = [e for e in history if e["type"] == "TaskSucceeded"]
    first = json.loads(succeeded[0]["taskSucceededEventDetails"]["output"])
    assert first["ResponseBody"] == {"authorized": True}  # the API got every credential
    echoed = json.loads(succeeded[1]["taskSucceededEventDetails"]["output"])
    assert echoed["ResponseBody"]["method"] == "GET"
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert failed[0]["taskFailedEventDetails"]["error"] == "States.Http.StatusCode.401"
    no_secret_in(json.dumps(history))
    no_secret_in(json.dumps([ex.output, ex.error, ex.cause]))


# ---------------------------------------------------------------------------- TestState TRACE

def trace(conns: Connections, server: Server, reveal: bool, path: str = "/echo") -> dict:
    arn = api_key(conns, SECRET_PARAMETERS, name=f"trace-{reveal}-{path.strip('/').replace('/', '-')}")
    integrations = Integrations(region=REGION, account=ACCOUNT)
    task = register_http(integrations, conns.resolve)
    state = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
             "Parameters": {"ApiEndpoint": server.url + path, "Method": "POST",
                            "Authentication": {"ConnectionArn": arn},
                            "Headers": {"definitionHeader": "h1"}, "RequestBody": {"message": "hello"},
                            "QueryParameters": {"queryParam": "q1"}}}
    try:
        return run_test_state({"definition": json.dumps(state), "inspectionLevel": "TRACE", "revealSecrets": reveal,
                               "roleArn": "arn:aws:iam::123456789012:role/test"},
                              integrations=integrations, region=REGION, account=ACCOUNT)
    finally:
        task.close()


def test_trace_without_reveal_secrets_leaves_out_what_the_connection_adds(conns: Connections,
                                                                         server: Server) -> None:
    out = trace(conns, server, reveal=False)
    assert out["status"] == "SUCCEEDED"
    request, response = out["inspectionData"]["request"], out["inspectionData"]["response"]
    # [docs] "a secret includes the data that an EventBridge connection adds to modify the HTTP
    # request headers, query parameters, and body"
    assert request == {
        "protocol": "http", "method": "POST", "url": f"{server.url}/echo?queryParam=q1",
        "headers": f"[definitionHeader: h1, User-Agent: Amazon|StepFunctions|HttpInvoke|{REGION}, "
                   "Range: bytes=0-262144]",
        "body": '{"message":"hello"}'}
    assert response["protocol"] == "http" and response["statusCode"] == "200" and response["statusMessage"] == "OK"
    assert response["headers"].startswith("[") and "content-type: application/json" in response["headers"]
    assert "public-header" not in json.dumps(request)
    no_secret_in(json.dumps(out))
    assert "******" in response["body"]  # the echo server sent the credentials back


def test_trace_with_reveal_secrets_shows_the_whole_request(conns: Connections, server: Server) -> None:
    out = trace(conns, server, reveal=True)
    request, response = out["inspectionData"]["request"], out["inspectionData"]["response"]
    assert request["url"] == f"{server.url}/echo?queryParam=q1&secret={SECRET_QUERY}"
    assert request["headers"] == (f"[definitionHeader: h1, x-api-key: {API_KEY}, X-Secret: {SECRET_HEADER}, "
                                  f"X-Public: public-header, User-Agent: Amazon|StepFunctions|HttpInvoke|{REGION}, "
                                  "Range: bytes=0-262144]")
    assert request["body"] == f'{{"message":"hello","secret":"{SECRET_BODY}"}}'
    assert API_KEY in response["body"]  # nothing hidden
    assert API_KEY in out["output"]


def test_trace_of_a_failed_call(conns: Connections, server: Server) -> None:
    out = trace(conns, server, reveal=False, path="/status/404")
    assert out["status"] == "FAILED" and out["error"] == "States.Http.StatusCode.404"
    assert out["inspectionData"]["response"]["statusCode"] == "404"
    no_secret_in(json.dumps(out))


def test_register_http_serves_the_resource(conns: Connections, server: Server) -> None:
    integrations = Integrations(region=REGION, account=ACCOUNT)
    task = register_http(integrations, conns.resolve)
    try:
        assert integrations.services["http"] is task
        result, size = integrations.invoke(INVOKE, params(server, basic(conns)))
        assert result["StatusCode"] == 200 and size == len(dumps(result).encode())  # measured as it entered
        assert header(server.last, "User-Agent") == [f"Amazon|StepFunctions|HttpInvoke|{REGION}"]
    finally:
        task.close()
