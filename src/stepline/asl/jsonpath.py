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
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

JSON = Any


class PathSyntaxError(ValueError):
    """The text is not a JSONPath Step Functions accepts."""


class PathNotFound(LookupError):
    """A definite path selected nothing; the message reads like AWS's (Jayway's)."""


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled path: ``get(root_value) -> value`` (raises :class:`PathNotFound`)."""

    text: str
    definite: bool
    get: Callable[[JSON], JSON]
    #: for definite paths: the chain of keys (str) and indexes (int) after the root
    keys: tuple | None = None
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
    segments, definite = _parse_segments(text, pos)
    if definite:
        keys = tuple(s[1] for s in segments)
        return Path(text, True, _definite_getter(keys, root_text), keys)
    last = segments[-1]
    if last[0] == "union" and all(s[0] == "key" for s in last[1]):
        # Jayway merges several names in the last brackets into one object: $['a','b'] -> {"a":..,"b":..}
        names = tuple(s[1] for s in last[1])
        segments[-1] = ("merge", names)
        if all(s[0] in ("key", "index") for s in segments[:-1]):
            keys = tuple(s[1] for s in segments[:-1])
            return Path(text, False, _merge_getter(keys, names, root_text))
    repeats = any(seg[0] in ("scan", "union") for seg in segments)
    return Path(text, False, _indefinite_getter(segments), repeats=repeats)


def _merge_getter(keys: tuple, names: tuple, root_text: str) -> Callable[[JSON], JSON]:
    """``$.a['x','y']``: one object with those of the names the value at ``$.a`` has."""
    fragment = "[" + ",".join(f"'{n}'" for n in names) + "]"

    def get(data: JSON) -> JSON:
        value = _walk(data, keys, root_text, fragment)
        if type(value) is not dict:
            raise PathNotFound(
                f"Expected to find an object with property {fragment} in path {normalized(keys, root_text)} "
                f"but found '{_java_type(value)}'. This is not a json object according to the JsonProvider: "
                f"'{JSON_PROVIDER}'.")
        return {n: value[n] for n in names if n in value}
    return get


def _parse_segments(text: str, pos: int) -> tuple[list, bool]:
    segments: list = []
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


def _parse_bracket(text: str, pos: int) -> tuple[tuple, int]:
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
        return ("filter", _compile_filter(body[1:-1], text)), after
    if inner[0] in "'\"":
        names = _split_union(inner, text)
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


def _split_union(inner: str, text: str) -> list[str]:
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


# ---------------------------------------------------------------------------- definite paths

def normalized(keys: tuple, root_text: str = "$") -> str:
    """Jayway's normalised form: ``$['a'][0]``."""
    return root_text + "".join(f"[{k}]" if isinstance(k, int) else f"['{k}']" for k in keys)


def _definite_getter(keys: tuple, root_text: str) -> Callable[[JSON], JSON]:
    if not keys:
        return _identity
    if len(keys) == 1 and isinstance(keys[0], str):
        k0 = keys[0]

        def get1(data: JSON) -> JSON:
            if type(data) is dict:
                try:
                    return data[k0]
                except KeyError:
                    pass
            return _missing(data, keys, root_text)
        return get1
    if len(keys) == 2 and isinstance(keys[0], str) and isinstance(keys[1], str):
        k0, k1 = keys

        def get2(data: JSON) -> JSON:
            try:
                return data[k0][k1]
            except (KeyError, TypeError, IndexError):
                return _missing(data, keys, root_text)
        return get2

    def get(data: JSON) -> JSON:
        value = data
        try:
            for k in keys:
                if isinstance(k, str):
                    if type(value) is not dict:
                        raise KeyError
                    value = value[k]
                else:
                    if type(value) is not list:
                        raise KeyError
                    value = value[k]
            return value
        except (KeyError, IndexError, TypeError):
            return _missing(data, keys, root_text)
    return get


def _walk(data: JSON, keys: tuple, root_text: str, tail: str) -> JSON:
    """Follow ``keys`` that are followed by more of the path (``tail``, its Jayway fragment)."""
    value = data
    for k in keys:
        if type(value) is dict and type(k) is str and k in value:
            value = value[k]
        elif type(value) is list and type(k) is int and -len(value) <= k < len(value):
            value = value[k]
        else:
            return _missing(data, keys, root_text, tail)
    return value


def _identity(data: JSON) -> JSON:
    return data


