"""The store contract (stepline.store.base), one suite run on SQLite and on PostgreSQL."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from stepline.store import CommitResult, ExecutionRecord, Store, StoredEvent, StoreError, Write, open_store
from stepline.store.postgres import PostgresStore
from stepline.store.schema import LATEST
from stepline.store.sqlite import SqliteStore

from .conftest import admin, pg_url

ACCOUNT = "arn:aws:states:us-east-1:123456789012"
SM_A = f"{ACCOUNT}:stateMachine:a"
SM_B = f"{ACCOUNT}:stateMachine:b"
MAP_RUN = f"{ACCOUNT}:mapRun:a/m:1"
DEFINITION = ("0" * 64, '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')


def execution(name: str, sm: str = SM_A, **fields) -> ExecutionRecord:
    sm_name = sm.rsplit(":", 1)[1]
    fields = {"definition_hash": DEFINITION[0], "status": "RUNNING", "input": '{"n": 1}',
              "role_arn": "arn:aws:iam::123456789012:role/r", "start_time": 1000.0, **fields}
    return ExecutionRecord(arn=f"{ACCOUNT}:execution:{sm_name}:{name}", name=name, state_machine_arn=sm,
                           state_machine_name=sm_name, **fields)


def text(i: int, type: str = "PassStateEntered") -> str:
    """An event's text (the store keeps it as it is)."""
    return f'{{"timestamp":{1000.0 + i},"type":"{type}","id":{i},"previousEventId":{i - 1}}}'


def events(arn: str, *ids: int, type: str = "PassStateEntered") -> dict:
    """A write's events (consecutive ids): ``Write(record, **events(arn, 3, 4))``."""
    return {"events": [text(i, type) for i in ids], "first_event": ids[0] if ids else 1}


def stored(*ids: int, type: str = "PassStateEntered") -> list[StoredEvent]:
    return [StoredEvent(i, text(i, type)) for i in ids]


def insert(store: Store, *records: ExecutionRecord, with_events: int = 0) -> None:
    store.put_definition(*DEFINITION)
    writes = [Write(r, new=True, **events(r.arn, *range(1, with_events + 1))) for r in records]
    assert store.commit(writes) == CommitResult(lost=[], exists=[])


def ids(found: list[StoredEvent]) -> list[int]:
    return [e.id for e in found]


def names(found: list[ExecutionRecord]) -> list[str]:
    return [r.name for r in found]


# -- schema -----------------------------------------------------------------------------


def test_migrate_brings_an_empty_database_to_the_latest_version_once(new_empty_db: Callable[[], str]) -> None:
    store = open_store(new_empty_db())
    try:
        assert store.schema_version() == 0
        assert store.migrate() == LATEST
        assert store.schema_version() == LATEST
        assert store.migrate() == LATEST  # idempotent: nothing is applied twice
        store.put_definition(*DEFINITION)
        assert store.get_definition(DEFINITION[0]) == DEFINITION[1]
    finally:
        store.close()


def test_open_store_picks_the_implementation_from_the_url(store: Store) -> None:
    assert store.dialect in ("sqlite", "postgresql")
    assert store.schema_version() == LATEST


# -- definitions ------------------------------------------------------------------------


def test_definitions_are_kept_by_hash_and_put_is_idempotent(store: Store) -> None:
    assert store.get_definition("f" * 64) is None
    store.put_definition("f" * 64, "first")
    store.put_definition("f" * 64, "first")
    store.put_definition("f" * 64, "other")  # a hash names one body: the first one stays
    assert store.get_definition("f" * 64) == "first"
    assert store.get_definition("e" * 64) is None


# -- commit -----------------------------------------------------------------------------


