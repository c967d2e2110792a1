"""An answer the engine gives later: a start, a stop or a redrive is answered once the commit
that records it is done.

A :class:`Pending` holds the engine's future and what makes the response of its result. A
thread may block on it (:meth:`Pending.wait`); the API server awaits it on its event loop
instead (:meth:`Pending.answer`), so a request waiting for a commit holds no thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

from ..engine.records import ExecutionAlreadyExists, ExecutionDoesNotExist, ExecutionNotRedrivable
from ..store import StoreError
from .errors import ServiceError, store_refusal

ANSWER_TIMEOUT_S = 30.0  # how long a caller waits for the engine's commit before an error


class Pending:
    __slots__ = ("future", "finish", "alive")

    def __init__(self, future: concurrent.futures.Future, finish: Callable[[Any], Any],
                 alive: Callable[[], bool]) -> None:
        """``finish`` makes the response of the future's result; ``alive`` says whether an
        engine is there to answer at all."""
        self.future, self.finish, self.alive = future, finish, alive

    def then(self, fn: Callable[[Any], Any]) -> Pending:
        """The same answer, passed through ``fn`` once made."""
        finish = self.finish
        return Pending(self.future, lambda result: fn(finish(result)), self.alive)

    def _check_alive(self) -> None:
        if not self.future.done() and not self.alive():  # no engine to answer: say so now, not in 30 s
            raise ServiceError("ServiceUnavailable", "The engine of this server is not running; try again later.",
                               503)

    def wait(self) -> Any:
        """The response, blocking this thread until the engine answers."""
        self._check_alive()
        try:
            result = self.future.result(ANSWER_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            raise _late() from None
        except Exception as e:  # noqa: BLE001 - each made the caller's error
            raise _refusal(e) from None
        return self.finish(result)

    async def answer(self) -> Any:
        """The response, awaited on the running event loop."""
        self._check_alive()
        try:
            # (shielded: giving up on the answer must not cancel the engine's future, whose
            # start or stop is committed all the same)
            result = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self.future)), ANSWER_TIMEOUT_S)
        except TimeoutError:
            raise _late() from None
        except Exception as e:  # noqa: BLE001 - each made the caller's error
            raise _refusal(e) from None
        return self.finish(result)


def _late() -> ServiceError:
    return ServiceError("ServiceUnavailable", "The engine did not answer in time; try again.", 503)


def _refusal(e: Exception) -> Exception:
    """What the caller is told when the engine refused or failed the request."""
    if isinstance(e, ExecutionAlreadyExists):
        return ServiceError("ExecutionAlreadyExists", str(e))
    if isinstance(e, ExecutionDoesNotExist):
        return ServiceError("ExecutionDoesNotExist", str(e))
    if isinstance(e, ExecutionNotRedrivable):
        return ServiceError("ExecutionNotRedrivable", str(e))
    if isinstance(e, ServiceError):
        return e
    if isinstance(e, StoreError):
        return store_refusal(e)
    # the engine failed the request (its log says why)
    return ServiceError("InternalFailure", f"The engine could not do it: {type(e).__name__}", 500)