def _missing(data: JSON, keys: tuple, root_text: str, tail: str = "") -> JSON:
    """Walk again to raise Jayway's PathNotFoundException message for the first failing step.

    A name applied to something that is not an object (null included) and an index applied to
    null or to something that is not an array fail whether or not they are the last step; a
    name missing from an object fails as "No results" when it is the last step, as "Missing
    property" before that; an index outside its array fails as out of bounds. ``tail`` is the
    Jayway fragment of what follows ``keys`` in the path, when they are not all of it."""
    value = data
    for i, k in enumerate(keys):
        here = normalized(keys[:i], root_text)
        if isinstance(k, str):
            if type(value) is not dict:
                raise PathNotFound(
                    f"Expected to find an object with property {normalized(keys[i:i + 1], '')} in path {here} "
                    f"but found '{_java_type(value)}'. This is not a json object according to the JsonProvider: "
                    f"'{JSON_PROVIDER}'.")
            if k not in value:
                if i == len(keys) - 1 and not tail:
                    raise PathNotFound(f"No results for path: {normalized(keys, root_text)}")
                raise PathNotFound(f"Missing property in path {normalized(keys[:i + 1], root_text)}")
        else:
            if value is None:
                raise PathNotFound(f"The path {here} is null")
            if type(value) is not list:
                # Jayway prints the token with the rest of the path after it, and the value as Java would
                raise PathNotFound(f"Filter: {normalized(keys[i:], '')}{tail} can only be applied to arrays. "
                                   f"Current context is: {_java_str(value)}")
            if not -len(value) <= k < len(value):
                raise PathNotFound(f"Index out of bounds when evaluating path {normalized(keys[:i + 1], root_text)}")
        value = value[k]
    return value  # pragma: no cover - only called when a step is missing


#: the JsonProvider Step Functions' Jayway runs with, as its messages name it
JSON_PROVIDER = "com.jayway.jsonpath.spi.json.JacksonJsonProvider"


def _java_type(value: JSON) -> str:
    """The Java class Jackson reads a JSON value into (``null`` for null), as Jayway names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        if -2**31 <= value < 2**31:
            return "java.lang.Integer"
        return "java.lang.Long" if -2**63 <= value < 2**63 else "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return "java.util.LinkedHashMap"


def _java_str(value: JSON) -> str:
    """``String.valueOf`` of the Java value Jackson reads: ``{a=1, b=[x, null]}``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, list):
        return "[" + ", ".join(_java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_str(v)}" for k, v in value.items()) + "}"
    return str(value)


def _java_double(x: float) -> str:
    """``Double.toString``: plain between 10^-3 and 10^7, else ``d.dddE±n``; never a bare integer."""
    if 1e-3 <= abs(x) < 1e7 or x == 0:
        text = repr(x)
        return text if "." in text else text + ".0"
    parts = Decimal(repr(x)).normalize().as_tuple()
    mantissa = "".join(map(str, parts.digits))
    exponent = int(parts.exponent) + len(mantissa) - 1  # finite: never 'n', 'N' or 'F'
    sign = "-" if x < 0 else ""
    return f"{sign}{mantissa[0]}.{mantissa[1:] or '0'}E{exponent}"


# ---------------------------------------------------------------------------- indefinite paths

Step = Callable[[JSON, list, JSON], None]  # step(node, out, root): append what the segment selects


def _indefinite_getter(segments: list) -> Callable[[JSON], JSON]:
    steps = [_step(s) for s in segments]

    def get(data: JSON) -> JSON:
        nodes = [data]
        for step in steps:
            out: list = []
            for node in nodes:
                step(node, out, data)
            nodes = out
        return nodes
    return get


