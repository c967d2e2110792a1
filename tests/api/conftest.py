"""A real stepline server on a loopback port, and boto3 clients pointed at it.

The server runs in this process (uvicorn on a thread) so tests can reach its parts, but every
request goes over a real socket through boto3, exactly as a user's code would send it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config

from stepline.api.app import create_app
from stepline.api.server import Limits
from stepline.api.server import server as serve
from stepline.engine.durable import Engine
from stepline.integrations import Integrations
from stepline.integrations.functions import Functions
from stepline.service import Service
from stepline.service.pending import Pending
from stepline.store import open_store

REGION, ACCOUNT = "us-east-1", "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stepline-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running:
    """A server on a thread: its URL, its parts, and how to stop it."""

    def __init__(self, db: str, functions: Functions | None = None, verifier: Any = None,
                 record: list | None = None,
                 limits: Limits = Limits(),  # noqa: B008 - Limits is frozen: one shared default is safe
                 app: dict | None = None, **engine: Any) -> None:
        """``record`` collects every (service, operation, response) the server answers; ``app``
        and ``engine`` are options of the app and the engine."""
        self.store = open_store(db)
        self.store.migrate()
        self.functions = functions or Functions()
        self.integrations = Integrations(self.functions, region=REGION, account=ACCOUNT)
        self.engine = Engine(self.store, self.integrations, **{"lease_seconds": 5.0, "poll_interval": 0.2, **engine})
        self.service = Service(self.store, self.engine, self.integrations, region=REGION, account=ACCOUNT)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        events = self.service.connections.handlers()
        if record is not None:
            def recording(service: str, operation: str, handler: Any) -> Any:
                def keep(response: Any) -> Any:
                    record.append((service, operation, json.loads(response) if isinstance(response, str) else response))
                    return response

                def call(params: dict) -> Any:
                    response = handler(params)
                    return response.then(keep) if isinstance(response, Pending) else keep(response)
                return call
            for op, handler in list(self.service.operations.items()):
                self.service.operations[op] = recording("stepfunctions", op, handler)
            events = {op: recording("events", op, handler) for op, handler in events.items()}
            poll = self.service.tasks.poll_activity_task  # GetActivityTask long-polls with this

            def polled(params: dict) -> Any:
                found = poll(params)
                record.append(("stepfunctions", "GetActivityTask", found or {}))
                return found
            self.service.tasks.poll_activity_task = polled  # type: ignore[method-assign]
        asgi = create_app(self.service, verifier=verifier, handlers={"events": events}, **(app or {}))
        self.server = serve(asgi, "127.0.0.1", self.port, limits=limits)
        self.engine.run_in_thread()
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)

    def client(self, service: str = "stepfunctions", **config: Any) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, aws_access_key_id="AKIDTEST",
                            aws_secret_access_key="secret",
                            config=Config(retries={"max_attempts": 0}, read_timeout=70, **config))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.engine.shutdown()
        self.service.close()
        self.store.close()


def echo(event: Any, context: Any) -> Any:
    return event


def fail(event: Any, context: Any) -> Any:
    raise ValueError(f"bad input: {event}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    functions = Functions()
    functions.add("echo", echo)
    functions.add("fail", fail)
    running = Running(f"sqlite:///{tmp_path_factory.mktemp('api') / 'stepline.db'}", functions)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sfn(server: Running) -> Any:
    return server.client()


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)


class Answering(BaseHTTPRequestHandler):
    """An HTTP API answering every GET with ``body`` as JSON (a subclass sets the body)."""

    body = b"{}"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@contextlib.contextmanager
def http_api(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on a loopback port, for the length of the block: its URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()

