"""Parse and validate a definition into the compiled model, or explain what is wrong.

``parse(definition)`` returns a :class:`~stepline.asl.model.StateMachine` or raises
:class:`~stepline.asl.errors.DefinitionError` carrying every diagnostic found;
``validate(definition)`` returns the diagnostics (errors and warnings) without raising.
Nothing here raises another exception, whatever the input: each mistake becomes a diagnostic
located at the offending field (``/States/Check/Next``), worded as AWS words it where that is
known (``Field 'X' is not supported``, ``Missing 'Next' target: X``,
``State "X" is not reachable.``, ``There should only be one of the following fields: [...]``).

Rules AWS applies that are easy to get wrong, as measured with ``validate-state-machine-definition``:
states nested in a Parallel or Map inherit the *machine's* ``QueryLanguage``, not the parent
state's; a machine with no terminal state gets ``MISSING_END_STATE`` (without a location) and
no reachability check; an unreachable state is a ``MISSING_TRANSITION_TARGET``; a field of
the other query language is reported at the state, not at the field.

This module walks the definition: the machine, each program (the machine itself, a Parallel
branch, a Map's ItemProcessor), the graph of its states, and what every state has in common
(its name, ``Type``, ``QueryLanguage``, the fields its type accepts, ``Next``/``End``, I/O
and ``Assign``), then builds the state's model. The parser's class is assembled from the
modules that check the other fields, each a layer of it:

- :mod:`.shared_fields`: paths, payload templates, JSONata fields, ``Assign``, numbers;
- :mod:`.retry_catch`: ``Retry`` and ``Catch``;
- :mod:`.state_fields`: the fields of Pass, Task, Choice, Wait, Succeed, Fail and Parallel;
- :mod:`.map_fields`: the Map state's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import errors, sizes, wording
from .diagnostics import (
    DUPLICATE_STATE_NAME,
    ERROR,
    INVALID_JSONATA_EXPRESSION,
    INVALID_STATE_NAME,
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    TOO_DEEPLY_NESTED,
    Diagnostic,
    Diagnostics,
    at,
)
from .loading import load, load_definition
from .map_fields import MapFields
from .model import JSONATA, JSONPATH, Program, State, StateMachine
from .resources import parse_resource
from .shared_fields import ModelFields
from .state_fields import StateFields
from .values import JSON

__all__ = ["parse", "validate", "load_definition", "parse_resource", "StateMachine"]

MAX_STATE_NAME = 80
MAX_NESTING = 40
MAX_INT = wording.MAX_INT

_COMMON = {"Type", "Comment", "QueryLanguage"}
_FLOW = {"Next", "End"}
_RETRY_CATCH = {"Retry", "Catch"}

#: the fields each state type accepts, per query language (besides Type/Comment/QueryLanguage)
_FIELDS: dict[str, dict[str, set[str]]] = {
    "Pass": {
        JSONPATH: _FLOW | {"InputPath", "OutputPath", "Parameters", "Result", "ResultPath", "Assign"},
        JSONATA: _FLOW | {"Output", "Assign"},
    },
    "Task": {
        JSONPATH: _FLOW | _RETRY_CATCH | {"Resource", "InputPath", "OutputPath", "Parameters", "ResultSelector",
                                          "ResultPath", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
                                          "HeartbeatSecondsPath", "Credentials", "Assign"},
        JSONATA: _FLOW | _RETRY_CATCH | {"Resource", "Arguments", "Output", "TimeoutSeconds", "HeartbeatSeconds",
                                         "Credentials", "Assign"},
    },
    "Choice": {
        JSONPATH: {"Choices", "Default", "InputPath", "OutputPath", "Assign"},
        JSONATA: {"Choices", "Default", "Output", "Assign"},
    },
    "Wait": {
        JSONPATH: _FLOW | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath", "InputPath", "OutputPath", "Assign"},
        JSONATA: _FLOW | {"Seconds", "Timestamp", "Output", "Assign"},
    },
    "Succeed": {JSONPATH: {"InputPath", "OutputPath"}, JSONATA: {"Output"}},
    "Fail": {JSONPATH: {"Error", "Cause", "ErrorPath", "CausePath"}, JSONATA: {"Error", "Cause"}},
    "Parallel": {
        JSONPATH: _FLOW | _RETRY_CATCH | {"Branches", "InputPath", "OutputPath", "Parameters", "ResultSelector",
                                          "ResultPath", "Assign"},
        JSONATA: _FLOW | _RETRY_CATCH | {"Branches", "Arguments", "Output", "Assign"},
    },
    "Map": {
        JSONPATH: _FLOW | _RETRY_CATCH | {"ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "Parameters",
                                          "ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency",
                                          "MaxConcurrencyPath", "ToleratedFailurePercentage",
                                          "ToleratedFailurePercentagePath", "ToleratedFailureCount",
                                          "ToleratedFailureCountPath", "Label", "InputPath", "OutputPath",
                                          "ResultSelector", "ResultPath", "Assign"},
        JSONATA: _FLOW | _RETRY_CATCH | {"ItemProcessor", "Iterator", "Items", "ItemSelector", "ItemReader",
                                         "ItemBatcher", "ResultWriter", "MaxConcurrency", "ToleratedFailurePercentage",
                                         "ToleratedFailureCount", "Label", "Output", "Assign"},
    },
}
_TERMINAL_TYPES = ("Succeed", "Fail")  # a tuple: "in" must not hash the value


# ---------------------------------------------------------------------------- entry points

def parse(definition: JSON | str | bytes) -> StateMachine:
    """Compile a definition; raise DefinitionError with every error diagnostic."""
    data, found = load(definition)
    failed = [d for d in found if d.severity == ERROR]
    if data is None:
        raise errors.DefinitionError(failed)
    parser = _Parser()
    machine = parser.run(data)
    failed += parser.diags.errors
    if failed or machine is None:
        raise errors.DefinitionError(failed)
    return machine


def validate(definition: JSON | str | bytes) -> list[Diagnostic]:
    """Every diagnostic (errors first, then warnings) for a definition. Never raises."""
    data, found = load(definition)
    if data is not None:
        parser = _Parser()
        parser.run(data)
        found += parser.diags.items
    return [d for d in found if d.severity == ERROR] + [d for d in found if d.severity != ERROR]


class _Parser(StateFields, MapFields):
    """One walk over one definition, collecting every diagnostic into ``diags``."""

    def __init__(self) -> None:
        self.diags = Diagnostics()
        self.jsonata_diags = self.diags.coded(INVALID_JSONATA_EXPRESSION)
        self.top_ql = JSONPATH
        self.state_names: set[str] = set()
        self.labels: set[str] = set()

    def run(self, d: JSON) -> StateMachine | None:
        try:
            return self.machine(d)
        except RecursionError:
            self.diags.error(None, "The definition is nested too deeply to be validated", TOO_DEEPLY_NESTED)
        except Exception as e:  # noqa: BLE001 - a bug here must not escape as a traceback
            self.diags.error(None, f"Internal error while validating the definition: {type(e).__name__}: {e}")
        return None

    # ------------------------------------------------------------------ top level

    def machine(self, d: JSON) -> StateMachine | None:
        if not isinstance(d, dict):
            self.diags.error("/", f"The definition must be a JSON object, not {wording.show(d)}")
            return None
        self._unknown(d, {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}, "/")
        if "QueryLanguage" in d:
            self.top_ql = self._query_language(d["QueryLanguage"], "/QueryLanguage")
        if "Version" in d and d["Version"] != "1.0":
            self.diags.error("/Version",
                             f"The value for the field 'Version' must be \"1.0\", not {wording.show(d['Version'])}")
        timeout = d.get("TimeoutSeconds")
        if timeout is not None and not wording.positive_int(timeout):
            self.diags.error("/TimeoutSeconds", "The value for the field 'TimeoutSeconds' must be a positive integer "
                                                f"(at most {MAX_INT}), not {wording.show(timeout)}")
            timeout = None
        self._comment(d, "")
        program = self.program(d, "", 0)
        if program is None:
            return None
        return StateMachine(program=program, comment=d.get("Comment"), version=d.get("Version"),
                            timeout_seconds=timeout, query_language=self.top_ql, definition=d)

    def _query_language(self, value: JSON, loc: str) -> str:
        """AWS reads exactly "JSONPath" as JSONPath and any other value as JSONata."""
        if value not in (JSONPATH, JSONATA):
            self.diags.error(loc, f"The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata], "
                                  f"not {wording.show(value)}")
        return JSONPATH if value == JSONPATH else JSONATA

    def program(self, d: dict[str, JSON], loc: str, depth: int) -> Program | None:
        """The machine itself, a Parallel branch or a Map's ItemProcessor (``loc`` is where it is)."""
        here = loc or "/"
        if depth > MAX_NESTING:
            self.diags.error(here, f"The states are too deeply nested (more than {MAX_NESTING} levels of Parallel "
                                   "and Map states)", TOO_DEEPLY_NESTED)
            return None
        missing = [f for f in ("StartAt", "States") if f not in d]
        if missing:
            self.diags.error(here, wording.required(*missing))
        start, raw = d.get("StartAt"), d.get("States")
        if "StartAt" in d and not isinstance(start, str):
            self.diags.error(at(loc, "StartAt"),
                             f"The value for the field 'StartAt' must be a STRING, not {wording.show(start)}")
            start = None
        if "States" in d and (not isinstance(raw, dict) or not raw):
            self.diags.error(at(loc, "States"), f"The value for the field 'States' must be a non-empty OBJECT, "
                                                f"not {wording.show(raw)}")
        if not isinstance(raw, dict) or not raw:
            return None
        states: dict[str, State] = {}
        for name, body in raw.items():
            state = self.state(name, body, at(loc, "States", name), depth)
            if state is not None:
                states[name] = state
        if start is not None and start not in raw:
            self.diags.error(at(loc, "StartAt"), f"Missing 'Next' target: {start}", MISSING_TRANSITION_TARGET)
            start = None
        self._check_graph(start, raw, loc)
        if start is None or len(states) != len(raw):
            return None
        return Program(start_at=start, states=states, query_language=self.top_ql, path=loc)

    def _check_graph(self, start: str | None, raw: dict[str, JSON], loc: str) -> None:
        """Transitions to nowhere, no terminal state, then (only if there is one) unreachable states."""
        edges: dict[str, list[str]] = {}
        for name, body in raw.items():
            for where, target in _transitions(body):
                edges.setdefault(name, []).append(target)
                if target not in raw:
                    self.diags.error(at(loc, "States", name, *where), f"Missing 'Next' target: {target}",
                                     MISSING_TRANSITION_TARGET)
        if not any(_is_terminal(body) for body in raw.values()):
            self.diags.error(loc or None, "Workflow has no terminal state", MISSING_END_STATE)
            return
        if start is None:
            return
        seen, todo = {start}, [start]
        while todo:
            for t in edges.get(todo.pop(), ()):
                if t in raw and t not in seen:
                    seen.add(t)
                    todo.append(t)
        for name in raw:
            if name not in seen:
                self.diags.error(at(loc, "States", name), f'State "{name}" is not reachable.',
                                 MISSING_TRANSITION_TARGET)

    # ------------------------------------------------------------------ one state

    def state(self, name: str, d: JSON, loc: str, depth: int) -> State | None:
        """Check one state; build its model only when it has no error (parse() fails otherwise)."""
        before = len(self.diags.errors)
        self._state_name(name, loc)
        if not isinstance(d, dict):
            self.diags.error(loc, f"The value for the state '{name}' must be an OBJECT, not {wording.show(d)}")
            return None
        if "Type" not in d:
            self.diags.error(loc, wording.required("Type"))
            return None
        typ = d["Type"]
        if not isinstance(typ, str) or typ not in _FIELDS:
            self.diags.error(at(loc, "Type"), f"The value for the field 'Type' must be one of [{', '.join(_FIELDS)}], "
                                              f"not {wording.show(typ)}")
            return None
        ql = self.top_ql
        if "QueryLanguage" in d:
            ql = self._query_language(d["QueryLanguage"], at(loc, "QueryLanguage"))
            if self.top_ql == JSONATA and ql == JSONPATH:
                self.diags.error(loc, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' "
                                      "for whole state machine")
        allowed, other = _FIELDS[typ][ql], _FIELDS[typ][wording.other(ql)]
        for key in d:
            if key not in _COMMON and key not in allowed:
                self.diags.error(loc, wording.wrong_language(ql, key) if key in other else wording.not_supported(key))
        self._comment(d, loc)
        common: dict[str, Any] = dict(name=name, type=typ, query_language=ql, comment=d.get("Comment"),
                                      jsonata=ql == JSONATA, entered=typ + "StateEntered", exited=typ + "StateExited",
                                      handler=typ + ":JSONata" if ql == JSONATA else typ)
        if typ not in ("Choice", "Succeed", "Fail"):
            common.update(self._flow(d, loc))
        if ql == JSONPATH:
            for field in ("InputPath", "OutputPath"):
                if field in allowed:
                    common[wording.snake(field)], common[wording.snake(field) + "_text"] = self._io_path(d, field, loc)
        elif "Output" in d:
            common["output"] = self._jsonata(d["Output"], "Output", at(loc, "Output"))
        if "Assign" in d and "Assign" in allowed:
            common["assign"] = self._assign(d["Assign"], at(loc, "Assign"), ql)
        fields_of_type: Callable[..., ModelFields] = getattr(self, "_" + typ.lower())  # _pass, _task, ...
        cls, extra = fields_of_type(d, loc, ql, common, depth)
        if len(self.diags.errors) > before or cls is None:
            return None
        if ql == JSONPATH:
            extra.update(_growth(typ, d, common, extra))
        return cls(**common, **extra)

    def _state_name(self, name: str, loc: str) -> None:
        if not name or len(name) > MAX_STATE_NAME:
            self.diags.error(loc, f"State names must be 1 to {MAX_STATE_NAME} characters long, not {len(name)}: "
                                  f"{wording.show(name)}", INVALID_STATE_NAME)
        elif any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):
            self.diags.error(loc, f"The state name {json.dumps(name)} contains control characters", INVALID_STATE_NAME)
        if name in self.state_names:
            self.diags.error(loc, f"Duplicate State name: {name}", DUPLICATE_STATE_NAME)
        self.state_names.add(name)

    def _flow(self, d: dict[str, JSON], loc: str) -> dict[str, Any]:
        nxt, end = d.get("Next"), d.get("End")
        if "End" in d and end is not True:
            self.diags.error(at(loc, "End"), f"The value for the field 'End' must be true, not {wording.show(end)}")
        if "Next" in d and end is True:
            self.diags.error(loc, wording.only_one("Next", "End"))
        elif "Next" not in d and end is not True:
            self.diags.error(loc, "One of these fields is required: [Next, End]")
        if "Next" in d and not isinstance(nxt, str):
            self.diags.error(at(loc, "Next"),
                             f"The value for the field 'Next' must be a STRING, not {wording.show(nxt)}")
            nxt = None
        return {"next": nxt, "end": end is True and nxt is None}