def _step(seg: tuple) -> Step:
    kind = seg[0]
    if kind == "key":
        name = seg[1]

        def key(node: JSON, out: list, root: JSON) -> None:
            if type(node) is dict and name in node:
                out.append(node[name])
        return key
    if kind == "merge":
        names = seg[1]

        def merge(node: JSON, out: list, root: JSON) -> None:
            if type(node) is dict:
                out.append({n: node[n] for n in names if n in node})
        return merge
    if kind == "index":
        i = seg[1]

        def index(node: JSON, out: list, root: JSON) -> None:
            if type(node) is list and -len(node) <= i < len(node):
                out.append(node[i])
        return index
    if kind == "wild":
        def wild(node: JSON, out: list, root: JSON) -> None:
            if type(node) is dict:
                out.extend(node.values())
            elif type(node) is list:
                out.extend(node)
        return wild
    if kind == "slice":
        sl = slice(seg[1], seg[2], seg[3])

        def slice_(node: JSON, out: list, root: JSON) -> None:
            if type(node) is list:
                out.extend(node[sl])
        return slice_
    if kind == "union":
        parts = [_step(s) for s in seg[1]]

        def union(node: JSON, out: list, root: JSON) -> None:
            for p in parts:
                p(node, out, root)
        return union
    if kind == "filter":
        pred = seg[1]

        def filter_(node: JSON, out: list, root: JSON) -> None:
            # Jayway: an array's elements are tested; an object is tested itself, not its members
            if type(node) is list:
                out.extend(x for x in node if pred(x, root))
            elif type(node) is dict and pred(node, root):
                out.append(node)
        return filter_
    if kind == "scan":
        inner_seg = seg[1]
        visit: Step = _step(inner_seg)
        if inner_seg[0] == "filter":
            pred = inner_seg[1]

            def visit_filter(node: JSON, out: list, root: JSON) -> None:
                # Jayway's deep scan tests every object (and array) it walks, the root included
                if type(node) is dict:
                    if pred(node, root):
                        out.append(node)
                elif pred(node, root):
                    out.extend(x for x in node if pred(x, root))
            visit = visit_filter

        def scan(node: JSON, out: list, root: JSON) -> None:
            if type(node) not in (dict, list):
                return
            stack = [node]
            while stack:  # depth first, each container before what it contains
                cur = stack.pop()
                visit(cur, out, root)
                children = cur.values() if type(cur) is dict else cur
                stack.extend(reversed([v for v in children if type(v) in (dict, list)]))
        return scan
    raise AssertionError(kind)  # pragma: no cover


# ---------------------------------------------------------------------------- filters

