"""Parse and validate a definition into the compiled model, or explain what is wrong.

``parse(definition)`` returns a :class:`~stepline.asl.model.StateMachine` or raises
:class:`~stepline.asl.errors.DefinitionError` carrying every diagnostic found;
``validate(definition)`` returns the diagnostics (errors and warnings) without raising.
Nothing here raises a Python exception for a bad definition: each mistake becomes a
diagnostic located at the offending field (``/States/Check/Next``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from . import choice as choice_rules
from . import errors
from . import sizes
from .diagnostics import (
    DUPLICATE_STATE_NAME, INVALID_JSON_DESCRIPTION, INVALID_LABEL_NAME, INVALID_RESOURCE,
    INVALID_STATE_NAME, MISSING_DESCRIPTION, MISSING_END_STATE, MISSING_TRANSITION_TARGET,
    NO_DOLLAR, PASS_RESULT_IS_STATIC, TOO_DEEPLY_NESTED, UNREACHABLE_STATE, Diagnostic,
    Diagnostics, pointer,
)
from .intrinsics import is_intrinsic
from .jsonata import expression_text, is_expression
from .jsonpath import PathSyntaxError, compile_getter, compile_reference
from .model import (
    DISCARD, JSONATA, JSONPATH, Catcher, ChoiceRule, ChoiceState, FailState, MapState,
    ParallelState, PassState, Program, Resource, Retrier, State, StateMachine, SucceedState,
    TaskState, WaitState,
)
from .templates import compile_expression, compile_jsonata, compile_payload, compile_value_expression
from .timestamps import parse_timestamp
from .values import JSON

__all__ = ["parse", "validate", "load_definition", "parse_resource", "StateMachine"]

MAX_STATE_NAME = 80
MAX_NESTING = 40
MAX_INT = 99999999
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
        JSONATA: _FLOW | _RETRY_CATCH | {"ItemProcessor", "Items", "ItemSelector", "ItemReader", "ItemBatcher",
                                         "ResultWriter", "MaxConcurrency", "ToleratedFailurePercentage",
                                         "ToleratedFailureCount", "Label", "Output", "Assign"},
    },
}
_TERMINAL_TYPES = {"Succeed", "Fail"}


def load_definition(definition: JSON | str | bytes) -> JSON:
    """Accept a dict or JSON text; raise DefinitionError for text that is not a JSON object."""
    if isinstance(definition, (bytes, bytearray)):
        definition = definition.decode("utf-8", errors="replace")
    if isinstance(definition, str):
        if not definition.strip():
            raise errors.DefinitionError([Diagnostic("ERROR", MISSING_DESCRIPTION, "The definition is empty")])
        try:
            definition = json.loads(definition, object_pairs_hook=_no_duplicates)
        except _DuplicateKey as e:
            raise errors.DefinitionError([Diagnostic("ERROR", DUPLICATE_STATE_NAME if e.states else INVALID_JSON_DESCRIPTION,
                                                     str(e))]) from None
        except ValueError as e:
            raise errors.DefinitionError([Diagnostic("ERROR", INVALID_JSON_DESCRIPTION,
                                                     f"The definition is not valid JSON: {e}")]) from None
    if definition is None:
        raise errors.DefinitionError([Diagnostic("ERROR", MISSING_DESCRIPTION, "The definition is empty")])
    return definition


class _DuplicateKey(ValueError):
    def __init__(self, key: str, states: bool) -> None:
        super().__init__(f"Duplicate state name '{key}'" if states else f"Duplicate field '{key}' in the definition")
        self.states = states


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            looks_like_states = isinstance(v, dict) and "Type" in v
            raise _DuplicateKey(k, looks_like_states)
        out[k] = v
    return out


def parse(definition: JSON | str | bytes) -> StateMachine:
    """Compile a definition; raise DefinitionError with every error diagnostic."""
    parser = _Parser()
    machine = parser.machine(load_definition(definition))
    if parser.diags or machine is None:
        raise errors.DefinitionError(parser.diags.errors)
    return machine


def validate(definition: JSON | str | bytes) -> list[Diagnostic]:
    """Every diagnostic (errors first, then warnings) for a definition."""
    try:
        data = load_definition(definition)
    except errors.DefinitionError as e:
        return list(e.diagnostics)
    parser = _Parser()
    parser.machine(data)
    return parser.diags.errors + [d for d in parser.diags.items if d.severity != "ERROR"]


class _Parser:
    def __init__(self) -> None:
        self.diags = Diagnostics()

    # ------------------------------------------------------------------ top level

    def machine(self, d: JSON) -> StateMachine | None:
        if not isinstance(d, dict):
            self.diags.error("/", "The definition must be a JSON object", INVALID_JSON_DESCRIPTION)
            return None
        self._unknown(d, {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}, "")
        ql = d.get("QueryLanguage", JSONPATH)
        if ql not in (JSONPATH, JSONATA):
            self.diags.error("/QueryLanguage", f"The value for the field 'QueryLanguage' must be one of "
                                               f"[JSONPath, JSONata], not {json.dumps(ql)}")
            ql = JSONPATH
        if "Version" in d and d["Version"] != "1.0":
            self.diags.error("/Version", "The value for the field 'Version' must be \"1.0\"")
        timeout = d.get("TimeoutSeconds")
        if timeout is not None and not _positive_int(timeout):
            self.diags.error("/TimeoutSeconds", "The value for the field 'TimeoutSeconds' must be a positive integer")
            timeout = None
        if "Comment" in d and not isinstance(d["Comment"], str):
            self.diags.error("/Comment", "The value for the field 'Comment' must be a STRING")
        program = self.program(d, "", ql, 0)
        if program is None:
            return None
        return StateMachine(program=program, comment=d.get("Comment"), version=d.get("Version"),
                            timeout_seconds=timeout, query_language=ql, definition=d)

    def program(self, d: JSON, loc: str, ql: str, depth: int) -> Program | None:
        if depth > MAX_NESTING:
            self.diags.error(loc or "/", "The states are too deeply nested", TOO_DEEPLY_NESTED)
            return None
        missing = [f for f in ("StartAt", "States") if f not in d]
        if missing:
            self.diags.error(loc or "/", f"These fields are required: [{', '.join(missing)}]")
            return None
        start, raw_states = d["StartAt"], d["States"]
        if not isinstance(raw_states, dict) or not raw_states:
            self.diags.error(f"{loc}/States", "The value for the field 'States' must be a non-empty object")
            return None
        if not isinstance(start, str):
            self.diags.error(f"{loc}/StartAt", "The value for the field 'StartAt' must be a STRING")
            return None
        states: dict[str, State] = {}
        for name, body in raw_states.items():
            state = self.state(name, body, f"{loc}/States{pointer(name)}", ql, depth)
            if state is not None:
                states[name] = state
        if start not in raw_states:
            self.diags.error(f"{loc}/StartAt", f"Missing 'Next' target: the StartAt state '{start}' does not exist",
                             MISSING_TRANSITION_TARGET)
            return None
        self._check_graph(start, raw_states, states, loc)
        return Program(start_at=start, states=states, query_language=ql)

    def _check_graph(self, start: str, raw: dict, states: dict[str, State], loc: str) -> None:
        targets: dict[str, list[tuple[str, str]]] = {}
        for name, st in states.items():
            for field, target in _transitions(st):
                targets.setdefault(name, []).append((field, target))
                if target not in raw:
                    self.diags.error(f"{loc}/States{pointer(name)}/{field}",
                                     f"Missing 'Next' target: {target}", MISSING_TRANSITION_TARGET)
        seen, todo = {start}, [start]
        while todo:
            for _, t in targets.get(todo.pop(), []):
                if t in raw and t not in seen:
                    seen.add(t)
                    todo.append(t)
        for name in raw:
            if name not in seen:
                self.diags.error(f"{loc}/States{pointer(name)}", f"State '{name}' is not reachable", UNREACHABLE_STATE)
        if not any(_is_terminal(st) for st in states.values()) and len(states) == len(raw):
            self.diags.error(f"{loc}/States" if loc else "/States", "No terminal state: no state has 'End': true and "
                             "there is no Succeed or Fail state", MISSING_END_STATE)

    # ------------------------------------------------------------------ one state

    def state(self, name: str, d: JSON, loc: str, default_ql: str, depth: int) -> State | None:
        if not name or len(name) > MAX_STATE_NAME:
            self.diags.error(loc, f"State names must be 1 to {MAX_STATE_NAME} characters long: '{name[:100]}'",
                             INVALID_STATE_NAME)
        elif any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):
            self.diags.error(loc, f"The state name '{name}' contains control characters", INVALID_STATE_NAME)
        if not isinstance(d, dict):
            self.diags.error(loc, "A state must be a JSON object")
            return None
        typ = d.get("Type")
        if typ not in _FIELDS:
            if typ is None:
                self.diags.error(loc, "These fields are required: [Type]")
            else:
                self.diags.error(f"{loc}/Type", f"The value for the field 'Type' must be one of "
                                               f"[{', '.join(_FIELDS)}], not {json.dumps(typ)}")
            return None
        ql = d.get("QueryLanguage", default_ql)
        if ql not in (JSONPATH, JSONATA):
            self.diags.error(f"{loc}/QueryLanguage", "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]")
            ql = default_ql
        elif default_ql == JSONATA and ql == JSONPATH:
            self.diags.error(f"{loc}/QueryLanguage", "A state cannot use JSONPath when the state machine's "
                                                     "QueryLanguage is JSONata")
        allowed = _FIELDS[typ][ql]
        other = _FIELDS[typ][JSONATA if ql == JSONPATH else JSONPATH]
        for key in d:
            if key in _COMMON or key in allowed:
                continue
            if key in other:
                self.diags.error(f"{loc}/{key}", f"The field '{key}' is not supported in {ql} states "
                                                 f"(it belongs to {JSONATA if ql == JSONPATH else JSONPATH})")
            else:
                self.diags.error(f"{loc}/{key}", f"The field '{key}' is not supported by Step Functions")
        if "Comment" in d and not isinstance(d["Comment"], str):
            self.diags.error(f"{loc}/Comment", "The value for the field 'Comment' must be a STRING")
        common = dict(name=name, type=typ, query_language=ql, comment=d.get("Comment"), jsonata=ql == JSONATA,
                      entered=typ + "StateEntered", exited=typ + "StateExited")
        if typ not in ("Choice", "Succeed", "Fail"):
            common.update(self._flow(d, loc))
        if ql == JSONPATH:
            for field in ("InputPath", "OutputPath"):
                if field in allowed:
                    common[_snake(field)], common[_snake(field) + "_text"] = self._io_path(d, field, loc)
        elif "Output" in d:
            common["output"] = compile_jsonata(d["Output"], "Output", self.diags, f"{loc}/Output")
        if "Assign" in d:
            common["assign"] = self._assign(d["Assign"], f"{loc}/Assign", ql)
        build = getattr(self, "_" + typ.lower())
        try:
            return build(d, loc, ql, common, depth)
        except _Skip:
            return None

    def _flow(self, d: dict, loc: str) -> dict:
        nxt, end = d.get("Next"), d.get("End")
        if nxt is not None and end is not None:
            self.diags.error(loc, "A state cannot have both 'Next' and 'End'")
        if end is not None and end is not True:
            self.diags.error(f"{loc}/End", "The value for the field 'End' must be true")
        if nxt is None and end is not True:
            self.diags.error(loc, "These fields are required: [Next] (or 'End': true)")
        if nxt is not None and not isinstance(nxt, str):
            self.diags.error(f"{loc}/Next", "The value for the field 'Next' must be a STRING")
            nxt = None
        return {"next": nxt, "end": end is True and nxt is None}

    def _io_path(self, d: dict, field: str, loc: str) -> tuple[Any, str | None]:
        if field not in d:
            return None, "$"
        text = d[field]
        if text is None:
            return DISCARD, None
        getter = self._getter(text, f"{loc}/{field}", field)
        if text == "$":
            return None, "$"
        return getter, text

    def _getter(self, text: JSON, loc: str, field: str) -> Any:
        if not isinstance(text, str):
            self.diags.error(loc, f"The value for the field '{field}' must be a STRING that contains a JSONPath")
            return None
        try:
            return compile_getter(text)
        except PathSyntaxError as e:
            self.diags.error(loc, f"The value for the field '{field}' must be a valid JSONPath: {e}")
            return None

    def _result_path(self, d: dict, loc: str, field: str = "ResultPath") -> tuple[Any, str | None]:
        if field not in d:
            return (), "$"
        text = d[field]
        if text is None:
            return DISCARD, None
        if not isinstance(text, str):
            self.diags.error(f"{loc}/{field}", f"The value for the field '{field}' must be a STRING that contains a JSONPath")
            return (), "$"
        try:
            ref = compile_reference(text)
        except PathSyntaxError as e:
            self.diags.error(f"{loc}/{field}", f"The value for the field '{field}' must be a valid JSONPath: {e}")
            return (), "$"
        if ref.root != "input" or not ref.path.definite:
            self.diags.error(f"{loc}/{field}", f"The value for the field '{field}' must be a reference path: "
                                               "'$' followed by field names and array indexes only")
            return (), "$"
        return ref.path.keys, text

    def _assign(self, value: JSON, loc: str, ql: str) -> Any:
        if not isinstance(value, dict):
            self.diags.error(loc, "The value for the field 'Assign' must be an OBJECT")
            return None
        for key in value:
            var = key[:-2] if ql == JSONPATH and key.endswith(".$") else key
            if not _VARIABLE_NAME.fullmatch(var) or len(var) > 80:
                self.diags.error(f"{loc}/{key}", f"'{var}' is not a valid variable name: use letters, digits and "
                                                 "'_', not starting with a digit, at most 80 characters")
            elif var == "states":
                self.diags.error(f"{loc}/{key}", "'states' is a reserved variable name")
        if ql == JSONPATH:
            return compile_payload(value, loc, self.diags)
        return compile_jsonata(value, "Assign", self.diags, loc)

    def _jsonpath_template(self, d: dict, field: str, loc: str) -> Any:
        if field not in d:
            return None
        value = d[field]
        if not isinstance(value, (dict, list)) and field != "Parameters":
            self.diags.error(f"{loc}/{field}", f"The value for the field '{field}' must be an OBJECT")
            return None
        self._warn_no_dollar(value, f"{loc}/{field}")
        return compile_payload(value, f"{loc}/{field}", self.diags)

    def _warn_no_dollar(self, value: JSON, loc: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if not k.endswith(".$") and isinstance(v, str) and (v.startswith("$.") or v == "$" or is_intrinsic(v)):
                    self.diags.warning(f"{loc}/{k}", f"The value of field '{k}' looks like a JSONPath or an intrinsic "
                                                     "function, but the field name does not end with '.$'", NO_DOLLAR)
                self._warn_no_dollar(v, f"{loc}/{k}")

    # ------------------------------------------------------------------ per type

    def _pass(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        extra: dict[str, Any] = {}
        if ql == JSONPATH:
            if "Result" in d:
                extra.update(result=d["Result"], has_result=True)
                if isinstance(d["Result"], dict) and any(k.endswith(".$") for k in d["Result"]):
                    self.diags.warning(f"{loc}/Result", "Paths in a Pass state's Result are not evaluated; the "
                                                        "Result is static", PASS_RESULT_IS_STATIC)
            extra["parameters"] = self._jsonpath_template(d, "Parameters", loc)
            extra["result_path"] = self._result_path(d, loc)[0]
            extra["growth"] = sizes.pass_state("Result" in d, d.get("Result"), d.get("Parameters"), "Parameters" in d,
                                               extra["result_path"], common.get("input_path"),
                                               common.get("output_path"))
        return PassState(**common, **extra)

    def _task(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        resource = self._resource(d.get("Resource"), f"{loc}/Resource", loc)
        extra: dict[str, Any] = {"resource": resource}
        if ql == JSONPATH:
            extra["parameters"] = self._jsonpath_template(d, "Parameters", loc)
            extra["result_selector"] = self._jsonpath_template(d, "ResultSelector", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
            extra["growth"] = sizes.with_result(d.get("ResultSelector"), extra["result_path"], common.get("output_path"))
        elif "Arguments" in d:
            extra["arguments"] = compile_jsonata(d["Arguments"], "Arguments", self.diags, f"{loc}/Arguments")
        for name in ("TimeoutSeconds", "HeartbeatSeconds"):
            extra.update(self._seconds_field(d, name, loc, ql))
        t, h = extra.get("timeout_seconds"), extra.get("heartbeat_seconds")
        if isinstance(t, int) and isinstance(h, int) and h >= t:
            self.diags.error(f"{loc}/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
        if "Credentials" in d:
            if not isinstance(d["Credentials"], dict):
                self.diags.error(f"{loc}/Credentials", "The value for the field 'Credentials' must be an OBJECT")
            extra["credentials"] = d["Credentials"]
        extra["retry"] = self._retriers(d, loc)
        extra["catch"] = self._catchers(d, loc, ql)
        if resource is None:
            raise _Skip
        return TaskState(**common, **extra)

    def _seconds_field(self, d: dict, name: str, loc: str, ql: str) -> dict:
        key = _snake(name)
        out: dict[str, Any] = {}
        path_name = name + "Path"
        if name in d and path_name in d:
            self.diags.error(loc, f"The fields '{name}' and '{path_name}' cannot both be given")
        if name in d:
            value = d[name]
            if ql == JSONATA and is_expression(value):
                out[key + "_expr"] = compile_jsonata(value, name, self.diags, f"{loc}/{name}")
            elif not _positive_int(value):
                self.diags.error(f"{loc}/{name}", f"The value for the field '{name}' must be a positive integer "
                                                  f"(at most {MAX_INT})")
            else:
                out[key] = value
        if path_name in d:
            out[key + "_path"] = self._getter(d[path_name], f"{loc}/{path_name}", path_name)
        return out

    def _resource(self, arn: JSON, loc: str, state_loc: str) -> Resource | None:
        if arn is None:
            self.diags.error(state_loc, "These fields are required: [Resource]")
            return None
        if not isinstance(arn, str):
            self.diags.error(loc, "The value for the field 'Resource' must be a STRING", INVALID_RESOURCE)
            return None
        resource = parse_resource(arn)
        if resource is None:
            self.diags.error(loc, f"The resource provided {arn} is not recognized. The value is not a valid resource "
                                  "ARN, or the resource is not available in this region.", INVALID_RESOURCE)
        return resource

    def _choice(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        raw = d.get("Choices")
        if not isinstance(raw, list) or not raw:
            self.diags.error(f"{loc}/Choices" if "Choices" in d else loc,
                             "A Choice state must have a non-empty 'Choices' array" if "Choices" in d
                             else "These fields are required: [Choices]")
            raise _Skip
        rules = []
        for i, rule in enumerate(raw):
            rloc = f"{loc}/Choices/{i}"
            if not isinstance(rule, dict):
                self.diags.error(rloc, "A choice rule must be a JSON object")
                continue
            nxt = rule.get("Next")
            if not isinstance(nxt, str):
                self.diags.error(rloc if nxt is None else f"{rloc}/Next",
                                 "These fields are required: [Next]" if nxt is None else
                                 "The value for the field 'Next' must be a STRING")
                continue
            assign = self._assign(rule["Assign"], f"{rloc}/Assign", ql) if "Assign" in rule else None
            if ql == JSONATA:
                rules.append(self._jsonata_rule(rule, rloc, nxt, assign))
            else:
                predicate = choice_rules.compile_rule(rule, rloc, self.diags, top_level=True)
                if predicate is not None:
                    rules.append(ChoiceRule(predicate=predicate, next=nxt, assign=assign))
        default = d.get("Default")
        if default is not None and not isinstance(default, str):
            self.diags.error(f"{loc}/Default", "The value for the field 'Default' must be a STRING")
            default = None
        for key in ("Next", "End"):
            if key in d:
                self.diags.error(f"{loc}/{key}", f"A Choice state cannot have '{key}'")
        if ql == JSONPATH:
            common["growth"] = sizes.passthrough(common.get("input_path"), common.get("output_path"))
        return ChoiceState(**common, choices=tuple(rules), default=default)

    def _jsonata_rule(self, rule: dict, loc: str, nxt: str, assign: Any) -> ChoiceRule:
        for key in rule:
            if key not in ("Condition", "Next", "Comment", "Assign", "Output"):
                self.diags.error(f"{loc}/{key}", f"The field '{key}' is not supported in a JSONata choice rule" +
                                 (" (use 'Condition')" if key in ("Variable", "And", "Or", "Not") else ""))
        if "Condition" not in rule:
            self.diags.error(loc, "These fields are required: [Condition]")
        condition = rule.get("Condition")
        if isinstance(condition, bool):
            cond = (lambda c: lambda bindings, now: c)(condition)
        elif is_expression(condition):
            cond = compile_jsonata(condition, "Condition", self.diags, f"{loc}/Condition")
        else:
            if "Condition" in rule:
                self.diags.error(f"{loc}/Condition", "The value for the field 'Condition' must be a JSONata "
                                                     "expression {% ... %} or a boolean")
            cond = lambda bindings, now: False  # noqa: E731 - definition is invalid anyway
        output = compile_jsonata(rule["Output"], "Output", self.diags, f"{loc}/Output") if "Output" in rule else None
        return ChoiceRule(condition=cond, next=nxt, assign=assign, output=output)

    def _wait(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        given = [k for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if k in d]
        if len(given) != 1:
            self.diags.error(loc, "A Wait state must have exactly one of 'Seconds', 'Timestamp', 'SecondsPath' "
                                  f"or 'TimestampPath' (it has {len(given)})")
        extra: dict[str, Any] = {}
        if "Seconds" in d:
            value = d["Seconds"]
            if ql == JSONATA and is_expression(value):
                extra["seconds_expr"] = compile_jsonata(value, "Seconds", self.diags, f"{loc}/Seconds")
            elif not _nonneg_int(value):
                self.diags.error(f"{loc}/Seconds", f"The value for the field 'Seconds' must be a non-negative "
                                                   f"integer (at most {MAX_INT})")
            else:
                extra["seconds"] = value
        if "Timestamp" in d:
            value = d["Timestamp"]
            if ql == JSONATA and is_expression(value):
                extra["timestamp_expr"] = compile_jsonata(value, "Timestamp", self.diags, f"{loc}/Timestamp")
            elif not isinstance(value, str) or parse_timestamp(value) is None:
                self.diags.error(f"{loc}/Timestamp", "The value for the field 'Timestamp' must be an ISO-8601 "
                                                     "extended offset date-time format string")
            else:
                extra["timestamp"] = value
        for field in ("SecondsPath", "TimestampPath"):
            if field in d:
                extra[_snake(field)] = self._getter(d[field], f"{loc}/{field}", field)
                extra[_snake(field) + "_text"] = d[field]
        if ql == JSONPATH:
            common["growth"] = sizes.passthrough(common.get("input_path"), common.get("output_path"))
        return WaitState(**common, **extra)

    def _succeed(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        if ql == JSONPATH:
            common["growth"] = sizes.passthrough(common.get("input_path"), common.get("output_path"))
        return SucceedState(**common)

    def _fail(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        extra: dict[str, Any] = {}
        for field in ("Error", "Cause"):
            key = field.lower()
            if field in d and field + "Path" in d:
                self.diags.error(loc, f"The fields '{field}' and '{field}Path' cannot both be given")
            if field in d:
                value = d[field]
                if ql == JSONATA and is_expression(value):
                    extra[key + "_expr"] = compile_jsonata(value, field, self.diags, f"{loc}/{field}")
                elif not isinstance(value, str):
                    self.diags.error(f"{loc}/{field}", f"The value for the field '{field}' must be a STRING")
                else:
                    extra[key] = value
            if field + "Path" in d:
                text = d[field + "Path"]
                fn = compile_value_expression(text, field + "Path", f"{loc}/{field}Path", self.diags)
                extra[key + "_path"] = fn
                extra[key + "_path_text"] = text
        return FailState(**common, **extra)

    def _parallel(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        raw = d.get("Branches")
        if not isinstance(raw, list) or not raw:
            self.diags.error(f"{loc}/Branches" if "Branches" in d else loc,
                             "The value for the field 'Branches' must be a non-empty array" if "Branches" in d
                             else "These fields are required: [Branches]")
            raise _Skip
        branches = []
        for i, b in enumerate(raw):
            if not isinstance(b, dict):
                self.diags.error(f"{loc}/Branches/{i}", "A branch must be a JSON object")
                continue
            self._unknown(b, {"StartAt", "States", "Comment", "QueryLanguage"}, f"{loc}/Branches/{i}")
            program = self.program(b, f"{loc}/Branches/{i}", b.get("QueryLanguage", ql), depth + 1)
            if program is not None:
                branches.append(program)
        extra: dict[str, Any] = {"branches": tuple(branches)}
        if ql == JSONPATH:
            extra["parameters"] = self._jsonpath_template(d, "Parameters", loc)
            extra["result_selector"] = self._jsonpath_template(d, "ResultSelector", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
            extra["growth"] = sizes.with_result(d.get("ResultSelector"), extra["result_path"], common.get("output_path"))
        elif "Arguments" in d:
            extra["arguments"] = compile_jsonata(d["Arguments"], "Arguments", self.diags, f"{loc}/Arguments")
        extra["retry"] = self._retriers(d, loc)
        extra["catch"] = self._catchers(d, loc, ql)
        return ParallelState(**common, **extra)

    def _map(self, d: dict, loc: str, ql: str, common: dict, depth: int) -> State:
        if "ItemProcessor" in d and "Iterator" in d:
            self.diags.error(loc, "A Map state cannot have both 'ItemProcessor' and 'Iterator'")
        field = "ItemProcessor" if "ItemProcessor" in d else "Iterator"
        raw = d.get(field)
        if not isinstance(raw, dict):
            self.diags.error(f"{loc}/{field}" if field in d else loc,
                             f"The value for the field '{field}' must be an OBJECT" if field in d
                             else "These fields are required: [ItemProcessor]")
            raise _Skip
        config = raw.get("ProcessorConfig", {})
        self._unknown(raw, {"StartAt", "States", "Comment", "ProcessorConfig", "QueryLanguage"}, f"{loc}/{field}")
        mode, execution_type = "INLINE", None
        if not isinstance(config, dict):
            self.diags.error(f"{loc}/{field}/ProcessorConfig", "The value for the field 'ProcessorConfig' must be an OBJECT")
        else:
            self._unknown(config, {"Mode", "ExecutionType"}, f"{loc}/{field}/ProcessorConfig")
            mode = config.get("Mode", "INLINE")
            if mode not in ("INLINE", "DISTRIBUTED"):
                self.diags.error(f"{loc}/{field}/ProcessorConfig/Mode", "The value for the field 'Mode' must be "
                                                                        "INLINE or DISTRIBUTED")
                mode = "INLINE"
            execution_type = config.get("ExecutionType")
            if mode == "DISTRIBUTED" and execution_type not in ("STANDARD", "EXPRESS"):
                self.diags.error(f"{loc}/{field}/ProcessorConfig", "A DISTRIBUTED Map needs 'ExecutionType': "
                                                                   "STANDARD or EXPRESS")
            elif mode == "INLINE" and execution_type is not None:
                self.diags.error(f"{loc}/{field}/ProcessorConfig/ExecutionType",
                                 "'ExecutionType' is only supported for DISTRIBUTED Map states")
        processor = self.program(raw, f"{loc}/{field}", raw.get("QueryLanguage", ql), depth + 1)
        if processor is None:
            raise _Skip
        extra: dict[str, Any] = {"processor": processor, "mode": mode, "execution_type": execution_type}
        if mode == "INLINE":
            for key in ("ItemReader", "ItemBatcher", "ResultWriter"):
                if key in d:
                    self.diags.error(f"{loc}/{key}", f"The field '{key}' is only supported for DISTRIBUTED Map states")
        for key in ("ItemReader", "ItemBatcher", "ResultWriter"):
            if key in d:
                extra[_snake(key)] = d[key]
        if ql == JSONPATH:
            if "ItemsPath" in d:
                extra["items_path"] = self._getter(d["ItemsPath"], f"{loc}/ItemsPath", "ItemsPath")
                extra["items_path_text"] = d["ItemsPath"]
            if "ItemSelector" in d and "Parameters" in d:
                self.diags.error(loc, "A Map state cannot have both 'ItemSelector' and 'Parameters'")
            if "ItemSelector" in d or "Parameters" in d:
                key = "ItemSelector" if "ItemSelector" in d else "Parameters"
                extra["item_selector"] = self._jsonpath_template(d, key, loc)
                extra["legacy_parameters"] = key == "Parameters"
            extra["result_selector"] = self._jsonpath_template(d, "ResultSelector", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
            extra["growth"] = sizes.with_result(d.get("ResultSelector"), extra["result_path"], common.get("output_path"))
            selector = d.get("ItemSelector", d.get("Parameters"))
            extra["item_growth"] = sizes.template(selector) if selector is not None else sizes.Growth(0, 1)
        else:
            if "Items" in d:
                items = d["Items"]
                if not isinstance(items, list) and not is_expression(items):
                    self.diags.error(f"{loc}/Items", "The value for the field 'Items' must be an array or a JSONata "
                                                     "expression")
                extra["items"] = compile_jsonata(items, "Items", self.diags, f"{loc}/Items")
                extra["items_text"] = expression_text(items) if isinstance(items, str) else None
            if "ItemSelector" in d:
                extra["item_selector"] = compile_jsonata(d["ItemSelector"], "ItemSelector", self.diags, f"{loc}/ItemSelector")
        extra["path_texts"] = {k: d[k] for k in ("MaxConcurrencyPath", "ToleratedFailurePercentagePath",
                                                 "ToleratedFailureCountPath") if k in d}
        extra.update(self._map_number(d, "MaxConcurrency", loc, ql, _nonneg_int, "a non-negative integer"))
        extra.update(self._map_number(d, "ToleratedFailurePercentage", loc, ql,
                                      lambda v: _number(v) and 0 <= v <= 100, "a number between 0 and 100"))
        extra.update(self._map_number(d, "ToleratedFailureCount", loc, ql, _nonneg_int, "a non-negative integer"))
        if "Label" in d:
            label = d["Label"]
            if mode != "DISTRIBUTED":
                self.diags.error(f"{loc}/Label", "The field 'Label' is only supported for DISTRIBUTED Map states")
            if not isinstance(label, str) or not 0 < len(label) <= 40 or re.search(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/]", label):
                self.diags.error(f"{loc}/Label", "The value for the field 'Label' must be 1 to 40 characters with no "
                                                 "whitespace or special characters", INVALID_LABEL_NAME)
            else:
                extra["label"] = label
        extra["retry"] = self._retriers(d, loc)
        extra["catch"] = self._catchers(d, loc, ql)
        return MapState(**common, **extra)

    def _map_number(self, d: dict, name: str, loc: str, ql: str, ok: Callable[[Any], bool], what: str) -> dict:
        key = _snake(name)
        out: dict[str, Any] = {}
        if name in d and name + "Path" in d:
            self.diags.error(loc, f"The fields '{name}' and '{name}Path' cannot both be given")
        if name in d:
            value = d[name]
            if ql == JSONATA and is_expression(value):
                out[key + "_expr"] = compile_jsonata(value, name, self.diags, f"{loc}/{name}")
            elif not ok(value):
                self.diags.error(f"{loc}/{name}", f"The value for the field '{name}' must be {what}")
            else:
                out[key] = value
        if name + "Path" in d:
            out[key + "_path"] = self._getter(d[name + "Path"], f"{loc}/{name}Path", name + "Path")
        return out

    # ------------------------------------------------------------------ Retry and Catch

    def _retriers(self, d: dict, loc: str) -> tuple[Retrier, ...]:
        raw = d.get("Retry")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.diags.error(f"{loc}/Retry", "The value for the field 'Retry' must be an array")
            return ()
        out = []
        for i, r in enumerate(raw):
            rloc = f"{loc}/Retry/{i}"
            if not isinstance(r, dict):
                self.diags.error(rloc, "A retrier must be a JSON object")
                continue
            self._unknown(r, {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                              "JitterStrategy", "Comment"}, rloc)
            names = self._error_equals(r, rloc, last=i == len(raw) - 1, what="retrier")
            kw: dict[str, Any] = {"error_equals": names}
            if "IntervalSeconds" in r:
                if _positive_int(r["IntervalSeconds"]):
                    kw["interval_seconds"] = r["IntervalSeconds"]
                else:
                    self.diags.error(f"{rloc}/IntervalSeconds", "The value for the field 'IntervalSeconds' must be a "
                                                                f"positive integer (at most {MAX_INT})")
            if "MaxAttempts" in r:
                if _nonneg_int(r["MaxAttempts"]):
                    kw["max_attempts"] = r["MaxAttempts"]
                else:
                    self.diags.error(f"{rloc}/MaxAttempts", "The value for the field 'MaxAttempts' must be a "
                                                            f"non-negative integer (at most {MAX_INT})")
            if "BackoffRate" in r:
                rate = r["BackoffRate"]
                if _number(rate) and rate >= 1.0:
                    kw["backoff_rate"] = float(rate)
                else:
                    self.diags.error(f"{rloc}/BackoffRate", "The value for the field 'BackoffRate' must be a number "
                                                            "greater than or equal to 1.0")
            if "MaxDelaySeconds" in r:
                if _positive_int(r["MaxDelaySeconds"]):
                    kw["max_delay_seconds"] = r["MaxDelaySeconds"]
                else:
                    self.diags.error(f"{rloc}/MaxDelaySeconds", "The value for the field 'MaxDelaySeconds' must be a "
                                                                f"positive integer (at most {MAX_INT})")
            if "JitterStrategy" in r:
                if r["JitterStrategy"] in ("FULL", "NONE"):
                    kw["jitter"] = r["JitterStrategy"]
                else:
                    self.diags.error(f"{rloc}/JitterStrategy", "The value for the field 'JitterStrategy' must be "
                                                               "FULL or NONE")
            out.append(Retrier(**kw))
        return tuple(out)

    def _catchers(self, d: dict, loc: str, ql: str) -> tuple[Catcher, ...]:
        raw = d.get("Catch")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.diags.error(f"{loc}/Catch", "The value for the field 'Catch' must be an array")
            return ()
        out = []
        for i, c in enumerate(raw):
            cloc = f"{loc}/Catch/{i}"
            if not isinstance(c, dict):
                self.diags.error(cloc, "A catcher must be a JSON object")
                continue
            allowed = {"ErrorEquals", "Next", "Comment", "Assign"} | ({"ResultPath"} if ql == JSONPATH else {"Output"})
            self._unknown(c, allowed, cloc)
            names = self._error_equals(c, cloc, last=i == len(raw) - 1, what="catcher")
            nxt = c.get("Next")
            if not isinstance(nxt, str):
                self.diags.error(cloc if nxt is None else f"{cloc}/Next", "These fields are required: [Next]"
                                 if nxt is None else "The value for the field 'Next' must be a STRING")
                continue
            kw: dict[str, Any] = {"error_equals": names, "next": nxt}
            if ql == JSONPATH:
                kw["result_path"] = self._result_path(c, cloc)[0]
            elif "Output" in c:
                kw["output"] = compile_jsonata(c["Output"], "Output", self.diags, f"{cloc}/Output")
            if "Assign" in c:
                kw["assign"] = self._assign(c["Assign"], f"{cloc}/Assign", ql)
            out.append(Catcher(**kw))
        return tuple(out)

    def _error_equals(self, r: dict, loc: str, last: bool, what: str) -> tuple[str, ...]:
        names = r.get("ErrorEquals")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.diags.error(f"{loc}/ErrorEquals" if "ErrorEquals" in r else loc,
                             "The value for the field 'ErrorEquals' must be a non-empty array of strings"
                             if "ErrorEquals" in r else "These fields are required: [ErrorEquals]")
            return ()
        if errors.ALL in names:
            if len(names) != 1:
                self.diags.error(f"{loc}/ErrorEquals", f"{errors.ALL} must appear alone in 'ErrorEquals'")
            if not last:
                self.diags.error(f"{loc}/ErrorEquals", f"A {what} matching {errors.ALL} must be the last one")
        for n in names:
            if n.startswith("States.") and n not in errors.PREDEFINED and not n.startswith("States.Http.StatusCode."):
                self.diags.error(f"{loc}/ErrorEquals", f"'{n}' is not a predefined error: error names starting with "
                                                       "'States.' are reserved")
        return tuple(names)

    # ------------------------------------------------------------------ helpers

    def _unknown(self, d: dict, allowed: set[str], loc: str) -> None:
        for key in d:
            if key not in allowed:
                self.diags.error(f"{loc}/{key}", f"The field '{key}' is not supported by Step Functions")


class _Skip(Exception):
    """The state is too broken to build; its diagnostics are already recorded."""


def parse_resource(arn: str) -> Resource | None:
    """Take a Task resource ARN apart; None when it is not one Step Functions accepts."""
    m = _LAMBDA_ARN.fullmatch(arn)
    if m:
        return Resource(arn=arn, kind="lambda", service="lambda", action="invoke", region=m.group(2),
                        account=m.group(3), name=m.group(4))
    m = _ACTIVITY_ARN.fullmatch(arn)
    if m:
        return Resource(arn=arn, kind="activity", region=m.group(2), account=m.group(3), name=m.group(4))
    m = _SERVICE_ARN.fullmatch(arn)
    if m:
        rest = m.group(4)
        pattern = "request-response"
        for suffix, name in ((".sync:2", "sync:2"), (".sync", "sync"), (".waitForTaskToken", "waitForTaskToken")):
            if rest.endswith(suffix):
                rest, pattern = rest[: -len(suffix)], name
                break
        parts = rest.split(":")
        if parts[0] == "aws-sdk" and len(parts) == 3:
            service, action = f"aws-sdk:{parts[1]}", parts[2]
        elif len(parts) == 2:
            service, action = parts
        else:
            return None
        if not service or not action:
            return None
        return Resource(arn=arn, kind="service", service=service, action=action, pattern=pattern,
                        region=m.group(2) or None, account=m.group(3) or None)
    return None


_LAMBDA_ARN = re.compile(r"arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9_$-]+)?")
_ACTIVITY_ARN = re.compile(r"arn:(aws[a-zA-Z-]*):states:([a-z0-9-]+):(\d{12}):activity:([^\s:]{1,80})")
_SERVICE_ARN = re.compile(r"arn:(aws[a-zA-Z-]*):states:([a-z0-9-]*):(\d{12})?:([A-Za-z0-9-]+:[A-Za-z0-9:.-]+)")


def _transitions(st: State) -> list[tuple[str, str]]:
    out = []
    if st.next:
        out.append(("Next", st.next))
    if isinstance(st, ChoiceState):
        out += [(f"Choices/{i}/Next", r.next) for i, r in enumerate(st.choices)]
        if st.default:
            out.append(("Default", st.default))
    for i, c in enumerate(getattr(st, "catch", ())):
        out.append((f"Catch/{i}/Next", c.next))
    return out


def _is_terminal(st: State) -> bool:
    return st.end or st.type in _TERMINAL_TYPES


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_INT


def _nonneg_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_INT


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