def test_an_inserted_execution_reads_back_field_for_field(store: Store) -> None:
    record = execution("full", type="STANDARD", output='{"out": true}', error="E", cause="C", stop_time=1001.25,
                       region="eu-west-1", account="111122223333", redrive_count=2, redrive_time=1000.5,
                       parent_arn=f"{ACCOUNT}:execution:p:1", version_arn=f"{SM_A}:3", alias_arn=f"{SM_A}:prod",
                       map_run_arn=MAP_RUN, trace_header="Root=1-abc", event_count=3, snapshot='{"frames": []}',
                       wake_at=1000.125, lease_owner="engine-1", lease_until=1030.0)
    insert(store, record)
    assert store.get_execution(record.arn) == record
    assert store.find_execution(SM_A, "full") == record
    assert store.get_execution(record.arn + "-missing") is None
    assert store.find_execution(SM_B, "full") is None
    minimal = execution("minimal")
    insert(store, minimal)
    assert store.get_execution(minimal.arn) == minimal


def test_inserting_a_taken_name_or_arn_is_refused_and_the_rest_of_the_batch_applies(store: Store) -> None:
    first = execution("x", input='"first"')
    insert(store, first)
    same_name = replace(execution("x", input='"second"'), arn=first.arn + "-other")
    same_arn = replace(first, name="y")
    other = execution("z")
    result = store.commit([Write(same_name, new=True, **events(same_name.arn, 1)),
                           Write(same_arn, new=True),
                           Write(other, new=True, **events(other.arn, 1))])
    assert result == CommitResult(lost=[], exists=[same_name.arn, same_arn.arn])
    assert store.get_execution(first.arn) == first
    assert store.get_execution(same_name.arn) is None
    assert store.get_events(same_name.arn) == []
    assert store.find_execution(SM_A, "y") is None
    assert store.get_execution(other.arn) == other
    assert ids(store.get_events(other.arn)) == [1]
    # the same name under another state machine is another execution
    insert(store, execution("x", sm=SM_B))


def test_an_update_changes_the_mutable_columns_only_and_appends_events(store: Store) -> None:
    record = execution("u", event_count=2, wake_at=1000.0)
    insert(store, record, with_events=2)
    done = replace(record, status="SUCCEEDED", output='{"ok": 1}', stop_time=1005.0, event_count=4, snapshot=None,
                   wake_at=None, redrive_count=1, redrive_time=1003.0, error="e", cause="c",
                   input='"changed"', name="renamed", map_run_arn=MAP_RUN)  # the last three are not mutable
    assert store.commit([Write(done, **events(record.arn, 3, 4))]) == CommitResult(lost=[], exists=[])
    assert store.get_execution(record.arn) == replace(done, input=record.input, name="u", map_run_arn=None)
    assert ids(store.get_events(record.arn)) == [1, 2, 3, 4]
    assert store.get_events(record.arn)[2] == stored(3)[0]


def test_an_update_fenced_by_another_owner_is_lost_and_writes_nothing(store: Store) -> None:
    record = execution("f", lease_owner="engine-b", lease_until=2000.0, event_count=1)
    insert(store, record, with_events=1)
    stale = replace(record, status="FAILED", lease_owner="engine-a", event_count=2)
    missing = execution("never-inserted")
    result = store.commit([Write(stale, **events(record.arn, 2), owner="engine-a"),
                           Write(missing, **events(missing.arn, 1), owner="engine-a")])
    assert result == CommitResult(lost=[record.arn, missing.arn], exists=[])
    assert store.get_execution(record.arn) == record
    assert ids(store.get_events(record.arn)) == [1]
    assert store.get_events(missing.arn) == []

    holder = replace(record, status="SUCCEEDED", lease_owner=None, lease_until=None, event_count=2)
    assert store.commit([Write(holder, **events(record.arn, 2), owner="engine-b")]).lost == []
    assert store.get_execution(record.arn) == holder
    assert ids(store.get_events(record.arn)) == [1, 2]
    # the lease was given back: a fenced write by its former holder is lost now
    assert store.commit([Write(replace(holder, status="FAILED"), owner="engine-b")]).lost == [record.arn]


