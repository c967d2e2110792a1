"""The embedded store: one SQLite file in WAL mode.

SQLite allows one writer at a time. **Every write in this process goes through**
:meth:`SqliteStore._writing`: one connection, one lock, ``BEGIN IMMEDIATE`` (so the write
lock is taken up front, never upgraded mid-transaction), ``synchronous=FULL`` (a commit is on
disk before anyone is told it happened). Other processes serialise on the file lock and wait
up to ``busy_timeout``. Reads use a connection per thread and never block the writer (WAL).

A commit appends to the WAL and syncs it; copying the WAL's pages into the database file (a
checkpoint, which syncs the file too) is left to a thread of the store (:class:`_Checkpointer`),
between and during commits, so that the writer does not stall on it. The writer checkpoints
itself only if the WAL grows past ``WRITER_CHECKPOINT_PAGES`` (the thread fell behind).

SQLite has no notifications between processes: :meth:`SqliteStore.wait` watches the file's
``PRAGMA data_version`` instead, so an engine learns within ``WATCH_INTERVAL_S`` that another
process (a server beside a worker) committed work or a signal for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

from .base import StoreError, StoreRefusedValue, writable
from .sql import SqlStore

BUSY_TIMEOUT_MS = 10_000
WRITER_CACHE_KIB = 64 * 1024  # the writer's page cache: the indexes a commit updates stay in memory
WRITER_CHECKPOINT_PAGES = 10_000  # see the module doc (SQLite's default: 1,000)
WATCH_INTERVAL_S = 0.02  # how often wait() looks whether another process committed
CHECKPOINT_PAUSE_S = 0.1  # between the thread's checkpoints: a page written by several commits is copied once

logger = logging.getLogger("stepline.store")


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
        self._checkpointer: _Checkpointer | None = None
        self._seen_version: int | None = None  # PRAGMA data_version, as wait() last saw it
        if path != ":memory:":
            try:
                self._writer.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
                self._writer.execute(f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}")
            except sqlite3.Error as e:
                raise StoreError(f"cannot open the SQLite database {self.path}: {e}") from e

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
                if self.path != ":memory:":
                    if self._checkpointer is None:
                        self._checkpointer = _Checkpointer(self)
                    self._checkpointer.wanted.set()
            except BaseException as e:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                if isinstance(e, (UnicodeError, OverflowError)):  # a value SQLite's driver cannot bind
                    raise StoreRefusedValue(f"SQLite: {writable(e)}") from e
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

    def wait(self, timeout: float) -> bool:
        """True as soon as another process commits to the file (its ``PRAGMA data_version``, as
        this store's writer sees it, changes: this process writes through the writer alone, so
        its own commits do not count), False after ``timeout`` seconds without one."""
        deadline = time.monotonic() + timeout
        while True:
            version = self._data_version()
            last, self._seen_version = self._seen_version, version
            if last is not None and version != last:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(WATCH_INTERVAL_S, remaining))

    def _data_version(self) -> int:
        if self._closed:
            raise StoreError("the store is closed")
        with self._write_lock:
            try:
                return self._writer.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as e:
                raise StoreError(f"SQLite: {e}") from e

    def close(self) -> None:
        self._closed = True
        with self._write_lock:
            if self._checkpointer is not None:
                self._checkpointer.stop()
            self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()


class _Checkpointer:
    """A thread that copies the WAL into the database file (``PRAGMA wal_checkpoint(PASSIVE)``:
    it never waits for, nor blocks, readers and writers) after commits, on a connection of its
    own. The data is durable before: a commit syncs the WAL (``synchronous=FULL``)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stepline-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = self.store._connect()
        except StoreError as e:  # the writer checkpoints itself then
            logger.warning("no checkpoint thread: %s", e)
            return
        try:
            while not self._stopping.is_set():
                self.wanted.wait()
                self.wanted.clear()
                if self._stopping.is_set():
                    break
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as e:  # e.g. another process checkpoints: the next one will do
                    logger.debug("checkpoint of %s: %s", self.store.path, e)
                self._stopping.wait(CHECKPOINT_PAUSE_S)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self.wanted.set()
        self._thread.join(10)
