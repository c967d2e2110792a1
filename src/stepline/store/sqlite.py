"""The embedded store: one SQLite file in WAL mode.

SQLite allows one writer at a time. **Every write in this process goes through**
:meth:`SqliteStore._writing`: one connection, one lock, ``BEGIN IMMEDIATE`` (so the write
lock is taken up front, never upgraded mid-transaction), ``synchronous=FULL`` (a commit is on
disk before anyone is told it happened). Other processes serialise on the file lock and wait
up to ``busy_timeout``. Reads use a connection per thread and never block the writer (WAL).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from typing import Any, Iterator

from .base import StoreError
from .sql import SqlStore

BUSY_TIMEOUT_MS = 10_000


class SqliteStore(SqlStore):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
        self._write_lock = threading.Lock()
        self._writer = self._connect()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the SQLite database {self.path}: {e}") from e
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError("the store is closed")
            conn = self._local.conn = self._connect()
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        if self._closed:
            raise StoreError("the store is closed")
        with self._write_lock:  # the one place where this process's writers are serialised
            cur = self._writer.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                yield cur
                cur.execute("COMMIT")
            except BaseException as e:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise StoreError(f"SQLite: {e}") from e
                raise
            finally:
                cur.close()

    def _query(self, text: str, params: Any = ()) -> list[tuple]:
        try:
            return super()._query(text, params)
        except sqlite3.Error as e:
            raise StoreError(f"SQLite: {e}") from e

    def close(self) -> None:
        self._closed = True
        with self._write_lock:
            self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
