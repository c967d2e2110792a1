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
:class:`~stepline.interpreter.Interpreter` subclass stops it once it leaves the state, and the
state's compiled callables are wrapped so each intermediate value is recorded as the
interpreter computes it (only a Map's ItemSelector is applied to its items once more, for
``afterItemSelector``: the iterations it started are never run). Wait states do not wait.

Hook for the HTTP Task integration (TRACE): at ``inspectionLevel`` TRACE the task is invoked as
``integrations.invoke(resource, payload, timeout=..., token=..., http_trace=trace)`` where
``trace`` is an :class:`HttpTrace`; the HTTP integration sets ``trace.request`` and
``trace.response`` to dicts with AWS's ``InspectionDataRequest``/``InspectionDataResponse``
members (strings), leaving out what the connection adds unless ``trace.reveal_secrets``.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .. import arns
from ..asl import errors as asl_errors
from ..asl import loading, parser
from ..asl.diagnostics import ERROR, MISSING_END_STATE, SCHEMA_VALIDATION_FAILED, Diagnostic, at
from ..asl.errors import DefinitionError, StatesError
from ..asl.map_fields import writer_and_reader
from ..asl.model import DISCARD, MapState, ParallelState, Program, Resource, State, StateMachine
from ..asl.values import JSON, dumps, parse_json, size_in_bytes
from ..ids import new_uuid
from ..integrations import Integrations, TaskFailure
from ..interpreter import Execution, Frame, Interpreter
from ..interpreter.core import Observer
from ..interpreter.frames import FAILED, Sleep, Spawn, TaskCall
from ..interpreter.start import Start
from .errors import ServiceError as ApiError

__all__ = ["test_state", "HttpTrace"]

