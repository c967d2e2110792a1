"""The SQL both stores share. Subclasses provide connections and a few dialect differences.

Statements are written with ``?`` placeholders; :attr:`SqlStore.placeholder` rewrites them
for drivers that use ``%s``.
"""

from __future__ import annotations

import abc
import contextlib
import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .base import (
    COLUMNS,
    EVENTS_PER_ROW,
    MUTABLE,
    ActivityTask,
    CommitResult,
    ExecutionRecord,
    Resource,
    Signal,
    Store,
    StoredEvent,
    Write,
)
from .schema import CREATE_VERSION_TABLE, LATEST, MIGRATIONS

_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM executions"
_INSERT = (f"INSERT INTO executions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
           "ON CONFLICT DO NOTHING")
_UPDATE = f"UPDATE executions SET {', '.join(c + ' = ?' for c in MUTABLE)} WHERE arn = ?"
_UPDATE_FENCED = _UPDATE + " AND lease_owner = ?"
_WAKE_AT = COLUMNS.index("wake_at")
_INSERT_HISTORY = "INSERT INTO history (execution_arn, first_id, last_id, body) VALUES (?, ?, ?, ?)"


class SqlStore(Store):
    placeholder = "?"
    #: appended to the subquery that picks due executions (PostgreSQL: FOR UPDATE SKIP LOCKED)
    claim_lock = ""

    # -- connections (subclasses) ---------------------------------------------------

    @abc.abstractmethod
    def _reader(self) -> Any:
        """A connection for reads in this thread."""

    @abc.abstractmethod
    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        """A cursor inside a write transaction, committed on exit (rolled back on error)."""

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def _query(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        conn = self._reader()
        try:
            return conn.execute(self._sql(text), params).fetchall()
        finally:
            self._end_read(conn)  # on error too: PostgreSQL would refuse the next statement

    def _end_read(self, conn: Any) -> None:
        """Readers do not keep transactions open (PostgreSQL: end the implicit one)."""

    # -- schema -----------------------------------------------------------------------

    def schema_version(self) -> int:
        with self._writing() as cur:
            cur.execute(CREATE_VERSION_TABLE)
            cur.execute("SELECT version FROM stepline_schema")
            row = cur.fetchone()
        return row[0] if row else 0

    #: ``FLOAT_TEXT(x)`` in a migration: the exact text of a number (see :mod:`.schema`)
    float_text = "printf('%!.17g', {})"

    def migrate(self, target: int | None = None) -> int:
        target = LATEST if target is None else target
        current = self.schema_version()
        for version, _, statements in MIGRATIONS:
            if current < version <= target:
                with self._writing() as cur:
                    for statement in statements:
                        cur.execute(re.sub(r"FLOAT_TEXT\((\w+)\)", lambda m: self.float_text.format(m.group(1)),
                                           statement))
                    cur.execute("DELETE FROM stepline_schema")
                    cur.execute(self._sql("INSERT INTO stepline_schema (version) VALUES (?)"), (version,))
                current = version
        return current

    # -- definitions --------------------------------------------------------------------

    def put_definition(self, hash: str, body: str) -> None:
        with self._writing() as cur:
            cur.execute(self._sql("INSERT INTO definitions (hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                        (hash, body))

    def get_definition(self, hash: str) -> str | None:
        rows = self._query("SELECT body FROM definitions WHERE hash = ?", (hash,))
        return rows[0][0] if rows else None

    # -- writes -------------------------------------------------------------------------

    def commit(self, writes: Iterable[Write]) -> CommitResult:
        """One transaction, a few statements whatever the number of writes: the new rows, the
        updates and the events each go to the database as one batch (:meth:`_insert_executions`,
        :meth:`_update_executions`, :meth:`_insert_events`), in that order."""
        writes = writes if isinstance(writes, list) else list(writes)
        result = CommitResult(lost=[], exists=[])
        with self._writing() as cur:
            self._apply_writes(cur, writes, result)
            refused = set(result.exists).union(result.lost) if result.exists or result.lost else ()
            children = [c for w in writes if w.children and w.record.arn not in refused for c in w.children]
            if children:  # (not fenced: they follow their parent, whose lease was checked above)
                self._apply_writes(cur, children, CommitResult(lost=[], exists=[]))
            rows = [row for w in [*writes, *children] if w.events and w.record.arn not in refused
                    for row in _history_rows(w)]
            if rows:
                self._insert_history(cur, rows)
            self._commit_side_rows(cur, writes, result)
        return result

    def _apply_writes(self, cur: Any, writes: list[Write], result: CommitResult) -> None:
        """Insert the new rows and update the others; what was refused goes into ``result``."""
        new = [w for w in writes if w.new]
        updates = [w for w in writes if not w.new] if len(new) < len(writes) else []
        if new:
            for i in self._insert_executions(cur, [_values(w.record) for w in new]):
                result.exists.append(new[i].record.arn)
        if updates:
            for i in self._update_executions(cur, [_mutable(w.record) + (w.owner,) for w in updates]):
                result.lost.append(updates[i].record.arn)

    def _insert_executions(self, cur: Any, rows: list[tuple]) -> list[int]:
        """Insert new executions (rows of :data:`COLUMNS`); the indexes of the rows refused
        because the ARN or the name is taken."""
        return self._apply_batch(cur, _INSERT, rows)

    def _update_executions(self, cur: Any, rows: list[tuple]) -> list[int]:
        """Update executions (rows of :data:`MUTABLE`, ``arn``, then the owner that must hold
        the lease, or None); the indexes of the rows that changed nothing (lease lost, or no
        such execution)."""
        refused: list[int] = []
        plain = [i for i, row in enumerate(rows) if row[-1] is None]
        fenced = [i for i, row in enumerate(rows) if row[-1] is not None] if len(plain) < len(rows) else []
        for indexes, sql, params in ((plain, _UPDATE, [rows[i][:-1] for i in plain]),
                                     (fenced, _UPDATE_FENCED, [rows[i] for i in fenced])):
            if indexes:
                refused.extend(indexes[j] for j in self._apply_batch(cur, sql, params))
        return sorted(refused)

    def _apply_batch(self, cur: Any, sql: str, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Run ``sql`` (an INSERT … ON CONFLICT DO NOTHING or a fenced UPDATE: each row
        changes one row or none) for every row; return the indexes of the rows that changed
        nothing. All at once under a savepoint; if any changed nothing (a name taken, a lease
        lost: rare), back to the savepoint and again one by one to learn which."""
        sql = self._sql(sql)
        if len(rows) == 1:
            cur.execute(sql, rows[0])
            return [] if cur.rowcount == 1 else [0]
        cur.execute("SAVEPOINT stepline_batch")
        cur.executemany(sql, rows)
        if cur.rowcount == len(rows):
            return []
        cur.execute("ROLLBACK TO SAVEPOINT stepline_batch")
        refused = []
        for i, row in enumerate(rows):
            cur.execute(sql, row)
            if cur.rowcount != 1:
                refused.append(i)
        return refused

    def _insert_history(self, cur: Any, rows: list[tuple]) -> None:
        """Append history rows: (execution_arn, first_id, last_id, body)."""
        cur.executemany(self._sql(_INSERT_HISTORY), rows)

    def _commit_side_rows(self, cur: Any, writes: Iterable[Write], result: CommitResult) -> None:
        """The signals, activity tasks that go with the writes that applied."""
        refused = set(result.lost) | set(result.exists) if result.lost or result.exists else ()
        done: list[tuple] = []
        tasks: list[tuple] = []
        tasks_done: list[tuple] = []
        resources: list[tuple] = []
        signals: list[tuple] = []
        opened: list[tuple] = []
        closed: list[tuple] = []
        ended: list[tuple] = []
        for w in writes:
            if w.record.arn in refused:
                continue
            if w.ends_tokens:
                ended.append((w.record.arn,))
            if w.tokens_open:
                opened.extend((t, w.record.arn, w.record.wake_at or 0.0) for t in w.tokens_open)
            if w.tokens_closed:
                closed.extend((t,) for t in w.tokens_closed)
            if not (w.signals_done or w.activity_tasks or w.activity_tasks_done or w.resources or w.signals_out):
                continue
            signals.extend((s.id, s.execution_arn, s.kind, s.body, s.created) for s in w.signals_out)
            resources.extend(_resource_values(r) for r in w.resources)
            done.extend((i,) for i in w.signals_done)
            tasks.extend((t.token, t.activity_arn, t.execution_arn, t.input, t.created) for t in w.activity_tasks)
            tasks_done.extend((t,) for t in w.activity_tasks_done)
        if done:
            cur.executemany(self._sql("DELETE FROM signals WHERE id = ?"), done)
        if tasks:
            cur.executemany(self._sql("INSERT INTO activity_tasks (token, activity_arn, execution_arn, input, created) "
                                      "VALUES (?, ?, ?, ?, ?)"), tasks)
        if tasks_done:
            cur.executemany(self._sql("DELETE FROM activity_tasks WHERE token = ?"), tasks_done)
        if resources:
            cur.executemany(self._sql(_UPSERT_RESOURCE), resources)
        if signals:  # as send_signal does: queued, and the receiver due now
            cur.executemany(self._sql("INSERT INTO signals (id, execution_arn, kind, body, created) "
                                      "VALUES (?, ?, ?, ?, ?)"), signals)
            cur.executemany(self._sql(_WAKE_FOR_SIGNAL), [(s[4], s[4], s[1]) for s in signals])
        if opened:
            cur.executemany(self._sql("INSERT INTO task_tokens (token, execution_arn, created) VALUES (?, ?, ?) "
                                      "ON CONFLICT DO NOTHING"), opened)
        if closed:
            cur.executemany(self._sql("UPDATE task_tokens SET closed = 1 WHERE token = ?"), closed)
        if ended:  # its tokens can never be answered now (its status says so)
            cur.executemany(self._sql("DELETE FROM task_tokens WHERE execution_arn = ?"), ended)

    # -- reads --------------------------------------------------------------------------

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        rows = self._query(_SELECT + " WHERE arn = ?", (arn,))
        return ExecutionRecord(*rows[0]) if rows else None

    def find_execution(self, state_machine_arn: str, name: str) -> ExecutionRecord | None:
        rows = self._query(_SELECT + " WHERE state_machine_arn = ? AND name = ?", (state_machine_arn, name))
        return ExecutionRecord(*rows[0]) if rows else None

    def list_executions(self, *, state_machine_arn: str | None = None, status: str | None = None,
                        map_run_arn: str | None = None, redriven: bool | None = None,
                        version_arn: str | None = None, alias_arn: str | None = None,
                        parent_arn: str | None = None, limit: int = 100,
                        after: tuple[float, str] | None = None) -> list[ExecutionRecord]:
        where: list[str] = []
        params: list[Any] = []
        if state_machine_arn is not None:
            where.append("state_machine_arn = ?")
            params.append(state_machine_arn)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        for column, value in (("map_run_arn", map_run_arn), ("version_arn", version_arn), ("alias_arn", alias_arn),
                              ("parent_arn", parent_arn)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if redriven is not None:
            where.append("redrive_count > 0" if redriven else "redrive_count = 0")
        if after is not None:
            where.append("(start_time < ? OR (start_time = ? AND arn < ?))")
            params += [after[0], after[0], after[1]]
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + \
            " ORDER BY start_time DESC, arn DESC LIMIT ?"
        params.append(limit)
        return [ExecutionRecord(*row) for row in self._query(sql, params)]

    def get_events(self, arn: str, *, after: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[StoredEvent]:
        # a row holds one event at least: ``limit`` rows hold the page's events
        if reverse:
            sql = ("SELECT first_id, body FROM history WHERE execution_arn = ?"
                   + (" AND first_id < ?" if after else "") + " ORDER BY first_id DESC")
            params: list[Any] = [arn] + ([after] if after else [])
        else:
            sql = "SELECT first_id, body FROM history WHERE execution_arn = ? AND last_id > ? ORDER BY first_id"
            params = [arn, after]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        out: list[StoredEvent] = []
        for first, body in self._query(sql, params):
            texts = body.split("\n")
            ids = range(first, first + len(texts))
            if reverse:
                out.extend(StoredEvent(i, t) for i, t in zip(reversed(ids), reversed(texts), strict=True)
                           if not after or i < after)
            else:
                out.extend(StoredEvent(i, t) for i, t in zip(ids, texts, strict=True) if i > after)
            if limit is not None and len(out) >= limit:
                break
        return out if limit is None else out[:limit]

    # -- the engine's work --------------------------------------------------------------

    def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[ExecutionRecord]:
        sql = (f"UPDATE executions SET lease_owner = ?, lease_until = ? WHERE arn IN ("
               f"SELECT arn FROM executions WHERE wake_at <= ? AND (lease_owner IS NULL OR lease_until < ?) "
               f"ORDER BY wake_at LIMIT ?{self.claim_lock}) RETURNING {', '.join(COLUMNS)}")
        with self._writing() as cur:
            cur.execute(self._sql(sql), (owner, lease_until, now, now, limit))
            rows = cur.fetchall()
        rows.sort(key=lambda row: row[_WAKE_AT])  # oldest due first (RETURNING keeps no order)
        return [ExecutionRecord(*row) for row in rows]

    def claim_arn(self, owner: str, arn: str, now: float, lease_until: float) -> ExecutionRecord | None:
        sql = (f"UPDATE executions SET lease_owner = ?, lease_until = ? WHERE arn = ? "
               f"AND (lease_owner IS NULL OR lease_until < ? OR lease_owner = ?) RETURNING {', '.join(COLUMNS)}")
        with self._writing() as cur:
            cur.execute(self._sql(sql), (owner, lease_until, arn, now, owner))
            rows = cur.fetchall()
        return ExecutionRecord(*rows[0]) if rows else None

    def renew(self, owner: str, arns: Sequence[str], lease_until: float) -> list[str]:
        if not arns:
            return []
        held: set[str] = set()
        with self._writing() as cur:
            for chunk in _chunks(list(arns), 500):
                marks = ", ".join("?" for _ in chunk)
                cur.execute(self._sql(f"UPDATE executions SET lease_until = ? WHERE lease_owner = ? "
                                      f"AND arn IN ({marks}) RETURNING arn"), [lease_until, owner, *chunk])
                held.update(row[0] for row in cur.fetchall())
        return [a for a in arns if a not in held]

    def beat(self, owner: str, now: float, alive_since: float, load: int = 0) -> list[int]:
        with self._writing() as cur:
            cur.execute(self._sql("INSERT INTO engines (owner, seen, work_ms) VALUES (?, ?, ?) ON CONFLICT (owner) "
                                  "DO UPDATE SET seen = excluded.seen, work_ms = excluded.work_ms"), (owner, now, load))
            cur.execute(self._sql("DELETE FROM engines WHERE seen < ?"), (now - 100 * (now - alive_since),))
            cur.execute(self._sql("SELECT work_ms FROM engines WHERE owner <> ? AND seen >= ?"), (owner, alive_since))
            rows = cur.fetchall()
        return [int(row[0]) for row in rows]

    def leave(self, owner: str) -> None:
        with self._writing() as cur:
            cur.execute(self._sql("DELETE FROM engines WHERE owner = ?"), (owner,))

    def next_wake(self, now: float) -> float | None:
        rows = self._query("SELECT MIN(wake_at) FROM executions WHERE wake_at IS NOT NULL "
                           "AND (lease_owner IS NULL OR lease_until < ?)", (now,))
        return rows[0][0] if rows else None

    # -- retention ----------------------------------------------------------------------

    def delete_closed_before(self, cutoff: float, limit: int = 1000) -> int:
        with self._writing() as cur:
            cur.execute(self._sql("SELECT arn FROM executions WHERE stop_time < ? AND status <> 'RUNNING' LIMIT ?"),
                        (cutoff, limit))
            arns = [row[0] for row in cur.fetchall()]
            for chunk in _chunks(arns, 500):
                marks = ", ".join("?" for _ in chunk)
                cur.execute(self._sql(f"DELETE FROM history WHERE execution_arn IN ({marks})"), chunk)
                cur.execute(self._sql(f"DELETE FROM executions WHERE arn IN ({marks})"), chunk)
                cur.execute(self._sql(f"DELETE FROM signals WHERE execution_arn IN ({marks})"), chunk)
                cur.execute(self._sql(f"DELETE FROM activity_tasks WHERE execution_arn IN ({marks})"), chunk)
                cur.execute(self._sql(f"DELETE FROM task_tokens WHERE execution_arn IN ({marks})"), chunk)
                cur.execute(self._sql(f"DELETE FROM resources WHERE parent IN ({marks})"), chunk)  # Map Runs
        return len(arns)

    # -- resources ----------------------------------------------------------------------

    def insert_resource(self, resource: Resource) -> bool:
        with self._writing() as cur:
            cur.execute(self._sql(_INSERT_RESOURCE), _resource_values(resource))
            return cur.rowcount == 1

    def update_resource(self, resource: Resource, expect_revision: int) -> bool:
        with self._writing() as cur:
            cur.execute(self._sql("UPDATE resources SET body = ?, revision = ? WHERE arn = ? AND revision = ?"),
                        (resource.body, expect_revision + 1, resource.arn, expect_revision))
            if cur.rowcount != 1:
                return False
        resource.revision = expect_revision + 1
        return True

    def get_resource(self, arn: str) -> Resource | None:
        rows = self._query(_SELECT_RESOURCE + " WHERE arn = ?", (arn,))
        return Resource(*rows[0]) if rows else None

    def list_resources(self, kind: str, *, parent: str | None = None, limit: int = 100,
                       after: tuple[float, str] | None = None) -> list[Resource]:
        where: list[str] = ["kind = ?"]
        params: list[Any] = [kind]
        if parent is not None:
            where.append("parent = ?")
            params.append(parent)
        if after is not None:
            where.append("(created > ? OR (created = ? AND arn > ?))")
            params.extend((after[0], after[0], after[1]))
        rows = self._query(f"{_SELECT_RESOURCE} WHERE {' AND '.join(where)} ORDER BY created, arn LIMIT ?",
                           (*params, limit))
        return [Resource(*row) for row in rows]

    def delete_resource(self, arn: str) -> bool:
        with self._writing() as cur:
            cur.execute(self._sql("DELETE FROM resources WHERE parent = ?"), (arn,))
            cur.execute(self._sql("DELETE FROM resources WHERE arn = ?"), (arn,))
            return cur.rowcount == 1

    # -- signals and activity tasks -------------------------------------------------------

    def send_signal(self, signal: Signal) -> bool:
        with self._writing() as cur:
            # wake_at now: an engine claims it if nobody holds it; the holder's commits set it anew
            cur.execute(self._sql(_WAKE_FOR_SIGNAL), (signal.created, signal.created, signal.execution_arn))
            if cur.rowcount != 1:
                return False
            cur.execute(self._sql("INSERT INTO signals (id, execution_arn, kind, body, created) "
                                  "VALUES (?, ?, ?, ?, ?)"),
                        (signal.id, signal.execution_arn, signal.kind, signal.body, signal.created))
        return True

    def task_token(self, token: str) -> bool | None:
        rows = self._query("SELECT closed FROM task_tokens WHERE token = ?", (token,))
        return None if not rows else not rows[0][0]

    def answer_task(self, token: str, signal: Signal, *, close: bool, adopt: bool = False) -> bool:
        try:
            with self._writing() as cur:
                if close:
                    cur.execute(self._sql("UPDATE task_tokens SET closed = 1 WHERE token = ? AND closed = 0"),
                                (token,))
                    if cur.rowcount != 1 and adopt:  # (of racing callers, one inserts the closed row)
                        cur.execute(self._sql("INSERT INTO task_tokens (token, execution_arn, created, closed) "
                                              "VALUES (?, ?, ?, 1) ON CONFLICT DO NOTHING"),
                                    (token, signal.execution_arn, signal.created))
                    if cur.rowcount != 1:
                        return False
                else:
                    cur.execute(self._sql("SELECT closed FROM task_tokens WHERE token = ?"), (token,))
                    row = cur.fetchone()
                    if (row is None and not adopt) or (row is not None and row[0]):
                        return False
                cur.execute(self._sql(_WAKE_FOR_SIGNAL), (signal.created, signal.created, signal.execution_arn))
                if cur.rowcount != 1:
                    raise _NotRunning  # the execution ended: roll the closing back, nothing was answered
                cur.execute(self._sql("INSERT INTO signals (id, execution_arn, kind, body, created) "
                                      "VALUES (?, ?, ?, ?, ?)"),
                            (signal.id, signal.execution_arn, signal.kind, signal.body, signal.created))
        except _NotRunning:
            return False
        return True

    def signals_for(self, owner: str) -> list[Signal]:
        rows = self._query("SELECT s.id, s.execution_arn, s.kind, s.body, s.created FROM signals s "
                           "JOIN executions e ON e.arn = s.execution_arn WHERE e.lease_owner = ? "
                           "ORDER BY s.created, s.id", (owner,))
        return [Signal(*row) for row in rows]

    def take_activity_task(self, activity_arn: str, worker: str, now: float) -> ActivityTask | None:
        with self._writing() as cur:
            cur.execute(self._sql(
                "UPDATE activity_tasks SET worker = ?, taken = ? WHERE taken IS NULL AND token = ("
                "SELECT token FROM activity_tasks WHERE activity_arn = ? AND taken IS NULL "
                f"ORDER BY created LIMIT 1{self.claim_lock}) "
                "RETURNING token, activity_arn, execution_arn, input, created, worker, taken"),
                (worker, now, activity_arn))
            rows = cur.fetchall()
        return ActivityTask(*rows[0]) if rows else None


class _NotRunning(Exception):
    """(Inside a write: roll it back.)"""


_WAKE_FOR_SIGNAL = ("UPDATE executions SET wake_at = CASE WHEN wake_at IS NULL OR wake_at > ? THEN ? ELSE wake_at END "
                    "WHERE arn = ? AND status = 'RUNNING'")
_RESOURCE_COLUMNS = "arn, kind, name, parent, created, body, revision"
_SELECT_RESOURCE = f"SELECT {_RESOURCE_COLUMNS} FROM resources"
_INSERT_RESOURCE = f"INSERT INTO resources ({_RESOURCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
_UPSERT_RESOURCE = (f"INSERT INTO resources ({_RESOURCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO "
                    "UPDATE SET body = excluded.body, revision = resources.revision + 1")


def _resource_values(r: Resource) -> tuple:
    return (r.arn, r.kind, r.name, r.parent, r.created, r.body, r.revision)


_values = operator.attrgetter(*COLUMNS)  # an ExecutionRecord -> the parameters of _INSERT
_mutable = operator.attrgetter(*MUTABLE, "arn")  # an ExecutionRecord -> the parameters of _UPDATE


def _history_rows(w: Write) -> Iterator[tuple]:
    """A write's events as history rows: up to EVENTS_PER_ROW consecutive events each, their
    texts joined by newlines (which JSON text written compactly never holds)."""
    arn, events, first = w.record.arn, w.events, w.first_event
    for i in range(0, len(events), EVENTS_PER_ROW):
        part = events[i:i + EVENTS_PER_ROW]
        yield arn, first + i, first + i + len(part) - 1, "\n".join(part)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
