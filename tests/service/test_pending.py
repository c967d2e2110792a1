"""An answer the engine gives later: waited for on a thread, or awaited on an event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from stepline.engine.records import ExecutionAlreadyExists
from stepline.service import pending
from stepline.service.errors import ServiceError
from stepline.service.pending import Pending


def test_the_answer_is_made_of_the_result_when_awaited_and_when_waited_for() -> None:
    future: concurrent.futures.Future = concurrent.futures.Future()
    answer = Pending(future, lambda r: {"got": r}, alive=lambda: True).then(lambda out: {**out, "then": True})
    future.set_result(7)
    assert answer.wait() == {"got": 7, "then": True}
    assert asyncio.run(answer.answer()) == {"got": 7, "then": True}


def test_a_refusal_is_the_callers_error() -> None:
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_exception(ExecutionAlreadyExists("Execution Already Exists: 'x'"))
    with pytest.raises(ServiceError) as e:
        asyncio.run(Pending(future, lambda r: r, alive=lambda: True).answer())
    assert (e.value.code, e.value.message) == ("ExecutionAlreadyExists", "Execution Already Exists: 'x'")


def test_no_engine_is_said_at_once() -> None:
    future: concurrent.futures.Future = concurrent.futures.Future()
    with pytest.raises(ServiceError) as e:
        Pending(future, lambda r: r, alive=lambda: False).wait()
    assert e.value.code == "ServiceUnavailable"


def test_giving_up_on_a_late_answer_leaves_the_engines_future_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pending, "ANSWER_TIMEOUT_S", 0.05)
    future: concurrent.futures.Future = concurrent.futures.Future()
    with pytest.raises(ServiceError) as e:
        asyncio.run(Pending(future, lambda r: r, alive=lambda: True).answer())
    assert e.value.code == "ServiceUnavailable"
    assert not future.cancelled()  # the engine still sets its result (the commit happened)
    future.set_result(1)
