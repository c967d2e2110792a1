"""Request validation and response checking, driven by botocore's own service models.

AWS's JSON services (Coral) read a request body in two steps, and so does
:func:`validate_input`:

1. *Deserialisation.* The body must be a JSON object whose members have the JSON types of
   the operation's input shape. The first mismatch fails the whole request with a
   ``SerializationException`` whose message names the JSON token and the Java type, never
   the member (``STRING_VALUE can not be converted to an Integer``, ``Expected list or
   null``, ``Start of list found where not expected``). A ``null`` member is the same as an
   absent one (and so is a ``null`` list item or map value); members the shape does not
   know are ignored; a fractional number where an integer is expected is truncated.
2. *Validation* of the model's constraints (required, length, value range, pattern, enum).
   Every failure is collected into one ``ValidationException``::

       2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint:
       Member must ...; Value null at 'stateMachineArn' failed to satisfy constraint:
       Member must not be null

   Members are addressed by their lowerCamel names, joined with dots; list items as
   ``tags.1.member.key`` (1-based). A list or map of plain values is reported once, its
   value shown whole, with every rule of its items: ``Member must satisfy constraint:
   [...]``, ``Map keys must satisfy constraint: [...]``. Sensitive members (botocore's
   ``sensitive`` trait, e.g. ``input``, ``definition``) are never echoed: ``Value at
   'input' failed to satisfy constraint: ...``.

The checks of each operation are compiled once into plain closures, on first use.

:func:`check_output` is for tests: it lists what is wrong with a response body as botocore
would read it (unknown or missing members, wrong JSON types), so a service cannot drift
from the model unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Callable

import botocore.session
from botocore.model import OperationNotFoundError, ServiceModel, Shape

from .errors import ApiError

SERIALIZATION = "SerializationException"
VALIDATION = "ValidationException"

#: ``check(value, path, errors) -> value``: raises ApiError(SerializationException) for a
#: JSON type the shape cannot take, appends constraint failures to ``errors``, and returns
#: the value normalised (nulls dropped, fractions truncated), the same object when unchanged.
Check = Callable[[Any, str, list[str]], Any]

_UNEXPECTED_LIST = "Start of list found where not expected"
_UNEXPECTED_OBJECT = "Start of structure or map found where not expected."
_NOT_NULL = "Member must not be null"

#: Shapes whose ``max`` AWS counts in UTF-8 bytes, with its own wording (StartExecution's
#: ``input``, SendTaskSuccess's ``output``, ...), rather than in characters.
_BYTE_SIZED = frozenset({("stepfunctions", "SensitiveData")})

_INT_RANGE = {"integer": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1)}
_JAVA_TYPE = {"string": "a String", "integer": "an Integer", "long": "a Long",
              "float": "a Float", "double": "a Double", "boolean": "a Boolean",
              "timestamp": "a Timestamp", "blob": "a Blob"}


@cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service`` ("stepfunctions", "events"), loaded once."""
    return _session().get_service_model(service)


@cache
def _session() -> Any:
    return botocore.session.get_session()


def operations(service: str) -> list[str]:
    """The operation names of ``service``, e.g. ``["CreateActivity", ...]``."""
    return list(service_model(service).operation_names)


def validate_input(service: str, operation: str, params: object) -> dict:
    """Check a parsed JSON request body as AWS does and return it as the operation's params.

    Raises :class:`ApiError` (``SerializationException``, ``ValidationException``, or
    ``UnknownOperationException``) and nothing else. The body is normalised in place (see
    the module's docstring); the caller owns it, freshly parsed.
    """
    check = _input_check(service, operation)
    if type(params) is not dict:
        # a body that is JSON but not an object: AWS says no more than this
        raise ApiError(SERIALIZATION, _UNEXPECTED_LIST if type(params) is list else "")
    errors: list[str] = []
    check(params, "", errors)
    if errors:
        count = len(errors)
        raise ApiError(VALIDATION, f"{count} validation error{'s' if count > 1 else ''} detected: "
                       + "; ".join(errors))
    return params


@cache
def _input_check(service: str, operation: str) -> Check:
    model = service_model(service)
    try:
        shape = model.operation_model(operation).input_shape
    except OperationNotFoundError:
        raise ApiError("UnknownOperationException") from None
    if shape is None:
        return _accept
    return _Compiler(service).node(shape, False).check


def _accept(value: Any, path: str, errors: list[str]) -> Any:
    return value


