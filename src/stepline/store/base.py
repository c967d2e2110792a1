"""The store contract: what the engine and the service need from a database.

Two implementations pass the same contract tests: :mod:`.sqlite` (embedded, one file) and
:mod:`.postgres` (several engines on several machines). The store knows no ASL: it keeps
definitions as text, executions as rows (with the engine's working state as an opaque
``snapshot`` text), history events as rows, and leases that say which engine runs what.

Writes go through :meth:`Store.commit`, one transaction for a whole batch of executions
(group commit): many transitions, one fsync. An update is *fenced*: it applies only while
the writing engine still holds the execution's lease, so an engine that lost an execution
to another cannot overwrite the newer state.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import NamedTuple


class StoreError(Exception):
    """The database refused or failed an operation."""


class ExecutionExists(StoreError):
    """An execution with that name already exists for the state machine."""


class StoreRefusedValue(StoreError):
    """The database cannot hold a value it was given (text it cannot encode, a number out of
    its range): the fault is in the data, not in the database, and nothing was written."""


def writable(text: object) -> str:
    """Text (an error's message) as any database and log can hold it: a lone surrogate escaped."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(slots=True)
class ExecutionRecord:
    """One execution as stored. Times are epoch seconds."""

    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    definition_hash: str
    status: str
    input: str
    role_arn: str
    start_time: float
    type: str = "STANDARD"
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop_time: float | None = None
    region: str = "us-east-1"
    account: str = "123456789012"
    redrive_count: int = 0
    redrive_time: float | None = None
    parent_arn: str | None = None
    version_arn: str | None = None
    alias_arn: str | None = None
    map_run_arn: str | None = None
    trace_header: str | None = None
    event_count: int = 0
    snapshot: str | None = None
    wake_at: float | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    parent_token: str | None = None  # a child whose parent's task waits for it (.sync): the task's token
    parent_wait: str | None = None   # and how it waits: "sync" | "sync:2"
    test_case: str | None = None     # the mock test case its tasks answer from


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ExecutionRecord))

#: what a commit may change on an existing execution
MUTABLE = ("status", "output", "error", "cause", "stop_time", "redrive_count", "redrive_time", "event_count",
           "snapshot", "wake_at", "lease_owner", "lease_until")


class StoredEvent(NamedTuple):
    """One history event as stored: its id and its text (JSON, the event as the API answers
    with it: the store neither reads nor writes it)."""

    id: int
    text: str


#: events a history row holds at most (a commit's events go in rows of consecutive events)
EVENTS_PER_ROW = 256


@dataclass(slots=True)
class Resource:
    """A resource of the service (a state machine, version, alias, activity, connection or
    map run): its ARN, kind, name, the ARN it belongs to, and its description as JSON text
    (which the store does not read). ``revision`` counts updates, for compare-and-set."""

    arn: str
    kind: str
    name: str
    parent: str | None
    created: float
    body: str
    revision: int = 1


class SignalKind(StrEnum):
    """What a :class:`Signal` asks of the execution's engine (the store keeps it as text)."""

    STOP = "stop"                          # {"error", "cause"}
    TASK_SUCCESS = "task-success"          # {"token", "output"} (the output as JSON text)
    TASK_FAILURE = "task-failure"          # {"token", "error", "cause"}
    TASK_HEARTBEAT = "task-heartbeat"      # {"token"}
    ACTIVITY_STARTED = "activity-started"  # {"token", "worker"}
    MAP_RUN_UPDATE = "map-run-update"      # {"mapRunArn", "maxConcurrency", "toleratedFailure..."}


@dataclass(slots=True)
class Signal:
    """Something sent to a running execution from outside its engine (stop it, a task
    token's result, a heartbeat): kept until the commit that applies it deletes it."""

    id: str
    execution_arn: str
    kind: str  # a SignalKind
    body: str
    created: float


@dataclass(slots=True)
class ActivityTask:
    """Work for an activity worker: made visible by the commit that schedules it, taken once."""

    token: str
    activity_arn: str
    execution_arn: str
    input: str
    created: float
    worker: str | None = None
    taken: float | None = None


