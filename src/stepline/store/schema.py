"""The schema, as numbered migrations: every SQL statement that creates or changes it.

The same statements run on SQLite and PostgreSQL (``DOUBLE PRECISION`` is REAL to SQLite;
``FLOAT_TEXT(x)`` is a number's text, exact, in each one's words).
A database records its version in ``stepline_schema``; ``migrate`` applies the missing
migrations in order, each in its own transaction. Never edit a released migration: add one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "executions, their history, and the definitions they run", [
        """CREATE TABLE definitions (
            hash TEXT PRIMARY KEY,
            body TEXT NOT NULL
        )""",
        """CREATE TABLE executions (
            arn TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            state_machine_arn TEXT NOT NULL,
            state_machine_name TEXT NOT NULL,
            definition_hash TEXT NOT NULL REFERENCES definitions (hash),
            status TEXT NOT NULL,
            input TEXT NOT NULL,
            role_arn TEXT NOT NULL,
            start_time DOUBLE PRECISION NOT NULL,
            type TEXT NOT NULL DEFAULT 'STANDARD',
            output TEXT,
            error TEXT,
            cause TEXT,
            stop_time DOUBLE PRECISION,
            region TEXT NOT NULL,
            account TEXT NOT NULL,
            redrive_count INTEGER NOT NULL DEFAULT 0,
            redrive_time DOUBLE PRECISION,
            parent_arn TEXT,
            version_arn TEXT,
            alias_arn TEXT,
            map_run_arn TEXT,
            trace_header TEXT,
            event_count INTEGER NOT NULL DEFAULT 0,
            snapshot TEXT,
            wake_at DOUBLE PRECISION,
            lease_owner TEXT,
            lease_until DOUBLE PRECISION,
            UNIQUE (state_machine_arn, name)
        )""",
        "CREATE INDEX executions_due ON executions (wake_at) WHERE wake_at IS NOT NULL",
        "CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_time)",
        "CREATE INDEX executions_closed ON executions (stop_time) WHERE stop_time IS NOT NULL",
        """CREATE TABLE events (
            execution_arn TEXT NOT NULL,
            id INTEGER NOT NULL,
            type TEXT NOT NULL,
            previous_id INTEGER NOT NULL,
            timestamp DOUBLE PRECISION NOT NULL,
            details TEXT,
            PRIMARY KEY (execution_arn, id)
        )""",
    ]),
    (2, "the service's resources (state machines, versions, aliases, activities, connections, map runs), "
        "signals to running executions, activity tasks", [
        """CREATE TABLE resources (
            arn TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            parent TEXT,
            created DOUBLE PRECISION NOT NULL,
            revision INTEGER NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX resources_by_kind ON resources (kind, parent, created, arn)",
        """CREATE TABLE signals (
            id TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX signals_by_execution ON signals (execution_arn, created)",
        """CREATE TABLE activity_tasks (
            token TEXT PRIMARY KEY,
            activity_arn TEXT NOT NULL,
            execution_arn TEXT NOT NULL,
            input TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            worker TEXT,
            taken DOUBLE PRECISION
        )""",
        "CREATE INDEX activity_tasks_waiting ON activity_tasks (activity_arn, created) WHERE taken IS NULL",
    ]),
    (3, "nested executions (the parent's task waiting for a child) and mock test cases", [
        "ALTER TABLE executions ADD COLUMN parent_token TEXT",
        "ALTER TABLE executions ADD COLUMN parent_wait TEXT",
        "ALTER TABLE executions ADD COLUMN test_case TEXT",
        "CREATE INDEX executions_by_parent ON executions (parent_arn) WHERE parent_arn IS NOT NULL",
    ]),
    (4, "task tokens handed out (callbacks, activity tasks): each is answered once; the engines alive", [
        """CREATE TABLE task_tokens (
            token TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            closed INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX task_tokens_by_execution ON task_tokens (execution_arn)",
        """CREATE TABLE engines (
            owner TEXT PRIMARY KEY,
            seen DOUBLE PRECISION NOT NULL
        )""",
    ]),
    (5, "history rows of many events each, the text of each event as the API answers with it", [
        """CREATE TABLE history (
            execution_arn TEXT NOT NULL,
            first_id INTEGER NOT NULL,
            last_id INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (execution_arn, first_id)
        )""",
        # each stored event a row of its own, written as the API writes it (the old rows held its parts)
        """INSERT INTO history (execution_arn, first_id, last_id, body)
        SELECT execution_arn, id, id, '{"timestamp":' || FLOAT_TEXT(timestamp) || ',"type":"' || type || '","id":'
            || CAST(id AS TEXT) || ',"previousEventId":' || CAST(previous_id AS TEXT) || CASE
            WHEN details IS NULL THEN '}'
            WHEN type LIKE '%StateEntered' THEN ',"stateEnteredEventDetails":' || details || '}'
            WHEN type LIKE '%StateExited' THEN ',"stateExitedEventDetails":' || details || '}'
            ELSE ',"' || LOWER(SUBSTR(type, 1, 1)) || SUBSTR(type, 2) || 'EventDetails":' || details || '}' END
        FROM events""",
        "DROP TABLE events",
    ]),
    (6, "what each engine alive has in hand (milliseconds of tasks in flight): the least loaded takes new work", [
        "ALTER TABLE engines ADD COLUMN work_ms INTEGER NOT NULL DEFAULT 0",
    ]),
]

LATEST = MIGRATIONS[-1][0]

CREATE_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS stepline_schema (version INTEGER NOT NULL)"