INFO, DEBUG, TRACE = "INFO", "DEBUG", "TRACE"
_LEVELS = (INFO, DEBUG, TRACE)
_MODES = ("STRICT", "PRESENT", "NONE")
#: "The TestState API can run for up to five minutes" (API_TestState): then States.Timeout
MAX_SECONDS = 300.0
#: the name a single-state definition runs under, and the machine it runs in (not documented)
STATE_NAME = "TestState"
MACHINE_NAME = "TestStateMachine"
_ROLE_ARN = re.compile(r"arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_UNSET: Any = object()


class HttpTrace:
    """The raw HTTP exchange of an HTTP Task, filled in by the HTTP integration at TRACE."""

    __slots__ = ("request", "response", "reveal_secrets")

    def __init__(self, reveal_secrets: bool = False) -> None:
        self.reveal_secrets = reveal_secrets
        self.request: dict | None = None   # protocol, method, url, headers, body
        self.response: dict | None = None  # protocol, statusCode, statusMessage, headers, body


def test_state(request: dict, *, integrations: Integrations, region: str, account: str) -> dict:
    """Run ``TestState``: the request and response are the API's (camelCase) members.
    Raises :class:`ApiError` for a request AWS would refuse."""
    req = _Request(request)
    machine, program, st, in_map = _load(req.definition, req.state_name)
    _check(req, st)
    return _Run(req, machine, program, st, in_map, integrations, region, account).response()


# ---------------------------------------------------------------------------- the request

def _validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


class _Request:
    """The request's members, checked against the API model's constraints (botocore's
    ``TestStateInput``) and with the JSON texts read."""

    def __init__(self, r: Any) -> None:
        if not isinstance(r, dict):
            raise ApiError("SerializationException", "The request must be a JSON object")
        self.problems: list[str] = []
        self.definition: str = self._text(r, "definition", None, 1, 1048576, required=True) or ""
        self.role_arn = self._text(r, "roleArn", None, 1, 256, sensitive=False)
        self.input_text = self._text(r, "input", None, 0, 262144)
        level = self._text(r, "inspectionLevel", None, 0, None, sensitive=False)
        self.level = self._enum(level, "inspectionLevel", _LEVELS) or INFO
        self.reveal_secrets = self._type(r.get("revealSecrets"), "revealSecrets", bool) or False
        self.variables_text = self._text(r, "variables", None, 0, 262144)
        self.state_name = self._text(r, "stateName", None, 1, 80)
        self.context_text = self._text(r, "context", None, 0, 262144)
        mock = self._type(r.get("mock"), "mock", dict)
        self.mock = mock is not None
        self.mock_result_text = self._text(mock or {}, "result", "mock", 0, 262144)
        error_output = self._type((mock or {}).get("errorOutput"), "mock.errorOutput", dict)
        self.mock_error = self._text(error_output or {}, "error", "mock.errorOutput", 0, 256)
        self.mock_cause = self._text(error_output or {}, "cause", "mock.errorOutput", 0, 32768)
        self.has_error_output = error_output is not None
        mode = self._text(mock or {}, "fieldValidationMode", "mock", 0, None, sensitive=False)
        self.validation_mode = self._enum(mode, "mock.fieldValidationMode", _MODES) or "STRICT"
        config = self._type(r.get("stateConfiguration"), "stateConfiguration", dict) or {}
        self.retry_count = self._count(config, "retrierRetryCount")
        self.error_caused_by = self._text(config, "errorCausedByState", "stateConfiguration", 1, 80)
        self.iteration_failures = self._count(config, "mapIterationFailureCount")
        self.reader_data = self._text(config, "mapItemReaderData", "stateConfiguration", 0, 262144)
        if self.problems:
            n = len(self.problems)
            raise _validation(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(self.problems))
        if self.role_arn is not None and not _ROLE_ARN.fullmatch(self.role_arn):
            raise ApiError("InvalidArn", f"Invalid Arn: '{self.role_arn}'")  # TestState's errors include InvalidArn
        self.mock_result: JSON = _UNSET
        if self.mock_result_text is not None:
            try:
                self.mock_result = _loads(self.mock_result_text)
            except ValueError as e:
                raise _validation(f"The mocked result is not valid JSON: {e}") from None

    def _type(self, value: Any, member: str, typ: type) -> Any:
        if value is not None and (type(value) is not typ):
            raise ApiError("SerializationException", f"The value of '{member}' must be a {typ.__name__}, not "
                                                     f"{type(value).__name__}")
        return value

    def _text(self, r: dict, name: str, parent: str | None, low: int, high: int | None, *,
              required: bool = False, sensitive: bool = True) -> str | None:
        member = f"{parent}.{name}" if parent else name
        value = self._type(r.get(name), member, str)
        shown = "" if sensitive or value is None else f"'{value}' "
        if value is None:
            if required:
                self.problems.append(f"Value null at '{member}' failed to satisfy constraint: Member must not be null")
        elif len(value) < low:
            self.problems.append(f"Value {shown}at '{member}' failed to satisfy constraint: Member must have length "
                                 f"greater than or equal to {low}")
        elif high is not None and len(value) > high:
            self.problems.append(f"Value {shown}at '{member}' failed to satisfy constraint: Member must have length "
                                 f"less than or equal to {high}")
        return value

    def _enum(self, value: str | None, member: str, allowed: tuple[str, ...]) -> str | None:
        if value is not None and value not in allowed:
            self.problems.append(f"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy "
                                 f"enum value set: [{', '.join(allowed)}]")
            return None
        return value

    def _count(self, config: dict, name: str) -> int | None:
        value = self._type(config.get(name), f"stateConfiguration.{name}", int)
        if value is not None and value < 0:
            self.problems.append(f"Value '{value}' at 'stateConfiguration.{name}' failed to satisfy constraint: "
                                 "Member must have value greater than or equal to 0")
        return value


# ---------------------------------------------------------------------------- the definition

def _load(definition: str, state_name: str | None) -> tuple[StateMachine, Program, State, bool]:
    """The machine, the program holding the state to test, the state, and whether that state
    runs inside a Map's ItemProcessor."""
    if state_name is not None:
        try:
            machine = parser.parse(definition)
        except DefinitionError as e:
            raise _invalid(e.diagnostics) from None
        found = _find(machine.program, state_name, False)
        if found is None:  # AWS's error and wording not documented
            raise _validation(f"State '{state_name}' was not found in the state machine definition")
        return machine, found[0], found[0].states[state_name], found[1]
    data, found_diags = loading.load(definition)
    bad = [d for d in found_diags if d.severity == ERROR]
    if bad or data is None:
        raise _invalid(bad)
    if not isinstance(data, dict):
        raise _invalid([Diagnostic(ERROR, SCHEMA_VALIDATION_FAILED, "The state definition must be a JSON object")])
    # one state is tested as the start of a machine whose other states are where it may go
    states: dict[str, Any] = {STATE_NAME: data}
    for target in _targets(data):
        states.setdefault(target, {"Type": "Succeed"})
    try:
        machine = parser.parse({"StartAt": STATE_NAME, "States": states})
    except DefinitionError as e:
        # "no terminal state" is about the wrapping machine, not the state: a state with a bad
        # Next is reported as that
        raise _invalid([d for d in e.diagnostics if d.code != MISSING_END_STATE], at("", "States", STATE_NAME)) \
            from None
    return machine, machine.program, machine.states[STATE_NAME], False


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
        if isinstance(st, ParallelState):
            for branch in st.branches:
                found = _find(branch, name, in_map)
                if found:
                    return found
        elif isinstance(st, MapState):
            found = _find(st.processor, name, True)
            if found:
                return found
    return None


def _nested_names(st: State) -> set[str]:
    programs = (list(st.branches) if isinstance(st, ParallelState) else [st.processor] if isinstance(st, MapState)
                else [])
    names: set[str] = set()
    for p in programs:
        for s in p.states.values():
            names.add(s.name)
            names |= _nested_names(s)
    return names


def _is_http(st: State) -> bool:
    r = getattr(st, "resource", None)
    return r is not None and r.kind == "service" and r.service == "http" and r.action == "invoke"


def _check(req: _Request, st: State) -> None:
    """The rules the docs state about what may be combined with what (wording not documented
    unless noted)."""
    if req.level == TRACE and not _is_http(st):
        # "This level is only applicable for HTTP Task. Step Functions throws an error if you
        # use this level for other state types."
        raise _validation("The TRACE inspection level is only supported for HTTP Task states")
    if req.mock:
        if st.type not in ("Task", "Map", "Parallel"):
            # the wording AWS answers with for a Pass, Fail or Succeed state
            raise _validation(f"State type '{st.type}' is not supported when a mock is specified")
        if req.mock_result is not _UNSET and req.has_error_output:
            raise _validation("A mock cannot specify both 'result' and 'errorOutput'")
        if req.mock_result is _UNSET and not req.has_error_output:
            raise _validation("A mock must specify either 'result' or 'errorOutput'")
        if req.has_error_output and req.mock_error is None:
            raise _validation("The field 'error' is required when mock.errorOutput is specified")
        if req.reveal_secrets:
            raise _validation("revealSecrets cannot be used when a mock is specified")
    else:
        if req.context_text is not None:
            raise _validation("The context field may only be specified if a mock is specified")
        r = getattr(st, "resource", None)
        if st.type in ("Map", "Parallel") or r is not None and (r.kind == "activity"
                                                                 or r.pattern != "request-response"):
            what = f"{st.type} states" if r is None else \
                "Activity tasks" if r.kind == "activity" else f"the .{r.pattern} integration pattern"
            raise _validation(f"TestState supports {what} only when a mock is specified")
    if isinstance(st, (MapState, ParallelState)) and req.mock:
        if req.has_error_output:
            # "you must specify which sub-state caused the error using errorCausedByState"
            if req.error_caused_by is None:
                raise _validation("stateConfiguration.errorCausedByState is required when an error is mocked for a "
                                  f"{st.type} state")
            if req.error_caused_by not in _nested_names(st):
                raise _validation(f"stateConfiguration.errorCausedByState '{req.error_caused_by}' is not a state "
                                  f"of the {st.type} state '{st.name}'")
        elif isinstance(st, ParallelState):
            # "the mocked result must be a JSON array with one element for each branch"
            if not isinstance(req.mock_result, list) or len(req.mock_result) != len(st.branches):
                raise _validation(f"The mocked result of a Parallel state must be a JSON array with one element per "
                                  f"branch ({len(st.branches)})")
        elif st.result_writer is not None and not isinstance(req.mock_result, dict):
            raise _validation("The mocked result of a Map state with a ResultWriter must be a JSON object")
        elif st.result_writer is None and not isinstance(req.mock_result, list):
            raise _validation("The mocked result of a Map state must be a JSON array")
    if req.reader_data is not None and (not isinstance(st, MapState) or st.item_reader is None):
        raise _validation("stateConfiguration.mapItemReaderData is only supported for a Map state with an ItemReader")
    r = getattr(st, "resource", None)
    if r is not None and req.mock_result is not _UNSET and req.validation_mode != "NONE":
        _check_mock_schema(r, req.mock_result, req.validation_mode == "STRICT")


# ---------------------------------------------------------------------------- mocks against API models

#: SDK service names (aws-sdk:<service>:<action>) that botocore knows by another name
_BOTOCORE_NAMES = {"sfn": "stepfunctions", "states": "stepfunctions", "elasticmapreduce": "emr",
                   "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elbv2", "costexplorer": "ce",
                   "applicationautoscaling": "application-autoscaling", "cognitoidentityprovider": "cognito-idp",
                   "eventbridge": "events"}


def _check_mock_schema(r: Resource, result: JSON, strict: bool) -> None:
    """"TestState validates mocked responses against AWS service API models": the mocked
    result of a request-response service integration is checked against the output shape of
    its API action in botocore's model (STRICT: required fields too; PRESENT: the fields
    present). Fields the model does not define are ignored; HTTP Task, API Gateway and EKS
    are not validated (docs); neither are .sync / .waitForTaskToken results (not done here)."""
    if r.kind != "service" or r.pattern != "request-response" or r.service is None or r.action is None:
        return
    service = r.service[len("aws-sdk:"):] if r.service.startswith("aws-sdk:") else r.service
    if service in ("http", "apigateway") or service == "eks" and r.action in ("call", "runJob"):
        return
    shape = _output_shape(service, r.action)
    if shape is None:
        return
    problem = _mismatch(shape, result, "", strict)
    if problem:
        raise _validation(f"The mocked result does not match the response of {service}:{r.action}: {problem}")


@lru_cache(maxsize=256)
def _output_shape(service: str, action: str) -> Any:
    try:
        model = _botocore_session().get_service_model(_BOTOCORE_NAMES.get(service, service))
        operation = action[:1].upper() + action[1:]
        if operation not in model.operation_names:
            return None
        return model.operation_model(operation).output_shape
    except Exception:  # noqa: BLE001 - a service botocore does not know is simply not validated
        return None


@lru_cache(maxsize=1)
def _botocore_session() -> Any:
    import botocore.session
    return botocore.session.get_session()


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _mismatch(shape: Any, value: JSON, where: str, strict: bool) -> str | None:
    """The first way ``value`` breaks ``shape`` (Step Functions writes member names with a
    capital first letter, so both spellings are accepted), or None."""
    t = shape.type_name
    name = where or "the result"
    meta = shape.metadata
    if value is None:
        return None
    if t == "structure":
        if type(value) is not dict:
            return f"{name} must be an object"
        by_pascal = {_pascal(m): m for m in shape.members}
        if strict:
            for m in shape.required_members:
                if m not in value and _pascal(m) not in value:
                    return f"the required field '{where + '.' if where else ''}{_pascal(m)}' is missing"
        for key, v in value.items():
            member = shape.members.get(key) or shape.members.get(by_pascal.get(key, ""))
            if member is not None:
                problem = _mismatch(member, v, f"{where}.{key}" if where else key, strict)
                if problem:
                    return problem
        return None
    if t in ("list", "map"):
        if type(value) is not (list if t == "list" else dict):
            return f"{name} must be {'an array' if t == 'list' else 'an object'}"
        if t == "list" and not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            return f"{name} has {len(value)} elements, outside [{meta.get('min', 0)}, {meta.get('max', '')}]"
        inner = shape.member if t == "list" else shape.value
        items: Any = enumerate(value) if isinstance(value, list) else value.items()
        for k, v in items:
            problem = _mismatch(inner, v, f"{name}[{k}]" if t == "list" else f"{name}.{k}", strict)
            if problem:
                return problem
        return None
    if t == "string":
        if type(value) is not str:
            return f"{name} must be a string"
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            return f"{name} must be {meta.get('min', 0)} to {meta.get('max', '')} characters long"
        return None
    if t in ("integer", "long", "float", "double"):
        ok = (int,) if t in ("integer", "long") else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok):
            return f"{name} must be {'an integer' if t in ('integer', 'long') else 'a number'}"
        if not meta.get("min", value) <= value <= meta.get("max", value):
            return f"{name} must be between {meta.get('min', '')} and {meta.get('max', '')}"
        return None
    if t == "boolean" and type(value) is not bool:
        return f"{name} must be a boolean"
    if t == "timestamp" and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
        return f"{name} must be a timestamp"
    return None  # blob, document: Step Functions hands them over as JSON of any shape