@dataclass(slots=True)
class Write:
    """One execution's part of a commit: its row, inserted (``new``) or updated (the
    :data:`MUTABLE` columns), and the events appended since the last commit (their texts, the
    first of them event number ``first_event``, the others after it). An update with
    an ``owner`` applies only while that engine holds the lease (see the module doc).
    With it go the signals it applied (deleted), the activity tasks it schedules (made
    visible) and those it no longer waits for (deleted, by token), and resources it describes
    (a Map Run: inserted, or their body replaced), and signals it sends to other executions
    (a child's end, to the parent waiting for it; a stop, to its children). ``children`` are
    writes of executions that live inside this one (a Distributed Map's child workflow
    executions, which hold no lease of their own), applied only if this write is.
    ``tokens_open`` are task tokens handed out from now on (see :meth:`Store.answer_task`),
    ``tokens_closed`` those no longer waited for; ``ends_tokens``: the execution ended, and
    every token it handed out is gone."""

    record: ExecutionRecord
    new: bool = False
    events: Sequence[str] = ()
    first_event: int = 1
    owner: str | None = None
    signals_done: Sequence[str] = ()
    activity_tasks: Sequence[ActivityTask] = ()
    activity_tasks_done: Sequence[str] = ()
    resources: Sequence[Resource] = ()
    signals_out: Sequence[Signal] = ()
    children: Sequence[Write] = ()
    tokens_open: Sequence[str] = ()
    tokens_closed: Sequence[str] = ()
    ends_tokens: bool = False


@dataclass(slots=True)
class CommitResult:
    lost: list[str]                # updates refused: the lease belongs to another engine now
    exists: list[str]              # inserts refused: the name was taken


