"""The fields of each state type but Map (which has :mod:`.map_fields`): Pass, Task, Choice,
Wait, Succeed, Fail and Parallel.

Part of the parser's class (:class:`stepline.asl.parser._Parser`). What every state has
(``Type``, ``Comment``, ``Next``/``End``, ``InputPath``/``OutputPath`` or ``Output``,
``Assign``) is checked by :meth:`~stepline.asl.parser._Parser.state` before it calls the
method of the state's type here, ``_<type>(d, loc, ql, common, depth)``. Each reports through
``self.diags`` and returns ``(model class, its fields)``; a class of ``None`` means the state
is too broken to build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import choice as choice_rules
from . import wording
from .diagnostics import INVALID_RESOURCE, NO_PATH, PASS_RESULT_IS_STATIC, at
from .jsonata import is_expression
from .model import (
    JSONATA,
    JSONPATH,
    Builder,
    ChoiceRule,
    ChoiceState,
    FailState,
    JsonataBuilder,
    ParallelState,
    PassState,
    Program,
    Resource,
    SucceedState,
    TaskState,
    WaitState,
)
from .resources import parse_resource
from .retry_catch import RetryCatch
from .shared_fields import ModelFields, looks_like_path
from .templates import compile_value_expression
from .timestamps import parse_timestamp
from .values import JSON

MAX_INT = wording.MAX_INT
_WAIT_FIELDS = {JSONPATH: ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"), JSONATA: ("Seconds", "Timestamp")}


class StateFields(RetryCatch):
    """Checks and compiles the fields of one state of a given type (Map aside)."""

    #: provided by the parser: a Parallel branch is a program, ``program(d, loc, depth)``
    program: Callable[[dict[str, JSON], str, int], Program | None]

    def _pass(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
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

    # ------------------------------------------------------------------ Task

    def _task(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
        resource = self._resource(d, loc)
        extra: dict[str, Any] = {"resource": resource}
        if ql == JSONPATH:
            extra["parameters"] = self._template(d, "Parameters", loc)
            extra["result_selector"] = self._template(d, "ResultSelector", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
        elif "Arguments" in d:
            extra["arguments"] = self._jsonata(d["Arguments"], "Arguments", at(loc, "Arguments"))
        for name in ("TimeoutSeconds", "HeartbeatSeconds"):
            extra.update(self._number_field(d, name, loc, ql, wording.positive_int,
                                            f"a positive integer (at most {MAX_INT})", reference=True))
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

    def _resource(self, d: dict[str, JSON], loc: str) -> Resource | None:
        if "Resource" not in d:
            self.diags.error(loc, wording.required("Resource"))
            return None
        arn = d["Resource"]
        if not isinstance(arn, str):
            self.diags.error(at(loc, "Resource"),
                             f"The value for the field 'Resource' must be a STRING, not {wording.show(arn)}",
                             INVALID_RESOURCE)
            return None
        resource = parse_resource(arn)
        if resource is None:
            self.diags.error(at(loc, "Resource"), f"The resource provided {arn} is not recognized. The value is not "
                                                  "a valid resource ARN, or the resource is not available in this "
                                                  "region.", INVALID_RESOURCE)
        return resource

    # ------------------------------------------------------------------ Choice

    def _choice(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
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
            self.diags.error(at(loc, "Default"),
                             f"The value for the field 'Default' must be a STRING, not {wording.show(default)}")
            default = None
        return ChoiceState, {"choices": tuple(rules), "default": default}

    def _jsonata_rule(self, rule: dict[str, JSON], loc: str, assign: Builder | JsonataBuilder | None) -> ChoiceRule:
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
            self.diags.error(at(loc, "Next"),
                             f"The value for the field 'Next' must be a STRING, not {wording.show(nxt)}")
        condition = rule.get("Condition")
        if isinstance(condition, bool):
            cond = (lambda c: lambda bindings, now: c)(condition)
        elif is_expression(condition):
            cond = self._jsonata(condition, "Condition", at(loc, "Condition"))
        else:
            if "Condition" in rule:
                self.diags.error(at(loc, "Condition"), "The value for the field 'Condition' must be a JSONata "
                                                       "expression {% ... %} or a boolean, "
                                                       f"not {wording.show(condition)}")
            cond = lambda bindings, now: False  # noqa: E731 - the definition is invalid anyway
        output = self._jsonata(rule["Output"], "Output", at(loc, "Output")) if "Output" in rule else None
        return ChoiceRule(condition=cond, next=nxt if isinstance(nxt, str) else "", assign=assign, output=output)

    # ------------------------------------------------------------------ Wait, Succeed, Fail

    def _wait(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
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
                                                       "extended offset date-time format string, "
                                                       f"not {wording.show(value)}")
            else:
                extra["timestamp"] = value
        if ql == JSONPATH:
            for field in ("SecondsPath", "TimestampPath"):
                if field in d:
                    extra[wording.snake(field)] = self._path(d[field], at(loc, field), field, reference=True)
                    extra[wording.snake(field) + "_text"] = d[field]
        return WaitState, extra

    def _succeed(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
        return SucceedState, {}

    def _fail(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
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
                    if ql == JSONPATH and looks_like_path(value):
                        self.diags.warning(at(loc, field), f"The value of the field '{field}' looks like a path, but "
                                                           f"the field name does not end with 'Path' (use "
                                                           f"'{path_field}')", NO_PATH)
            if path_field in d and ql == JSONPATH:
                text = d[path_field]
                extra[key + "_path"] = compile_value_expression(text, path_field, at(loc, path_field), self.diags)
                extra[key + "_path_text"] = text
        return FailState, extra

    # ------------------------------------------------------------------ Parallel

    def _parallel(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
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


def _has_dollar_key(value: JSON) -> bool:
    if isinstance(value, dict):
        return any(k.endswith(".$") or _has_dollar_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_dollar_key(v) for v in value)
    return False
