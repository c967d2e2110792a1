"""Migrations: a database upgraded from any version has exactly the schema of a fresh one."""

from __future__ import annotations

import re
import sqlite3
from typing import Any, Callable

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
                sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()
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
    assert {"definitions", "executions", "events", "stepline_schema"} <= set(expected)
    assert sorted(column[0] for column in expected["executions"]["columns"]) == sorted(COLUMNS)
    assert expected["executions"]["indexes"] and expected["events"]["indexes"]


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
