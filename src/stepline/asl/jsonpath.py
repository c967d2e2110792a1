"""JSONPath as Step Functions evaluates it (Jayway semantics), compiled once into getters.

A path is parsed when the definition is loaded and becomes a :class:`Path` whose ``get``
is a small closure: ``$.a.b[0]`` is three subscripts, not a parser call. Paths made only of
names and indexes are *definite*: they select one value or fail with :class:`PathNotFound`.
Paths with a wildcard, slice, union, filter or deep scan are *indefinite*: they return the
list of everything they match, possibly empty (as AWS does for ``$.items[*]`` on ``{}``).
As in Jayway, a filter applied to an object tests the object itself, and several names in the
last brackets of an otherwise definite path (``$['a','b']``) select one object made of them.

Three roots exist: ``$`` (the state's input), ``$$`` (the context object) and, since
variables, ``$name`` (a workflow variable). ``compile_reference`` parses any of them.

Reference paths (``ResultPath``) also get a setter that copies only the dicts along the path.

This module parses; the getters, and Jayway's messages when a definite path selects nothing,
are :mod:`.jsonpath_select`'s; the filters (``[?(@.price < 10)]``) :mod:`.jsonpath_filter`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .jsonpath_select import Keys, PathNotFound, Segment, definite_getter, indefinite_getter, merge_getter, normalized

__all__ = [
    "JSON", "Getter", "Path", "PathNotFound", "PathSyntaxError", "Reference", "Scope", "compile_getter",
    "compile_path", "compile_reference", "is_variable_path", "normalized", "parse_segments", "set_path",
    "split_union",
]

JSON = Any


class PathSyntaxError(ValueError):
    """The text is not a JSONPath Step Functions accepts."""


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled path: ``get(root_value) -> value`` (raises :class:`PathNotFound`)."""

    text: str
    definite: bool
    get: Callable[[JSON], JSON]
    #: for definite paths: the chain of keys (str) and indexes (int) after the root
    keys: Keys | None = None
    #: may it select the same value twice, or a value and a part of it (a deep scan, a union)?
    repeats: bool = False


@dataclass(frozen=True, slots=True)
class Reference:
    """A path with its root: ``$`` input, ``$$`` context, or ``$name`` variable."""

    text: str
    root: str  # "input" | "context" | "variable"
    variable: str | None
    path: Path


# ---------------------------------------------------------------------------- parsing