def test_children_are_written_with_their_parent_and_only_if_it_is(store: Store) -> None:
    parent = execution("parent", lease_owner="engine-a", lease_until=2000.0, event_count=1)
    insert(store, parent, with_events=1)
    kid = execution("kid", sm=SM_B, map_run_arn="arn:map-run", event_count=2)
    write = Write(replace(parent, event_count=2), **events(parent.arn, 2), owner="engine-a",
                  children=[Write(kid, new=True, **events(kid.arn, 1, 2))])
    assert store.commit([write]) == CommitResult(lost=[], exists=[])
    assert store.get_execution(kid.arn) == kid
    assert ids(store.get_events(kid.arn)) == [1, 2]
    assert [r.arn for r in store.list_executions(map_run_arn="arn:map-run")] == [kid.arn]

    # the parent's lease is another engine's now: neither it nor its children change
    done = replace(kid, status="SUCCEEDED", output='"ok"', stop_time=1001.0, event_count=3)
    late = Write(replace(parent, event_count=3), **events(parent.arn, 3), owner="engine-b",
                 children=[Write(done, **events(kid.arn, 3))])
    assert store.commit([late]).lost == [parent.arn]
    assert store.get_execution(kid.arn) == kid
    assert ids(store.get_events(kid.arn)) == [1, 2]

    # its holder's write takes them along
    late.owner = "engine-a"
    assert store.commit([late]).lost == []
    assert store.get_execution(kid.arn) == done
    assert ids(store.get_events(kid.arn)) == [1, 2, 3]


def test_a_failing_commit_writes_nothing_and_the_store_goes_on(store: Store) -> None:
    existing = execution("existing", event_count=2)
    insert(store, existing, with_events=2)
    newcomer = execution("newcomer")
    collide = replace(existing, status="SUCCEEDED", event_count=3)
    with pytest.raises(StoreError):
        store.commit([Write(newcomer, new=True, **events(newcomer.arn, 1)),
                      Write(collide, **events(existing.arn, 1, type="Collides"))])  # event 1 is stored
    assert store.get_execution(newcomer.arn) is None
    assert store.get_events(newcomer.arn) == []
    assert store.get_execution(existing.arn) == existing
    assert store.get_events(existing.arn) == stored(1, 2)

    unknown_definition = replace(execution("orphan"), definition_hash="9" * 64)
    with pytest.raises(StoreError):
        store.commit([Write(unknown_definition, new=True)])
    assert store.get_execution(unknown_definition.arn) is None

    insert(store, newcomer)  # neither failure left the connection unusable
    assert store.commit([Write(collide, **events(existing.arn, 3))]).lost == []
    assert ids(store.get_events(existing.arn)) == [1, 2, 3]


def test_an_empty_commit_is_a_no_op(store: Store) -> None:
    assert store.commit([]) == CommitResult(lost=[], exists=[])


# -- reads ------------------------------------------------------------------------------


@pytest.fixture
def listed(store: Store) -> Store:
    insert(store,
           execution("a1", start_time=100.0, status="SUCCEEDED"),
           execution("a2", start_time=200.0, redrive_count=1, version_arn=f"{SM_A}:1", alias_arn=f"{SM_A}:live"),
           execution("a3", start_time=200.0, map_run_arn=MAP_RUN),  # same start as a2: arn decides
           execution("b1", sm=SM_B, start_time=150.0, status="FAILED", map_run_arn=MAP_RUN),
           execution("b2", sm=SM_B, start_time=300.0))
    return store


def test_list_executions_is_newest_first_and_filters(listed: Store) -> None:
    assert names(listed.list_executions()) == ["b2", "a3", "a2", "b1", "a1"]
    assert names(listed.list_executions(state_machine_arn=SM_A)) == ["a3", "a2", "a1"]
    assert names(listed.list_executions(status="RUNNING")) == ["b2", "a3", "a2"]
    assert names(listed.list_executions(map_run_arn=MAP_RUN)) == ["a3", "b1"]
    assert names(listed.list_executions(redriven=True)) == ["a2"]
    assert names(listed.list_executions(redriven=False)) == ["b2", "a3", "b1", "a1"]
    assert names(listed.list_executions(state_machine_arn=SM_B, status="RUNNING")) == ["b2"]
    assert names(listed.list_executions(state_machine_arn=SM_A, status="ABORTED")) == []
    assert names(listed.list_executions(version_arn=f"{SM_A}:1")) == ["a2"]
    assert names(listed.list_executions(alias_arn=f"{SM_A}:live")) == ["a2"]
    assert names(listed.list_executions(alias_arn=f"{SM_A}:other")) == []
    assert listed.list_executions(limit=1)[0] == listed.get_execution(f"{ACCOUNT}:execution:b:b2")