# -- compiling a shape into its checks ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Node:
    check: Check
    #: for plain values (strings, numbers, ...), checked as list items or map keys/values:
    convert: Callable[[Any], Any] | None = None  # type check and normalisation, may raise
    failures: Callable[[Any], list[str] | None] | None = None  # the rules a value breaks
    rules: tuple[str, ...] = ()  # every rule, as AWS lists them for a collection's items


class _Compiler:
    def __init__(self, service: str) -> None:
        self.service = service
        self.nodes: dict[tuple[str, bool], _Node] = {}

    def node(self, shape: Shape, hidden: bool) -> _Node:
        hidden = hidden or bool(shape.metadata.get("sensitive"))
        key = (shape.name, hidden)
        found = self.nodes.get(key)
        if found is None:
            kind = shape.type_name
            if kind == "structure":
                found = self._structure(shape, hidden, key)  # registers itself (recursion)
            elif kind == "list":
                found = self.nodes[key] = self._list(shape, hidden)
            elif kind == "map":
                found = self.nodes[key] = self._map(shape, hidden)
            else:
                found = self.nodes[key] = _scalar(shape, hidden, (self.service, shape.name) in _BYTE_SIZED)
        return found

    def _structure(self, shape: Any, hidden: bool, key: tuple[str, bool]) -> _Node:
        members: list[tuple[str, str, Check, bool]] = []
        required = set(shape.required_members)

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                raise ApiError(SERIALIZATION, _UNEXPECTED_LIST if type(value) is list else "Expected null")
            for name, segment, member_check, is_required in members:
                item = value.get(name)
                if item is None:
                    if is_required:
                        errors.append(f"Value null at '{f'{path}.{segment}' if path else segment}' "
                                      f"failed to satisfy constraint: {_NOT_NULL}")
                    if name in value:
                        del value[name]
                    continue
                result = member_check(item, f"{path}.{segment}" if path else segment, errors)
                if result is not item:
                    value[name] = result
            return value

        node = self.nodes[key] = _Node(check)
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            members.append((wire, _segment(wire), self.node(member, hidden).check, name in required))
        return node

    def _list(self, shape: Any, hidden: bool) -> _Node:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        item = self.node(shape.member, hidden)
        convert, failures = item.convert, item.failures
        item_rule = f"Member must satisfy constraint: [{', '.join(item.rules)}]"

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not list:
                raise ApiError(SERIALIZATION, _UNEXPECTED_OBJECT if type(value) is dict else "Expected list or null")
            if None in value:
                value = [entry for entry in value if entry is not None]
            _check_length(value, lo, hi, path, hidden, errors)
            if convert is not None and failures is not None:
                broken = False
                for index, entry in enumerate(value):
                    converted = convert(entry)
                    if converted is not entry:
                        value[index] = converted
                    if not broken and failures(converted):
                        broken = True
                if broken:
                    _report(errors, value, path, hidden, item_rule)
            else:
                for index, entry in enumerate(value):
                    result = item.check(entry, f"{path}.{index + 1}.member", errors)
                    if result is not entry:
                        value[index] = result
            return value

        return _Node(check)

    def _map(self, shape: Any, hidden: bool) -> _Node:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        keys = self.node(shape.key, hidden)
        values = self.node(shape.value, hidden)
        key_failures = keys.failures
        key_rule = f"Map keys must satisfy constraint: [{', '.join(keys.rules)}]"
        value_rule = f"Map value must satisfy constraint: [{', '.join(values.rules)}]"
        convert, value_failures = values.convert, values.failures

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                raise ApiError(SERIALIZATION, _UNEXPECTED_LIST if type(value) is list else "Expected map or null")
            if None in value.values():
                value = {name: entry for name, entry in value.items() if entry is not None}
            _check_length(value, lo, hi, path, hidden, errors)
            if key_failures is not None and keys.rules and any(key_failures(name) for name in value):
                _report(errors, value, path, hidden, key_rule)
            if convert is not None and value_failures is not None:
                broken = False
                for name, entry in value.items():
                    converted = convert(entry)
                    if converted is not entry:
                        value[name] = converted
                    if not broken and value_failures(converted):
                        broken = True
                if broken:
                    _report(errors, value, path, hidden, value_rule)
            else:
                for name, entry in value.items():
                    # how AWS addresses a structure inside a map is a guess: 'path.key'
                    result = values.check(entry, f"{path}.{name}", errors)
                    if result is not entry:
                        value[name] = result
            return value

        return _Node(check)


def _scalar(shape: Shape, hidden: bool, byte_sized: bool) -> _Node:
    kind = shape.type_name
    expected = _JAVA_TYPE.get(kind, f"a {kind}")
    if kind in ("string", "blob"):
        return _text(shape, hidden, expected, byte_sized)
    if kind in ("integer", "long", "float", "double"):
        return _number(shape, hidden, expected)
    return _plain(kind, expected)


