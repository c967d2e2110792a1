"""The AWS CLI (awscli from PyPI) against a real ``stepline server`` process: create, start,
describe, history, unchanged but for ``--endpoint-url``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import ROLE, free_port

AWS = shutil.which("aws", path=os.path.dirname(sys.executable)) or "aws"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``stepline server`` as a user starts it: its own process, a SQLite file in a directory."""
    workdir = tmp_path_factory.mktemp("cli")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "stepline", "server", "--port", str(port)], cwd=workdir,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
    yield url
    proc.terminate()
    code = proc.wait(20)
    errors = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    assert code == 0, errors  # SIGTERM: a graceful shutdown
    assert (Path(workdir) / "stepline.db").exists()  # the default database: a file in the working directory


def aws(endpoint: str, *args: str, check: bool = True) -> Any:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDCLI", "AWS_SECRET_ACCESS_KEY": "secret",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
    done = subprocess.run([AWS, "stepfunctions", "--endpoint-url", endpoint, "--output", "json", *args],
                          capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None
    return done


def test_create_start_describe_history_with_the_aws_cli(endpoint: str, tmp_path: Path) -> None:
    definition = tmp_path / "hello.asl.json"
    definition.write_text(json.dumps({"StartAt": "Hello", "States": {
        "Hello": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.who)"}, "End": True}}}))
    made = aws(endpoint, "create-state-machine", "--name", "hello", "--definition", f"file://{definition}",
               "--role-arn", ROLE)
    assert made["stateMachineArn"].endswith(":stateMachine:hello")
    started = aws(endpoint, "start-execution", "--state-machine-arn", made["stateMachineArn"], "--name", "first",
                  "--input", '{"who": "world"}')
    deadline = time.monotonic() + 10
    while (described := aws(endpoint, "describe-execution", "--execution-arn", started["executionArn"]))[
            "status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"greeting": "Hello, world!"}
    history = aws(endpoint, "get-execution-history", "--execution-arn", started["executionArn"])
    assert [e["type"] for e in history["events"]] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    listed = aws(endpoint, "list-executions", "--state-machine-arn", made["stateMachineArn"])
    assert [e["name"] for e in listed["executions"]] == ["first"]


def test_the_cli_shows_aws_errors(endpoint: str) -> None:
    done = aws(endpoint, "describe-execution", "--execution-arn",
               "arn:aws:states:us-east-1:123456789012:execution:none:none", check=False)
    assert done.returncode != 0
    assert "ExecutionDoesNotExist" in done.stderr