def test_list_executions_pages_with_after(listed: Store) -> None:
    first = listed.list_executions(limit=2)
    assert names(first) == ["b2", "a3"]
    after = (first[-1].start_time, first[-1].arn)
    assert names(listed.list_executions(after=after)) == ["a2", "b1", "a1"]  # past a tie on start_time
    assert names(listed.list_executions(state_machine_arn=SM_A, after=after, limit=1)) == ["a2"]

    pages, after_ = [], None
    while True:
        page = listed.list_executions(limit=2, after=after_)
        if not page:
            break
        pages.append(names(page))
        after_ = (page[-1].start_time, page[-1].arn)
    assert pages == [["b2", "a3"], ["a2", "b1"], ["a1"]]


def test_get_events_by_id_forward_and_backward(store: Store) -> None:
    record, other = execution("e", event_count=5), execution("other", event_count=2)
    insert(store, record, with_events=5)
    insert(store, other, with_events=2)
    arn = record.arn
    assert store.get_events(arn) == stored(1, 2, 3, 4, 5)
    assert ids(store.get_events(arn, after=2)) == [3, 4, 5]
    assert ids(store.get_events(arn, limit=2)) == [1, 2]
    assert ids(store.get_events(arn, after=1, limit=2)) == [2, 3]
    assert ids(store.get_events(arn, after=5)) == []
    assert ids(store.get_events(arn, reverse=True)) == [5, 4, 3, 2, 1]
    assert ids(store.get_events(arn, reverse=True, limit=2)) == [5, 4]
    assert ids(store.get_events(arn, reverse=True, after=4)) == [3, 2, 1]
    assert ids(store.get_events(arn, reverse=True, after=4, limit=2)) == [3, 2]
    assert ids(store.get_events(arn, reverse=True, after=1)) == []
    assert store.get_events(arn + "-missing") == []


# -- the engine's work ------------------------------------------------------------------


@pytest.fixture
def work(store: Store) -> Store:
    """Executions in every claimable and unclaimable situation, at now = 50."""
    insert(store,
           execution("due-10", wake_at=10.0),
           execution("due-5", wake_at=5.0),
           execution("due-expired", wake_at=20.0, lease_owner="dead", lease_until=40.0),
           execution("due-held", wake_at=1.0, lease_owner="alive", lease_until=100.0),
           execution("later", wake_at=60.0),
           execution("no-wake"),
           execution("closed", status="SUCCEEDED", stop_time=30.0))
    return store


def test_claim_takes_due_unleased_or_expired_oldest_first(work: Store) -> None:
    before = {r.name: r for r in work.list_executions()}
    claimed = work.claim("me", 50.0, 80.0, 10)
    assert names(claimed) == ["due-5", "due-10", "due-expired"]
    for r in claimed:
        assert r == replace(before[r.name], lease_owner="me", lease_until=80.0)
        assert work.get_execution(r.arn) == r
    assert work.claim("you", 50.0, 90.0, 10) == []  # all of it is held now
    assert work.get_execution(before["due-held"].arn) == before["due-held"]
    # once the leases have run out (80, and due-held's 100), another engine takes everything due
    assert names(work.claim("you", 101.0, 130.0, 10)) == ["due-held", "due-5", "due-10", "due-expired", "later"]


def test_claim_takes_at_most_limit_the_oldest_due(work: Store) -> None:
    assert names(work.claim("me", 50.0, 80.0, 2)) == ["due-5", "due-10"]
    assert names(work.claim("me", 50.0, 80.0, 2)) == ["due-expired"]
    assert work.claim("me", 50.0, 80.0, 2) == []


