"""Databases for the store tests: every test runs on SQLite and on PostgreSQL.

SQLite gets a file in the test's tmp directory. PostgreSQL gets a fresh database per test,
cloned from a template migrated once per session (a clone is a file copy: much faster than
migrating). PostgreSQL must be reachable: without it these tests fail, they never skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from stepline.store import Store, open_store
from stepline.store.sqlite import SqliteStore

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pg_url(database: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def admin(sql: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on the admin database (autocommit: CREATE/DROP DATABASE need it)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def _create_database(template: str) -> str:
    name = f"stepline_t_{uuid.uuid4().hex}"
    admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


def _drop_database(name: str) -> None:
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A database with the latest schema, to clone; its name is unique to this session, so
    concurrent test runs do not collide (a template cannot be cloned while in use)."""
    name = f"stepline_template_{uuid.uuid4().hex[:12]}"
    admin(f"CREATE DATABASE {name} TEMPLATE template0")
    try:
        store = open_store(pg_url(name))
        store.migrate()
        store.close()
        yield name
    finally:
        _drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of a migrated, empty database."""
    if request.param == "sqlite":
        path = str(tmp_path / "stepline.db")
        store = SqliteStore(path)
        store.migrate()
        store.close()
        yield f"sqlite:///{path}"
        return
    name = _create_database(request.getfixturevalue("pg_template"))
    try:
        yield pg_url(name)
    finally:
        _drop_database(name)


@pytest.fixture
def open_db(db: str) -> Iterator[Callable[[], Store]]:
    """Open another store on the test's database (another engine, in effect); all are closed
    at the end of the test."""
    opened: list[Store] = []

    def open_() -> Store:
        opened.append(open_store(db))
        return opened[-1]

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_db: Callable[[], Store]) -> Store:
    return open_db()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_empty_db(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[[], str]]:
    """Make databases with no schema at all (all of the test's parameter's kind)."""
    made: list[str] = []

    def make() -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"
        made.append(_create_database("template0"))
        return pg_url(made[-1])

    yield make
    for name in made:
        _drop_database(name)
