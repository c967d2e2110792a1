"""The commit of big batches (what group commit sends): the same outcome as row by row.

The stores apply a commit's new rows, updates and events as batches (PostgreSQL: COPY into a
temporary table and one statement, from ``COPY_ROWS`` rows on); a refused row (a name taken, a
lease lost) must be found in a batch as it is alone, and its events left out.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from stepline.store import CommitResult, Store, StoreError, Write
from stepline.store.postgres import COPY_ROWS
from tests.store.test_contract import DEFINITION, SM_A, events, execution, ids, insert

N = COPY_ROWS * 2 + 3


def test_a_big_batch_of_new_executions_with_taken_names_and_arns(store: Store) -> None:
    taken = [execution(f"t{i}", input='"first"') for i in range(3)]
    insert(store, *taken)
    fresh = [execution(f"n{i}") for i in range(N)]
    same_name = replace(execution("t0", input='"second"'), arn=taken[0].arn + "-other")
    same_arn = replace(taken[1], name="elsewhere")
    batch = fresh[:5] + [same_name] + fresh[5:20] + [same_arn] + fresh[20:]
    result = store.commit([Write(r, new=True, **events(r.arn, 1, 2)) for r in batch])
    assert result == CommitResult(lost=[], exists=[same_name.arn, same_arn.arn])
    for r in fresh:
        assert store.get_execution(r.arn) == r
        assert ids(store.get_events(r.arn)) == [1, 2]
    assert store.get_execution(same_name.arn) is None and store.get_events(same_name.arn) == []
    assert store.get_execution(taken[1].arn) == taken[1] and store.get_events(taken[1].arn) == []
    assert store.find_execution(SM_A, "elsewhere") is None


def test_a_big_batch_of_updates_fenced_plain_lost_and_missing(store: Store) -> None:
    mine = [execution(f"m{i}", lease_owner="engine-a", lease_until=2000.0, event_count=1) for i in range(N)]
    theirs = execution("theirs", lease_owner="engine-b", lease_until=2000.0, event_count=1)
    plain = execution("plain", event_count=1)
    insert(store, *mine, theirs, plain, with_events=1)
    missing = execution("missing")
    done = [replace(r, status="SUCCEEDED", output='{"i": 1}', event_count=3, lease_owner=None, lease_until=None,
                    snapshot=None, wake_at=None, stop_time=1010.0) for r in mine]
    writes = [Write(r, **events(r.arn, 2, 3), owner="engine-a") for r in done[:7]]
    writes.append(Write(replace(theirs, status="FAILED", event_count=2), **events(theirs.arn, 2),
                        owner="engine-a"))
    writes += [Write(r, **events(r.arn, 2, 3), owner="engine-a") for r in done[7:]]
    writes.append(Write(replace(plain, status="ABORTED", event_count=2), **events(plain.arn, 2)))
    writes.append(Write(missing, **events(missing.arn, 1), owner="engine-a"))
    assert store.commit(writes) == CommitResult(lost=[theirs.arn, missing.arn], exists=[])
    for r in done:
        assert store.get_execution(r.arn) == r
        assert ids(store.get_events(r.arn)) == [1, 2, 3]
    assert store.get_execution(theirs.arn) == theirs and ids(store.get_events(theirs.arn)) == [1]
    assert store.get_execution(plain.arn).status == "ABORTED" and ids(store.get_events(plain.arn)) == [1, 2]
    assert store.get_execution(missing.arn) is None and store.get_events(missing.arn) == []


def test_a_failing_big_commit_writes_nothing_and_the_next_one_works(store: Store) -> None:
    existing = execution("existing", event_count=2)
    insert(store, existing, with_events=2)
    fresh = [execution(f"n{i}") for i in range(N)]
    with pytest.raises(StoreError):
        store.commit([Write(r, new=True, **events(r.arn, 1)) for r in fresh]
                     + [Write(replace(existing, event_count=3), **events(existing.arn, 1))])  # event 1 is stored
    assert all(store.get_execution(r.arn) is None for r in fresh)
    assert ids(store.get_events(existing.arn)) == [1, 2]
    store.put_definition(*DEFINITION)
    assert store.commit([Write(r, new=True, **events(r.arn, 1)) for r in fresh]) == CommitResult([], [])
    assert all(ids(store.get_events(r.arn)) == [1] for r in fresh)


def test_a_commit_takes_any_iterable_of_writes(store: Store) -> None:
    insert(store)
    fresh = [execution(f"g{i}") for i in range(N)]
    assert store.commit(Write(r, new=True) for r in fresh) == CommitResult(lost=[], exists=[])
    assert all(store.get_execution(r.arn) == r for r in fresh)
