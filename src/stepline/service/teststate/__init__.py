"""The ``TestState`` operation: run one state, once, and say what it did.

AWS docs (API_TestState; developer guide "Testing state machines with TestState API"):
``definition`` is one state's JSON, or a whole state machine when ``stateName`` names the state
to test. The answer carries ``status`` (SUCCEEDED, FAILED, RETRIABLE when a retrier would retry,
CAUGHT_ERROR when a catcher takes the error), ``nextState``, ``output`` or ``error``/``cause``,
and at ``DEBUG``/``TRACE`` the ``inspectionData`` of each processing step (``TRACE`` adds the
HTTP request and response of an HTTP Task). A ``mock`` replaces what the state would call: the
result or the error of a Task, the whole result of a Map or Parallel (whose iterations and
branches never run); ``stateConfiguration`` sets the situation the state runs in (how often the
applicable retrier has retried, how many Map iterations failed, what an ItemReader read).

The state runs through the interpreter executions use, one state of a one-state execution: an
:class:`~stepline.interpreter.core.Observer` stops it once it leaves the state, and the state's
compiled callables are wrapped so each intermediate value is recorded as the interpreter
computes it (only a Map's ItemSelector is applied to its items once more, for
``afterItemSelector``: the iterations it started are never run). Wait states do not wait.

Hook for the HTTP Task integration (TRACE): at ``inspectionLevel`` TRACE the task is invoked as
``integrations.invoke(resource, payload, timeout=..., token=..., http_trace=trace)`` where
``trace`` is an :class:`HttpTrace`; the HTTP integration sets ``trace.request`` and
``trace.response`` to dicts with AWS's ``InspectionDataRequest``/``InspectionDataResponse``
members (strings), leaving out what the connection adds unless ``trace.reveal_secrets``.

The package: :mod:`.request` (the request), :mod:`.definition` (the state to test, and what
may be asked of it), :mod:`.mock_shapes` (mocks against the API model), :mod:`.run`.
"""

from __future__ import annotations

from ...integrations import Integrations
from .definition import check_state, load_state
from .request import Request
from .run import HttpTrace, Run

__all__ = ["test_state", "HttpTrace"]


def test_state(request: dict, *, integrations: Integrations, region: str, account: str) -> dict:
    """Run ``TestState``: the request and response are the API's (camelCase) members.
    Raises :class:`ApiError` for a request AWS would refuse."""
    req = Request(request)
    machine, program, st, in_map = load_state(req.definition, req.state_name, mocked=bool(req.mock))
    check_state(req, st)
    return Run(req, machine, program, st, in_map, integrations, region, account).response()
