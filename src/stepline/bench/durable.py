"""``python -m stepline.bench.durable``: durable Standard executions per second, committed.

For each benchmark workflow (``workflows/NAME.asl.json``) this starts ``--count`` executions
(named by UUIDs, as StartExecution names them by default) and waits until every one is
committed SUCCEEDED in the store, then reports:

- committed state transitions per second: the ``*StateEntered`` events in the stored
  histories, as ``python -m stepline.bench`` counts transitions (inside Parallel branches and
  Map iterations too);
- executions per second, start to committed SUCCEEDED. ``many-small`` is the three-state
  workflow (Pass, Pass, Succeed).

Two ways to run the engine:

- ``--workers 0`` (the default on SQLite): one :class:`~stepline.engine.durable.Engine` in
  this process; executions start through :meth:`Engine.start_execution`, all submitted at
  once (each caller is answered after the commit of its start). With ``--enqueue`` they are
  put in the store first and the engine claims them, as workers do.
- ``--workers N`` (the default on PostgreSQL: 2): ``N`` ``stepline worker`` processes on the
  database; once they are up, this process enqueues the executions (rows due now, 500 per
  transaction, each followed by ``NOTIFY``) and the workers claim and run them. (On SQLite
  workers find work by polling, once a second: expect that much more.)

The clock starts before the first start and stops at the first poll (every 10 ms, or 1% of
the time so far) that finds none RUNNING; then every execution is checked (status and output).
Each workflow runs ``--reps`` times, each on a new database, and the best and the median run
are reported (the machine is noisy). SQLite runs on a file in a temporary directory
(``synchronous=FULL``); PostgreSQL on a database made for the run (``--pg-admin``) and dropped
afterwards. With ``--profile`` the in-process engine's thread runs under cProfile and the top
functions are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import json
import os
import pathlib
import pstats
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..asl.values import dumps
from ..integrations import Functions, Integrations
from ..store import Store, Write, open_store

HERE = pathlib.Path(__file__).parent
WORKFLOWS = HERE / "workflows"
NAMES = ["many-small", "task-echo", "pass-chain-100", "parallel-fanout", "choice-loop-1000"]
#: map-10k writes about 30,000 history events: more than a Standard execution may (25,000, as on
#: AWS), so it fails there; it runs only when asked for, in-process, with the limit raised
EXTRA = ["map-10k"]
BIG_HISTORY = 100_000
THREE_STATE = "many-small"
#: executions started per workflow, unless --count says otherwise
COUNTS = {"many-small": 10_000, "task-echo": 5000, "pass-chain-100": 300, "parallel-fanout": 300,
          "choice-loop-1000": 10, "map-10k": 1}
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:bench-{}"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
ENQUEUE_BATCH = 500
POLL = 0.01


def echo(event: Any, context: Any) -> Any:
    """The Task states' function, ``bench-echo``."""
    return event


#: what the worker processes load with ``--functions`` (a file written for the run)
WORKER_FUNCTIONS = '''import stepline


@stepline.function("bench-echo")
def echo(event, context):
    return event
'''


# ---------------------------------------------------------------------------- databases