# ---------------------------------------------------------------------------- ItemReader data

_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def _reader_items(st: MapState, text: str) -> list:
    """``mapItemReaderData``: "the data read by ItemReader ... as found in its original
    source", read the way the ItemReader's ReaderConfig says (CSV, JSONL, else JSON)."""
    reader: dict = st.item_reader if isinstance(st.item_reader, dict) else {}
    config: dict = reader["ReaderConfig"] if isinstance(reader.get("ReaderConfig"), dict) else {}
    kind = config.get("InputType")
    try:
        if kind == "CSV":
            rows = list(csv.reader(text.splitlines(), delimiter=_DELIMITERS.get(str(config.get("CSVDelimiter")), ",")))
            if config.get("CSVHeaderLocation") == "GIVEN":
                headers = config.get("CSVHeaders") or []
            else:
                headers = rows.pop(0) if rows else []
            items: Any = [dict(zip(headers, row, strict=False)) for row in rows]
        elif kind == "JSONL":
            items = [parse_json(line) for line in text.splitlines() if line.strip()]
        else:
            items = parse_json(text)
    except (ValueError, csv.Error) as e:
        raise _validation(f"stateConfiguration.mapItemReaderData cannot be read as {kind or 'JSON'}: {e}") from None
    if not isinstance(items, list):
        raise _validation("stateConfiguration.mapItemReaderData must hold a JSON array of items")
    limit = config.get("MaxItems")
    return items[:limit] if isinstance(limit, int) and limit > 0 else items


