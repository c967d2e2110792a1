"""The store contract for the service's resources, signals and activity tasks (both databases)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from stepline.store import ActivityTask, Resource, Signal, Store, Write

from .test_contract import ACCOUNT, execution, insert

ACTIVITY = f"{ACCOUNT}:activity:work"


def resource(name: str, kind: str = "state-machine", parent: str | None = None, created: float = 1.0,
             body: str = "{}") -> Resource:
    return Resource(arn=f"{ACCOUNT}:{kind}:{name}", kind=kind, name=name, parent=parent, created=created, body=body)


def test_a_resource_reads_back_and_its_arn_is_taken_once(store: Store) -> None:
    r = resource("a", body='{"definition": "x"}')
    assert store.insert_resource(r)
    assert store.get_resource(r.arn) == r
    assert not store.insert_resource(resource("a", body='{"other": 1}'))
    assert store.get_resource(r.arn) == r
    assert store.get_resource(f"{ACCOUNT}:state-machine:missing") is None


def test_update_is_compare_and_set_on_the_revision(store: Store) -> None:
    r = resource("a")
    store.insert_resource(r)
    newer = replace(r, body='{"v": 2}')
    assert store.update_resource(newer, expect_revision=1)
    assert newer.revision == 2
    stale = resource("a", body='{"v": "stale"}')
    assert not store.update_resource(stale, expect_revision=1)
    got = store.get_resource(r.arn)
    assert got is not None and (got.body, got.revision) == ('{"v": 2}', 2)
    assert not store.update_resource(resource("gone"), expect_revision=1)


def test_list_resources_by_kind_and_parent_oldest_first_in_pages(store: Store) -> None:
    for i in range(5):
        store.insert_resource(resource(f"m{i}", created=10.0 + i % 2))
    store.insert_resource(resource("act", kind="activity"))
    for i in range(3):
        store.insert_resource(resource(f"m0:{i + 1}", kind="version", parent=f"{ACCOUNT}:state-machine:m0",
                                       created=20.0 + i))
    machines = store.list_resources("state-machine")
    assert [r.name for r in machines] == ["m0", "m2", "m4", "m1", "m3"]  # by created, then arn
    first = store.list_resources("state-machine", limit=2)
    rest = store.list_resources("state-machine", after=(first[-1].created, first[-1].arn))
    assert [r.name for r in first + rest] == [r.name for r in machines]
    versions = store.list_resources("version", parent=f"{ACCOUNT}:state-machine:m0")
    assert [r.name for r in versions] == ["m0:1", "m0:2", "m0:3"]
    assert store.list_resources("version", parent=f"{ACCOUNT}:state-machine:m1") == []


def test_deleting_a_resource_deletes_its_children(store: Store) -> None:
    parent = resource("m")
    store.insert_resource(parent)
    store.insert_resource(resource("m:1", kind="version", parent=parent.arn))
    store.insert_resource(resource("other"))
    assert store.delete_resource(parent.arn)
    assert store.get_resource(parent.arn) is None
    assert store.list_resources("version") == []
    assert store.get_resource(resource("other").arn) is not None
    assert not store.delete_resource(parent.arn)


def test_a_signal_reaches_the_holder_and_goes_with_the_commit_that_applies_it(store: Store) -> None:
    r = execution("e", wake_at=None, lease_owner="engine-1", lease_until=9e9)
    insert(store, r)
    assert store.send_signal(Signal("s1", r.arn, "stop", '{"error": "E"}', 5.0))
    assert store.send_signal(Signal("s2", r.arn, "heartbeat", "{}", 6.0))
    got = store.get_execution(r.arn)
    assert got is not None and got.wake_at == 5.0  # due now, for whoever holds or claims it
    assert [s.id for s in store.signals_for("engine-1")] == ["s1", "s2"]
    assert store.signals_for("engine-2") == []
    r.wake_at = 100.0
    store.commit([Write(r, owner="engine-1", signals_done=["s1"])])
    assert [s.id for s in store.signals_for("engine-1")] == ["s2"]


def test_a_signal_is_not_applied_by_a_refused_commit(store: Store) -> None:
    r = execution("e", lease_owner="engine-1", lease_until=9e9)
    insert(store, r)
    store.send_signal(Signal("s1", r.arn, "stop", "{}", 5.0))
    result = store.commit([Write(r, owner="engine-2", signals_done=["s1"])])
    assert result.lost == [r.arn]
    assert [s.id for s in store.signals_for("engine-1")] == ["s1"]


def test_a_signal_to_an_execution_not_running_is_refused(store: Store) -> None:
    done = execution("done", status="SUCCEEDED", stop_time=2.0)
    insert(store, done)
    assert not store.send_signal(Signal("s1", done.arn, "stop", "{}", 5.0))
    assert not store.send_signal(Signal("s2", f"{ACCOUNT}:execution:a:missing", "stop", "{}", 5.0))
    assert store.signals_for("engine-1") == []


def test_activity_tasks_appear_with_their_commit_and_go_to_one_worker_each(store: Store,
                                                                              open_db: Callable[[], Store]) -> None:
    r = execution("e", lease_owner="engine-1", lease_until=9e9)
    insert(store, r)
    tasks = [ActivityTask(f"t{i}", ACTIVITY, r.arn, f'{{"i": {i}}}', 10.0 + i) for i in range(40)]
    store.commit([Write(r, owner="engine-1", activity_tasks=tasks)])
    assert store.take_activity_task(f"{ACCOUNT}:activity:other", "w", 50.0) is None
    first = store.take_activity_task(ACTIVITY, "w0", 50.0)
    assert first is not None and (first.token, first.input, first.worker, first.taken) == ("t0", '{"i": 0}', "w0", 50.0)
    taken: list[str] = []
    lock = threading.Lock()

    def worker(s: Store, name: str) -> None:
        while (task := s.take_activity_task(ACTIVITY, name, 60.0)) is not None:
            with lock:
                taken.append(task.token)

    others = [open_db(), open_db()]
    threads = [threading.Thread(target=worker, args=(s, f"w{i}")) for i, s in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(f"t{i}" for i in range(1, 40))


def test_activity_tasks_done_are_deleted_with_the_commit(store: Store) -> None:
    r = execution("e", lease_owner="engine-1", lease_until=9e9)
    insert(store, r)
    store.commit([Write(r, owner="engine-1", activity_tasks=[ActivityTask("t1", ACTIVITY, r.arn, "{}", 1.0)])])
    store.commit([Write(r, owner="engine-1", activity_tasks_done=["t1"])])
    assert store.take_activity_task(ACTIVITY, "w", 2.0) is None


