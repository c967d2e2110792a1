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
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from . import choice as choice_rules
from . import errors
from . import sizes, wording
from .diagnostics import (
    DUPLICATE_STATE_NAME, ERROR, INVALID_JSONATA_EXPRESSION,
    INVALID_RESOURCE, INVALID_STATE_NAME, MISSING_END_STATE,
    MISSING_TRANSITION_TARGET, NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC, TOO_DEEPLY_NESTED, Diagnostic,
    Diagnostics, at,
)
from .intrinsics import is_intrinsic
from .loading import load, load_definition
from .map_fields import MapFields
from .resources import parse_resource
from .jsonata import is_expression
from .jsonpath import PathSyntaxError, compile_getter, compile_reference
from .model import (
    DISCARD, JSONATA, JSONPATH, Catcher, ChoiceRule, ChoiceState, FailState, ParallelState,
    PassState, Program, Resource, Retrier, State, StateMachine, SucceedState, TaskState, WaitState,
)
from .templates import compile_jsonata, compile_payload, compile_value_expression
from .timestamps import parse_timestamp
from .values import JSON

__all__ = ["parse", "validate", "load_definition", "parse_resource", "StateMachine"]

MAX_STATE_NAME = 80
MAX_NESTING = 40
MAX_INT = wording.MAX_INT
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

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
_RETRIER_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                   "JitterStrategy", "Comment"}
_CATCHER_FIELDS = {JSONPATH: {"ErrorEquals", "Next", "Comment", "Assign", "ResultPath"},
                   JSONATA: {"ErrorEquals", "Next", "Comment", "Assign", "Output"}}
