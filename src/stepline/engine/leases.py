"""Leases: how an engine takes work from the store and keeps it.

An engine claims due executions (``wake_at`` passed, no live lease) on a thread of its own, so
the queries never hold up the loop's commits; what it claims goes to the loop's inbox. It
claims only what it can advance now (see :meth:`Engine.claim_limit`), so that where several
engines share a database, idle ones take the rest. It renews the leases of what it holds, and
says every few seconds that it is alive (the store counts the engines alive: one alone keeps
all its work, one of several lets go of what it cannot start). Executions dropped after a
failed commit, whose lease this engine still holds, are claimed again at once.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ..interpreter.frames import RUNNING
from ..store import ExecutionRecord, Store, Write
from .held import Holding

if TYPE_CHECKING:  # pragma: no cover
    from .durable import Engine

logger = logging.getLogger("stepline.engine")

BEAT_S = 1.0  # how often an engine says it is alive and what it has in hand (and learns the others')


class Leases:
    def __init__(self, engine: Engine, store: Store, holding: Holding, *, lease_seconds: float,
                 poll_interval: float) -> None:
        self.engine = engine
        self.store = store
        self.holding = holding
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.wakeup = threading.Event()
        self.next_claim = 0.0
        self._next_renew = 0.0
        self._next_beat = 0.0
        self._thread: threading.Thread | None = None
        # executions dropped after a failed commit while this engine still holds their lease:
        # claimed again, from their committed state, as soon as the store gives them
        self._orphans: set[str] = set()
        self._orphans_lock = threading.Lock()

    # ------------------------------------------------------------------ the claiming thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stepline-claim", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        self.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self.next_claim = 0.0
        self.wakeup.set()

    def _run(self) -> None:
        engine = self.engine
        while engine.running:
            now = engine.clock()
            if now >= self._next_beat:
                self._beat(now)
            if now >= self.next_claim:
                try:
                    self._claim(now)
                except Exception as e:  # noqa: BLE001 - the database is away for a moment: poll again
                    logger.warning("claiming work failed: %s", e)
            until = min(self.next_claim, self._next_beat) - engine.clock()
            self.wakeup.wait(max(0.0, min(until, self.poll_interval)))
            self.wakeup.clear()

    def _beat(self, now: float) -> None:
        self._next_beat = now + BEAT_S
        if not self.engine.run_executions:  # (it takes no share of the work: the others do not count it)
            return
        try:
            workers = self.engine.workers
            workers.seen(self.store.beat(self.engine.owner, now, now - 3 * BEAT_S, workers.work_ms))
        except Exception as e:  # noqa: BLE001 - counted as alone until the database answers again
            logger.warning("saying this engine is alive failed: %s", e)

    def _claim(self, now: float) -> None:
        engine = self.engine
        self.next_claim = now + self.poll_interval
        limit = engine.claim_limit()
        if limit <= 0:
            return
        records = self._reclaim_orphans(now)
        records += self.store.claim(engine.owner, now, now + self.lease_seconds, limit)
        if records:
            if not engine.running:  # shutting down: give them back at once
                self.give_back(records)
                return
            engine.claimed(records)
        if len(records) >= limit:  # a full batch: there is likely more, due now
            self.next_claim = now
        elif len(self.holding.live) + len(records) < engine.max_held:  # room: claim again once any is due
            due = self.store.next_wake(now)
            if due is not None:
                self.next_claim = min(self.next_claim, max(due, now + 0.001))

    def _reclaim_orphans(self, now: float) -> list[ExecutionRecord]:
        """The committed rows of the executions a failed commit dropped (our lease still holds
        them, so no ordinary claim would). Those the store cannot give now stay for the next
        round; those another engine took meanwhile, or that ended, are left alone."""
        with self._orphans_lock:
            arns = list(self._orphans)
        records = []
        for arn in arns:
            record = self.claim_one(arn, now)  # raises: next round
            with self._orphans_lock:
                self._orphans.discard(arn)
            if record is not None and record.status == RUNNING:
                records.append(record)
        return records

    def orphaned(self, arns: list[str]) -> None:
        with self._orphans_lock:
            self._orphans.update(arns)
        self.wakeup.set()

    # ------------------------------------------------------------------ one execution, leases held

    def claim_one(self, arn: str, now: float) -> ExecutionRecord | None:
        """Take one execution, due or not, if no live lease holds it (to stop or redrive it)."""
        return self.store.claim_arn(self.engine.owner, arn, now, now + self.lease_seconds)

    def give_back(self, records: list[ExecutionRecord]) -> None:
        """Release the leases of claimed executions this engine will not run."""
        now = self.engine.clock()
        writes = []
        for r in records:
            r.lease_owner = r.lease_until = None
            r.wake_at = now
            writes.append(Write(r, owner=self.engine.owner))
        self.store.commit(writes)
        self.store.notify()

    def renew(self, now: float) -> list[str]:
        """Extend the leases of what is held (from the loop); the ARNs of those lost."""
        if now < self._next_renew:
            return []
        self._next_renew = now + self.lease_seconds / 3
        held = [arn for arn, h in self.holding.live.items() if not h.new]
        return self.store.renew(self.engine.owner, held, now + self.lease_seconds)

    @property
    def next_renew(self) -> float:
        return self._next_renew

    def leave(self) -> None:
        try:
            self.store.leave(self.engine.owner)
        except Exception as e:  # noqa: BLE001 - the others stop counting it soon anyway
            logger.warning("saying this engine stops failed: %s", e)
