"""``python -m stepline.bench.durable`` runs and counts what it should (a few executions)."""

from __future__ import annotations

import json

import pytest

from stepline.bench import durable


def rows(capsys: pytest.CaptureFixture, argv: list[str]) -> list[dict]:
    assert durable.main(argv + ["--reps", "1", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sqlite_in_process(capsys: pytest.CaptureFixture) -> None:
    got = rows(capsys, ["--db", "sqlite", "--workflow", "many-small", "--workflow", "parallel-fanout",
                        "--count", "20"])
    assert [(r["workflow"], r["executions"], r["transitions"]) for r in got] == [
        ("many-small", 20, 60), ("parallel-fanout", 20, 20 * 101)]
    assert all(r["commits"] >= 1 and r["executions_per_s"] > 0 for r in got)


def test_sqlite_in_process_claiming_enqueued_executions(capsys: pytest.CaptureFixture) -> None:
    [got] = rows(capsys, ["--db", "sqlite", "--workflow", "task-echo", "--count", "30", "--enqueue"])
    assert (got["transitions"], got["events"]) == (30, 30 * 7)


def test_postgresql_with_a_worker_process(capsys: pytest.CaptureFixture) -> None:
    [got] = rows(capsys, ["--db", "postgresql", "--workers", "1", "--workflow", "task-echo", "--count", "30"])
    assert (got["workers"], got["transitions"]) == (1, 30)
