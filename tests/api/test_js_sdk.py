"""The AWS SDK for JavaScript v3 (``@aws-sdk/client-sfn``, from ``tests/js/package-lock.json``)
against a stepline server over a real socket: create, start, describe, history, list,
StartSyncExecution, AWS's error names; and its SigV4 signatures checked by a server with keys.

Node.js and npm must be installed (``.ci/run`` checks); the package is installed here with
``npm ci`` the first time.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.api.auth import Verifier
from tests.node import JS, node_with

from .conftest import Running


@pytest.fixture(scope="module")
def node() -> str:
    return node_with("@aws-sdk/client-sfn")


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = Running(f"sqlite:///{tmp_path_factory.mktemp('js') / 'stepline.db'}")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = Running(f"sqlite:///{tmp_path_factory.mktemp('js-sigv4') / 'stepline.db'}",
                      verifier=Verifier("AKIDJS:js-secret"))
    yield running
    running.stop()


def smoke(node: str, server: Running, key: str, secret: str, prefix: str) -> Any:
    done = subprocess.run([node, str(JS / "sfn_smoke.mjs"), server.url, key, secret, prefix], cwd=JS,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NODE_NO_WARNINGS": "1"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_javascript_sdk_works_unchanged(node: str, open_server: Running) -> None:
    out = smoke(node, open_server, "local", "local", "plain")
    assert out["describe"] == {"status": "SUCCEEDED", "output": {"greeting": "Hello, node!"}, "startDateIsDate": True}
    assert out["history"] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert out["list"] == ["first"]
    assert out["missing"] == {"error": "ExecutionDoesNotExist"}
    assert out["badName"] == {"error": "InvalidName"}
    assert out["badDefinition"] == {"error": "InvalidDefinition"}
    assert out["badToken"] == {"error": "InvalidToken"}
    assert out["sync"] == {"status": "SUCCEEDED", "output": {"greeting": "Hello, sync!"}}
    assert out["activity"].endswith(":activity:plain-work")


def test_its_signatures_are_verified(node: str, guarded: Running) -> None:
    signed = smoke(node, guarded, "AKIDJS", "js-secret", "signed")
    assert signed["describe"]["status"] == "SUCCEEDED" and signed["sync"]["status"] == "SUCCEEDED"
    assert smoke(node, guarded, "AKIDJS", "wrong-secret", "forged") == {
        "create": {"error": "InvalidSignatureException"}}
    assert smoke(node, guarded, "AKIDNOBODY", "js-secret", "stranger") == {
        "create": {"error": "UnrecognizedClientException"}}
