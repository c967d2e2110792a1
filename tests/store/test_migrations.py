"""Migrations: a database upgraded from any version has exactly the schema of a fresh one."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from stepline.store import open_store
from stepline.store.base import COLUMNS
from stepline.store.schema import LATEST, MIGRATIONS


def _squash(sql: str | None) -> str | None:
    return None if sql is None else re.sub(r"\s+", " ", sql).strip()


def sqlite_schema(url: str) -> dict[str, Any]:
    """Tables, their columns (in order, with type, NOT NULL, default, primary key position),
    indexes (unique, origin, partial, columns, the statement for a partial one's WHERE) and
    foreign keys."""
    conn = sqlite3.connect(url[len("sqlite:///"):])
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        schema: dict[str, Any] = {}
        for table in tables:
            indexes = []
            for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})"):
                columns = [row[2] for row in conn.execute(f"PRAGMA index_info({name})")]
                sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                                   (name,)).fetchone()
                indexes.append((name, unique, origin, partial, columns, _squash(sql[0] if sql else None)))
            schema[table] = {
                "columns": [row[1:] for row in conn.execute(f"PRAGMA table_info({table})")],
                "indexes": sorted(indexes),
                "foreign_keys": sorted(row[2:] for row in conn.execute(f"PRAGMA foreign_key_list({table})")),
            }
        return schema
    finally:
        conn.close()


def postgres_schema(url: str) -> dict[str, Any]:
    """Tables, their columns (in order, with type, nullability, default), indexes (with their
    definitions) and constraints (with their definitions)."""
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")]
        schema: dict[str, Any] = {}
        for table in tables:
            schema[table] = {
                "columns": conn.execute(
                    "SELECT column_name, data_type, is_nullable, column_default, character_maximum_length, "
                    "numeric_precision FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = %s ORDER BY ordinal_position", (table,)).fetchall(),
                "indexes": conn.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s "
                    "ORDER BY indexname", (table,)).fetchall(),
                "constraints": conn.execute(
                    "SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                    "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                    "WHERE n.nspname = 'public' AND t.relname = %s ORDER BY c.conname", (table,)).fetchall(),
            }
        return schema


def schema_of(url: str) -> dict[str, Any]:
    return sqlite_schema(url) if url.startswith("sqlite:") else postgres_schema(url)


def migrated(url: str, *targets: int | None) -> int:
    store = open_store(url)
    try:
        for target in targets:
            assert store.migrate(target) == (LATEST if target is None else target)
            assert store.schema_version() == (LATEST if target is None else target)
        return store.schema_version()
    finally:
        store.close()


@pytest.mark.parametrize("version", [version for version, _, _ in MIGRATIONS])
def test_upgrading_from_a_version_gives_the_fresh_schema(new_empty_db: Callable[[], str], version: int) -> None:
    fresh, upgraded = new_empty_db(), new_empty_db()
    migrated(fresh, None)
    migrated(upgraded, version, None)
    expected = schema_of(fresh)
    assert schema_of(upgraded) == expected
    # the comparison compares something: the tables the store reads and writes, with every
    # column an ExecutionRecord has
    assert {"definitions", "executions", "history", "stepline_schema"} <= set(expected)
    assert sorted(column[0] for column in expected["executions"]["columns"]) == sorted(COLUMNS)
    assert expected["executions"]["indexes"] and expected["history"]["indexes"]


def test_migrating_to_a_version_applies_no_later_migration(new_empty_db: Callable[[], str]) -> None:
    url = new_empty_db()
    assert migrated(url, 0) == 0
    assert set(schema_of(url)) == {"stepline_schema"}
    assert migrated(url, None, None) == LATEST
    store = open_store(url)
    try:
        assert store.migrate(0) == LATEST  # a migration is never undone
    finally:
        store.close()
    assert "executions" in schema_of(url)


def test_processes_migrating_one_postgresql_database_together_take_turns():
    """Several engines starting at once on a fresh database: each migrates or finds it done."""
    from concurrent.futures import ThreadPoolExecutor

    from stepline.store.postgres import PostgresStore

    from .conftest import _create_database, _drop_database, pg_url

    name = _create_database("template0")

    def migrate(_):
        store = PostgresStore(pg_url(name))
        try:
            return store.migrate()
        finally:
            store.close()

    try:
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(migrate, range(4))) == [LATEST] * 4
    finally:
        _drop_database(name)


def test_the_events_stored_before_history_rows_read_as_the_api_writes_them(new_empty_db: Callable[[], str]) -> None:
    """Version 5 keeps an event's text instead of its parts: the events stored before come
    through as GetExecutionHistory answers with them (the same values, to the last digit)."""
    import json

    from stepline.interpreter.history import Texts, details_text, event_text

    url = new_empty_db()
    assert migrated(url, 4) == 4
    store = open_store(url)
    arn = "arn:aws:states:us-east-1:123456789012:execution:m:e"
    events = [(1, 0, 1764818195.123456, "ExecutionStarted", {"input": {"a": [1, "é"]}, "roleArn": "arn:r"}),
              (2, 1, 1764818195.2, "PassStateEntered", {"name": "P", "input": {"a": 1}}),
              (3, 2, 1764818196.0, "MapIterationStarted", {"name": "M", "index": 0}),
              (4, 0, 1764818197.987654, "ExecutionAborted", None)]
    try:
        store.put_definition("0" * 64, "{}")
        with store._writing() as cur:  # (the rows as version 4 held them)
            cur.execute(store._sql("INSERT INTO executions (arn, name, state_machine_arn, state_machine_name, "
                                   "definition_hash, status, input, role_arn, start_time, region, account) "
                                   "VALUES (?, 'e', 'arn:sm', 'm', ?, 'ABORTED', '{}', 'arn:r', 1.0, 'r', 'a')"),
                        (arn, "0" * 64))
            for i, prev, ts, kind, details in events:
                cur.execute(store._sql("INSERT INTO events (execution_arn, id, type, previous_id, timestamp, details) "
                                       "VALUES (?, ?, ?, ?, ?, ?)"),
                            (arn, i, kind, prev, ts, None if details is None else details_text(details, Texts())))
        assert store.migrate() == LATEST
        found = store.get_events(arn)
    finally:
        store.close()
    assert [e.id for e in found] == [1, 2, 3, 4]
    for e, (i, prev, ts, kind, details) in zip(found, events, strict=True):
        expected = event_text(i, prev, ts, kind, None if details is None else details_text(details, Texts()))
        assert json.loads(e.text) == json.loads(expected)
