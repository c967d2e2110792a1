"""A fleet spreads work: a server and two workers on one PostgreSQL each run a share.

300 executions of a Task that takes 50 ms are started through the server's API with boto3;
every call is logged with the id of the process that made it. Every engine must run some
(none more than 60%), every execution must succeed, and each task must be called once.
A server with ``--no-engine`` runs none of them: the workers run it all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.api.conftest import free_port
from tests.chaos.test_kill import pg_database  # noqa: F401 - a fixture

ROLE = "arn:aws:iam::123456789012:role/fleet"
FUNCTIONS = '''
import json, os, time

def slow(event, context):
    time.sleep(0.05)
    with open(os.environ["FLEET_LOG"], "a") as f:
        f.write(json.dumps({"pid": os.getpid(), "id": event["id"]}) + "\\n")
    return {"id": event["id"], "pid": os.getpid()}
'''
DEFINITION = {"StartAt": "Slow", "States": {"Slow": {
    "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow", "End": True}}}


class Fleet:
    """``stepline server`` and ``stepline worker`` processes on one database."""

    def __init__(self, db: str, tmp: Path) -> None:
        self.db, self.tmp = db, tmp
        self.functions = tmp / "fleet_functions.py"
        self.functions.write_text(FUNCTIONS)
        self.log = tmp / "calls.jsonl"
        self.log.write_text("")
        self.procs: list[subprocess.Popen] = []
        self.port = free_port()

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        err = open(self.tmp / f"{name}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "stepline", *args, "--db", self.db,
                                 "--functions", str(self.functions)],
                                env=dict(os.environ, FLEET_LOG=str(self.log)), stdout=subprocess.DEVNULL,
                                stderr=err, cwd=self.tmp)
        err.close()
        self.procs.append(proc)
        return proc

    def start(self, *server_options: str, workers: int = 2) -> None:
        self._spawn("server", "server", "--port", str(self.port), *server_options)
        for i in range(workers):
            self._spawn(f"worker-{i}", "worker")
        deadline = time.monotonic() + 30
        logs = ["server"] + [f"worker-{i}" for i in range(workers)]
        while not all("stepline " in (self.tmp / f"{n}.log").read_text() for n in logs):
            assert time.monotonic() < deadline, "the fleet did not start"
            assert all(p.poll() is None for p in self.procs), [(self.tmp / f"{n}.log").read_text() for n in logs]
            time.sleep(0.1)

    def client(self):
        return boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{self.port}", region_name="us-east-1",
                            aws_access_key_id="AKIDTEST", aws_secret_access_key="secret",
                            config=Config(retries={"max_attempts": 0}, max_pool_connections=20))

    def stop(self) -> list[int | None]:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        return [p.wait(timeout=30) for p in self.procs]

    def run(self, n: int) -> tuple[Counter, dict[int, int]]:
        """Starts ``n`` executions through the server; waits until all have ended. Returns the
        calls counted by process id, and by execution id."""
        sfn = self.client()
        arn = sfn.create_state_machine(name="fleet", definition=json.dumps(DEFINITION), roleArn=ROLE)["stateMachineArn"]
        time.sleep(1.5)  # every engine has announced itself in the store (its first beat)
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(lambda i: sfn.start_execution(stateMachineArn=arn, name=f"e{i}", input=json.dumps({"id": i})),
                          range(n)))
        deadline = time.monotonic() + 120
        while sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]:
            assert time.monotonic() < deadline, "executions still running after 120 s"
            time.sleep(0.2)
        succeeded = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, statusFilter="SUCCEEDED"):
            succeeded += page["executions"]
        assert len(succeeded) == n
        calls = [json.loads(line) for line in self.log.read_text().splitlines()]
        return Counter(c["pid"] for c in calls), Counter(c["id"] for c in calls)


@pytest.fixture
def fleet(tmp_path: Path, pg_database: str):  # noqa: F811 - the fixture imported above
    running = Fleet(pg_database, tmp_path)
    yield running
    codes = running.stop()
    assert codes == [0] * len(codes), "every process stops cleanly on SIGTERM"


def test_every_engine_of_a_fleet_runs_a_share(fleet: Fleet) -> None:
    fleet.start()
    by_process, by_execution = fleet.run(300)
    assert sorted(by_execution.values()) == [1] * 300, "each task called exactly once"
    pids = {p.pid for p in fleet.procs}
    assert set(by_process) == pids, f"every engine runs some: {by_process}"
    assert max(by_process.values()) <= 180, f"none runs more than 60%: {by_process}"


def test_a_server_without_an_engine_serves_the_api_alone(fleet: Fleet) -> None:
    fleet.start("--no-engine")
    by_process, by_execution = fleet.run(60)
    assert sorted(by_execution.values()) == [1] * 60
    server, *workers = fleet.procs
    assert server.pid not in by_process and set(by_process) <= {w.pid for w in workers}, by_process