def _text(shape: Shape, hidden: bool, expected: str, byte_sized: bool) -> _Node:
    meta = shape.metadata
    lo, hi = meta.get("min"), meta.get("max")
    hi_rule = (f"Member must have size less than or equal to {hi} bytes in UTF-8 encoding" if byte_sized
               else f"Member must have length less than or equal to {hi}")
    lo_rule = f"Member must have length greater than or equal to {lo}"
    pattern = _java_pattern(meta["pattern"]) if "pattern" in meta else None
    pattern_rule = f"Member must satisfy regular expression pattern: {meta.get('pattern')}"
    enum = frozenset(meta["enum"]) if "enum" in meta else None
    enum_rule = f"Member must satisfy enum value set: [{', '.join(meta.get('enum', ()))}]"
    rules = ((hi_rule,) * (hi is not None) + (lo_rule,) * (lo is not None)
             + (pattern_rule,) * (pattern is not None) + (enum_rule,) * (enum is not None))
    blob = shape.type_name == "blob"

    def failures(value: str) -> list[str] | None:
        failed = None
        size = len(value)
        if hi is not None and (size > hi or (byte_sized and size * 4 > hi and _utf8_size(value) > hi)):
            failed = [hi_rule]
        elif lo is not None and size < lo:
            failed = [lo_rule]
        if pattern is not None and pattern.fullmatch(value) is None:
            failed = (failed or []) + [pattern_rule]
        if enum is not None and value not in enum:
            failed = (failed or []) + [enum_rule]
        return failed

    def convert(value: Any) -> Any:
        if type(value) is not str:
            raise _mismatch(value, expected)
        if blob:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ApiError(SERIALIZATION, f"'{value}' can not be converted to {expected}") from None
        return value

    def check(value: Any, path: str, errors: list[str]) -> Any:
        if type(value) is not str or blob:
            convert(value)
        failed = failures(value)
        if failed:
            _report(errors, value, path, hidden, *failed)
        return value

    return _Node(check, convert, failures, rules)


def _number(shape: Shape, hidden: bool, expected: str) -> _Node:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    integral = shape.type_name in _INT_RANGE
    # AWS's answer to a number outside Java's int/long is unknown: refuse it like a mismatch
    low, high = _INT_RANGE.get(shape.type_name, (-math.inf, math.inf))
    show: Callable[[Any], str] = str if integral else _java_double
    hi_rule = f"Member must have value less than or equal to {show(hi)}" if hi is not None else ""
    lo_rule = f"Member must have value greater than or equal to {show(lo)}" if lo is not None else ""

    def convert(value: Any) -> Any:
        kind = type(value)
        if kind is int or kind is float:
            if not low <= value <= high or (kind is float and not math.isfinite(value)):
                raise ApiError(SERIALIZATION, f"NUMBER_VALUE can not be converted to {expected}")
            if integral:
                return int(value) if kind is float else value
            return float(value) if kind is int else value  # as Java holds it: 101 is 101.0
        raise _mismatch(value, expected)

    def failures(value: Any) -> list[str] | None:
        if hi is not None and value > hi:
            return [hi_rule]
        if lo is not None and value < lo:
            return [lo_rule]
        return None

    def check(value: Any, path: str, errors: list[str]) -> Any:
        value = convert(value)
        failed = failures(value)
        if failed:
            _report(errors, value, path, hidden, *failed)
        return value

    return _Node(check, convert, failures, tuple(rule for rule in (hi_rule, lo_rule) if rule))


def _plain(kind: str, expected: str) -> _Node:
    """Booleans, timestamps, and any type these models do not use (taken as it comes)."""
    if kind == "boolean":
        def accepts(value: Any) -> bool:
            return type(value) is bool
    elif kind == "timestamp":
        def accepts(value: Any) -> bool:
            # the JSON protocols send epoch seconds; AWS's answer to a date string is unknown
            return type(value) in (int, float) and math.isfinite(value)
    else:
        def accepts(value: Any) -> bool:
            return True

    def convert(value: Any) -> Any:
        if not accepts(value):
            raise _mismatch(value, expected)
        return value

    def no_failures(value: Any) -> list[str] | None:
        return None

    def check(value: Any, path: str, errors: list[str]) -> Any:
        return convert(value)

    return _Node(check, convert, no_failures, ())


