"""Choice Rules of JSONPath states: operators, combinators, run-time errors, validation.

The tables below are the essence of what real AWS recorded (``tests/conformance/cases``,
feature ``choice-operators``) plus the rules of the AWS docs; the last test replays those
recordings themselves when they are present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepline.asl import errors
from stepline.asl.choice import COMPARISON_OPERATORS, compile_rule
from stepline.asl.diagnostics import SCHEMA_VALIDATION_FAILED, Diagnostics
from stepline.asl.jsonpath import Scope

LOCATION = "/States/Check/Choices/0"
MISSING = object()  # the Variable selects nothing
TS = "2012-10-09T19:00:55Z"


def compiled(rule: dict, *, top_level: bool = False) -> Any:
    diags = Diagnostics()
    predicate = compile_rule(rule, LOCATION, diags, top_level=top_level)
    assert predicate is not None, [d.to_json() for d in diags.items]
    assert not diags.items
    return predicate


def holds(op: str, operand: Any, value: Any) -> bool:
    data = {} if value is MISSING else {"v": value}
    return compiled({"Variable": "$.v", op: operand})(data, Scope())


def holds_path(op: str, left: Any, right: Any) -> bool:
    return compiled({"Variable": "$.v", op + "Path": "$.w"})({"v": left, "w": right}, Scope())


# ---------------------------------------------------------------------------- comparisons

@pytest.mark.parametrize(("op", "operand", "value", "expected"), [
    # strings: exact and case-sensitive; other types never match
    ("StringEquals", "Hello", "Hello", True),
    ("StringEquals", "Hello", "hello", False),
    ("StringEquals", "     ", " ", False),
    ("StringEquals", "\t\r\n", "\t\n", False),
    ("StringEquals", "HelloWorld", None, False),
    ("StringEquals", "HelloWorld", 0, False),
    ("StringEquals", "0", 0, False),
    ("StringEquals", "true", True, False),
    ("StringEquals", "HelloWorld", [], False),
    ("StringEquals", "HelloWorld", {}, False),
    ("StringEquals", TS, TS, True),  # "a timestamp can be matched by StringEquals"
    # string order: lexicographic, by UTF-16 code unit (Java's compareTo)
    ("StringLessThan", "AB", "A", True),
    ("StringLessThan", "A", "A", False),
    ("StringLessThan", "a", "B", True),  # upper case sorts before lower case
    ("StringGreaterThan", "A ", "A", False),
    ("StringGreaterThan", "A\t\n\r", "A", False),
    ("StringGreaterThan", "AB", "B", True),
    ("StringLessThanEquals", "AB", "A", True),
    ("StringLessThanEquals", "", "", True),
    ("StringGreaterThanEquals", "", "", True),
    ("StringGreaterThanEquals", "A", "AB", True),
    ("StringGreaterThanEquals", "A", 1, False),
    ("StringLessThan", "\u00e9", "e", True),
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+FFFF
    ("StringLessThan", "\uffff", "\U0001f600", True),
    ("StringGreaterThan", "\uffff", "\U0001f600", False),
    ("StringGreaterThan", "\U0001f600", "\uffff", True),
    # numbers: int and float compare by value; booleans are not numbers
    ("NumericEquals", 0, 0, True),
    ("NumericEquals", 0, 0.0, True),
    ("NumericEquals", 0.0, 0, True),
    ("NumericEquals", 1, 1.0, True),
    ("NumericEquals", 2.22, 2.22, True),
    ("NumericEquals", 1, 1.1, False),
    ("NumericEquals", 0, None, False),
    ("NumericEquals", 0, "0", False),
    ("NumericEquals", 1, "", False),
    ("NumericEquals", 0, False, False),
    ("NumericEquals", 1, True, False),
    ("NumericEquals", 0, [], False),
    ("NumericEquals", 0, [0], False),
    ("NumericEquals", 0, {"A": 0}, False),
    ("NumericLessThan", 1, 0, True),
    ("NumericLessThan", 0, 0.0, False),
    ("NumericLessThan", 0, -0.5, True),
    ("NumericGreaterThan", 0, 1, True),
    ("NumericGreaterThan", 0, 0.0, False),
    ("NumericGreaterThan", 0, True, False),
    ("NumericLessThanEquals", 0, 0.0, True),
    ("NumericLessThanEquals", 1, 0, True),
    ("NumericLessThanEquals", 0, 1, False),
    ("NumericGreaterThanEquals", 0, 0.0, True),
    ("NumericGreaterThanEquals", 1, 0, False),
    ("NumericGreaterThanEquals", -1e300, 1e300, True),
    # booleans: only true and false
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", False, False, True),
    ("BooleanEquals", True, False, False),
    ("BooleanEquals", True, 1, False),
    ("BooleanEquals", False, 0, False),
    ("BooleanEquals", False, 0.0, False),
    ("BooleanEquals", True, "true", False),
    ("BooleanEquals", False, "", False),
    ("BooleanEquals", False, None, False),
    ("BooleanEquals", False, [], False),
    ("BooleanEquals", False, {}, False),
    # timestamps: instants compared; what is not a valid timestamp never matches
    ("TimestampEquals", TS, TS, True),
    ("TimestampEquals", "2012-10-09T19:00:56Z", TS, False),
    ("TimestampEquals", TS, "2012-10-09T20:00:55+01:00", True),
    ("TimestampEquals", TS, "2012-10-09T19:00:55.000Z", True),
    ("TimestampEquals", TS, "2012-10-09T19:00:55", False),
    ("TimestampEquals", TS, "2012-10-09t19:00:55z", False),
    ("TimestampEquals", TS, "2023-02-24 12:15:56.832957", False),
    ("TimestampEquals", TS, "", False),
    ("TimestampEquals", TS, None, False),
    ("TimestampEquals", TS, 0, False),
    ("TimestampEquals", TS, 1.1, False),
    ("TimestampEquals", TS, True, False),
    ("TimestampEquals", TS, [TS], False),
    ("TimestampEquals", TS, {"A": 0}, False),
    ("TimestampLessThan", "2012-10-09T19:00:56Z", TS, True),
    ("TimestampLessThan", TS, TS, False),
    ("TimestampLessThan", "2012-10-09T19:00:55.2Z", "2012-10-09T19:00:55.1Z", True),
    ("TimestampLessThan", "2012-10-09T18:30:00Z", "2012-10-09T19:00:00+01:00", True),  # 18:00Z
    ("TimestampGreaterThan", TS, "2012-10-09T19:00:56Z", True),
    ("TimestampGreaterThan", TS, TS, False),
    ("TimestampGreaterThan", TS, "9999-12-31T23:59:59", False),
    ("TimestampLessThanEquals", "2012-10-09T19:00:56Z", TS, True),
    ("TimestampLessThanEquals", TS, "2012-10-09T19:00:56Z", False),
    ("TimestampGreaterThanEquals", TS, TS, True),
    ("TimestampGreaterThanEquals", "2012-10-09T19:00:56Z", TS, False),
])
def test_comparison_with_a_literal(op: str, operand: Any, value: Any, expected: bool) -> None:
    assert holds(op, operand, value) is expected


@pytest.mark.parametrize(("op", "left", "right", "expected"), [
    ("StringEquals", "Hello", "Hello", True),
    ("StringEquals", "\t\n", "\t\r\n", False),
    ("StringEquals", 1, "1", False),
    ("StringLessThan", "A", "AB", True),
    ("StringLessThanEquals", "", "", True),
    ("StringLessThanEquals", "AB", "A", False),
    ("StringGreaterThan", "", "", False),
    ("StringGreaterThan", "A", "A\t\n\r", False),
    ("StringGreaterThanEquals", "B", "A", True),
    ("NumericEquals", 1, 1.0, True),
    ("NumericEquals", 1.1, 1, False),
    ("NumericEquals", "", 0.0, False),
    ("NumericEquals", False, 0, False),
    ("NumericEquals", 0, False, False),  # the operand's type matters too
    ("NumericEquals", None, 0, False),
    ("NumericLessThan", 0, 1, True),
    ("NumericLessThan", 0.0, 0, False),
    ("NumericGreaterThan", 1, 0, True),
    ("NumericGreaterThan", 1, 1, False),
    ("NumericLessThanEquals", 0.0, 0, True),
    ("NumericLessThanEquals", 1, 0, False),
    ("NumericGreaterThanEquals", 1, 1, True),
    ("NumericGreaterThanEquals", 0, 1, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", False, False, True),
    ("BooleanEquals", 0, False, False),
    ("BooleanEquals", None, True, False),
    ("BooleanEquals", False, None, False),
    ("TimestampEquals", TS, "2012-10-09T19:00:56Z", False),
    ("TimestampEquals", TS, "2012-10-09T21:00:55+02:00", True),
    ("TimestampEquals", TS, "not a timestamp", False),
    ("TimestampLessThan", "2012-10-09T19:00:56Z", TS, False),
    ("TimestampGreaterThan", "2012-10-09T19:00:56Z", TS, True),
    ("TimestampLessThanEquals", "2012-10-09T19:00:56Z", TS, False),
    ("TimestampGreaterThanEquals", TS, "2012-10-09T19:00:56Z", False),
])
def test_comparison_with_a_path(op: str, left: Any, right: Any, expected: bool) -> None:
    assert holds_path(op, left, right) is expected


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    # examples of the States Language specification
    ("foo*.log", "foo23.log", True),
    ("*.log", "zebra.log", True),
    ("foo*.*", "foobar.zebra", True),
    # * is any run of characters, also none, also newlines
    ("*", "", True),
    ("*", "anything at all", True),
    ("log-*.txt", "log-.txt", True),
    ("a*b", "a\nb", True),
    ("a*b*c", "abc", True),
    ("a*b*c", "axxbyyc", True),
    ("a*b*c", "acb", False),
    ("a*a", "a", False),          # the head and the tail may not overlap
    ("ab*ab", "ab", False),
    ("ab*ab", "abab", True),
    ("*ab*ab*", "xabyab", True),
    ("*ab*ab*", "xaby", False),
    ("**", "x", True),
    # the whole string must match, case-sensitively
    ("Hello", "Hello", True),
    ("Hello", "Hello World", False),
    ("Hello", "hello", False),
    ("A*", "a", False),
    # only * is special: no regex, no ?
    ("a.c", "abc", False),
    ("a?c", "abc", False),
    ("a[bc]", "ab", False),
    ("(x)+", "(x)+", True),
    # \* is a literal asterisk, \\ a literal backslash
    ("\\*", "*", True),
    ("\\*", "x", False),
    ("a\\*", "a*", True),
    ("a\\*", "abc", False),
    ("*\\*", "abc*", True),
    ("\\\\", "\\", True),
    ("\\\\*", "\\anything", True),
    ("\\\\\\*", "\\*", True),
    ("x\\y", "x\\y", True),       # any other backslash is itself
    ("x\\", "x\\", True),
    # only strings match
    ("*", None, False),
    ("*", 1, False),
    ("*", ["a"], False),
])
def test_string_matches(pattern: str, value: Any, expected: bool) -> None:
    assert holds("StringMatches", pattern, value) is expected


@pytest.mark.parametrize(("op", "value", "expected"), [
    ("IsPresent", "", True),
    ("IsPresent", None, True),
    ("IsPresent", False, True),
    ("IsPresent", [], True),
    ("IsPresent", MISSING, False),
    ("IsNull", None, True),
    ("IsNull", "", False),
    ("IsNull", [], False),
    ("IsNull", {}, False),
    ("IsNull", False, False),
    ("IsNull", 0.0, False),
    ("IsNumeric", 0, True),
    ("IsNumeric", 1.1, True),
    ("IsNumeric", True, False),
    ("IsNumeric", "1", False),
    ("IsNumeric", {"A": 0}, False),
    ("IsNumeric", None, False),
    ("IsString", "", True),
    ("IsString", "2023-02-24", True),
    ("IsString", None, False),
    ("IsString", [""], False),
    ("IsString", 1, False),
    ("IsBoolean", True, True),
    ("IsBoolean", False, True),
    ("IsBoolean", 0, False),
    ("IsBoolean", "true", False),
    ("IsBoolean", [], False),
    ("IsTimestamp", TS, True),
    ("IsTimestamp", "2012-10-09T19:00:55.123+01:00", True),
    ("IsTimestamp", "2012-10-09T19:00:55", False),
    ("IsTimestamp", "2012-10-09t19:00:55z", False),
    ("IsTimestamp", "2023-02-24", False),
    ("IsTimestamp", 0, False),
    ("IsTimestamp", None, False),
])
def test_is_operators(op: str, value: Any, expected: bool) -> None:
    assert holds(op, True, value) is expected
    assert holds(op, False, value) is not expected  # false asks the opposite question


# ---------------------------------------------------------------------------- combinators

def test_and_or_not() -> None:
    positive = {"Variable": "$.v", "NumericGreaterThan": 0}
    small = {"Variable": "$.v", "NumericLessThan": 10}
    between = compiled({"And": [positive, small]})
    either = compiled({"Or": [{"Not": positive}, {"Variable": "$.v", "NumericEquals": 5}]})
    assert [between({"v": v}, Scope()) for v in (-1, 5, 10)] == [False, True, False]
    assert [either({"v": v}, Scope()) for v in (-1, 4, 5)] == [True, False, True]


def test_nesting_and_the_docs_example() -> None:
    rule = {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}
    assert compiled(rule, top_level=True)({"type": "Private", "value": 22}, Scope())
    not_private = compiled({"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                           top_level=True)
    assert not not_private({"type": "Private", "value": 22}, Scope())
    break_on_3 = compiled({"And": [{"IsPresent": True, "Variable": "$"},
                                   {"And": [{"IsNumeric": True, "Variable": "$"},
                                            {"NumericEquals": 3, "Variable": "$"}]}]})
    assert [break_on_3(item, Scope()) for item in (1, "Hello", {}, 3.3, 3)] == [False] * 4 + [True]


def test_and_and_or_stop_at_the_first_deciding_rule() -> None:
    absent = {"Variable": "$.missing", "IsNull": True}  # would fail with States.Runtime
    assert compiled({"And": [{"Variable": "$.v", "NumericEquals": 0}, absent]})({"v": 1}, Scope()) is False
    assert compiled({"Or": [{"Variable": "$.v", "NumericEquals": 1}, absent]})({"v": 1}, Scope()) is True


# ---------------------------------------------------------------------------- roots and errors

def test_context_object_and_variables() -> None:
    scope = Scope({"Execution": {"Input": {"input-value": 0}}}, {"guess": "a", "answer": "a"})
    assert compiled({"Variable": "$$.Execution.Input.input-value", "NumericLessThanEquals": 0})({}, scope)
    assert compiled({"Variable": "$guess", "StringEqualsPath": "$answer"})({}, scope)
    assert compiled({"Variable": "$.x", "NumericEqualsPath": "$$.Execution.Input.input-value"})({"x": 0.0}, scope)


_SAMPLE_OPERANDS = {"String": "a", "Numeric": 1, "Boolean": True, "Timestamp": TS}


def _sample_operand(op: str) -> Any:
    if op.endswith("Path"):
        return "$.present"
    if op.startswith("Is"):
        return False
    if op == "StringMatches":
        return "*"
    return next(v for prefix, v in _SAMPLE_OPERANDS.items() if op.startswith(prefix))


@pytest.mark.parametrize("op", sorted(COMPARISON_OPERATORS - {"IsPresent"}))
def test_a_variable_that_selects_nothing_is_a_runtime_error(op: str) -> None:
    predicate = compiled({"Variable": "$.missing", op: _sample_operand(op)})
    with pytest.raises(errors.StatesError) as raised:
        predicate({"present": 1}, Scope())
    assert raised.value.error == errors.RUNTIME
    assert raised.value.cause == "Invalid path '$.missing' : No results for path: $['missing']"


def test_a_path_operand_that_selects_nothing_is_a_runtime_error() -> None:
    predicate = compiled({"Variable": "$.v", "NumericEqualsPath": "$.nope"})
    with pytest.raises(errors.StatesError) as raised:
        predicate({"v": 1}, Scope())
    assert raised.value.error == errors.RUNTIME
    assert raised.value.cause == "Invalid path '$.nope' : No results for path: $['nope']"


def test_a_deep_path_names_itself_in_the_error() -> None:
    with pytest.raises(errors.StatesError) as raised:
        compiled({"Variable": "$.a.b", "StringEquals": "x"})({"a": {}}, Scope())
    assert raised.value.cause is not None and raised.value.cause.startswith("Invalid path '$.a.b' : ")


# ---------------------------------------------------------------------------- validation

@pytest.mark.parametrize(("rule", "top_level"), [
    ({"Variable": "$.x", "NumericEquals": 1, "Next": "A"}, True),
    ({"Variable": "$.x", "NumericEquals": 1, "Next": "A", "Comment": "c", "Assign": {"n": 1}}, True),
    ({"Variable": "$.x", "StringEquals": "complete", "Comment": "nested comments are fine"}, False),
    ({"And": [{"Variable": "$.x", "IsPresent": True}], "Next": "A"}, True),
    ({"Variable": "$$.Execution.Input", "IsPresent": True}, False),
    ({"Variable": "$var.a[0]['b c']", "IsString": True}, False),
    ({"Variable": "$.items[*]", "IsPresent": True}, False),
    ({"Variable": "$", "TimestampEquals": "2016-08-18T17:33:00.5-07:00"}, False),
    ({"Variable": "$.x", "StringMatches": "log-*.txt"}, False),
])
def test_valid_rules_compile_without_diagnostics(rule: dict, top_level: bool) -> None:
    compiled(rule, top_level=top_level)


@pytest.mark.parametrize(("rule", "top_level", "location", "message"), [
    ("not a rule", False, "", "must be an object"),
    ({"Variable": "$.x", "NumericEquals": 1}, True, "", "required: [Next]"),
    ({"Variable": "$.x", "NumericEquals": 1, "Next": 1}, True, "/Next", "must be a STRING"),
    ({"Variable": "$.x", "NumericEquals": 1, "Next": "A"}, False, "/Next", "top-level"),
    ({"Variable": "$.x", "NumericEquals": 1, "Foo": 1}, False, "/Foo", "'Foo' is not supported"),
    ({"Variable": "$.x", "NumericEquals": 1, "a/b": 1}, False, "/a~1b", "not supported"),
    ({"Variable": "$.x", "NumericEquals": 1, "Assign": {}}, False, "/Assign", "not supported"),
    ({"Variable": "$.x", "NumericEquals": 1, "Comment": 5}, False, "/Comment", "must be a STRING"),
    ({"Condition": "{% true %}", "Next": "A"}, True, "/Condition", "not supported"),
    ({"Variable": "$.x", "StringMatchesPath": "$.y"}, False, "/StringMatchesPath", "not supported"),
    ({"Variable": "$.x"}, False, "", "must have a comparison operator"),
    ({}, False, "", "must have a comparison operator"),
    ({"Variable": "$.x", "NumericEquals": 1, "NumericLessThan": 2}, False, "", "exactly one operator"),
    ({"Variable": "$.x", "IsNull": True, "Not": {"Variable": "$.x", "IsNull": True}}, False, "",
     "exactly one operator"),
    ({"NumericEquals": 1}, False, "", "[Variable]"),
    ({"Variable": "x", "NumericEquals": 1}, False, "/Variable", "valid JSONPath"),
    ({"Variable": "$.a[", "NumericEquals": 1}, False, "/Variable", "valid JSONPath"),
    ({"Variable": 5, "NumericEquals": 1}, False, "/Variable", "must be a STRING"),
    ({"Variable": "$.x", "NumericEquals": "1"}, False, "/NumericEquals", "must be a NUMBER"),
    ({"Variable": "$.x", "NumericLessThan": True}, False, "/NumericLessThan", "must be a NUMBER"),
    ({"Variable": "$.x", "StringEquals": 1}, False, "/StringEquals", "must be a STRING"),
    ({"Variable": "$.x", "StringGreaterThan": None}, False, "/StringGreaterThan", "must be a STRING"),
    ({"Variable": "$.x", "BooleanEquals": "true"}, False, "/BooleanEquals", "must be a BOOLEAN"),
    ({"Variable": "$.x", "TimestampEquals": "2016-08-18T17:33:00"}, False, "/TimestampEquals", "timestamp"),
    ({"Variable": "$.x", "TimestampLessThan": "2016-08-18t17:33:00z"}, False, "/TimestampLessThan", "timestamp"),
    ({"Variable": "$.x", "TimestampGreaterThan": 1}, False, "/TimestampGreaterThan", "timestamp"),
    ({"Variable": "$.x", "IsNull": "true"}, False, "/IsNull", "must be a BOOLEAN"),
    ({"Variable": "$.x", "IsPresent": 1}, False, "/IsPresent", "must be a BOOLEAN"),
    ({"Variable": "$.x", "StringMatches": 1}, False, "/StringMatches", "must be a STRING"),
    ({"Variable": "$.x", "NumericEqualsPath": "x"}, False, "/NumericEqualsPath", "valid JSONPath"),
    ({"Variable": "$.x", "BooleanEqualsPath": True}, False, "/BooleanEqualsPath", "must be a STRING"),
    ({"And": []}, False, "/And", "non-empty array"),
    ({"Or": {"Variable": "$.x", "IsNull": True}}, False, "/Or", "non-empty array"),
    ({"Not": [{"Variable": "$.x", "IsNull": True}]}, False, "/Not", "must be an object"),
    ({"Variable": "$.x", "And": [{"Variable": "$.x", "IsNull": True}]}, False, "/Variable", "cannot be used"),
    ({"And": [{"Variable": "$.x", "IsNull": True}, {"Variable": "$.x"}]}, False, "/And/1",
     "must have a comparison operator"),
    ({"Or": [{"Not": {"Variable": "$.x", "NumericEquals": "1"}}]}, False, "/Or/0/Not/NumericEquals",
     "must be a NUMBER"),
    ({"Not": {"Variable": "$.x", "IsNull": True, "Next": "A"}, "Next": "A"}, True, "/Not/Next", "top-level"),
])
def test_invalid_rules_are_reported_where_they_are(rule: Any, top_level: bool, location: str, message: str) -> None:
    diags = Diagnostics()
    assert compile_rule(rule, LOCATION, diags, top_level=top_level) is None
    found = [(d.location, d.message) for d in diags.items]
    assert any(loc == LOCATION + location and message in text for loc, text in found), found
    assert all(d.code == SCHEMA_VALIDATION_FAILED for d in diags.items)


def test_every_mistake_is_reported_not_only_the_first() -> None:
    diags = Diagnostics()
    rule = {"Or": [{"Variable": "bad", "IsNull": True}, {"Variable": "$.x", "NumericEquals": "1", "Foo": 1}]}
    assert compile_rule(rule, LOCATION, diags, top_level=True) is None
    assert sorted(d.location for d in diags.items) == sorted([
        LOCATION, LOCATION + "/Or/0/Variable", LOCATION + "/Or/1/Foo", LOCATION + "/Or/1/NumericEquals"])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    | st.sampled_from(["$.x", "$$.y", "$v", TS, "*", "A"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(sorted(COMPARISON_OPERATORS) + ["Variable", "And", "Or", "Not", "Next", "Foo"]),
        inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(rule=_json, top_level=st.booleans(), data=_json)
def test_never_raises_while_compiling_and_only_states_errors_while_running(rule: Any, top_level: bool,
                                                                           data: Any) -> None:
    diags = Diagnostics()
    predicate = compile_rule(rule, LOCATION, diags, top_level=top_level)
    assert (predicate is None) == bool(diags.errors)
    if predicate is not None:
        try:
            assert predicate(data, Scope({}, {"v": data})) in (True, False)
        except errors.StatesError as exc:
            assert exc.error == errors.RUNTIME


# ---------------------------------------------------------------------------- recordings

_CASES = Path(__file__).resolve().parents[2] / "conformance" / "cases"  # recorded on AWS (see its NOTICE)


def _recorded_choices() -> list:
    """Cases whose StartAt is a Choice and whose output names the branch AWS took."""
    found = []
    for case in sorted(_CASES.glob("*")):
        try:
            definition = json.loads((case / "definition.json").read_text())
            expected = json.loads((case / "expected.json").read_text())
            data = json.loads((case / "input.json").read_text())
            state = definition["States"][definition["StartAt"]]
            branch = expected["output"]["TestResult.$"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if state.get("Type") == "Choice" and expected.get("status") == "SUCCEEDED":
            found.append(pytest.param(state, data, branch, id=case.name[-40:]))
    assert len(found) > 200, f"the recorded cases are missing from {_CASES}"
    return found


@pytest.mark.parametrize(("state", "data", "branch"), _recorded_choices())
def test_recorded_aws_choices(state: dict, data: Any, branch: str) -> None:
    taken = state.get("Default")
    for rule in state["Choices"]:
        if compiled(rule, top_level=True)(data, Scope()):
            taken = rule["Next"]
            break
    assert taken == branch
