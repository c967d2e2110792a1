"""The engine runs on both databases: the same fixtures as the store's contract tests."""

from tests.store.conftest import db, pg_template  # noqa: F401 - fixtures