class Store(abc.ABC):
    """The contract. Every method is safe to call from any thread."""

    dialect: str

    # -- schema -------------------------------------------------------------------

    @abc.abstractmethod
    def migrate(self, target: int | None = None) -> int:
        """Bring the schema to version ``target`` (default: the latest); returns the version.
        Never goes back down."""

    @abc.abstractmethod
    def schema_version(self) -> int: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    # -- definitions --------------------------------------------------------------

    @abc.abstractmethod
    def put_definition(self, hash: str, body: str) -> None:
        """Keep a definition's text under its hash (idempotent)."""

    @abc.abstractmethod
    def get_definition(self, hash: str) -> str | None: ...

    # -- writes -------------------------------------------------------------------

    @abc.abstractmethod
    def commit(self, writes: Iterable[Write]) -> CommitResult:
        """Apply every write in one transaction: all of them or, on error, none."""

    # -- reads --------------------------------------------------------------------

    @abc.abstractmethod
    def get_execution(self, arn: str) -> ExecutionRecord | None: ...

    @abc.abstractmethod
    def find_execution(self, state_machine_arn: str, name: str) -> ExecutionRecord | None: ...

    @abc.abstractmethod
    def list_executions(self, *, state_machine_arn: str | None = None, status: str | None = None,
                        map_run_arn: str | None = None, redriven: bool | None = None,
                        version_arn: str | None = None, alias_arn: str | None = None,
                        parent_arn: str | None = None, limit: int = 100,
                        after: tuple[float, str] | None = None) -> list[ExecutionRecord]:
        """Newest first; ``after`` is the (start_time, arn) of the last row of the previous page."""

    @abc.abstractmethod
    def get_events(self, arn: str, *, after: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[StoredEvent]:
        """Events by id: ascending after id ``after``, or descending below it when ``reverse``
        (``after`` 0 then means from the last)."""

    # -- the engine's work --------------------------------------------------------

    @abc.abstractmethod
    def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[ExecutionRecord]:
        """Take up to ``limit`` executions that are due (``wake_at <= now``) and not held by a
        live lease, for ``owner`` until ``lease_until``; oldest due first."""

    @abc.abstractmethod
    def claim_arn(self, owner: str, arn: str, now: float, lease_until: float) -> ExecutionRecord | None:
        """Take one execution, due or not, if no live lease holds it (to stop or redrive it)."""

    @abc.abstractmethod
    def renew(self, owner: str, arns: Sequence[str], lease_until: float) -> list[str]:
        """Extend the leases still held; returns the arns whose lease was lost."""

    @abc.abstractmethod
    def beat(self, owner: str, now: float, alive_since: float, load: int = 0) -> list[int]:
        """Say that the engine ``owner`` is alive at ``now`` with ``load`` in hand (a number the
        engines agree on: milliseconds of work in flight); returns the loads of the other engines
        alive (seen since ``alive_since``). Engines that have not been
        seen for long are forgotten."""

    @abc.abstractmethod
    def leave(self, owner: str) -> None:
        """The engine ``owner`` stops: it is no longer counted alive."""

    @abc.abstractmethod
    def next_wake(self, now: float) -> float | None:
        """The earliest ``wake_at`` of an execution no live lease holds (None: nothing)."""

    def notify(self) -> None:  # noqa: B027 - not abstract: a store without notifications (SQLite) does nothing
        """Tell waiting engines that new work may be due (PostgreSQL: NOTIFY)."""

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a notification; True if one came. A store without
        notifications (SQLite) sleeps out the timeout, so a loop around ``wait`` does not spin."""
        time.sleep(timeout)
        return False

    # -- retention ----------------------------------------------------------------

    @abc.abstractmethod
    def delete_closed_before(self, cutoff: float, limit: int = 1000) -> int:
        """Delete closed executions (and their events) that stopped before ``cutoff``."""

    # -- resources ------------------------------------------------------------------

    @abc.abstractmethod
    def insert_resource(self, resource: Resource) -> bool:
        """Add a resource; False (and nothing written) if its ARN is taken."""

    @abc.abstractmethod
    def update_resource(self, resource: Resource, expect_revision: int) -> bool:
        """Replace a resource's body if its revision is still ``expect_revision`` (then it
        becomes ``expect_revision + 1``); False if it changed meanwhile or is gone."""

    @abc.abstractmethod
    def get_resource(self, arn: str) -> Resource | None: ...

    @abc.abstractmethod
    def list_resources(self, kind: str, *, parent: str | None = None, limit: int = 100,
                       after: tuple[float, str] | None = None) -> list[Resource]:
        """Oldest first; ``after`` is the (created, arn) of the last row of the previous page."""

    @abc.abstractmethod
    def delete_resource(self, arn: str) -> bool:
        """Delete a resource and every resource whose parent it is; False if it was not there."""

    # -- signals and activity tasks ----------------------------------------------------

    @abc.abstractmethod
    def send_signal(self, signal: Signal) -> bool:
        """Queue a signal for a RUNNING execution and make the execution due now, so that
        whichever engine holds it (or claims it next) applies it; False if it is not running."""

    @abc.abstractmethod
    def task_token(self, token: str) -> bool | None:
        """Whether a task token is open (True), answered or abandoned (False), or unknown (None)."""

    @abc.abstractmethod
    def answer_task(self, token: str, signal: Signal, *, close: bool, adopt: bool = False) -> bool:
        """Send ``signal`` (a task's result, failure or heartbeat) if its token is open, in one
        transaction; ``close`` closes the token with it, so of callers racing on one token
        exactly one gets True. ``adopt``: the caller found an unknown token in the execution's
        working state (written before tokens were kept): it is taken as open. False (nothing
        sent) if the token is closed or the execution is not running."""

    @abc.abstractmethod
    def signals_for(self, owner: str) -> list[Signal]:
        """The signals waiting for the executions ``owner`` holds, oldest first."""

    @abc.abstractmethod
    def take_activity_task(self, activity_arn: str, worker: str, now: float) -> ActivityTask | None:
        """Give the oldest waiting task of an activity to ``worker`` (each task to one worker)."""


def open_store(url: str) -> Store:
    """A store from a URL: ``postgresql://...``, ``sqlite:///path``, or a plain file path."""
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore
        return PostgresStore(url)
    from .sqlite import SqliteStore
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite://"):] \
        if url.startswith("sqlite://") else url
    return SqliteStore(path)
