"""The shared store: PostgreSQL, for several engine processes on several machines.

Each thread has a connection of its own (a psycopg connection serves one statement at a
time, so a shared one would serialise the threads); it is closed when the thread ends or the
store closes. Writes run in a plain transaction per :meth:`PostgresStore._writing`; a read
ends its implicit transaction at once, so no connection sits idle in a transaction (holding
back vacuum and locks). Engines take work with ``FOR UPDATE SKIP LOCKED``, so two engines
never claim the same execution and neither waits for the other, and wake each other with
``NOTIFY stepline_work``. A waiting thread ``LISTEN``s on an autocommit connection of its own:
notifications arrive only between transactions, and from its first :meth:`~PostgresStore.wait`
on none is lost (those that come between waits are delivered by the next one).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg

from .base import COLUMNS, MUTABLE, CommitResult, StoreError, StoreRefusedValue, Write, writable
from .sql import SqlStore

logger = logging.getLogger("stepline.store")

CHANNEL = "stepline_work"
CONNECT_TIMEOUT_S = 10
MIGRATION_LOCK = 0x5354_4550  # pg_advisory_lock key held while migrating ("STEP")

#: a commit's batch of new or updated executions at least this big goes through a COPY into a
#: temporary table and one INSERT … SELECT / UPDATE … FROM (below: a pipelined executemany)
COPY_ROWS = 16
_NEW = "stepline_new_executions"
_UPDATES = "stepline_updated_executions"
_TEMP_TABLES = (
    (f"CREATE TEMP TABLE IF NOT EXISTS {_NEW} ON COMMIT DELETE ROWS AS "
     f"SELECT {', '.join(COLUMNS)} FROM executions WITH NO DATA"),
    (f"CREATE TEMP TABLE IF NOT EXISTS {_UPDATES} ON COMMIT DELETE ROWS AS "
     f"SELECT {', '.join(MUTABLE)}, arn, lease_owner AS fence FROM executions WITH NO DATA"),
)
_INSERT_NEW = (f"INSERT INTO executions ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM {_NEW} "
               "ON CONFLICT DO NOTHING RETURNING arn")
_UPDATE_FROM = (f"UPDATE executions AS e SET {', '.join(f'{c} = u.{c}' for c in MUTABLE)} FROM {_UPDATES} AS u "
                "WHERE e.arn = u.arn AND (u.fence IS NULL OR e.lease_owner = u.fence) RETURNING e.arn")


class _Held:
    """A thread's connection, kept in a thread-local slot: it closes when the thread ends
    (and drops the slot) or when the store closes."""

    __slots__ = ("conn", "__weakref__")

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


class PostgresStore(SqlStore):
    dialect = "postgresql"
    placeholder = "%s"
    claim_lock = " FOR UPDATE SKIP LOCKED"
    float_text = "CAST({} AS TEXT)"  # (the shortest exact text: PostgreSQL 12 and later)

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False

    # -- connections ------------------------------------------------------------------

    def _open(self, autocommit: bool = False) -> _Held:
        try:
            conn = psycopg.connect(self.url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as e:
            raise StoreError(f"cannot connect to PostgreSQL: {e}") from e
        held = _Held(conn)
        with self._lock:
            if self._closed:
                conn.close()
                raise StoreError("the store is closed")
            self._held.add(held)
        return held

    def _reader(self) -> psycopg.Connection[Any]:
        """This thread's connection (for reads and writes), opened on first use or after it broke."""
        held: _Held | None = getattr(self._local, "conn", None)
        if held is None or held.conn.closed:
            held = self._local.conn = self._open()
        return held.conn

    @contextlib.contextmanager
    def _writing(self) -> Iterator[psycopg.Cursor[Any]]:
        conn = self._reader()
        try:
            with conn.cursor() as cur:
                yield cur
            conn.commit()
        except BaseException as e:
            _rollback(conn)
            if isinstance(e, (psycopg.DataError, UnicodeError, OverflowError)):  # a value it cannot hold
                raise StoreRefusedValue(f"PostgreSQL: {writable(e)}") from e
            if isinstance(e, psycopg.Error):
                raise StoreError(f"PostgreSQL: {e}") from e
            raise

    def _query(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return super()._query(text, params)
        except psycopg.Error as e:
            raise StoreError(f"PostgreSQL: {e}") from e

    # -- the commit's batches ---------------------------------------------------------
    #
    # A batch of executions is streamed with COPY into a temporary table (one per connection,
    # made by its first commit, emptied by every commit) and applied by one statement whose
    # RETURNING says which rows applied. A statement per row, even pipelined, costs the server
    # and the driver several times more. Events are COPYed into their table directly. (Like
    # LISTEN, this needs a connection of its own: no pooler in transaction mode.)

    def commit(self, writes: Iterable[Write]) -> CommitResult:
        conn = self._reader()
        if getattr(self._local, "temp_tables", (None,))[0] is not conn:
            self._local.temp_tables = (conn, self._make_temp_tables())
        return super().commit(writes)

    def _make_temp_tables(self) -> bool:
        """Make this connection's temporary tables, in a transaction of their own (so that a
        failing commit does not take them away); False if the database refuses (no TEMP
        privilege): then batches go as pipelined statements."""
        try:
            with self._writing() as cur:
                for statement in _TEMP_TABLES:
                    cur.execute(statement)
        except StoreError as e:
            logger.warning("no temporary tables for batched commits (%s): one statement per row instead", e)
            return False
        return True

    def _copies(self, rows: list[tuple], arns: list[str]) -> bool:
        """Whether this batch goes through a temporary table: big enough, each execution once."""
        return len(rows) >= COPY_ROWS and self._local.temp_tables[1] and len(set(arns)) == len(arns)

    def _insert_executions(self, cur: psycopg.Cursor[Any], rows: list[tuple]) -> list[int]:
        arns = [row[0] for row in rows]
        if not self._copies(rows, arns):
            return super()._insert_executions(cur, rows)
        _copy(cur, f"COPY {_NEW} ({', '.join(COLUMNS)}) FROM STDIN", rows)
        cur.execute(_INSERT_NEW)
        applied = {row[0] for row in cur.fetchall()}
        return [] if len(applied) == len(rows) else [i for i, arn in enumerate(arns) if arn not in applied]

    def _update_executions(self, cur: psycopg.Cursor[Any], rows: list[tuple]) -> list[int]:
        arn_at = len(MUTABLE)
        arns = [row[arn_at] for row in rows]
        if not self._copies(rows, arns):
            return super()._update_executions(cur, rows)
        _copy(cur, f"COPY {_UPDATES} ({', '.join(MUTABLE)}, arn, fence) FROM STDIN", rows)
        cur.execute(_UPDATE_FROM)
        applied = {row[0] for row in cur.fetchall()}
        return [] if len(applied) == len(rows) else [i for i, arn in enumerate(arns) if arn not in applied]

    def _insert_history(self, cur: psycopg.Cursor[Any], rows: list[tuple]) -> None:
        _copy(cur, "COPY history (execution_arn, first_id, last_id, body) FROM STDIN", rows)

    def _end_read(self, conn: psycopg.Connection[Any]) -> None:
        _rollback(conn)  # a read opened a transaction: end it, there is nothing to keep

    def close(self) -> None:
        with self._lock:
            self._closed = True
            held = list(self._held)
        for h in held:
            h.conn.close()

    def migrate(self, target: int | None = None) -> int:
        """Migrate under a session advisory lock: processes starting together on one database
        take turns, and the later ones find the schema already current."""
        conn = self._reader()
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            conn.commit()
        except psycopg.Error as e:
            _rollback(conn)
            raise StoreError(f"PostgreSQL: {e}") from e
        try:
            return super().migrate(target)
        finally:
            with contextlib.suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
                conn.commit()

    # -- notifications ----------------------------------------------------------------

    def notify(self) -> None:
        with self._writing() as cur:
            cur.execute(f"NOTIFY {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        conn = self._listener()
        try:
            for _ in conn.notifies(timeout=timeout, stop_after=1):
                return True
            return False
        except psycopg.Error as e:
            conn.close()  # the next wait listens again, on a new connection
            raise StoreError(f"PostgreSQL: {e}") from e

    def _listener(self) -> psycopg.Connection[Any]:
        """This thread's autocommit connection that LISTENs (notifications come between transactions)."""
        held: _Held | None = getattr(self._local, "listener", None)
        if held is None or held.conn.closed:
            held = self._open(autocommit=True)
            try:
                held.conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as e:
                held.conn.close()
                raise StoreError(f"PostgreSQL: {e}") from e
            self._local.listener = held
        return held.conn


def _copy(cur: psycopg.Cursor[Any], statement: str, rows: list[tuple]) -> None:
    with cur.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def _rollback(conn: psycopg.Connection[Any]) -> None:
    """End the transaction in progress, if any; a broken connection is reopened on next use."""
    with contextlib.suppress(psycopg.Error):
        conn.rollback()
