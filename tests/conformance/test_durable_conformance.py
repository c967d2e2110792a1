"""The recorded executions again, run by the durable engine (``stepline server``/``worker``)
on SQLite and on PostgreSQL: the history it stores, read back from the database, is what AWS
recorded, exactly as for ``stepline run`` (the same cases, the same unmatchable ones).

All the executions of a database run at once, as a server's would: one engine per functions
file the cases name (each serves its own Lambda functions), each with a database of its own.
The engine runs in real time, so the cases' waits and retry intervals really pass (about half
a minute in all, overlapping).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.engine.durable import Engine
from stepline.engine.records import standard_start
from stepline.integrations import Functions, Integrations
from stepline.integrations.functions import load_module
from stepline.store import open_store
from tests.store.conftest import _create_database, _drop_database, pg_template, pg_url  # noqa: F401 - fixture

from .test_conformance import assert_conforms, recorded_cases

ACCOUNT = "111111111111"  # the recordings' account
DEADLINE_S = 180


def _group(case: pathlib.Path) -> str:
    """Cases run by one engine: those naming the same functions file (by content)."""
    meta = json.loads((case / "meta.json").read_text())
    if not meta.get("functions"):
        return ""
    return hashlib.sha1((case / meta["functions"]).read_bytes()).hexdigest()[:12]


def _run_group(url: str, cases: list[pathlib.Path]) -> dict[str, dict]:
    store = open_store(url)
    store.migrate()
    functions = Functions()
    meta = json.loads((cases[0] / "meta.json").read_text())
    if meta.get("functions"):
        functions.add_module(load_module(str(cases[0] / meta["functions"])))
    engine = Engine(store, Integrations(functions, account=ACCOUNT), poll_interval=0.05)
    engine.run_in_thread()
    try:
        started = []
        for case in cases:
            machine = "m" + hashlib.sha1(case.name.encode()).hexdigest()[:12]
            future = engine.start_execution(standard_start(
                f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{machine}", (case / "definition.json").read_text(),
                (case / "input.json").read_text()))
            started.append((case, future.result(30).arn))
        deadline = time.monotonic() + DEADLINE_S
        results = {}
        for case, arn in started:
            record = store.get_execution(arn)
            while record.status == "RUNNING" and time.monotonic() < deadline:
                time.sleep(0.05)
                record = store.get_execution(arn)
            results[case.name] = _as_recorded(store, record)
        return results
    finally:
        engine.shutdown()
        store.close()


def _as_recorded(store: Any, record: Any) -> dict:
    history = [json.loads(e.text) for e in store.get_events(record.arn)]
    return {"status": record.status, "error": record.error, "cause": record.cause,
            "output": json.loads(record.output) if record.output is not None else None, "history": history}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def durable_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Case name -> what the durable engine stored for it, on one database kind."""
    groups: dict[str, list[pathlib.Path]] = defaultdict(list)
    for param in recorded_cases():
        case = param.values[0]
        groups[_group(case)].append(case)
    results: dict[str, dict] = {}
    made: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEPLINE_ACCOUNT", ACCOUNT)
        try:
            for cases in groups.values():
                if request.param == "sqlite":
                    url = f"sqlite:///{tmp_path_factory.mktemp('durable-conformance') / 'stepline.db'}"
                else:
                    made.append(_create_database(request.getfixturevalue("pg_template")))
                    url = pg_url(made[-1])
                results.update(_run_group(url, cases))
            yield results
        finally:
            for name in made:
                _drop_database(name)


@pytest.mark.parametrize("case", recorded_cases())
def test_the_durable_engine_stores_what_aws_recorded(case: pathlib.Path, durable_runs: dict) -> None:
    assert_conforms(case, durable_runs[case.name])