def _growth(typ: str, d: dict[str, JSON], common: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Output size bounds (see :mod:`.sizes`) of a valid JSONPath state."""
    input_path, output_path = common.get("input_path"), common.get("output_path")
    if typ == "Pass":
        return {"growth": sizes.pass_state("Result" in d, d.get("Result"), d.get("Parameters"), "Parameters" in d,
                                           extra["result_path"], input_path, output_path)}
    if typ in ("Choice", "Wait", "Succeed"):
        return {"growth": sizes.passthrough(input_path, output_path)}
    if typ in ("Task", "Parallel", "Map"):
        out = {"growth": sizes.with_result(d.get("ResultSelector"), extra["result_path"], output_path)}
        effective = sizes.effective_input(input_path)
        if typ == "Task":
            out["input_growth"] = sizes.applied(effective, d.get("Parameters"))
        if typ == "Map":
            # an item is a part of the Map's (effective) input when ItemsPath reads the input
            items = sizes.effective_input(extra.get("items_path")) if "ItemReader" not in d else None
            selector = d.get("ItemSelector", d.get("Parameters"))
            out["item_growth"] = None if effective is None or items is None else sizes.applied(
                (items[0] + items[1] * effective[0], items[1] * effective[1]), selector, item_is_input=True)
        return out
    return {}


def _transitions(body: JSON) -> list[tuple[tuple[str | int, ...], str]]:
    """Where a raw state names another (``Next``, Choice rules, ``Default``, catchers)."""
    if not isinstance(body, dict):
        return []
    out: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(body.get("Next"), str):
        out.append((("Next",), body["Next"]))
    choices = body.get("Choices") if body.get("Type") == "Choice" else None
    for i, rule in enumerate(choices if isinstance(choices, list) else ()):
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            out.append((("Choices", i, "Next"), rule["Next"]))
    if body.get("Type") == "Choice" and isinstance(body.get("Default"), str):
        out.append((("Default",), body["Default"]))
    catch = body.get("Catch")
    for i, c in enumerate(catch if isinstance(catch, list) else ()):
        if isinstance(c, dict) and isinstance(c.get("Next"), str):
            out.append((("Catch", i, "Next"), c["Next"]))
    return out


def _is_terminal(body: JSON) -> bool:
    return isinstance(body, dict) and (body.get("End") is True or body.get("Type") in _TERMINAL_TYPES)
