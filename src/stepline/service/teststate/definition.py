"""TestState's definition: a single state or a whole machine with ``stateName``; the state to
test found in it, and checked against what the request asks of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...asl import loading, parser
from ...asl.diagnostics import ERROR, MISSING_END_STATE, SCHEMA_VALIDATION_FAILED, Diagnostic, at
from ...asl.errors import DefinitionError
from ...asl.model import MapState, ParallelState, Program, State, StateMachine, inner_programs, programs_within
from ...asl.resources import parse_resource
from ..errors import ServiceError as ApiError
from .mock_shapes import check_mock
from .request import STATE_NAME, UNSET, Request, validation


def load_state(definition: str, state_name: str | None, *,
               mocked: bool = False) -> tuple[StateMachine, Program, State, bool]:
    """The machine, the program holding the state to test, the state, and whether that state
    runs inside a Map's ItemProcessor. The states inside a ``mocked`` Map or Parallel never run:
    a Task resource among them that stepline does not know is not an error there (AWS takes
    ``arn:aws:lambda:your-region:your-account-id:function:...`` in such a Map)."""
    if state_name is not None:
        try:
            machine = parser.parse(definition)
        except DefinitionError as e:
            raise _invalid(e.diagnostics) from None
        found = _find(machine.program, state_name, False)
        if found is None:  # AWS's error and wording not documented
            raise validation(f"State '{state_name}' was not found in the state machine definition")
        return machine, found[0], found[0].states[state_name], found[1]
    data, found_diags = loading.load(definition)
    bad = [d for d in found_diags if d.severity == ERROR]
    if bad or data is None:
        raise _invalid(bad)
    if not isinstance(data, dict):
        raise _invalid([Diagnostic(ERROR, SCHEMA_VALIDATION_FAILED, "The state definition must be a JSON object")])
    # one state is tested as the start of a machine whose other states are where it may go; it
    # is named StateName, unless a state inside it (a Map's, a Parallel's) has that name: a name
    # of the wrapping machine's is no mistake of the definition's. (``data`` is this request's
    # own: read from its text just now.)
    inside = list(_raw_inner_states(data))
    if mocked and data.get("Type") in ("Map", "Parallel"):
        for _, state in inside:
            if state.get("Type") == "Task" and isinstance(state.get("Resource"), str) \
                    and parse_resource(state["Resource"]) is None:
                state["Resource"] = _NEVER_CALLED
    name, taken = STATE_NAME, {inner for inner, _ in inside}
    while name in taken:
        name += "_"
    states: dict[str, Any] = {name: data}
    for target in _targets(data):
        states.setdefault(target, {"Type": "Succeed"})
    try:
        machine = parser.parse({"StartAt": name, "States": states})
    except DefinitionError as e:
        # "no terminal state" is about the wrapping machine, not the state: a state with a bad
        # Next is reported as that
        raise _invalid([d for d in e.diagnostics if d.code != MISSING_END_STATE], at("", "States", name)) \
            from None
    return machine, machine.program, machine.states[name], False


#: what stands for an unknown Task resource inside a mocked Map or Parallel: no state calls it
_NEVER_CALLED = "arn:aws:lambda:us-east-1:123456789012:function:never-called"


def _raw_inner_states(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, state) of the states inside a raw state, at any depth (its Map processor's, its
    Parallel branches'), as far as they are objects."""
    branches = body.get("Branches")
    for program in [body.get("ItemProcessor"), body.get("Iterator"), *(branches if isinstance(branches, list) else [])]:
        states = program.get("States") if isinstance(program, dict) else None
        for name, state in (states.items() if isinstance(states, dict) else ()):
            if isinstance(state, dict):
                yield name, state
                yield from _raw_inner_states(state)


def _targets(body: dict) -> list[str]:
    """The states a raw state may go to: Next, the Choice rules' Next, Default, catchers' Next."""
    out = [body.get("Next"), body.get("Default")]
    for key in ("Choices", "Catch"):
        items = body.get(key)
        out += [c.get("Next") for c in items if isinstance(c, dict)] if isinstance(items, list) else []
    return [t for t in out if isinstance(t, str)]


