"""SigV4 end to end: a server with STEPLINE_CREDENTIALS-style keys, boto3 clients signing with
the right key, an unknown key, and a wrong secret; and the refusal to listen in the open
without keys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from stepline.api.auth import Verifier

from .conftest import REGION, Running


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = Running(f"sqlite:///{tmp_path_factory.mktemp('sigv4') / 'stepline.db'}",
                      verifier=Verifier("AKIDGOOD:good-secret,AKIDTWO:second-secret"))
    yield running
    running.stop()


def client(server: Running, key: str, secret: str, service: str = "stepfunctions") -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 0}))


def code(call: Any) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def test_signed_requests_with_known_keys_are_served(guarded: Running) -> None:
    assert "stateMachines" in client(guarded, "AKIDGOOD", "good-secret").list_state_machines()
    assert "stateMachines" in client(guarded, "AKIDTWO", "second-secret").list_state_machines()
    assert "Connections" in client(guarded, "AKIDGOOD", "good-secret", "events").list_connections()


def test_unknown_keys_and_wrong_secrets_are_refused(guarded: Running) -> None:
    assert code(client(guarded, "AKIDNOPE", "good-secret").list_state_machines) == "UnrecognizedClientException"
    assert code(client(guarded, "AKIDGOOD", "wrong-secret").list_state_machines) == "InvalidSignatureException"


def test_the_server_refuses_to_listen_in_the_open_without_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STEPLINE_CREDENTIALS"}
    done = subprocess.run([sys.executable, "-m", "stepline", "server", "--host", "0.0.0.0", "--port", "0"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2
    assert "STEPLINE_CREDENTIALS" in done.stderr