def race(open_db: Callable[[], Store], claims: Callable[[Store, str], list[str]]) -> dict[str, list[str]]:
    """Two engines, each on a connection of its own, run ``claims`` at the same moment; what
    each took, by owner (an error in either fails the test)."""
    engines = {"engine-1": open_db(), "engine-2": open_db()}
    taken: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def run(owner: str) -> None:
        try:
            start.wait()
            taken[owner] = claims(engines[owner], owner)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(owner,)) for owner in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return taken


def test_concurrent_claims_never_take_the_same_execution(store: Store, open_db: Callable[[], Store]) -> None:
    rows = [execution(f"c{i:04d}", wake_at=float(i)) for i in range(600)]
    for i in range(0, len(rows), 100):
        insert(store, *rows[i:i + 100])
    def claims(engine: Store, owner: str) -> list[str]:
        taken: list[str] = []
        while batch := engine.claim(owner, 10_000.0, 20_000.0, 3):
            taken += [r.arn for r in batch]
        return taken

    taken = race(open_db, claims)
    one, two = taken["engine-1"], taken["engine-2"]
    assert set(one).isdisjoint(two)
    assert len(one) + len(two) == len(rows) and set(one) | set(two) == {r.arn for r in rows}
    owners = {r.arn: r.lease_owner for r in store.list_executions(limit=len(rows))}
    assert all(owners[arn] == owner for owner, arns in taken.items() for arn in arns)


def test_claim_arn_takes_one_execution_due_or_not_unless_another_lease_is_live(store: Store) -> None:
    free = execution("free", wake_at=100.0)
    asleep = execution("asleep")
    closed = execution("closed", status="FAILED", stop_time=30.0)
    expired = execution("expired", wake_at=1.0, lease_owner="dead", lease_until=40.0)
    theirs = execution("theirs", wake_at=1.0, lease_owner="them", lease_until=100.0)
    mine = execution("mine", wake_at=1.0, lease_owner="me", lease_until=60.0)
    insert(store, free, asleep, closed, expired, theirs, mine)
    for record in (free, asleep, closed, expired, mine):  # mine: a holder may take it again
        taken = store.claim_arn("me", record.arn, 50.0, 80.0)
        assert taken == replace(record, lease_owner="me", lease_until=80.0)
        assert store.get_execution(record.arn) == taken
    assert store.claim_arn("me", theirs.arn, 50.0, 80.0) is None
    assert store.get_execution(theirs.arn) == theirs
    assert store.claim_arn("me", f"{ACCOUNT}:execution:a:missing", 50.0, 80.0) is None
    assert store.claim_arn("you", free.arn, 79.0, 90.0) is None  # my lease on it is live until 80


def test_concurrent_claim_arn_gives_each_execution_to_one_engine(store: Store,
                                                                   open_db: Callable[[], Store]) -> None:
    rows = [execution(f"c{i:04d}") for i in range(200)]
    insert(store, *rows)
    def claims(engine: Store, owner: str) -> list[str]:
        return [r.arn for r in rows if engine.claim_arn(owner, r.arn, 10.0, 20.0) is not None]

    taken = race(open_db, claims)
    assert set(taken["engine-1"]).isdisjoint(taken["engine-2"])
    assert sorted(taken["engine-1"] + taken["engine-2"]) == sorted(r.arn for r in rows)


def test_renew_extends_held_leases_and_returns_the_lost(store: Store) -> None:
    mine1 = execution("m1", wake_at=1.0, lease_owner="me", lease_until=10.0)
    mine2 = execution("m2", wake_at=1.0, lease_owner="me", lease_until=10.0)
    theirs = execution("t", wake_at=1.0, lease_owner="them", lease_until=10.0)
    insert(store, mine1, mine2, theirs)
    missing = f"{ACCOUNT}:execution:a:missing"
    assert store.renew("me", [mine1.arn, theirs.arn, mine2.arn, missing], 70.0) == [theirs.arn, missing]
    assert store.get_execution(mine1.arn) == replace(mine1, lease_until=70.0)
    assert store.get_execution(mine2.arn) == replace(mine2, lease_until=70.0)
    assert store.get_execution(theirs.arn) == theirs
    assert store.renew("me", [], 80.0) == []


