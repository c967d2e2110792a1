"""The intrinsic functions of JSONPath states: ``States.Format(...)`` and its 17 siblings.

A call is parsed once, when the definition is loaded, into ``fn(data, scope) -> value``:
literals become constants, paths become :func:`~stepline.asl.jsonpath.compile_getter`
getters, nested calls become closures; evaluation never looks at the text again.

Behaviour is AWS's (the page "Intrinsic functions for JSONPath states in Step Functions",
and executions recorded on AWS): "integer" arguments of MathAdd, MathRandom and ArrayRange
are rounded halves up like Java's ``Math.round`` (``MathAdd(-1.5, -1.51)`` is -3);
States.Format renders values as the service's Java does (``null``, ``1.1``, objects as
``{Id=..., Name=...}``); StringSplit splits on any delimiter character and drops empty
strings; ``StringToJson('')`` is ``null``. Bad argument values raise ``StatesError``
(``States.IntrinsicFailure``); a path that selects nothing raises ``PathNotFound``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from stepline.asl.errors import INTRINSIC_FAILURE, StatesError
from stepline.asl.java_random import JavaRandom
from stepline.asl.jsonpath import PathSyntaxError, compile_getter
from stepline.asl.values import NotJson, parse_json

__all__ = ["IntrinsicSyntaxError", "compile_intrinsic", "is_intrinsic"]

JSON = Any
Intrinsic = Callable[[JSON, Any], JSON]

#: "You can nest up to 10 intrinsic functions within a field" (AWS docs).
MAX_DEPTH = 10
#: Input limits of Base64Encode, Base64Decode and Hash, in characters (AWS docs).
MAX_INPUT_CHARS = 10_000
#: "The newly generated array can't contain more than 1000 items" (AWS docs, ArrayRange).
MAX_RANGE_ITEMS = 1000
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class IntrinsicSyntaxError(ValueError):
    """The text is not a valid intrinsic function call."""


def is_intrinsic(text: str) -> bool:
    """True when text looks like an intrinsic call: ``States.`` then a name and ``(``."""
    return isinstance(text, str) and _CALL.match(text) is not None


def compile_intrinsic(text: str) -> Intrinsic:
    """Parse e.g. ``"States.Format('Hello {}', $.name)"`` into ``fn(data, scope) -> value``.

    Raises :class:`IntrinsicSyntaxError` for an unknown function, a wrong number of
    arguments, a bad literal or path, unbalanced parentheses or quotes, nesting deeper
    than 10 calls, or text after the call."""
    if not is_intrinsic(text):
        raise IntrinsicSyntaxError(f"Not an intrinsic function call: {text!r}")
    parser = _Parser(text)
    fn = parser.call(1)
    parser.skip_space()
    if parser.pos != len(text):
        raise parser.error(f"unexpected {text[parser.pos:]!r} after the call")
    return fn


# ---------------------------------------------------------------------------- parsing

class _Arg(NamedTuple):
    get: Intrinsic
    #: a string literal split at its unescaped ``{}`` (States.Format templates), else None
    parts: tuple[str, ...] | None = None


_CALL = re.compile(r"States\.([A-Za-z][A-Za-z0-9]*)\s*\(")
_BARE = re.compile(r"[^\s,()']+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}
_ESCAPABLE = "'{}\\"


class _Parser:
    """Recursive descent over the text: each method reads from ``pos`` and returns callables."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def error(self, reason: str) -> IntrinsicSyntaxError:
        where = f"(at position {self.pos})"
        return IntrinsicSyntaxError(f"Invalid intrinsic function {self.text!r}: {reason} {where}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self, depth: int) -> Intrinsic:
        m = _CALL.match(self.text, self.pos)
        if not m:
            raise self.error("expected an intrinsic function call")
        name = "States." + m.group(1)
        if name not in _FUNCTIONS:
            raise self.error(f"unknown intrinsic function {name}")
        if depth > MAX_DEPTH:
            raise self.error(f"intrinsic functions are nested more than {MAX_DEPTH} levels deep")
        self.pos = m.end()
        args = self.arguments(depth)
        low, high, impl = _FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            expected = str(low) if low == high else f"at least {low}" if high is None else f"{low} or {high}"
            raise self.error(f"{name} takes {expected} argument(s), got {len(args)}")
        if impl is None:
            return _compile_format(args)
        getters = tuple(a.get for a in args)
        return lambda data, scope: impl([g(data, scope) for g in getters])

    def arguments(self, depth: int) -> list[_Arg]:
        args: list[_Arg] = []
        self.skip_space()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return args
        while True:
            self.skip_space()
            args.append(self.argument(depth))
            self.skip_space()
            c = self.text[self.pos:self.pos + 1]
            if c not in (",", ")"):
                raise self.error(f"expected ',' or ')' but found {c!r}" if c else "missing ')'")
            self.pos += 1
            if c == ")":
                return args

    def argument(self, depth: int) -> _Arg:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error("missing ')'")
        if text[pos] == "'":
            return self.string()
        if text[pos] == "$":
            return self.path()
        if _CALL.match(text, pos):
            return _Arg(self.call(depth + 1))
        m = _BARE.match(text, pos)
        if not m:
            raise self.error("expected an argument")
        word = m.group()
        value: JSON
        if word in _KEYWORDS:
            value = _KEYWORDS[word]
        elif _NUMBER.fullmatch(word):
            value = int(word) if word.lstrip("-").isdigit() else float(word)
            if isinstance(value, float) and not math.isfinite(value):
                raise self.error(f"number out of range: {word}")
        else:
            raise self.error(f"invalid literal {word!r}")
        self.pos = m.end()
        return _Arg(_constant(value))

    def string(self) -> _Arg:
        """A quoted literal; its unescaped ``{}`` split it into ``parts`` (Format templates)."""
        text, i = self.text, self.pos + 1
        parts: list[str] = []
        piece: list[str] = []
        while i < len(text):
            c = text[i]
            if c == "\\":
                if i + 1 >= len(text) or text[i + 1] not in _ESCAPABLE:
                    self.pos = i
                    raise self.error("a backslash must be followed by one of ' { } \\")
                piece.append(text[i + 1])
                i += 2
            elif c == "'":
                self.pos = i + 1
                parts.append("".join(piece))
                return _Arg(_constant("{}".join(parts)), tuple(parts))
            elif c == "{" and text.startswith("}", i + 1):
                parts.append("".join(piece))
                piece = []
                i += 2
            else:
                piece.append(c)
                i += 1
        raise self.error("unterminated string literal")

    def path(self) -> _Arg:
        text, start = self.text, self.pos
        i, depth, quote = start, 0, None
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = None
            elif c in "'\"" and depth:
                quote = c
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            elif not depth and (c in ",)" or c.isspace()):
                break
            i += 1
        try:
            get = compile_getter(text[start:i])
        except PathSyntaxError as exc:
            raise self.error(str(exc)) from None
        self.pos = i
        return _Arg(get)


# ---------------------------------------------------------------------------- values

def _constant(value: JSON) -> Intrinsic:
    return lambda data, scope: value


def _fail(name: str, reason: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, f"Invalid arguments in {name}: {reason}")


def _show(value: JSON) -> str:
    text = _to_json(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _java_double(x: float) -> str:
    """``Double.toString``: shortest digits; plain when 1e-3 <= |x| < 1e7, else ``1.0E7``."""
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    _, digit_tuple, exponent = Decimal(repr(abs(x))).normalize().as_tuple()
    digits, exp, sign = "".join(map(str, digit_tuple)), int(exponent), "-" if x < 0 else ""
    e = len(digits) - 1 + exp  # x = d.ddd * 10**e
    if not -3 <= e < 7:
        return f"{sign}{digits[0]}.{digits[1:] or '0'}E{e}"
    if exp >= 0:
        return f"{sign}{digits}{'0' * exp}.0"
    padded = digits.rjust(1 - exp, "0")
    return f"{sign}{padded[:exp]}.{padded[exp:]}"


def _to_json(value: JSON) -> str:
    """Compact JSON as the service writes it: no spaces, non-ASCII kept, Java doubles."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, list):
        return "[" + ",".join(_to_json(v) for v in value) + "]"
    return "{" + ",".join(_to_json(k) + ":" + _to_json(v) for k, v in value.items()) + "}"


def _text(value: JSON) -> str:
    """How States.Format renders a value: Java's ``toString`` of the parsed JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return _to_json(value)


def _key(value: JSON) -> Any:
    """A hashable key with JSON equality: ``1 == 1.0`` but ``true != 1``."""
    t = type(value)
    if t is bool:
        return (1, value)
    if t is int or t is float:
        return (2, value)
    if t is str:
        return (3, value)
    if t is list:
        return (4, tuple(_key(v) for v in value))
    if t is dict:
        return (5, frozenset((k, _key(v)) for k, v in value.items()))
    return (0,)


def _integer(name: str, what: str, value: JSON, *, rounded: bool = False) -> int:
    """An integer argument. MathAdd, MathRandom and ArrayRange round a non-integer to the
    nearest integer, halves up like Java's ``Math.round``; elsewhere 2.0 passes, 2.5 fails."""
    if type(value) is int:
        return value
    if type(value) is float and (rounded or value.is_integer()):
        return math.floor(value + 0.5)
    raise _fail(name, f"{what} must be an integer, got {_show(value)}")


def _array(name: str, value: JSON, what: str = "the first argument") -> list[JSON]:
    if type(value) is not list:
        raise _fail(name, f"{what} must be an array, got {_show(value)}")
    return value


def _string(name: str, value: JSON, what: str = "the first argument", limit: int | None = None) -> str:
    if type(value) is not str:
        raise _fail(name, f"{what} must be a string, got {_show(value)}")
    if limit is not None and len(value) > limit:
        raise _fail(name, f"{what} must be at most {limit} characters, got {len(value)}")
    return value


# ---------------------------------------------------------------------------- the functions

def _compile_format(args: list[_Arg]) -> Intrinsic:
    name = "States.Format"
    template, getters = args[0], tuple(a.get for a in args[1:])

    def render(parts: list[str] | tuple[str, ...], values: list[JSON]) -> str:
        if len(values) != len(parts) - 1:
            count = f"{len(parts) - 1} placeholder(s) {{}} but {len(values)} value(s) were given"
            raise _fail(name, f"the template has {count}")
        out = [parts[0]]
        for value, part in zip(values, parts[1:], strict=True):
            out.append(_text(value))
            out.append(part)
        return "".join(out)

    if template.parts is not None:
        parts = template.parts
        return lambda data, scope: render(parts, [g(data, scope) for g in getters])
    get_template = template.get

    def fmt(data: JSON, scope: Any) -> str:
        text = _string(name, get_template(data, scope), "the template (first argument)")
        return render(text.split("{}"), [g(data, scope) for g in getters])
    return fmt


def _string_to_json(args: list[JSON]) -> JSON:
    text = _string("States.StringToJson", args[0])
    if not text.strip():
        return None
    try:
        return parse_json(text)
    except NotJson as exc:
        raise _fail("States.StringToJson", f"the string is not valid JSON ({exc})") from None


def _array_partition(args: list[JSON]) -> list[JSON]:
    name = "States.ArrayPartition"
    items = _array(name, args[0])
    size = _integer(name, "the chunk size", args[1])
    if size <= 0:
        raise _fail(name, f"the chunk size must be a positive integer, got {size}")
    return [items[i:i + size] for i in range(0, len(items), size)]


def _array_contains(args: list[JSON]) -> bool:
    items = _array("States.ArrayContains", args[0])
    wanted = _key(args[1])
    return any(_key(item) == wanted for item in items)


def _array_range(args: list[JSON]) -> list[JSON]:
    name = "States.ArrayRange"
    start, end, step = (_integer(name, f"the {what}", value, rounded=True)
                        for what, value in zip(("start", "end", "step"), args, strict=True))
    if step == 0:
        raise _fail(name, "the step must not be 0")
    count = max(0, (end - start) // step + 1)
    if count > MAX_RANGE_ITEMS:
        raise _fail(name, f"the result would have {count} items, more than {MAX_RANGE_ITEMS}")
    return list(range(start, start + count * step, step))


def _array_get_item(args: list[JSON]) -> JSON:
    name = "States.ArrayGetItem"
    items = _array(name, args[0])
    index = _integer(name, "the index", args[1])
    if not 0 <= index < len(items):
        raise _fail(name, f"the index {index} is out of bounds for an array of length {len(items)}")
    return items[index]


def _array_unique(args: list[JSON]) -> list[JSON]:
    first: dict[Any, JSON] = {}
    for item in _array("States.ArrayUnique", args[0]):
        first.setdefault(_key(item), item)
    return list(first.values())


def _base64_encode(args: list[JSON]) -> str:
    text = _string("States.Base64Encode", args[0], limit=MAX_INPUT_CHARS)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _base64_decode(args: list[JSON]) -> str:
    name = "States.Base64Decode"
    text = _string(name, args[0], limit=MAX_INPUT_CHARS)
    try:
        return base64.b64decode(text.encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error) as exc:
        raise _fail(name, f"the string is not valid Base64 of UTF-8 text ({exc})") from None


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(args: list[JSON]) -> str:
    name = "States.Hash"
    data = _string(name, args[0], limit=MAX_INPUT_CHARS)
    algorithm = args[1]
    if type(algorithm) is not str or algorithm not in _HASHES:
        raise _fail(name, f"the algorithm must be one of {', '.join(_HASHES)}, got {_show(algorithm)}")
    # a lone surrogate (from "\ud800" in JSON) is hashed as its UTF-16 code unit would be written
    return hashlib.new(_HASHES[algorithm], data.encode("utf-8", "surrogatepass")).hexdigest()


def _json_merge(args: list[JSON]) -> dict[str, JSON]:
    name = "States.JsonMerge"
    first, second, deep = args
    if type(first) is not dict or type(second) is not dict:
        raise _fail(name, "the first two arguments must be JSON objects")
    if type(deep) is not bool:
        raise _fail(name, f"the third argument must be a boolean, got {_show(deep)}")
    if deep:
        raise _fail(name, "only shallow merge is supported; the third argument must be false")
    return {**first, **second}


_RANDOM = random.Random()


def _math_random(args: list[JSON]) -> int:
    name = "States.MathRandom"
    start = _int32(name, "the start", args[0])
    end = _int32(name, "the end", args[1])
    if start >= end:
        raise _fail(name, f"the start ({start}) must be less than the end ({end})")
    if len(args) < 3:
        return _RANDOM.randrange(start, end)
    # seeded: java.util.Random's numbers, as the service is Java ($random(42) matches it on AWS);
    # start + nextInt(end - start) is the obvious Java for "start inclusive, end exclusive" (a guess)
    span = end - start
    if span >= 1 << 31:  # more than a Java int holds: nextInt cannot draw it
        raise _fail(name, f"the range from {start} to {end} is too large")
    return start + JavaRandom(_int32(name, "the seed", args[2])).next_int(span)


def _math_add(args: list[JSON]) -> int:
    name = "States.MathAdd"
    total = 0
    for value in args:
        total += _int32(name, "each argument", value)
    return total


def _int32(name: str, what: str, value: JSON) -> int:
    """A Java int argument (MathAdd, MathRandom): rounded, and within 32 bits."""
    n = _integer(name, what, value, rounded=True)
    if not INT_MIN <= n <= INT_MAX:
        raise _fail(name, f"{what} must be between {INT_MIN} and {INT_MAX}, got {_show(value)}")
    return n


def _string_split(args: list[JSON]) -> list[str]:
    name = "States.StringSplit"
    text = _string(name, args[0])
    delimiters = _string(name, args[1], "the delimiter (second argument)")
    if not delimiters:
        return [text] if text else []
    pattern = "[" + re.escape(delimiters) + "]"
    return [piece for piece in re.split(pattern, text) if piece]


#: name -> (fewest arguments, most arguments or None, implementation taking the values);
#: States.Format has no implementation here: _compile_format builds it.
_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[list[JSON]], JSON] | None]] = {
    "States.Format": (1, None, None),
    "States.StringToJson": (1, 1, _string_to_json),
    "States.JsonToString": (1, 1, lambda args: _to_json(args[0])),
    "States.Array": (0, None, list),
    "States.ArrayPartition": (2, 2, _array_partition),
    "States.ArrayContains": (2, 2, _array_contains),
    "States.ArrayRange": (3, 3, _array_range),
    "States.ArrayGetItem": (2, 2, _array_get_item),
    "States.ArrayLength": (1, 1, lambda args: len(_array("States.ArrayLength", args[0]))),
    "States.ArrayUnique": (1, 1, _array_unique),
    "States.Base64Encode": (1, 1, _base64_encode),
    "States.Base64Decode": (1, 1, _base64_decode),
    "States.Hash": (2, 2, _hash),
    "States.JsonMerge": (3, 3, _json_merge),
    "States.MathRandom": (2, 3, _math_random),
    "States.MathAdd": (2, 2, _math_add),
    "States.StringSplit": (2, 2, _string_split),
    "States.UUID": (0, 0, lambda args: str(uuid.uuid4())),
}