def _invalid(diags: list, prefix: str | None = None) -> ApiError:
    """AWS's InvalidDefinition message (as CreateStateMachine words it); for a single state the
    locations are the state's own (``/Parameters``, not ``/States/TestState/Parameters``)."""
    parts = []
    for d in diags:
        if d.severity != ERROR:
            continue
        loc = d.location
        if prefix is not None and loc is not None and (loc == prefix or loc.startswith(prefix + "/")):
            loc = loc[len(prefix):] or "/"
        parts.append(f"{d.code}: {d.message}" + (f" at {loc}" if loc else ""))
    detail = ", ".join(parts) or "invalid definition"
    return ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{detail}'")


def _find(program: Program, name: str, in_map: bool) -> tuple[Program, bool] | None:
    if name in program.states:
        return program, in_map
    for st in program.states.values():
        for inner in inner_programs(st):
            found = _find(inner, name, in_map or isinstance(st, MapState))
            if found:
                return found
    return None


def _nested_names(st: State) -> set[str]:
    return {name for program in inner_programs(st) for inner in programs_within(program) for name in inner.states}


def _is_http(st: State) -> bool:
    r = getattr(st, "resource", None)
    return r is not None and r.kind == "service" and r.service == "http" and r.action == "invoke"


def check_state(req: Request, st: State) -> None:
    """The rules the docs state about what may be combined with what (wording not documented
    unless noted)."""
    # (TRACE is taken for every state type, as AWS answers today; only an HTTP Task has an HTTP
    # exchange to show at it)
    if st.type == "Task" and not req.mock and req.role_arn is None:  # (it calls the service as that role)
        raise validation("RoleArn must be specified when testing a Task state")
    if req.mock:
        if st.type not in ("Task", "Map", "Parallel"):
            # the wording AWS answers with for a Pass, Fail or Succeed state
            raise validation(f"State type '{st.type}' is not supported when a mock is specified")
        if req.mock_result is not UNSET and req.has_error_output:
            raise validation("A test mock should have only one of the following fields: [result, errorOutput].")
        if req.mock_result is UNSET and not req.has_error_output:
            raise validation("A mock must specify either 'result' or 'errorOutput'")
        if req.has_error_output and req.mock_error is None:
            raise validation("The field 'error' is required when mock.errorOutput is specified")
        if req.reveal_secrets:
            raise validation("TestState does not support RevealSecrets when a mock is specified.")
    else:
        if req.context_text is not None:
            raise validation("The context field may only be specified if a mock is specified")
        r = getattr(st, "resource", None)
        if st.type in ("Map", "Parallel") or r is not None and (r.kind == "activity"
                                                                 or r.pattern != "request-response"):
            what = f"{st.type} states" if r is None else \
                "Activity tasks" if r.kind == "activity" else f"the .{r.pattern} integration pattern"
            raise validation(f"TestState supports {what} only when a mock is specified")
    if isinstance(st, (MapState, ParallelState)) and req.mock:
        if req.has_error_output:
            # "you must specify which sub-state caused the error using errorCausedByState"
            if req.error_caused_by is None:
                raise validation("stateConfiguration.errorCausedByState is required when an error is mocked for a "
                                  f"{st.type} state")
            if req.error_caused_by not in _nested_names(st):
                raise validation(f"stateConfiguration.errorCausedByState '{req.error_caused_by}' is not a state "
                                  f"of the {st.type} state '{st.name}'")
        elif isinstance(st, ParallelState):
            # "the mocked result must be a JSON array with one element for each branch"
            if not isinstance(req.mock_result, list):
                raise validation("Mocked result must be an array.")
            if len(req.mock_result) != len(st.branches):
                raise validation("Mocked result must contain the same number of items as number of Parallel branches.")
        elif st.result_writer is not None and not isinstance(req.mock_result, dict):
            raise validation("Mocked result must be a JSON object.")
        elif st.result_writer is None and not isinstance(req.mock_result, list):
            raise validation("Mocked result must be an array.")
    if req.reader_data is not None and (not isinstance(st, MapState) or st.item_reader is None):
        raise validation("stateConfiguration.mapItemReaderData is only supported for a Map state with an ItemReader")
    r = getattr(st, "resource", None)
    if r is not None and req.mock_result is not UNSET and req.validation_mode != "NONE":
        check_mock(r, req.mock_result, req.validation_mode == "STRICT")