def test_a_beat_says_what_the_other_engines_alive_have_in_hand(store: Store) -> None:
    assert store.beat("a", 100.0, 94.0, 3) == []
    assert store.beat("b", 101.0, 95.0, 7) == [3]
    assert sorted(store.beat("c", 102.0, 96.0)) == [3, 7]
    assert sorted(store.beat("a", 103.0, 97.0, 5)) == [0, 7]  # its own is not among them; b's beat is the last
    assert store.beat("c", 110.0, 102.5) == [5]  # b not seen since 101: not alive
    store.leave("a")
    assert store.beat("c", 111.0, 102.5) == []


def test_next_wake_is_the_earliest_wake_no_live_lease_holds(store: Store) -> None:
    assert store.next_wake(50.0) is None
    insert(store, execution("held", wake_at=1.0, lease_owner="x", lease_until=100.0), execution("no-wake"))
    assert store.next_wake(50.0) is None
    insert(store, execution("free", wake_at=30.0), execution("expiring", wake_at=20.0, lease_owner="y",
                                                             lease_until=40.0))
    assert store.next_wake(10.0) == 30.0   # expiring's lease is still live at 10
    assert store.next_wake(50.0) == 20.0   # and over at 50
    assert store.next_wake(150.0) == 1.0   # held's too


# -- retention --------------------------------------------------------------------------


def test_delete_closed_before_removes_closed_executions_and_their_events(store: Store) -> None:
    old_ok = execution("old-ok", status="SUCCEEDED", stop_time=10.0)
    old_failed = execution("old-failed", status="FAILED", stop_time=15.0)
    redriven = execution("redriven", stop_time=5.0, redrive_count=1)  # RUNNING again: kept
    at_cutoff = execution("at-cutoff", status="ABORTED", stop_time=20.0)
    recent = execution("recent", status="TIMED_OUT", stop_time=30.0)
    running = execution("running")
    insert(store, old_ok, old_failed, redriven, at_cutoff, recent, running, with_events=3)

    assert store.delete_closed_before(20.0, limit=1) == 1
    assert store.delete_closed_before(20.0, limit=1) == 1
    assert store.delete_closed_before(20.0) == 0
    for gone in (old_ok, old_failed):
        assert store.get_execution(gone.arn) is None
        assert store.get_events(gone.arn) == []
    for kept in (redriven, at_cutoff, recent, running):
        assert store.get_execution(kept.arn) == kept
        assert ids(store.get_events(kept.arn)) == [1, 2, 3]
    assert store.delete_closed_before(31.0) == 2
    assert names(store.list_executions()) == ["running", "redriven"]


# -- notifications ----------------------------------------------------------------------


def test_wait_without_a_notification_times_out(store: Store) -> None:
    started = time.monotonic()
    assert store.wait(0.3) is False
    assert time.monotonic() - started >= 0.25


def test_notify_wakes_a_waiter_in_another_thread(store: Store, open_db: Callable[[], Store]) -> None:
    other = open_db()  # another engine, possibly in another process
    if store.dialect == "sqlite":  # no notifications: notify is harmless and waiting times out
        other.notify()
        started = time.monotonic()
        assert store.wait(0.2) is False
        assert time.monotonic() - started >= 0.15
        return
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(store.wait(10.0)))
    started = time.monotonic()
    waiter.start()
    while waiter.is_alive() and time.monotonic() - started < 5:
        other.notify()  # again and again: the waiter may not be listening yet
        waiter.join(0.05)
    waiter.join(10)
    assert woke == [True]
    assert time.monotonic() - started < 5