_WAIT_FIELDS = {JSONPATH: ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"), JSONATA: ("Seconds", "Timestamp")}


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


class _Parser(MapFields):
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
            self.diags.error("/Version", f"The value for the field 'Version' must be \"1.0\", not {wording.show(d['Version'])}")
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

    def program(self, d: dict, loc: str, depth: int) -> Program | None:
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
            self.diags.error(at(loc, "StartAt"), f"The value for the field 'StartAt' must be a STRING, not {wording.show(start)}")
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

    def _check_graph(self, start: str | None, raw: dict, loc: str) -> None:
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
                self.diags.error(at(loc, "States", name), f'State "{name}" is not reachable.', MISSING_TRANSITION_TARGET)

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
                self.diags.error(loc, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
        allowed, other = _FIELDS[typ][ql], _FIELDS[typ][wording.other(ql)]
        for key in d:
            if key not in _COMMON and key not in allowed:
                self.diags.error(loc, wording.wrong_language(ql, key) if key in other else wording.not_supported(key))
        self._comment(d, loc)
        common: dict[str, Any] = dict(name=name, type=typ, query_language=ql, comment=d.get("Comment"),
                                      jsonata=ql == JSONATA, entered=typ + "StateEntered", exited=typ + "StateExited")
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
        cls, extra = getattr(self, "_" + typ.lower())(d, loc, ql, common, depth)
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

    def _comment(self, d: dict, loc: str) -> None:
        if "Comment" in d and not isinstance(d["Comment"], str):
            self.diags.error(at(loc, "Comment"), f"The value for the field 'Comment' must be a STRING, not {wording.show(d['Comment'])}")

    def _flow(self, d: dict, loc: str) -> dict:
        nxt, end = d.get("Next"), d.get("End")
        if "End" in d and end is not True:
            self.diags.error(at(loc, "End"), f"The value for the field 'End' must be true, not {wording.show(end)}")
        if "Next" in d and end is True:
            self.diags.error(loc, wording.only_one("Next", "End"))
        elif "Next" not in d and end is not True:
            self.diags.error(loc, "One of these fields is required: [Next, End]")
        if "Next" in d and not isinstance(nxt, str):
            self.diags.error(at(loc, "Next"), f"The value for the field 'Next' must be a STRING, not {wording.show(nxt)}")
            nxt = None
        return {"next": nxt, "end": end is True and nxt is None}

    # ------------------------------------------------------------------ paths and templates

    def _io_path(self, d: dict, field: str, loc: str) -> tuple[Any, str | None]:
        if field not in d:
            return None, "$"
        text = d[field]
        if text is None:
            return DISCARD, None
        getter = self._path(text, at(loc, field), field)
        if text == "$":
            return None, "$"
        return getter, text

    def _path(self, text: JSON, loc: str, field: str, *, reference: bool = False, context: bool = True) -> Any:
        """A JSONPath field (``$``, ``$$`` or ``$var`` root): a getter, or None after a diagnostic.
        A *reference* path selects one value (names and indexes only); ``context=False``
        refuses the context object, as AWS does for the Map's number ``...Path`` fields."""
        if not isinstance(text, str):
            self.diags.error(loc, f"The value for the field '{field}' must be a STRING that contains a JSONPath, "
                                  f"not {wording.show(text)}")
            return None
        try:
            ref = compile_reference(text)
        except PathSyntaxError as e:
            self.diags.error(loc, f"The value for the field '{field}' must be a valid JSONPath: {e}")
            return None
        if (reference and not ref.path.definite) or (not context and ref.root == "context"):
            self.diags.error(loc, f"The value for the field '{field}' must be a Reference Path "
                                  f"(names and indexes only{'' if context else ', not the context object'}): "
                                  f"{wording.show(text)}")
            return None
        return compile_getter(text)

    def _result_path(self, d: dict, loc: str) -> tuple[Any, str | None]:
        if "ResultPath" not in d:
            return (), "$"
        text = d["ResultPath"]
        if text is None:
            return DISCARD, None
        where = at(loc, "ResultPath")
        if not isinstance(text, str):
            self.diags.error(where, f"The value for the field 'ResultPath' must be a STRING that contains a JSONPath, "
                                    f"not {wording.show(text)}")
            return (), "$"
        try:
            ref = compile_reference(text)
        except PathSyntaxError as e:
            self.diags.error(where, f"The value for the field 'ResultPath' must be a valid JSONPath: {e}")
            return (), "$"
        if ref.root != "input" or not ref.path.definite:
            self.diags.error(where, "The value for the field 'ResultPath' must be a Reference Path: '$' followed by "
                                    f"field names and array indexes only, not {wording.show(text)}")
            return (), "$"
        return ref.path.keys, text

    def _jsonata(self, value: JSON, field: str, loc: str) -> Any:
        """A JSONata-mode field: any ``{% %}`` string inside is an expression."""
        return compile_jsonata(value, field, self.jsonata_diags, loc)

    def _assign(self, value: JSON, loc: str, ql: str) -> Any:
        if not isinstance(value, dict):
            self.diags.error(loc, f"The value for the field 'Assign' must be an OBJECT, not {wording.show(value)}")
            return None
        for key in value:
            var = key[:-2] if ql == JSONPATH and key.endswith(".$") else key
            if not _VARIABLE_NAME.fullmatch(var) or len(var) > 80:
                self.diags.error(at(loc, key), f"'{var}' is not a valid variable name: use letters, digits and '_', "
                                               "not starting with a digit, at most 80 characters")
            elif var == "states":
                self.diags.error(at(loc, key), "'states' is a reserved variable name")
        if ql == JSONPATH:
            self._warn_no_dollar(value, loc)
            return compile_payload(value, loc, self.diags)
        return self._jsonata(value, "Assign", loc)

    def _template(self, d: dict, field: str, loc: str) -> Any:
        """A JSONPath payload template (Parameters, ResultSelector, ItemSelector)."""
        if field not in d:
            return None
        value = d[field]
        if not isinstance(value, (dict, list)) and field != "Parameters":
            self.diags.error(at(loc, field), f"The value for the field '{field}' must be an OBJECT, not {wording.show(value)}")
            return None
        self._warn_no_dollar(value, at(loc, field))
        return compile_payload(value, at(loc, field), self.diags)

    def _warn_no_dollar(self, value: JSON, loc: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if not k.endswith(".$") and isinstance(v, str) and _looks_like_path(v):
                    self.diags.warning(at(loc, k), f"The value of the field '{k}' looks like a JSONPath or an "
                                                   "intrinsic function, but the field name does not end with '.$'",
                                       NO_DOLLAR)
                self._warn_no_dollar(v, at(loc, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._warn_no_dollar(v, at(loc, i))

    # ------------------------------------------------------------------ per type
    # Each returns (model class, its fields); a class of None means "too broken to build".

    def _pass(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> tuple[type | None, dict]:
        extra: dict[str, Any] = {}
        if ql == JSONPATH:
            if "Result" in d:
                extra.update(result=d["Result"], has_result=True)
                if _has_dollar_key(d["Result"]):
                    self.diags.warning(at(loc, "Result"), "The Result of a Pass state is static: fields ending in "
                                                          "'.$' are not evaluated", PASS_RESULT_IS_STATIC)
            extra["parameters"] = self._template(d, "Parameters", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
        return PassState, extra

    def _task(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> tuple[type | None, dict]:
        resource = self._resource(d, loc)
        extra: dict[str, Any] = {"resource": resource}
        if ql == JSONPATH:
            extra["parameters"] = self._template(d, "Parameters", loc)
            extra["result_selector"] = self._template(d, "ResultSelector", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
        elif "Arguments" in d:
            extra["arguments"] = self._jsonata(d["Arguments"], "Arguments", at(loc, "Arguments"))
        for name in ("TimeoutSeconds", "HeartbeatSeconds"):
            extra.update(self._number_field(d, name, loc, ql, wording.positive_int, f"a positive integer (at most {MAX_INT})",
                                            reference=True))
        t, h = extra.get("timeout_seconds"), extra.get("heartbeat_seconds")
        if t is not None and h is not None and h >= t:
            self.diags.error(at(loc, "HeartbeatSeconds"), f"The value for the field 'HeartbeatSeconds' ({h}) must be "
                                                          f"smaller than the value for 'TimeoutSeconds' ({t})")
        if "Credentials" in d:
            if not isinstance(d["Credentials"], dict):
                self.diags.error(at(loc, "Credentials"), "The value for the field 'Credentials' must be an OBJECT, "
                                                         f"not {wording.show(d['Credentials'])}")
            extra["credentials"] = d["Credentials"]
        extra["retry"] = self._retriers(d, loc)
        extra["catch"] = self._catchers(d, loc, ql)
        return (TaskState if resource is not None else None), extra

    def _number_field(self, d: dict, name: str, loc: str, ql: str, ok: Callable[[Any], bool], what: str, *,
                      reference: bool = False, context: bool = True) -> dict:
        """A number given literally, by a JSONata expression, or (JSONPath) by ``<name>Path``."""
        key, path_name = wording.snake(name), name + "Path"
        out: dict[str, Any] = {}
        if name in d and path_name in d and ql == JSONPATH:
            self.diags.error(loc, wording.only_one(name, path_name))
        if name in d:
            value = d[name]
            if ql == JSONATA and is_expression(value):
                out[key + "_expr"] = self._jsonata(value, name, at(loc, name))
            elif not ok(value):
                self.diags.error(at(loc, name), f"The value for the field '{name}' must be {what}, not {wording.show(value)}")
            else:
                out[key] = value
        if path_name in d and ql == JSONPATH:
            out[key + "_path"] = self._path(d[path_name], at(loc, path_name), path_name, reference=reference,
                                            context=context)
        return out

    def _resource(self, d: dict, loc: str) -> Resource | None:
        if "Resource" not in d:
            self.diags.error(loc, wording.required("Resource"))
            return None
        arn = d["Resource"]
        if not isinstance(arn, str):
            self.diags.error(at(loc, "Resource"), f"The value for the field 'Resource' must be a STRING, not {wording.show(arn)}",
                             INVALID_RESOURCE)
            return None
        resource = parse_resource(arn)
        if resource is None:
            self.diags.error(at(loc, "Resource"), f"The resource provided {arn} is not recognized. The value is not a "
                                                  "valid resource ARN, or the resource is not available in this region.",
                             INVALID_RESOURCE)
        return resource

    def _choice(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> tuple[type | None, dict]:
        raw = d.get("Choices")
        if "Choices" not in d:
            self.diags.error(loc, wording.required("Choices"))
            return None, {}
        if not isinstance(raw, list) or not raw:
            self.diags.error(at(loc, "Choices"), "The value for the field 'Choices' must be a non-empty array of "
                                                 f"Choice Rules, not {wording.show(raw)}")
            return None, {}
        rules = []
        for i, rule in enumerate(raw):
            rloc = at(loc, "Choices", i)
            if not isinstance(rule, dict):
                self.diags.error(rloc, f"A Choice Rule must be an OBJECT, not {wording.show(rule)}")
                continue
            assign = self._assign(rule["Assign"], at(rloc, "Assign"), ql) if "Assign" in rule else None
            if ql == JSONATA:
                rules.append(self._jsonata_rule(rule, rloc, assign))
                continue
            for key in ("Condition", "Output"):
                if key in rule:
                    self.diags.error(rloc, wording.wrong_language(JSONPATH, key))
            jsonpath_rule = {k: v for k, v in rule.items() if k not in ("Condition", "Output")}
            predicate = choice_rules.compile_rule(jsonpath_rule, rloc, self.diags, top_level=True)
            if predicate is not None and isinstance(rule.get("Next"), str):
                rules.append(ChoiceRule(predicate=predicate, next=rule["Next"], assign=assign))
        default = d.get("Default")
        if "Default" in d and not isinstance(default, str):
            self.diags.error(at(loc, "Default"), f"The value for the field 'Default' must be a STRING, not {wording.show(default)}")
            default = None
        return ChoiceState, {"choices": tuple(rules), "default": default}

    def _jsonata_rule(self, rule: dict, loc: str, assign: Any) -> ChoiceRule:
        for key in rule:
            if key in ("Variable", "And", "Or", "Not") or key in choice_rules.COMPARISON_OPERATORS:
                self.diags.error(loc, wording.wrong_language(JSONATA, key))
            elif key not in ("Condition", "Next", "Comment", "Assign", "Output"):
                self.diags.error(loc, wording.not_supported(key))
        missing = [k for k in ("Condition", "Next") if k not in rule]
        if missing:
            self.diags.error(loc, wording.required(*missing))
        nxt = rule.get("Next")
        if "Next" in rule and not isinstance(nxt, str):
            self.diags.error(at(loc, "Next"), f"The value for the field 'Next' must be a STRING, not {wording.show(nxt)}")
        condition = rule.get("Condition")
        if isinstance(condition, bool):
            cond = (lambda c: lambda bindings, now: c)(condition)
        elif is_expression(condition):
            cond = self._jsonata(condition, "Condition", at(loc, "Condition"))
        else:
            if "Condition" in rule:
                self.diags.error(at(loc, "Condition"), "The value for the field 'Condition' must be a JSONata "
                                                       f"expression {{% ... %}} or a boolean, not {wording.show(condition)}")
            cond = lambda bindings, now: False  # noqa: E731 - the definition is invalid anyway
        output = self._jsonata(rule["Output"], "Output", at(loc, "Output")) if "Output" in rule else None
        return ChoiceRule(condition=cond, next=nxt if isinstance(nxt, str) else "", assign=assign, output=output)

    def _wait(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> tuple[type | None, dict]:
        fields = _WAIT_FIELDS[ql]
        given = [k for k in fields if k in d]
        if not given:
            self.diags.error(loc, f"One of these fields is required: [{', '.join(fields)}]")
        elif len(given) > 1:
            self.diags.error(loc, wording.only_one(*given))
        extra: dict[str, Any] = {}
        if "Seconds" in d:
            value = d["Seconds"]
            if ql == JSONATA and is_expression(value):
                extra["seconds_expr"] = self._jsonata(value, "Seconds", at(loc, "Seconds"))
            elif not wording.nonneg_int(value):
                self.diags.error(at(loc, "Seconds"), "The value for the field 'Seconds' must be a non-negative integer "
                                                     f"(at most {MAX_INT}), not {wording.show(value)}")
            else:
                extra["seconds"] = value
        if "Timestamp" in d:
            value = d["Timestamp"]
            if ql == JSONATA and is_expression(value):
                extra["timestamp_expr"] = self._jsonata(value, "Timestamp", at(loc, "Timestamp"))
            elif not isinstance(value, str) or parse_timestamp(value) is None:
                self.diags.error(at(loc, "Timestamp"), "The value for the field 'Timestamp' must be an ISO-8601 "
                                                       f"extended offset date-time format string, not {wording.show(value)}")
            else:
                extra["timestamp"] = value
        if ql == JSONPATH:
            for field in ("SecondsPath", "TimestampPath"):
                if field in d:
                    extra[wording.snake(field)] = self._path(d[field], at(loc, field), field, reference=True)
                    extra[wording.snake(field) + "_text"] = d[field]
        return WaitState, extra

    def _succeed(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> tuple[type | None, dict]:
        return SucceedState, {}

    def _fail(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> tuple[type | None, dict]:
        extra: dict[str, Any] = {}
        for field in ("Error", "Cause"):
            key, path_field = field.lower(), field + "Path"
            if field in d and path_field in d and ql == JSONPATH:
                self.diags.error(loc, wording.only_one(field, path_field))
            if field in d:
                value = d[field]
                if ql == JSONATA and is_expression(value):
                    extra[key + "_expr"] = self._jsonata(value, field, at(loc, field))
                elif not isinstance(value, str):
                    self.diags.error(at(loc, field), f"The value for the field '{field}' must be a STRING, "
                                                     f"not {wording.show(value)}")
                else:
                    extra[key] = value
                    if ql == JSONPATH and _looks_like_path(value):
                        self.diags.warning(at(loc, field), f"The value of the field '{field}' looks like a path, but "
                                                           f"the field name does not end with 'Path' (use "
                                                           f"'{path_field}')", NO_PATH)
            if path_field in d and ql == JSONPATH:
                text = d[path_field]
                extra[key + "_path"] = compile_value_expression(text, path_field, at(loc, path_field), self.diags)
                extra[key + "_path_text"] = text
        return FailState, extra

    def _parallel(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> tuple[type | None, dict]:
        raw = d.get("Branches")
        branches = []
        if "Branches" not in d:
            self.diags.error(loc, wording.required("Branches"))
        elif not isinstance(raw, list) or not raw:
            self.diags.error(at(loc, "Branches"), f"The value for the field 'Branches' must be a non-empty array, "
                                                  f"not {wording.show(raw)}")
        else:
            for i, b in enumerate(raw):
                bloc = at(loc, "Branches", i)
                if not isinstance(b, dict):
                    self.diags.error(bloc, f"A branch must be an OBJECT, not {wording.show(b)}")
                    continue
                self._unknown(b, {"StartAt", "States", "Comment"}, bloc)
                self._comment(b, bloc)
                branches.append(self.program(b, bloc, depth + 1))
        extra: dict[str, Any] = {"branches": tuple(branches)}
        if ql == JSONPATH:
            extra["parameters"] = self._template(d, "Parameters", loc)
            extra["result_selector"] = self._template(d, "ResultSelector", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
        elif "Arguments" in d:
            extra["arguments"] = self._jsonata(d["Arguments"], "Arguments", at(loc, "Arguments"))
        extra["retry"] = self._retriers(d, loc)
        extra["catch"] = self._catchers(d, loc, ql)
        return ParallelState, extra

    # ------------------------------------------------------------------ Retry and Catch

    def _retriers(self, d: dict, loc: str) -> tuple[Retrier, ...]:
        raw = d.get("Retry")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.diags.error(at(loc, "Retry"), f"The value for the field 'Retry' must be an array, not {wording.show(raw)}")
            return ()
        out = []
        for i, r in enumerate(raw):
            rloc = at(loc, "Retry", i)
            if not isinstance(r, dict):
                self.diags.error(rloc, f"A retrier must be an OBJECT, not {wording.show(r)}")
                continue
            self._unknown(r, _RETRIER_FIELDS, rloc)
            self._comment(r, rloc)
            kw: dict[str, Any] = {"error_equals": self._error_equals(r, rloc, last=i == len(raw) - 1, what="retrier")}
            for field, key, ok, what in (
                ("IntervalSeconds", "interval_seconds", wording.positive_int, f"a positive integer (at most {MAX_INT})"),
                ("MaxAttempts", "max_attempts", wording.nonneg_int, f"a non-negative integer (at most {MAX_INT})"),
                ("BackoffRate", "backoff_rate", lambda v: wording.number(v) and 1.0 <= v <= MAX_INT,
                 "a number greater than or equal to 1.0"),
                ("MaxDelaySeconds", "max_delay_seconds", wording.positive_int, f"a positive integer (at most {MAX_INT})"),
                ("JitterStrategy", "jitter", lambda v: v in ("FULL", "NONE"), "one of [FULL, NONE]"),
            ):
                if field in r:
                    if ok(r[field]):
                        kw[key] = float(r[field]) if field == "BackoffRate" else r[field]
                    else:
                        self.diags.error(at(rloc, field), f"The value for the field '{field}' must be {what}, "
                                                          f"not {wording.show(r[field])}")
            out.append(Retrier(**kw))
        return tuple(out)

    def _catchers(self, d: dict, loc: str, ql: str) -> tuple[Catcher, ...]:
        raw = d.get("Catch")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.diags.error(at(loc, "Catch"), f"The value for the field 'Catch' must be an array, not {wording.show(raw)}")
            return ()
        out = []
        for i, c in enumerate(raw):
            cloc = at(loc, "Catch", i)
            if not isinstance(c, dict):
                self.diags.error(cloc, f"A catcher must be an OBJECT, not {wording.show(c)}")
                continue
            for key in c:
                if key not in _CATCHER_FIELDS[ql]:
                    self.diags.error(cloc, wording.wrong_language(ql, key) if key in _CATCHER_FIELDS[wording.other(ql)]
                                     else wording.not_supported(key))
            self._comment(c, cloc)
            names = self._error_equals(c, cloc, last=i == len(raw) - 1, what="catcher")
            nxt = c.get("Next")
            if "Next" not in c:
                self.diags.error(cloc, wording.required("Next"))
            elif not isinstance(nxt, str):
                self.diags.error(at(cloc, "Next"), f"The value for the field 'Next' must be a STRING, not {wording.show(nxt)}")
            kw: dict[str, Any] = {"error_equals": names, "next": nxt if isinstance(nxt, str) else ""}
            if ql == JSONPATH:
                kw["result_path"], kw["result_path_text"] = self._result_path(c, cloc)
            elif "Output" in c:
                kw["output"] = self._jsonata(c["Output"], "Output", at(cloc, "Output"))
            if "Assign" in c:
                kw["assign"] = self._assign(c["Assign"], at(cloc, "Assign"), ql)
            out.append(Catcher(**kw))
        return tuple(out)

    def _error_equals(self, r: dict, loc: str, last: bool, what: str) -> tuple[str, ...]:
        if "ErrorEquals" not in r:
            self.diags.error(loc, wording.required("ErrorEquals"))
            return ()
        names = r["ErrorEquals"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.diags.error(at(loc, "ErrorEquals"), "The value for the field 'ErrorEquals' must be a non-empty array "
                                                     f"of strings, not {wording.show(names)}")
            return ()
        if errors.ALL in names:
            if len(names) != 1:
                self.diags.error(at(loc, "ErrorEquals"), f"{errors.ALL} must appear alone in 'ErrorEquals', not with "
                                                         f"{', '.join(n for n in names if n != errors.ALL)}")
            if not last:
                self.diags.error(at(loc, "ErrorEquals"), f"A {what} with {errors.ALL} must be the last {what}")
        for n in names:
            if n.startswith("States.") and n not in errors.PREDEFINED and not n.startswith("States.Http.StatusCode."):
                self.diags.error(at(loc, "ErrorEquals"), f"'{n}' is not a predefined error: error names starting with "
                                                         "'States.' are reserved")
        return tuple(names)

    # ------------------------------------------------------------------ helpers

    def _unknown(self, d: dict, allowed: set[str], loc: str) -> None:
        for key in d:
            if key not in allowed:
                self.diags.error(loc, wording.not_supported(key))


def _growth(typ: str, d: dict, common: dict, extra: dict) -> dict:
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




def _transitions(body: JSON) -> list[tuple[tuple, str]]:
    """Where a raw state names another (``Next``, Choice rules, ``Default``, catchers)."""
    if not isinstance(body, dict):
        return []
    out: list[tuple[tuple, str]] = []
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


def _looks_like_path(value: str) -> bool:
    return value == "$" or value.startswith(("$.", "$[", "$$.")) or is_intrinsic(value)


def _has_dollar_key(value: JSON) -> bool:
    if isinstance(value, dict):
        return any(k.endswith(".$") or _has_dollar_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_dollar_key(v) for v in value)
    return False