_FILTER_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>==|!=|<=|>=|=~|<|>|&&|\|\||!|\(|\))
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<word>true|false|null|in|nin|subsetof|anyof|noneof|size|empty)\b
    | (?P<path>[@$](?:\.[^\s.\[\]()=<>!&|]+|\[[^\]]*\])*)
    | (?P<array>\[(?:[^\[\]'"]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")*\])
    )""", re.VERBOSE)

_MISSING = object()

#: relational operators written as words, as Jayway has them
_WORD_OPERATORS = ("in", "nin", "subsetof", "anyof", "noneof", "size", "empty")

Predicate = Callable[[JSON, JSON], bool]  # predicate(node, root)


def _compile_filter(expr: str, text: str) -> Predicate:
    tokens: list[tuple[str, str]] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _FILTER_TOKEN.match(expr, pos)
        kind = m.lastgroup if m else None
        if not m or kind is None or m.end() == pos:
            raise PathSyntaxError(f"Invalid JSONPath {text!r}: cannot parse filter near {expr[pos:]!r}")
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    parser = _FilterParser(tokens, text)
    pred = parser.parse_or()
    if parser.i != len(tokens):
        raise PathSyntaxError(f"Invalid JSONPath {text!r}: unexpected {tokens[parser.i][1]!r} in filter")
    return lambda node, root: bool(pred(node, root))


class _FilterParser:
    def __init__(self, tokens: list, text: str) -> None:
        self.tokens, self.i, self.text = tokens, 0, text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: filter ends too early")
        self.i += 1
        return tok

    def parse_or(self) -> Callable:
        left = self.parse_and()
        while self.peek() == ("op", "||"):
            self.i += 1
            right = self.parse_and()
            left = (lambda a, b: lambda n, r: a(n, r) or b(n, r))(left, right)
        return left

    def parse_and(self) -> Callable:
        left = self.parse_not()
        while self.peek() == ("op", "&&"):
            self.i += 1
            right = self.parse_not()
            left = (lambda a, b: lambda n, r: a(n, r) and b(n, r))(left, right)
        return left

    def parse_not(self) -> Callable:
        if self.peek() == ("op", "!"):
            self.i += 1
            inner = self.parse_not()
            return lambda n, r: not inner(n, r)
        if self.peek() == ("op", "("):
            self.i += 1
            inner = self.parse_or()
            if self.take() != ("op", ")"):
                raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: missing ')' in filter")
            return inner
        return self.parse_comparison()

    def parse_comparison(self) -> Callable:
        left = self.parse_operand()
        tok = self.peek()
        if tok and (tok[0] == "op" and tok[1] in ("==", "!=", "<", "<=", ">", ">=", "=~")
                    or tok[0] == "word" and tok[1] in _WORD_OPERATORS):
            self.i += 1
            op = tok[1]
            right = self.parse_operand()
            return _comparison(op, left, right)
        return lambda n, r: left(n, r) is not _MISSING

    def parse_operand(self) -> Callable:
        kind, value = self.take()
        if kind == "path":
            return _operand_path(value, self.text)
        if kind == "regex":
            body, _, flags = value[1:].rpartition("/")
            try:
                rx = re.compile(body, re.IGNORECASE if "i" in flags else 0)
            except re.error as e:
                raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: bad regular expression /{body}/: {e}") from None
            return lambda n, r: rx
        if kind in ("str", "num", "array") or kind == "word" and value in ("true", "false", "null"):
            const = self._literal(kind, value)
            return lambda n, r: const
        raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: unexpected {value!r} in filter")

    def _literal(self, kind: str, value: str) -> JSON:
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "num":
            return float(value) if any(c in value for c in ".eE") else int(value)
        if kind == "word":
            return {"true": True, "false": False, "null": None}[value]
        inner = value[1:-1].strip()
        if not inner:
            return []
        items = []
        for part in _split_union(inner, self.text):
            m = _FILTER_TOKEN.fullmatch(part)
            if not m or m.lastgroup not in ("str", "num", "word") or m.lastgroup == "word" and part not in (
                    "true", "false", "null"):
                raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: bad array item {part!r} in filter")
            items.append(self._literal(m.lastgroup, m.group(m.lastgroup)))
        return items


def _operand_path(value: str, text: str) -> Callable:
    """``@...`` reads the node being tested, ``$...`` the document the path is evaluated on."""
    on_root = value.startswith("$")
    segments, definite = _parse_segments(value, 1)
    if not definite:
        many = _indefinite_getter(segments)
        return (lambda n, r: many(r)) if on_root else (lambda n, r: many(n))
    keys = tuple(s[1] for s in segments)

    def follow(v: JSON) -> JSON:
        for k in keys:
            if isinstance(k, str):
                if type(v) is not dict or k not in v:
                    return _MISSING
            elif type(v) is not list or not -len(v) <= k < len(v):
                return _MISSING
            v = v[k]
        return v
    return (lambda n, r: follow(r)) if on_root else (lambda n, r: follow(n))


def _is_number(a: JSON) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool)


def _json_equal(a: JSON, b: JSON) -> bool:
    """JSON equality: numbers by value (1 == 1.0), but true is not 1."""
    if _is_number(a) and _is_number(b):
        return a == b
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_json_equal(v, b[k]) for k, v in a.items())
    return a == b


def _contains(items: list, value: JSON) -> bool:
    return any(_json_equal(value, x) for x in items)


def _comparison(op: str, left: Callable, right: Callable) -> Callable:
    def equal(n: JSON, root: JSON) -> bool:
        l, r = left(n, root), right(n, root)
        return l is not _MISSING and r is not _MISSING and _json_equal(l, r)

    if op == "==":
        return equal
    if op == "!=":
        return lambda n, root: not equal(n, root)
    if op == "=~":
        def matches(n: JSON, root: JSON) -> bool:
            l, r = left(n, root), right(n, root)
            return isinstance(l, str) and isinstance(r, re.Pattern) and r.fullmatch(l) is not None
        return matches
    if op in ("in", "nin"):
        def member(n: JSON, root: JSON) -> bool:
            l, r = left(n, root), right(n, root)
            return l is not _MISSING and type(r) is list and _contains(r, l)
        return member if op == "in" else (lambda n, root: not member(n, root))
    if op in ("subsetof", "anyof", "noneof"):
        def sets(n: JSON, root: JSON) -> bool:
            l, r = left(n, root), right(n, root)
            if type(l) is not list or type(r) is not list:
                return False
            if op == "subsetof":
                return all(_contains(r, x) for x in l)
            found = any(_contains(r, x) for x in l)
            return found if op == "anyof" else not found
        return sets
    if op == "size":
        def size(n: JSON, root: JSON) -> bool:
            l, r = left(n, root), right(n, root)
            return type(l) in (str, list) and _is_number(r) and len(l) == r
        return size
    if op == "empty":
        def empty(n: JSON, root: JSON) -> bool:
            l, r = left(n, root), right(n, root)
            return type(l) in (str, list) and type(r) is bool and (len(l) == 0) == r
        return empty
    fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def ordered(n: JSON, root: JSON) -> bool:
        l, r = left(n, root), right(n, root)
        if _is_number(l) and _is_number(r) or type(l) is str and type(r) is str:
            return fn(l, r)
        return False
    return ordered


# ---------------------------------------------------------------------------- setting

def set_path(data: JSON, keys: tuple, value: JSON) -> JSON:
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

    def __init__(self, context: JSON = None, variables: dict | None = None) -> None:
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
