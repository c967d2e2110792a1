"""Chaos: workers killed with SIGKILL at random moments while hundreds of executions run.

After each kill a new worker process takes over (the dead one's leases expire); at the end
every execution must have succeeded with the right output, each state entered exactly the
number of times its definition implies (no transition lost, none applied twice), and its
history must be whole: ids 1..n, each event linked to an earlier one, one terminal event.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from stepline.engine.durable import enqueue
from stepline.engine.records import standard_start
from stepline.store import open_store

from . import workload

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:chaos-{}"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


class Workers:
    """Worker processes, killed and restarted at will."""

    def __init__(self, url: str, functions: Path, log: Path, tmp: Path) -> None:
        self.url, self.functions, self.log, self.tmp = url, functions, log, tmp
        self.procs: list[subprocess.Popen] = []
        self.starts = 0
        self.logs: list = []

    def start(self) -> subprocess.Popen:
        self.starts += 1
        self.last_start = time.monotonic()
        err = open(self.tmp / f"worker-{self.starts}.log", "w")
        self.logs.append(err)
        return subprocess.Popen(
            [sys.executable, "-m", "stepline", "worker", "--db", self.url, "--functions", str(self.functions),
             "--lease-seconds", "1.5"],
            env=dict(os.environ, CHAOS_LOG=str(self.log)), stdout=subprocess.DEVNULL, stderr=err,
            cwd=self.tmp)  # (a worker on PostgreSQL keeps its secret key in its working directory)

    def launch(self, n: int) -> None:
        self.procs = [self.start() for _ in range(n)]

    def kill_one(self, rng: random.Random) -> None:
        i = rng.randrange(len(self.procs))
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()
        self.procs[i] = self.start()

    def stop(self) -> list[int]:
        time.sleep(max(0.0, self.last_start + 2.0 - time.monotonic()))  # let the newest install its handlers
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=30) for p in self.procs]
        for f in self.logs:
            f.close()
        return codes


def chaos(url: str, tmp: Path, *, workers: int, per_kind: int, kills: int, seed: int) -> None:
    store = open_store(url)
    store.migrate()
    log = tmp / "calls.jsonl"
    log.write_text("")
    functions = tmp / "chaos_functions.py"
    functions.write_text(workload.FUNCTIONS)
    started: list[tuple[str, str, int]] = []
    n = 0
    for kind in workload.DEFINITIONS:
        for _ in range(per_kind):
            n += 1
            record = enqueue(store, standard_start(SM.format(kind), workload.definition(kind), json.dumps({"id": n}),
                                                   name=f"e{n}"))
            started.append((record.arn, kind, n))
    pool = Workers(url, functions, log, tmp)
    pool.launch(workers)
    rng = random.Random(seed)
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(0.2, 1.2))
            pool.kill_one(rng)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if not store.list_executions(status="RUNNING", limit=1):
                break
            time.sleep(0.5)
    finally:
        codes = pool.stop()
    assert codes == [0] * workers, "workers stop cleanly on SIGTERM"
    running = store.list_executions(status="RUNNING", limit=10)
    assert not running, f"{len(running)}+ executions never finished, e.g. {running[0].arn}"

    for arn, kind, i in started:
        record = store.get_execution(arn)
        output, entered = workload.expected(kind, i)
        assert (record.status, record.error) == ("SUCCEEDED", None), (arn, record.error, record.cause)
        assert json.loads(record.output) == output, arn
        events = [json.loads(e.text) for e in store.get_events(arn)]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1)), arn
        assert record.event_count == len(events)
        assert all(e["previousEventId"] < e["id"] for e in events), arn
        assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded", arn
        assert sum(e["type"].startswith("Execution") for e in events) == 2, arn
        counts = Counter(e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered"))
        assert counts == entered, (arn, counts)
    calls = Counter((c["fn"], c["id"]) for c in map(json.loads, log.read_text().splitlines()))
    for _arn, kind, i in started:  # at least once: a task whose result was lost is called again
        if kind in ("task", "parallel"):
            assert calls[("work", i)] >= (2 if kind == "parallel" else 1)
        if kind == "retry":
            assert calls[("flaky", i)] >= 2
    assert pool.starts == workers + kills
    store.close()


def test_sqlite_worker_killed_repeatedly(tmp_path: Path) -> None:
    chaos(str(tmp_path / "chaos.db"), tmp_path, workers=1, per_kind=60, kills=8, seed=1)


@pytest.fixture
def pg_database():
    import psycopg
    name = f"stepline_chaos_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_postgres_two_workers_killed_repeatedly(tmp_path: Path, pg_database: str) -> None:
    chaos(pg_database, tmp_path, workers=2, per_kind=60, kills=10, seed=2)