def _mismatch(value: Any, expected: str) -> ApiError:
    kind = type(value)
    if kind is list:
        return ApiError(SERIALIZATION, _UNEXPECTED_LIST)
    if kind is dict:
        return ApiError(SERIALIZATION, _UNEXPECTED_OBJECT)
    token = ("STRING_VALUE" if kind is str else "TRUE_VALUE" if value is True
             else "FALSE_VALUE" if value is False else "NUMBER_VALUE")
    return ApiError(SERIALIZATION, f"{token} can not be converted to {expected}")


def _check_length(value: Any, lo: int | None, hi: int | None, path: str, hidden: bool, errors: list[str]) -> None:
    """A list's or a map's number of members against the shape's min and max."""
    count = len(value)
    if hi is not None and count > hi:
        _report(errors, value, path, hidden, f"Member must have length less than or equal to {hi}")
    elif lo is not None and count < lo:
        _report(errors, value, path, hidden, f"Member must have length greater than or equal to {lo}")


def _report(errors: list[str], value: Any, path: str, hidden: bool, *rules: str) -> None:
    shown = "Value at" if hidden else f"Value '{_java_text(value)}' at"
    for rule in rules:
        errors.append(f"{shown} '{path}' failed to satisfy constraint: {rule}")


def _segment(name: str) -> str:
    """A member's name in AWS's messages: lowerCamel, as Java's ``Introspector.decapitalize``
    (``RoleArn`` -> ``roleArn``, ``ARN`` stays ``ARN``)."""
    if len(name) > 1 and name[0].isupper() and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def _utf8_size(text: str) -> int:
    # JSON text can carry a lone surrogate ("\ud800"): count it as the 3 bytes it takes
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _java_text(value: Any) -> str:
    """A value as Java's ``toString`` writes it: ``[a, b]``, ``{k=v}``, ``true``, ``1.0E-5``."""
    try:
        return _java(value)
    except RecursionError:  # pragma: no cover - a value nested deeper than Python can print
        return "..."


def _java(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return _java_double(value)
    if kind is list:
        return "[" + ", ".join(map(_java, value)) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{name}={_java(entry)}" for name, entry in value.items()) + "}"
    return "null" if value is None else str(value)


def _java_double(number: float) -> str:
    """Java's ``Double.toString``: ``100.0``, ``0.001``, ``1.0E7``, ``1.5E-5``."""
    number = float(number)
    if not math.isfinite(number):
        return "NaN" if number != number else "Infinity" if number > 0 else "-Infinity"
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(number)  # Python writes these in plain notation too
    sign, digits, exponent = Decimal(repr(number)).as_tuple()
    power = len(digits) + int(exponent) - 1
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


# -- Java regular expressions ------------------------------------------------------------

#: Model patterns that Python's backtracking engine (like Java's) takes exponential time to
#: reject, each with an equivalent that runs in linear time. ``[ \t]*X+([ \t]+X+)*[ \t]*``
#: where X already holds the space is "tabs and X characters, at least one X".
_LINEAR = {
    r"^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$":
        r"\t*+[\x20-\x7E][\t\x20-\x7E]*+",
    r"^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$":
        r"\t*+[^\x00-\x1F:\x7F][^\x00-\x08\x0A-\x1F:\x7F]*+",
}

#: Java's POSIX classes (ASCII only, as in Java by default)
_POSIX = {
    "ASCII": r"\x00-\x7F", "Alpha": "a-zA-Z", "Digit": "0-9", "Alnum": "a-zA-Z0-9",
    "Upper": "A-Z", "Lower": "a-z", "XDigit": "0-9a-fA-F", "Space": r" \t\n\x0B\f\r",
    "Punct": r"!-/:-@\[-`{-~", "Graph": r"!-~", "Print": r" -~", "Blank": r" \t", "Cntrl": r"\x00-\x1F\x7F",
}

#: Patterns that could not be made into Python ones; their members go unchecked for pattern.
UNCHECKED_PATTERNS: set[str] = set()


def _java_pattern(java: str) -> re.Pattern[str] | None:
    """A model pattern (Java syntax), matched against the whole value as Java's
    ``matches()`` does. None (and the pattern recorded in UNCHECKED_PATTERNS) when Python
    cannot express it."""
    try:
        python = _LINEAR.get(java) or _translate(java)
        with warnings.catch_warnings():  # "possible nested set" in Java classes like [!#$%&'*+-.^_`|~]
            warnings.simplefilter("ignore")
            return re.compile(python, re.ASCII)  # Java's \d, \w, \s and \b are ASCII-only too
    except (re.error, ValueError):
        UNCHECKED_PATTERNS.add(java)
        return None