# ---------------------------------------------------------------------------- running the state

class _Probe(Observer):
    """What the interpreter is seen to do with the tested state: it stops once the state is
    left, noting how it went."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.exited = False
        self.output: JSON = None
        self.next_state: str | None = None
        self.error: str | None = None
        self.cause: str | None = None
        self.handled = False

    def on_exit(self, frame: Frame, st: State, output: JSON, next_state: str | None) -> bool:
        self.exited, self.output, self.next_state = True, output, next_state
        return True  # TestState runs one state: the frame stops where it arrives

    def on_error(self, frame: Frame, st: State, error: str | None, cause: str | None) -> int | None:
        self.handled, self.error, self.cause = True, error, cause
        # "the number of retry attempts that have occurred for the state's Retry that applies":
        # only the first matching retrier is consulted, so all may say so
        return self.run.req.retry_count

    def on_result(self, frame: Frame, st: State, result: JSON, size: int) -> tuple[JSON, int]:
        if isinstance(st, (MapState, ParallelState)):
            result = self.run.fanout_result(frame, st, self.run.now)
            size = size_in_bytes(result)
        self.run.rec.setdefault("result", result)
        return result, size


class _Run:
    def __init__(self, req: _Request, machine: StateMachine, program: Program, st: State, in_map: bool,
                 integrations: Integrations, region: str, account: str) -> None:
        self.req = req
        self.integrations = integrations
        self.rec: dict[str, Any] = {}
        self.input_text = req.input_text if req.input_text is not None else "{}"
        try:
            self.input = _loads(self.input_text)
        except ValueError as e:
            raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{e}'") from None
        variables = _json_object(req.variables_text, "variables")
        context = _json_object(req.context_text, "context")
        reader_items = _reader_items(st, req.reader_data) \
            if isinstance(st, MapState) and req.reader_data is not None else None
        self.original = st
        self.state = probed = _probed(st, self.rec, reader_items)
        self.probe = probe = _Probe(self)
        self.interp = interp = Interpreter(observer=probe)
        now = self.now = time.time()
        name = new_uuid()
        start = Start(state_machine_arn=arns.state_machine(region, account, MACHINE_NAME),
                      state_machine_name=MACHINE_NAME, name=name,
                      arn=arns.execution(region, account, MACHINE_NAME, name),
                      input=self.input, input_text=self.input_text,
                      role_arn=req.role_arn or arns.role(region, account), region=region, account=account,
                      input_size=size_in_bytes(self.input))
        ex = self.execution = Execution(machine, start, now, new_id=new_uuid)
        interp.start(ex, now)  # ExecutionStarted: the state is entered as event #2, as a first state is
        frame = self.frame = Frame(ex, dataclasses.replace(program, states={**program.states, st.name: probed}),
                                   self.input, last=len(ex.events), size=ex.input_size or 0)
        ex.root = frame
        frame.state = st.name
        ex.given_context = context
        if in_map and context is None:
            # "TestState automatically populates ... $$.Map.Item.Index = 0, $$.Map.Item.Value =
            # your input value" for a state within a Map
            frame.map_item = (0, self.input)
        if variables:
            frame.assign(variables)
        self.group: Any = None
        self.trace: HttpTrace | None = None

    # -- the run

    def response(self) -> dict:
        interp, probe, frame, st, now = self.interp, self.probe, self.frame, self.state, self.now
        outcome = interp.advance(frame, now)
        while True:
            if isinstance(outcome, TaskCall):
                outcome = self._task(outcome)
            elif isinstance(outcome, Sleep) and st.type == "Wait" and not probe.handled:
                outcome = interp.timer_fired(frame, now)  # a Wait state does not wait
            elif isinstance(outcome, Spawn):  # Map or Parallel: its iterations or branches do not run
                try:
                    outcome = interp.complete(frame, st, None, now, 0)
                except StatesError as e:
                    outcome = interp.state_failed(frame, st, e, now)
                outcome = interp.continue_after(frame, outcome, now)
            else:
                break
        ex = self.execution
        out: dict[str, Any] = {}
        if ex.status == FAILED:
            out["status"] = "FAILED"
            _put(out, "error", ex.error)
            _put(out, "cause", ex.cause)
        elif type(outcome) is Sleep:
            out["status"] = "RETRIABLE"
            _put(out, "error", probe.error)
            _put(out, "cause", probe.cause)
        elif probe.exited:
            out["status"] = "CAUGHT_ERROR" if probe.handled else "SUCCEEDED"
            out["output"] = self.input_text if probe.output is self.input else dumps(probe.output)
            _put(out, "nextState", probe.next_state)
            if probe.handled:
                _put(out, "error", probe.error)
                _put(out, "cause", probe.cause)
        else:  # pragma: no cover - every path above ends the state one way or another
            raise RuntimeError(f"TestState: the state {st.name!r} neither finished nor failed ({outcome!r})")
        if self.req.level != INFO:
            data = self._inspection(outcome)
            if data:
                out["inspectionData"] = data
        return out

    def _task(self, call: TaskCall) -> Any:
        req, interp, now = self.req, self.interp, self.now
        if req.mock:
            if req.has_error_output:
                return interp.task_failed(call, req.mock_error or "", req.mock_cause, now)
            return interp.task_succeeded(call, req.mock_result, now)
        extra: dict[str, Any] = {}
        if req.level == TRACE:
            self.trace = extra["http_trace"] = HttpTrace(req.reveal_secrets)
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["done"] = self.integrations.invoke(call.resource, call.input, timeout=call.timeout,
                                                       token=call.token, **extra)
            except TaskFailure as e:
                box["failed"] = e
            except BaseException as e:  # noqa: BLE001 - as the engine does: a broken integration fails the task
                box["failed"] = TaskFailure(asl_errors.TASK_FAILED, f"{type(e).__name__}: {e}")

        worker = threading.Thread(target=work, daemon=True, name="stepline-teststate")
        worker.start()
        worker.join(min(call.timeout, MAX_SECONDS) if call.timeout else MAX_SECONDS)
        if worker.is_alive():
            return interp.task_timed_out(call, now)
        if "failed" in box:
            return interp.task_failed(call, box["failed"].error, box["failed"].cause, now)
        result, size = box["done"]
        return interp.task_succeeded(call, result, now, size=size)

    def fanout_result(self, frame: Frame, st: MapState | ParallelState, now: float) -> JSON:
        """A mocked Map or Parallel: its result is the mock's ("the mocked result must
        represent the output of the entire Map state"), or it fails with the mocked error or,
        for a Map, when ``mapIterationFailureCount`` failures exceed what it tolerates."""
        req = self.req
        group: Any = frame.child_group
        self.group = group
        if isinstance(st, MapState):
            maps = self.interp.maps
            if st.item_batcher is not None:
                selected = [item for batch in group.items for item in batch["Items"]]
            else:  # every item's ItemSelector, also those MaxConcurrency had not started yet
                selected = [maps.select_item(frame, st, group, i, item, now) for i, item in enumerate(group.items)]
            self.rec["afterItemSelector"] = selected
            failures = req.iteration_failures
            if failures:
                if failures > len(selected):
                    raise _validation(f"stateConfiguration.mapIterationFailureCount ({failures}) cannot exceed the "
                                      f"number of items ({len(selected)})")
                group.failures = failures
                if not self.interp.children.tolerated(group):
                    if req.has_error_output:
                        raise StatesError(req.mock_error or "", req.mock_cause, in_state=False)
                    raise StatesError(asl_errors.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                      "The specified tolerated failure threshold was exceeded", in_state=False)
        if req.has_error_output:
            raise StatesError(req.mock_error or "", req.mock_cause, in_state=False)
        return req.mock_result

    # -- what it did

    def _inspection(self, outcome: Any) -> dict:
        """``inspectionData`` at DEBUG/TRACE: the values of the processing steps the state went
        through, up to where it failed (docs: "DEBUG ... shows the intermediate data
        processing results up to the point of failure"). Steps the state does not define
        show their input unchanged, as the docs' Pass example shows afterResultSelector."""
        st, probe = self.original, self.probe
        rec = dict(self.rec)
        processing = st.type in ("Pass", "Task", "Map", "Parallel")
        if st.jsonata:
            if st.type in ("Task", "Parallel") and getattr(st, "arguments", None) is None:
                rec.setdefault("afterArguments", self.input)
        elif st.type != "Fail":
            if st.input_path is None or st.input_path is DISCARD:
                rec.setdefault("afterInputPath", self.input if st.input_path is None else {})
            if "afterInputPath" in rec:
                if st.type in ("Pass", "Task", "Parallel") and getattr(st, "parameters", None) is None:
                    rec.setdefault("afterParameters", rec["afterInputPath"])
                if st.type == "Map" and getattr(st, "items_path", None) is None:
                    rec.setdefault("afterItemsPath", rec["afterInputPath"])
            if st.type == "Pass" and "afterParameters" in rec:
                rec.setdefault("afterResultSelector", st.result if st.has_result else rec["afterParameters"])  # type: ignore[attr-defined]
            if processing and "result" in rec and getattr(st, "result_selector", None) is None:
                rec.setdefault("afterResultSelector", rec["result"])
            if processing and probe.exited and not probe.handled and st.output_path is None:
                rec.setdefault("afterResultPath", probe.output)
        data: dict[str, Any] = {"input": self.input_text}
        for key in ("afterArguments", "afterInputPath", "afterParameters", "afterItemsPath", "afterItemSelector"):
            if key in rec:
                data[key] = dumps(rec[key])
        group = self.group
        if isinstance(st, MapState) and group is not None:
            if st.item_batcher is not None:
                data["afterItemBatcher"] = dumps(group.items)
            data["maxConcurrency"] = group.limit
            _put(data, "toleratedFailureCount", group.tolerated_count)
            _put(data, "toleratedFailurePercentage", group.tolerated_percentage)
        for key in ("result", "afterResultSelector", "afterResultPath"):
            if key in rec:
                data[key] = dumps(rec[key])
        trace = self.trace
        if trace is not None:
            _put(data, "request", _strings(trace.request))
            _put(data, "response", _strings(trace.response))
        variables = self.frame.visible_variables()
        if variables:
            data["variables"] = dumps(variables)
        details = self._error_details(outcome)
        if details:
            data["errorDetails"] = details
        return data

    def _error_details(self, outcome: Any) -> dict:
        """Which retrier retries (and after how long) or which catcher catches: the first
        whose ErrorEquals matches, as for an execution."""
        probe, st = self.probe, self.original
        if not probe.handled:
            return {}
        if type(outcome) is Sleep:
            for i, r in enumerate(getattr(st, "retry", ())):
                if asl_errors.error_matches(probe.error, r.error_equals):
                    # docs example: IntervalSeconds 2, BackoffRate 2.0, retrierRetryCount 1 -> 4
                    return {"retryIndex": i, "retryBackoffIntervalSeconds": int(outcome.until - self.now)}
        elif probe.exited:
            for i, c in enumerate(getattr(st, "catch", ())):
                if asl_errors.error_matches(probe.error, c.error_equals):
                    return {"catchIndex": i}
        return {}


def _probed(st: State, rec: dict, reader_items: list | None) -> State:
    """The state with its compiled steps wrapped to note what each produced (its input, for
    OutputPath: that is the value after ResultPath)."""
    changes: dict[str, Any] = {}

    def result_of(fn: Callable, key: str) -> Callable:
        def wrapped(a: Any, b: Any) -> Any:
            value = fn(a, b)
            rec.setdefault(key, value)
            return value
        return wrapped

    def input_of(fn: Callable, key: str) -> Callable:
        def wrapped(a: Any, b: Any) -> Any:
            rec.setdefault(key, a)
            return fn(a, b)
        return wrapped

    if callable(st.input_path):
        changes["input_path"] = result_of(st.input_path, "afterInputPath")
    for field, key in (("parameters", "afterParameters"), ("arguments", "afterArguments"),
                       ("result_selector", "afterResultSelector"), ("items_path", "afterItemsPath")):
        fn = getattr(st, field, None)
        if fn is not None:
            changes[field] = result_of(fn, key)
    if st.type in ("Pass", "Task", "Map", "Parallel") and st.output_path is not None:
        getter = st.output_path if callable(st.output_path) else lambda data, scope: {}
        changes["output_path"] = input_of(getter, "afterResultPath")
    if reader_items is not None and isinstance(st, MapState):
        # the items are given: only what the ResultWriter cannot do is left to fail on
        changes["unsupported"] = writer_and_reader(None, st.result_writer).get("unsupported")
        if st.jsonata:
            changes["items"] = lambda bindings, now: reader_items
        else:
            changes["items_path"] = result_of(lambda data, scope: reader_items, "afterItemsPath")
    return dataclasses.replace(st, **changes) if changes else st  # type: ignore[type-var]


def _json_object(text: str | None, member: str) -> dict | None:
    if text is None:
        return None
    try:
        value = _loads(text)
    except ValueError as e:
        raise _validation(f"The {member} field is not valid JSON: {e}") from None
    if type(value) is not dict:
        raise _validation(f"The {member} field must be a JSON object")
    return value


_loads = parse_json


def _put(out: dict, key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _strings(part: dict | None) -> dict | None:
    """An HTTP request or response as the API shapes it: string members only."""
    if not part:
        return None
    return {k: v if isinstance(v, str) else dumps(v) for k, v in part.items() if v is not None}
