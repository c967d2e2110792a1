"""The databases of the store tests: every test here runs on SQLite and on PostgreSQL."""

from tests.store.conftest import db, open_db, pg_template, store  # noqa: F401 - fixtures
