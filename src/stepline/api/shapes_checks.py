"""A botocore shape compiled into the checks of a request body, as AWS's JSON services run them.

:func:`compile_check` turns an operation's input shape into one :data:`Check`, a closure
over the closures of its members, made once: a structure's check knows its members' wire
names, message segments (``roleArn``) and checks; a list's or a map's, its items'; a plain
value's (string, blob, number, boolean, timestamp), its type test, its normalisation and
its rules, worded as AWS words them. Recursive shapes compile to checks that call each other.
The steps and the messages are described in :mod:`.shapes`, which runs the checks.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from .errors import ApiError
from .shapes_java import java_double, java_pattern, java_text

SERIALIZATION = "SerializationException"

#: ``check(value, path, errors) -> value``: raises ApiError(SerializationException) for a
#: JSON type the shape cannot take, appends constraint failures to ``errors``, and returns
#: the value normalised (nulls dropped, fractions truncated), the same object when unchanged.
Check = Callable[[Any, str, list[str]], Any]

UNEXPECTED_LIST = "Start of list found where not expected"
_UNEXPECTED_OBJECT = "Start of structure or map found where not expected."
_NOT_NULL = "Member must not be null"

#: Shapes whose ``max`` AWS counts in UTF-8 bytes, with its own wording (StartExecution's
#: ``input``, SendTaskSuccess's ``output``, ...), rather than in characters.
_BYTE_SIZED = frozenset({("stepfunctions", "SensitiveData")})

_INT_RANGE = {"integer": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1)}
_JAVA_TYPE = {"string": "a String", "integer": "an Integer", "long": "a Long",
              "float": "a Float", "double": "a Double", "boolean": "a Boolean",
              "timestamp": "a Timestamp", "blob": "a Blob"}


def compile_check(service: str, shape: Shape) -> Check:
    """The check of a body of ``shape`` (an operation's input shape) in ``service``'s model."""
    return _Compiler(service).node(shape, False).check


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
                raise ApiError(SERIALIZATION, UNEXPECTED_LIST if type(value) is list else "Expected null")
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
                raise ApiError(SERIALIZATION, UNEXPECTED_LIST if type(value) is list else "Expected map or null")
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
    pattern = java_pattern(meta["pattern"]) if "pattern" in meta else None
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
    show: Callable[[Any], str] = str if integral else java_double
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
        return ApiError(SERIALIZATION, UNEXPECTED_LIST)
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
    shown = "Value at" if hidden else f"Value '{java_text(value)}' at"
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