@contextlib.contextmanager
def database(kind: str, admin: str) -> Iterator[str]:
    """The URL of a fresh, migrated database of that kind, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="stepline-bench-") as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            _migrate(url)
            yield url
        return
    import psycopg
    name = f"stepline_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        url = admin.rsplit("/", 1)[0] + "/" + name
        _migrate(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _migrate(url: str) -> None:
    store = open_store(url)
    store.migrate()
    store.close()


class Probe:
    """A plain connection of its own that counts executions by status (not through the store,
    so the engine's connections are not disturbed)."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            import sqlite3
            self.conn: Any = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
            self.pg = False
        else:
            import psycopg
            self.conn = psycopg.connect(url, autocommit=True)
            self.pg = True

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.conn.execute(sql.replace("?", "%s") if self.pg else sql, params).fetchall()

    def statuses(self) -> dict[str, int]:
        return dict(self.query("SELECT status, COUNT(*) FROM executions GROUP BY status"))

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------- one workflow

def load(name: str) -> tuple[str, dict]:
    definition = (WORKFLOWS / f"{name}.asl.json").read_text()
    meta = json.loads((WORKFLOWS / f"{name}.meta.json").read_text())
    return dumps(json.loads(definition)), meta


def check(meta: dict, output: Any) -> bool:
    rule = meta["check"]
    if "len" in rule:
        return isinstance(output, list) and len(output) == rule["len"]
    for key in rule["path"]:
        output = output[key]
    return output == rule["equals"]


class Stats:
    """What the in-process engine's commits cost (the store's commit, wrapped)."""

    def __init__(self, store: Store) -> None:
        self.commits = self.writes = self.events = 0
        self.seconds = 0.0
        inner = store.commit

        def commit(writes: Any) -> Any:
            writes = list(writes)
            t0 = time.perf_counter()
            try:
                return inner(writes)
            finally:
                self.seconds += time.perf_counter() - t0
                self.commits += 1
                self.writes += len(writes)
                self.events += sum(len(w.events) for w in writes)

        store.commit = commit  # type: ignore[method-assign]


def run_workflow(url: str, name: str, count: int, workers: int, timeout: float, profile: bool,
                 enqueue: bool = False) -> dict:
    """Run ``count`` executions of workflow ``name`` on the database at ``url``: the figures."""
    definition, meta = load(name)
    sm_arn, sm_name = SM.format(name), f"bench-{name}"
    inputs = [dumps(meta["input"])] * count
    probe = Probe(url)
    store = open_store(url)
    result: dict[str, Any] = {"workflow": name, "executions": count, "workers": workers}
    pool: Workers | None = None
    engine = None
    futures: list = []
    prof = cProfile.Profile() if profile else None
    elapsed: float | None = None
    tmp = tempfile.TemporaryDirectory(prefix="stepline-bench-")
    try:
        if workers == 0:
            from ..engine.durable import HISTORY_LIMIT, Engine
            from ..engine.records import standard_start
            engine = Engine(store, Integrations(Functions({"bench-echo": echo})),
                            history_limit=BIG_HISTORY if name in EXTRA else HISTORY_LIMIT)
            if prof is not None:
                loop = engine._loop
                engine._loop = lambda: prof.runcall(loop)  # type: ignore[method-assign]
            t0 = time.perf_counter()
            if enqueue:  # all due in the store first; the engine claims them as it starts
                enqueue_all(store, definition, sm_arn, sm_name, inputs)
            stats = Stats(store)
            engine.run_in_thread()
            if not enqueue:
                futures = [engine.start_execution(standard_start(sm_arn, definition, text)) for text in inputs]
        else:
            if name in EXTRA:
                raise SystemExit(f"{name} runs only in-process (--workers 0): its history is over the limit")
            pool = Workers(url, workers, pathlib.Path(tmp.name) / "bench_functions.py")
            t0 = time.perf_counter()
            enqueue_all(store, definition, sm_arn, sm_name, inputs)
        elapsed = wait_until_done(probe, count, t0, timeout, name)
        if engine is not None:
            for f in futures:
                f.result(timeout)  # each start was answered (after its commit)
            result.update(commits=stats.commits, commit_s=round(stats.seconds, 3),
                          writes_per_commit=round(stats.writes / max(stats.commits, 1), 1),
                          events_per_commit=round(stats.events / max(stats.commits, 1), 1))
    finally:
        if engine is not None:
            engine.shutdown()
        if pool is not None:
            pool.stop()
        store.close()
        tmp.cleanup()
        if elapsed is None:
            probe.close()
    try:
        bad = [(arn, status) for arn, status, output in probe.query("SELECT arn, status, output FROM executions")
               if status != "SUCCEEDED" or not check(meta, json.loads(output))]
        if bad:
            raise AssertionError(f"{name}: {len(bad)} executions did not succeed as expected, e.g. {bad[0]}")
        # (each event a line of a history row; a state entered says "StateEntered","id" once)
        transitions, events = 0, 0
        for (body,) in probe.query("SELECT body FROM history"):
            transitions += body.count('StateEntered","id"')
            events += body.count("\n") + 1
    finally:
        probe.close()
    result.update(transitions=transitions, events=events, seconds=round(elapsed, 3),
                  transitions_per_s=round(transitions / elapsed), executions_per_s=round(count / elapsed, 1))
    if prof is not None:
        top = pstats.Stats(prof)
        top.sort_stats("tottime").print_stats(30)
        top.sort_stats("cumulative").print_stats(40)
    return result


def wait_until_done(probe: Probe, count: int, t0: float, timeout: float, name: str) -> float:
    """Seconds from ``t0`` until all ``count`` executions are stored and none is RUNNING."""
    while True:
        counts = probe.statuses()
        now = time.perf_counter()
        if sum(counts.values()) == count and not counts.get("RUNNING"):
            return now - t0
        if now > t0 + timeout:
            raise TimeoutError(f"{name}: not done after {timeout:.0f}s: {counts}")
        time.sleep(min(0.1, max(POLL, (now - t0) / 100)))  # at most 1% late, and little load


def enqueue_all(store: Store, definition: str, sm_arn: str, sm_name: str, inputs: list[str]) -> None:
    """Put the executions in the store, due now, many per transaction (what a queue in front
    of the engines does); then wake the workers."""
    from ..engine.records import new_record, standard_start
    digest = hashlib.sha256(definition.encode()).hexdigest()
    store.put_definition(digest, definition)
    for start in range(0, len(inputs), ENQUEUE_BATCH):
        now = time.time()
        writes = []
        for i in range(start, min(start + ENQUEUE_BATCH, len(inputs))):
            record = new_record(standard_start(sm_arn, definition, inputs[i]), digest, now)
            record.wake_at = now
            writes.append(Write(record, new=True))
        store.commit(writes)
        store.notify()


class Workers:
    """``stepline worker`` processes on the database; their stderr is passed on, prefixed."""

    def __init__(self, url: str, n: int, functions: pathlib.Path) -> None:
        functions.write_text(WORKER_FUNCTIONS)
        self.procs = [subprocess.Popen([sys.executable, "-m", "stepline", "worker", "--db", url,
                                        "--functions", str(functions)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                       env=dict(os.environ, PYTHONUNBUFFERED="1"),
                                       cwd=functions.parent)  # their shared secret key goes there
                      for _ in range(n)]
        self.drains: list[threading.Thread] = []
        for p in self.procs:  # each says when it runs
            assert p.stderr is not None
            line = p.stderr.readline()
            drain = threading.Thread(target=self._drain, args=(p.stderr,), daemon=True)
            drain.start()
            self.drains.append(drain)
            if "running" not in line:
                self.stop()
                raise RuntimeError(f"a worker did not start: {line.strip()}")

    @staticmethod
    def _drain(stream: Any) -> None:
        with stream:
            for line in stream:
                sys.stderr.write("  worker: " + line)

    def stop(self) -> None:
        """SIGTERM, as an operator stops them (they release their leases)."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for drain in self.drains:
            drain.join(10)


# ---------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stepline.bench.durable", description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--workers", type=int, default=None,
                    help="worker processes (0: one engine in this process; default 0 on SQLite, 2 on PostgreSQL)")
    ap.add_argument("--count", type=int, default=None, help="executions per workflow (default: per workflow)")
    ap.add_argument("--workflow", action="append", choices=NAMES + EXTRA, help="workflow(s) to run (default: all)")
    ap.add_argument("--reps", type=int, default=3, help="runs of each workflow, each on a new database (default 3)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per run (default 300)")
    ap.add_argument("--pg-admin", default=PG_ADMIN, help=f"where to create the PostgreSQL database ({PG_ADMIN})")
    ap.add_argument("--enqueue", action="store_true",
                    help="in-process engine: claim executions enqueued beforehand, rather than start them")
    ap.add_argument("--profile", action="store_true", help="cProfile the in-process engine (--workers 0)")
    ap.add_argument("--json", action="store_true", help="one JSON line per workflow instead of a table")
    args = ap.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    names = args.workflow or NAMES
    if not args.json:
        print(f"{'db':10s} {'workflow':20s} {'wk':>2s} {'execs':>6s} {'transitions':>11s} "
              f"{'transitions/s best':>18s} {'median':>7s} {'executions/s best':>17s} {'median':>7s}"
              "  (median run: commits, seconds in commit, executions and events per commit)")
    for kind in kinds:
        workers = args.workers if args.workers is not None else (0 if kind == "sqlite" else 2)
        for name in names:
            count = args.count or COUNTS[name]
            runs = []
            for _ in range(args.reps):
                with database(kind, args.pg_admin) as url:
                    runs.append(run_workflow(url, name, count, workers, args.timeout, args.profile, args.enqueue))
            runs.sort(key=lambda r: r["seconds"])
            best, median = runs[0], runs[len(runs) // 2]
            row = dict(median, db=kind, reps=args.reps, best_seconds=best["seconds"],
                       best_transitions_per_s=best["transitions_per_s"], best_executions_per_s=best["executions_per_s"])
            if args.json:
                print(json.dumps(row), flush=True)
                continue
            label = name + (" (3-state)" if name == THREE_STATE else "")
            extra = (f"  {row['commits']}, {row['commit_s']}s, {row['writes_per_commit']:g}, "
                     f"{row['events_per_commit']:g}") if "commits" in row else ""
            print(f"{kind:10s} {label:20s} {workers:2d} {count:6d} {row['transitions']:11d} "
                  f"{best['transitions_per_s']:18,d} {median['transitions_per_s']:7,d} "
                  f"{best['executions_per_s']:17,.0f} {median['executions_per_s']:7,.0f}{extra}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