_NAME = re.compile(r"[^.\[\]()\s'\"=<>!&|,]+")
_INT = re.compile(r"-?\d+")
_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def compile_reference(text: str) -> Reference:
    """Compile a path that may start at ``$``, ``$$`` or ``$variable``."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError(f"Path must start with '$': {text!r}")
    if text.startswith("$$"):
        return Reference(text, "context", None, _compile(text, 2, "$"))
    m = _VARIABLE.match(text)
    if m:
        return Reference(text, "variable", m.group(1), _compile(text, m.end(), "$" + m.group(1)))
    return Reference(text, "input", None, _compile(text, 1, "$"))


def compile_path(text: str) -> Path:
    """Compile a path rooted at ``$`` (InputPath, OutputPath, ItemsPath...)."""
    if not isinstance(text, str) or not text.startswith("$") or text.startswith("$$"):
        raise PathSyntaxError(f"Path must start with '$': {text!r}")
    return _compile(text, 1, "$")


def is_variable_path(text: str) -> bool:
    return isinstance(text, str) and _VARIABLE.match(text) is not None and not text.startswith("$$")


# A segment is a tuple: ("key", name) | ("index", i) | ("wild",) | ("slice", a, b, step)
# | ("union", items) | ("scan", segment) | ("filter", predicate) | ("merge", names)

def _compile(text: str, pos: int, root_text: str) -> Path:
    segments, definite = parse_segments(text, pos)
    if definite:
        keys = tuple(s[1] for s in segments)
        return Path(text, True, definite_getter(keys, root_text), keys)
    last = segments[-1]
    if last[0] == "union" and all(s[0] == "key" for s in last[1]):
        # Jayway merges several names in the last brackets into one object: $['a','b'] -> {"a":..,"b":..}
        names = tuple(s[1] for s in last[1])
        segments[-1] = ("merge", names)
        if all(s[0] in ("key", "index") for s in segments[:-1]):
            keys = tuple(s[1] for s in segments[:-1])
            return Path(text, False, merge_getter(keys, names, root_text))
    repeats = any(seg[0] in ("scan", "union") for seg in segments)
    return Path(text, False, indefinite_getter(segments), repeats=repeats)


def parse_segments(text: str, pos: int) -> tuple[list[Segment], bool]:
    """The segments of ``text`` from ``pos`` (just after its root), and whether they make a
    definite path (names and indexes only)."""
    segments: list[Segment] = []
    n = len(text)
    while pos < n:
        c = text[pos]
        if text.startswith("..", pos):
            pos += 2
            if pos < n and text[pos] == "[":
                seg, pos = _parse_bracket(text, pos)
            elif pos < n and text[pos] == "*":
                seg, pos = ("wild",), pos + 1
            else:
                m = _NAME.match(text, pos)
                if not m:
                    raise PathSyntaxError(f"Invalid JSONPath {text!r}: expected a name after '..'")
                seg, pos = ("key", m.group()), m.end()
            segments.append(("scan", seg))
        elif c == ".":
            pos += 1
            if pos < n and text[pos] == "[":  # Jayway reads "$.[0]", "$.a.['b']" as "$[0]", "$.a['b']"
                continue
            if pos < n and text[pos] == "*":
                segments.append(("wild",))
                pos += 1
                continue
            m = _NAME.match(text, pos)
            if not m:
                raise PathSyntaxError(f"Invalid JSONPath {text!r}: expected a name at position {pos}")
            name = m.group()
            if text.startswith("()", m.end()):
                raise PathSyntaxError(f"Invalid JSONPath {text!r}: functions are not supported")
            segments.append(("key", name))
            pos = m.end()
        elif c == "[":
            seg, pos = _parse_bracket(text, pos)
            segments.append(seg)
        else:
            raise PathSyntaxError(f"Invalid JSONPath {text!r}: unexpected {c!r} at position {pos}")
    definite = all(s[0] in ("key", "index") for s in segments)
    return segments, definite


def _parse_bracket(text: str, pos: int) -> tuple[Segment, int]:
    end = _matching_bracket(text, pos)
    inner = text[pos + 1:end].strip()
    after = end + 1
    if not inner:
        raise PathSyntaxError(f"Invalid JSONPath {text!r}: empty brackets")
    if inner == "*":
        return ("wild",), after
    if inner.startswith("?"):
        body = inner[1:].strip()
        if not (body.startswith("(") and body.endswith(")")):
            raise PathSyntaxError(f"Invalid JSONPath {text!r}: a filter is written [?(...)]")
        # imported here, not as this module loads: a filter's operands are paths, parsed here
        from .jsonpath_filter import compile_filter
        return ("filter", compile_filter(body[1:-1], text)), after
    if inner[0] in "'\"":
        names = split_union(inner, text)
        keys = [_unquote(x, text) for x in names]
        return (("key", keys[0]) if len(keys) == 1 else ("union", tuple(("key", k) for k in keys))), after
    if ":" in inner:
        parts = [p.strip() for p in inner.split(":")]
        if len(parts) > 3 or any(p and not _INT.fullmatch(p) for p in parts):
            raise PathSyntaxError(f"Invalid JSONPath {text!r}: bad slice [{inner}]")
        start = int(parts[0]) if parts[0] else None
        stop = int(parts[1]) if parts[1] else None
        step = int(parts[2]) if len(parts) == 3 and parts[2] else None
        return ("slice", start, stop, step), after
    items = [p.strip() for p in inner.split(",")]
    if not all(_INT.fullmatch(p) for p in items):
        raise PathSyntaxError(f"Invalid JSONPath {text!r}: bad subscript [{inner}]")
    if len(items) == 1:
        return ("index", int(items[0])), after
    return ("union", tuple(("index", int(p)) for p in items)), after


def _matching_bracket(text: str, pos: int) -> int:
    depth, quote, i = 0, None, pos
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise PathSyntaxError(f"Invalid JSONPath {text!r}: unclosed '['")


def split_union(inner: str, text: str) -> list[str]:
    """``inner``, the text between brackets, split at its commas outside quotes."""
    parts, quote, start, i = [], None, 0, 0
    while i < len(inner):
        c = inner[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == ",":
            parts.append(inner[start:i].strip())
            start = i + 1
        i += 1
    parts.append(inner[start:].strip())
    return parts


def _unquote(s: str, text: str) -> str:
    if len(s) < 2 or s[0] not in "'\"" or s[-1] != s[0]:
        raise PathSyntaxError(f"Invalid JSONPath {text!r}: bad quoted name {s}")
    return re.sub(r"\\(.)", r"\1", s[1:-1])


# ---------------------------------------------------------------------------- setting

def set_path(data: JSON, keys: Keys, value: JSON) -> JSON:
    """Return ``data`` with ``value`` at ``keys``, copying only the containers on the way.

    Missing objects on the way are created; a non-object on the way raises ``PathNotFound``
    (the caller turns it into ``States.ResultPathMatchFailure``)."""
    if not keys:
        return value
    k = keys[0]
    if isinstance(k, str):
        if type(data) is not dict:
            raise PathNotFound(f"cannot set {k!r} on a value that is not an object")
        new = dict(data)
        if len(keys) == 1:
            new[k] = value
        else:
            new[k] = set_path(data[k] if k in data else {}, keys[1:], value)
        return new
    if type(data) is not list or not -len(data) <= k < len(data):
        raise PathNotFound(f"cannot set index [{k}] on this value")
    new_list = list(data)
    new_list[k] = set_path(data[k], keys[1:], value) if len(keys) > 1 else value
    return new_list


# ---------------------------------------------------------------------------- getters with roots

class Scope:
    """What an expression can read besides the state's input: the context object and
    the workflow variables. The interpreter passes its own object with these two members;
    this class documents the protocol and serves tests."""

    __slots__ = ("context", "variables")

    def __init__(self, context: JSON = None, variables: dict[str, JSON] | None = None) -> None:
        self.context = context if context is not None else {}
        self.variables = variables if variables is not None else {}

    def variable(self, name: str) -> JSON:
        """The value of ``$name``; raises ``PathNotFound`` when it is not defined."""
        try:
            return self.variables[name]
        except KeyError:
            raise PathNotFound(f"Variable '${name}' is not defined") from None


Getter = Callable[[JSON, Any], JSON]


def compile_getter(text: str) -> Getter:
    """Compile ``$...``, ``$$...`` or ``$var...`` into ``get(data, scope) -> value``.

    The getter carries its :class:`Reference` as ``get.reference`` (for ``asl.sizes``)."""
    ref = compile_reference(text)
    get = ref.path.get
    if ref.root == "input":
        getter = (lambda data, scope: data) if ref.path.keys == () else (lambda data, scope: get(data))
    elif ref.root == "context":
        getter = lambda data, scope: get(scope.context)  # noqa: E731
    else:
        name = ref.variable
        getter = lambda data, scope: get(scope.variable(name))  # noqa: E731
    getter.reference = ref  # type: ignore[attr-defined]
    return getter
