"""Choice Rules of JSONPath states, compiled once into predicates.

A rule becomes ``predicate(data, scope) -> bool`` when the definition is loaded; running a
Choice state only calls these closures. A rule is either a comparison,
``{"Variable": "$.x", "NumericEquals": 1}``, or a combinator, ``{"And": [...]}``,
``{"Or": [...]}``, ``{"Not": {...}}``.

AWS semantics (docs: state-choice, amazon-states-language-choice-state):

- "For each of these operators, the corresponding value must be of the appropriate type:
  string, number, Boolean, or timestamp. Step Functions doesn't attempt to match a numeric
  field to a string value." A value of another type makes the comparison false; booleans are
  not numbers; a string that is not a valid timestamp fails every ``Timestamp*`` comparison.
- "To understand the behavior of string comparisons, see the Java ``compareTo``
  documentation": strings are ordered by UTF-16 code unit, as Java does.
- ``StringMatches``: ``*`` matches any run of characters (also none), ``\\*`` is a literal
  asterisk and ``\\\\`` a literal backslash; nothing else is special; the whole string must match.
- ``…Path`` operators read their operand from the same data at run time.
- ``IsPresent`` is false when the ``Variable`` selects nothing. Every other operator needs
  the ``Variable`` (and a ``…Path`` operand) to select something; when it does not, the state
  fails with ``States.Runtime``: ``Invalid path '$.x' : No results for path: $['x']``.
- "The values of the And and Or operators must be non-empty arrays of Choice Rules that must
  not themselves contain Next fields. Likewise, the value of a Not operator must be a single
  Choice Rule that must not contain Next fields."
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from . import errors
from .diagnostics import Diagnostics, pointer
from .jsonpath import JSON, Getter, PathNotFound, PathSyntaxError, compile_getter
from .timestamps import parse_timestamp

Predicate = Callable[[JSON, Any], bool]
"""``predicate(data, scope) -> bool``; ``scope`` has ``.context`` and ``.variable(name)``."""

_NOT_OF_TYPE = object()  # what a converter returns for a value of another type


# ---------------------------------------------------------------------------- value types

def _as_string(value: JSON) -> Any:
    return value if type(value) is str else _NOT_OF_TYPE


def _as_number(value: JSON) -> Any:
    # ``type(...) is`` on purpose: True and False are ints to Python, not numbers to AWS.
    return value if type(value) is int or type(value) is float else _NOT_OF_TYPE


def _as_boolean(value: JSON) -> Any:
    return value if type(value) is bool else _NOT_OF_TYPE


def _as_timestamp(value: JSON) -> Any:
    parsed = parse_timestamp(value) if type(value) is str else None
    return _NOT_OF_TYPE if parsed is None else parsed


def _java_order(compare: Callable[[Any, Any], bool]) -> Callable[[str, str], bool]:
    """Order strings like Java's ``String.compareTo``: by UTF-16 code unit.

    That differs from Python's code-point order only when a character above U+FFFF meets
    one in U+E000..U+FFFF, so ASCII strings take the plain comparison."""
    def ordered(a: str, b: str) -> bool:
        if a.isascii() and b.isascii():
            return compare(a, b)
        return compare(a.encode("utf-16-be", "surrogatepass"), b.encode("utf-16-be", "surrogatepass"))
    return ordered


_RELATIONS = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

# type prefix -> (converter, what the literal must be, relations offered)
_TYPES: dict[str, tuple[Callable[[JSON], Any], str, dict[str, Callable[[Any, Any], bool]]]] = {
    "String": (_as_string, "a STRING", {
        name: (rel if name == "Equals" else _java_order(rel)) for name, rel in _RELATIONS.items()}),
    "Numeric": (_as_number, "a NUMBER", _RELATIONS),
    "Timestamp": (_as_timestamp, "a valid RFC 3339 timestamp, e.g. 2016-08-18T17:33:00Z", _RELATIONS),
    "Boolean": (_as_boolean, "a BOOLEAN", {"Equals": operator.eq}),
}

#: operator name -> (converter, relation, expected literal, operand is a path)
_Comparison = tuple[Callable[[JSON], Any], Callable[[Any, Any], bool], str, bool]


def _comparisons() -> dict[str, _Comparison]:
    table: dict[str, _Comparison] = {}
    for prefix, (convert, expected, relations) in _TYPES.items():
        for name, relation in relations.items():
            table[prefix + name] = (convert, relation, expected, False)
            table[prefix + name + "Path"] = (convert, relation, expected, True)
    return table


_COMPARISONS = _comparisons()

#: the type tests of the ``Is*`` operators (``IsPresent`` is handled on its own)
_TYPE_TESTS: dict[str, Callable[[JSON], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": lambda v: type(v) is int or type(v) is float,
    "IsString": lambda v: type(v) is str,
    "IsBoolean": lambda v: type(v) is bool,
    "IsTimestamp": lambda v: type(v) is str and parse_timestamp(v) is not None,
}

COMBINATORS = frozenset({"And", "Or", "Not"})
#: every comparison operator a JSONPath Choice Rule may use with ``Variable``
COMPARISON_OPERATORS = frozenset(_COMPARISONS) | frozenset(_TYPE_TESTS) | {"IsPresent", "StringMatches"}

_TOP_LEVEL_EXTRAS = frozenset({"Next", "Comment", "Assign"})  # compiled by the caller
_NESTED_EXTRAS = frozenset({"Comment"})


# ---------------------------------------------------------------------------- compiling

def compile_rule(rule: Any, location: str, diags: Diagnostics, *, top_level: bool) -> Predicate | None:
    """Compile one Choice Rule (a dict) into ``predicate(data, scope) -> bool``.

    ``location`` is the rule's pointer, e.g. ``/States/Check/Choices/0``. Each mistake is
    reported with ``diags.error`` at the offending field; the result is ``None`` when the
    rule is unusable. Top-level rules must carry ``Next`` and may carry ``Comment`` and
    ``Assign``, which are accepted here but left to the caller. Never raises.
    """
    if not isinstance(rule, dict):
        diags.error(location, "A Choice Rule must be an object")
        return None
    errors_before = len(diags.errors)
    extras = _TOP_LEVEL_EXTRAS if top_level else _NESTED_EXTRAS
    operators: list[str] = []
    for key in rule:
        if key in COMPARISON_OPERATORS or key in COMBINATORS:
            operators.append(key)
        elif key == "Next" and not top_level:
            diags.error(_at(location, key), "Next is only allowed in a top-level Choice Rule, "
                                            "not inside And, Or or Not")
        elif key != "Variable" and key not in extras:
            diags.error(_at(location, key), f"The field '{key}' is not supported by Step Functions")
    if top_level:
        if "Next" not in rule:
            diags.error(location, "These fields are required: [Next]")
        elif not isinstance(rule["Next"], str):
            diags.error(_at(location, "Next"), "The value for the field 'Next' must be a STRING")
    if "Comment" in rule and not isinstance(rule["Comment"], str):
        diags.error(_at(location, "Comment"), "The value for the field 'Comment' must be a STRING")

    predicate: Predicate | None = None
    if not operators:
        diags.error(location, "A Choice Rule must have a comparison operator with Variable, "
                              "or one of And, Or, Not")
    elif len(operators) > 1:
        diags.error(location, f"A Choice Rule must have exactly one operator, found {', '.join(operators)}")
    elif operators[0] in COMBINATORS:
        if "Variable" in rule:
            diags.error(_at(location, "Variable"), f"Variable cannot be used with {operators[0]}")
        predicate = _compile_combinator(operators[0], rule[operators[0]], location, diags)
    else:
        predicate = _compile_comparison(operators[0], rule, location, diags)
    return predicate if len(diags.errors) == errors_before else None


def _at(location: str, *keys: object) -> str:
    return location + pointer(*keys)


def _compile_combinator(name: str, value: Any, location: str, diags: Diagnostics) -> Predicate | None:
    here = _at(location, name)
    if name == "Not":
        inner = compile_rule(value, here, diags, top_level=False)
        if inner is None:
            return None
        return lambda data, scope: not inner(data, scope)
    if not isinstance(value, list) or not value:
        diags.error(here, f"The value of {name} must be a non-empty array of Choice Rules")
        return None
    compiled = [compile_rule(r, _at(here, i), diags, top_level=False) for i, r in enumerate(value)]
    rules = tuple(p for p in compiled if p is not None)
    if len(rules) != len(compiled):
        return None
    if name == "And":
        def all_of(data: JSON, scope: Any) -> bool:
            for p in rules:
                if not p(data, scope):
                    return False
            return True
        return all_of

    def any_of(data: JSON, scope: Any) -> bool:
        for p in rules:
            if p(data, scope):
                return True
        return False
    return any_of


def _compile_comparison(name: str, rule: dict[str, Any], location: str, diags: Diagnostics) -> Predicate | None:
    if "Variable" not in rule:
        diags.error(location, f"These fields are required: [Variable] (with {name})")
        return None
    var_text = rule["Variable"]
    get = _compile_path(var_text, _at(location, "Variable"), "Variable", diags)
    operand = rule[name]
    here = _at(location, name)
    if name == "IsPresent" or name in _TYPE_TESTS:
        if type(operand) is not bool:
            diags.error(here, f"The value for the field '{name}' must be a BOOLEAN")
            return None
        if get is None:
            return None
        if name == "IsPresent":
            return _is_present(get, operand)
        return _type_test(get, var_text, _TYPE_TESTS[name], operand)
    if name == "StringMatches":
        if type(operand) is not str:
            diags.error(here, "The value for the field 'StringMatches' must be a STRING")
            return None
        if get is None:
            return None
        return _string_matches(get, var_text, _compile_pattern(operand))
    convert, relation, expected, is_path = _COMPARISONS[name]
    if is_path:
        get_operand = _compile_path(operand, here, name, diags)
        if get is None or get_operand is None:
            return None
        return _compare_paths(get, var_text, convert, relation, get_operand, operand)
    literal = convert(operand)
    if literal is _NOT_OF_TYPE:
        diags.error(here, f"The value for the field '{name}' must be {expected}")
        return None
    if get is None:
        return None
    return _compare_literal(get, var_text, convert, relation, literal)


def _compile_path(text: Any, location: str, field: str, diags: Diagnostics) -> Getter | None:
    if not isinstance(text, str):
        diags.error(location, f"The value for the field '{field}' must be a STRING")
        return None
    try:
        return compile_getter(text)
    except PathSyntaxError as exc:
        diags.error(location, f"The value for the field '{field}' must be a valid JSONPath: {exc}")
        return None


# ---------------------------------------------------------------------------- predicates

def _no_results(text: str, exc: PathNotFound) -> errors.StatesError:
    return errors.StatesError(errors.RUNTIME, f"Invalid path '{text}' : {exc}")


def _compare_literal(get: Getter, text: str, convert: Callable[[JSON], Any],
                     relation: Callable[[Any, Any], bool], literal: Any) -> Predicate:
    def compare(data: JSON, scope: Any) -> bool:
        try:
            value = convert(get(data, scope))
        except PathNotFound as exc:
            raise _no_results(text, exc) from None
        return value is not _NOT_OF_TYPE and relation(value, literal)
    return compare


def _compare_paths(get: Getter, text: str, convert: Callable[[JSON], Any],
                   relation: Callable[[Any, Any], bool], get_operand: Getter, operand_text: str) -> Predicate:
    def compare(data: JSON, scope: Any) -> bool:
        try:
            left = get(data, scope)
        except PathNotFound as exc:
            raise _no_results(text, exc) from None
        try:
            right = get_operand(data, scope)
        except PathNotFound as exc:
            raise _no_results(operand_text, exc) from None
        left, right = convert(left), convert(right)
        return left is not _NOT_OF_TYPE and right is not _NOT_OF_TYPE and relation(left, right)
    return compare


def _is_present(get: Getter, expected: bool) -> Predicate:
    def is_present(data: JSON, scope: Any) -> bool:
        try:
            get(data, scope)
        except PathNotFound:
            return not expected
        return expected
    return is_present


def _type_test(get: Getter, text: str, test: Callable[[JSON], bool], expected: bool) -> Predicate:
    def is_type(data: JSON, scope: Any) -> bool:
        try:
            value = get(data, scope)
        except PathNotFound as exc:
            raise _no_results(text, exc) from None
        return test(value) is expected
    return is_type


def _string_matches(get: Getter, text: str, matches: Callable[[str], bool]) -> Predicate:
    def string_matches(data: JSON, scope: Any) -> bool:
        try:
            value = get(data, scope)
        except PathNotFound as exc:
            raise _no_results(text, exc) from None
        return type(value) is str and matches(value)
    return string_matches


def _compile_pattern(pattern: str) -> Callable[[str], bool]:
    """Compile a ``StringMatches`` pattern into ``matches(text) -> bool``.

    The pattern is split at its unescaped ``*`` into literal pieces: the text must start with
    the first, end with the last, and hold the others in order between them. Matching each
    middle piece at its leftmost place is enough, so this runs in linear time without regex
    backtracking. ``\\*`` and ``\\\\`` are the only escapes; any other backslash is literal.
    """
    pieces: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            current.append(pattern[i + 1])
            i += 2
            continue
        if c == "*":
            pieces.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    pieces.append("".join(current))
    if len(pieces) == 1:
        exact = pieces[0]
        return lambda text: text == exact
    head, middle, tail = pieces[0], tuple(p for p in pieces[1:-1] if p), pieces[-1]
    least = len(head) + len(tail)

    def matches(text: str) -> bool:
        if len(text) < least or not text.startswith(head) or not text.endswith(tail):
            return False
        pos, end = len(head), len(text) - len(tail)
        for piece in middle:
            found = text.find(piece, pos, end)
            if found < 0:
                return False
            pos = found + len(piece)
        return True
    return matches