def test_work_committed_by_another_engine_wakes_a_waiter(store: Store, open_db: Callable[[], Store]) -> None:
    """What an engine does after committing work for others: PostgreSQL needs its NOTIFY;
    SQLite has none, and its waiter sees the commit itself (the file's data_version)."""
    other = open_db()
    assert store.wait(0) is False  # listening (PostgreSQL), the file's version seen (SQLite)
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(store.wait(10.0)))
    started = time.monotonic()
    waiter.start()
    time.sleep(0.1)
    insert(other, execution("from-elsewhere"))
    other.notify()
    waiter.join(10)
    assert woke == [True]
    assert time.monotonic() - started < 5


def test_sqlite_waiters_are_not_woken_by_their_own_commits(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "own.db"))  # (PostgreSQL: only NOTIFY wakes, sent on purpose)
    store.migrate()
    assert store.wait(0) is False
    insert(store, execution("ours"))
    time.sleep(0.2)  # the store's checkpoint thread copies the log into the file meanwhile
    assert store.wait(0.1) is False
    store.close()


def test_a_notification_between_waits_is_not_lost(store: Store, open_db: Callable[[], Store]) -> None:
    if store.dialect == "sqlite":  # a commit between waits
        assert store.wait(0) is False
        insert(open_db(), execution("between"))
        assert store.wait(0) is True
        assert store.wait(0.1) is False  # and it counted once
        return
    assert store.wait(0) is False  # now listening
    open_db().notify()
    started = time.monotonic()
    assert store.wait(5.0) is True
    assert time.monotonic() - started < 2
    assert store.wait(0.1) is False  # and it was delivered once


def test_a_closed_store_refuses_work(store: Store) -> None:
    insert(store, execution("before-close"))
    store.close()
    with pytest.raises(StoreError):
        store.put_definition("a" * 64, "x")
    with pytest.raises(StoreError):
        store.get_definition(DEFINITION[0])


# -- PostgreSQL connections ---------------------------------------------------------------


def _backends(url: str, state: str | None = None) -> int:
    database = url.rsplit("/", 1)[1]
    sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s" + (" AND state = %s" if state else "")
    return admin(sql, (database, state) if state else (database,))[0][0]


def _settles(check: Callable[[], bool]) -> bool:
    """A backend leaves pg_stat_activity shortly after its client closes: give it time."""
    deadline = time.monotonic() + 5
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def pg(store: Store) -> Store:
    """The store of a test parametrized with ``db`` = postgresql only."""
    assert isinstance(store, PostgresStore)
    return store


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_reads_leave_no_transaction_open(pg: Store, db: str) -> None:
    insert(pg, execution("r", wake_at=1.0), with_events=2)
    pg.get_execution(execution("r").arn)
    pg.list_executions()
    pg.get_events(execution("r").arn)
    pg.next_wake(0.0)
    pg.get_definition(DEFINITION[0])
    assert _backends(db, "idle in transaction") == 0
    assert _backends(db, "idle") == 1


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_each_thread_has_a_connection_closed_with_the_thread_or_the_store(pg: Store, db: str) -> None:
    pg.get_definition(DEFINITION[0])
    pg.wait(0)
    assert _backends(db) == 2  # this thread's connection and its listener
    threads = [threading.Thread(target=pg.get_definition, args=(DEFINITION[0],)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    del t, threads
    gc.collect()
    assert _settles(lambda: _backends(db) == 2), "a finished thread's connection stayed open"
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:  # a thread that keeps its connection and its listener while the store closes
        pg.get_definition(DEFINITION[0])
        pg.wait(0)
        holding.set()
        release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    assert _backends(db) == 4
    pg.close()
    assert _settles(lambda: _backends(db) == 0), "close() left connections open"
    release.set()
    holder.join(5)


def test_postgres_errors_are_store_errors() -> None:
    missing = PostgresStore(pg_url("stepline_no_such_database"))
    with pytest.raises(StoreError, match="cannot connect"):
        missing.get_definition(DEFINITION[0])
    with pytest.raises(StoreError):
        missing.wait(0)
    missing.close()