def _translate(java: str) -> str:
    out: list[str] = []
    in_class = False
    i, size = 0, len(java)
    while i < size:
        char = java[i]
        if char == "\\" and i + 1 < size:
            escaped = java[i + 1]
            if escaped in "pP" and java.startswith("{", i + 2):
                end = java.index("}", i)
                ranges = _property(java[i + 3:end])
                if in_class and escaped == "P":
                    raise ValueError(f"negated property inside a class: {java}")
                out.append(ranges if in_class else f"[{'^' if escaped == 'P' else ''}{ranges}]")
                i = end + 1
                continue
            out.append("\\Z" if escaped == "z" else java[i:i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def _property(name: str) -> str:
    if name.startswith("Is") and len(name) <= 4:
        name = name[2:]
    if name in _POSIX:
        return _POSIX[name]
    if 1 <= len(name) <= 2 and name[0] in "LMNPSZC":
        return _category_ranges(name)
    raise ValueError(f"unsupported property \\p{{{name}}}")


@cache
def _category_ranges(prefix: str) -> str:
    """A character-class body for the Unicode general category ``prefix`` (``L``, ``Nd``)."""
    ranges: list[str] = []
    for first, last, category in _category_runs():
        if category.startswith(prefix):
            ranges.append(f"\\U{first:08x}" if first == last else f"\\U{first:08x}-\\U{last:08x}")
    return "".join(ranges)


@cache
def _category_runs() -> list[tuple[int, int, str]]:
    """Every code point's general category, as runs ``(first, last, category)``: one pass
    (about 0.2 s), made the first time a pattern uses ``\\p{L}`` and the like."""
    runs = []
    first = 0
    for category, group in itertools.groupby(map(unicodedata.category, map(chr, range(0x110000)))):
        size = sum(1 for _ in group)
        runs.append((first, first + size - 1, category))
        first += size
    return runs


# -- responses ---------------------------------------------------------------------------

def check_output(service: str, operation: str, response: dict) -> list[str]:
    """Every problem with a response body as botocore would read it: members the shape does
    not have, required members missing, nulls (AWS leaves absent members out), and JSON types
    that are not the shape's (timestamps are epoch-second numbers, blobs base64 strings).
    An empty list when the body is right."""
    shape = service_model(service).operation_model(operation).output_shape
    problems: list[str] = []
    if shape is None:
        if response:
            problems.append(f"(body): {operation} returns no members, got {sorted(response)}")
        return problems
    _check_out(shape, response, "", problems)
    return problems


def _check_out(shape: Any, value: Any, path: str, problems: list[str]) -> None:
    where = path or "(body)"
    if value is None:
        problems.append(f"{where}: null (AWS leaves an absent member out)")
        return
    kind = shape.type_name
    if kind == "structure":
        if type(value) is not dict:
            problems.append(f"{where}: expected an object, got {_json_type(value)} {_short(value)}")
            return
        members = {member.serialization.get("name", name): member for name, member in shape.members.items()}
        for name in shape.required_members:
            wire = shape.members[name].serialization.get("name", name)
            if wire not in value:
                problems.append(f"{_join(path, wire)}: required member missing")
        for name, item in value.items():
            if name not in members:
                problems.append(f"{_join(path, name)}: not a member of {shape.name}")
            else:
                _check_out(members[name], item, _join(path, name), problems)
    elif kind == "list":
        if type(value) is not list:
            problems.append(f"{where}: expected a list, got {_json_type(value)} {_short(value)}")
            return
        for index, item in enumerate(value):
            _check_out(shape.member, item, f"{path}[{index}]", problems)
    elif kind == "map":
        if type(value) is not dict:
            problems.append(f"{where}: expected an object (map), got {_json_type(value)} {_short(value)}")
            return
        for name, item in value.items():
            _check_out(shape.value, item, f"{path}[{name!r}]", problems)
    else:
        wrong = _scalar_problem(kind, value)
        if wrong:
            problems.append(f"{where}: {wrong}, got {_json_type(value)} {_short(value)}")


def _scalar_problem(kind: str, value: Any) -> str | None:
    got = type(value)
    if kind == "string":
        return None if got is str else "expected a string"
    if kind in ("integer", "long"):
        return None if got is int else "expected an integer"
    if kind in ("float", "double"):
        return None if got in (int, float) and math.isfinite(value) else "expected a number"
    if kind == "boolean":
        return None if got is bool else "expected a boolean"
    if kind == "timestamp":
        return (None if got in (int, float) and math.isfinite(value)
                else "expected a timestamp as epoch seconds (a number)")
    if kind == "blob":
        if got is str:
            try:
                base64.b64decode(value, validate=True)
                return None
            except (binascii.Error, ValueError):
                pass
        return "expected a base64 string"
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
