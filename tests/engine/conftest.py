"""The engine runs on both databases: the same fixtures as the store's contract tests."""

from tests.engine.test_durable import harness  # noqa: F401, E402 - a fixture, for every engine test
from tests.store.conftest import db, pg_template  # noqa: F401 - fixtures
