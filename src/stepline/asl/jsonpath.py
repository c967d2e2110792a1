"""JSONPath as Step Functions evaluates it (Jayway semantics), compiled once into getters.

A path is parsed when the definition is loaded and becomes a :class:`Path` whose ``get``
is a small closure: ``$.a.b[0]`` is three subscripts, not a parser call. Paths made only of
names and indexes are *definite*: they select one value or fail with :class:`PathNotFound`.
Paths with a wildcard, slice, union, filter or deep scan are *indefinite*: they return the
list of everything they match, possibly empty (as AWS does for ``$.items[*]`` on ``{}``).

Three roots exist: ``$`` (the state's input), ``$$`` (the context object) and, since
variables, ``$name`` (a workflow variable). ``compile_reference`` parses any of them.

Reference paths (``ResultPath``) also get a setter that copies only the dicts along the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
# | ("union", items) | ("scan", segment) | ("filter", predicate)

def _compile(text: str, pos: int, root_text: str) -> Path:
    segments, definite = _parse_segments(text, pos)
    if definite:
        keys = tuple(s[1] for s in segments)
        return Path(text, True, _definite_getter(keys, root_text), keys)
    return Path(text, False, _indefinite_getter(segments))


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


def _identity(data: JSON) -> JSON:
    return data


def _missing(data: JSON, keys: tuple, root_text: str) -> JSON:
    """Walk again to build the AWS/Jayway message for the first missing step."""
    value = data
    for i, k in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(k, str):
            if type(value) is dict and k in value:
                value = value[k]
                continue
            if type(value) is not dict and value is not None and not last:
                raise PathNotFound(
                    f"Expected to find an object with property {normalized(keys[i:i + 1], '')} in path "
                    f"{normalized(keys[:i], root_text)} but found '{_java_type(value)}'. This is not a json "
                    "object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.")
        else:
            if type(value) is list and -len(value) <= k < len(value):
                value = value[k]
                continue
            if type(value) is list:
                raise PathNotFound(f"Index out of bounds when evaluating path {normalized(keys[:i + 1], root_text)}")
            if value is not None and not last:
                raise PathNotFound(
                    f"Filter: [{k}] can only be applied to arrays. Current context is: {value}")
        if last:
            raise PathNotFound(f"No results for path: {normalized(keys, root_text)}")
        raise PathNotFound(f"Missing property in path {normalized(keys[:i + 1], root_text)}")
    return value  # pragma: no cover - only called when a step is missing


def _java_type(value: JSON) -> str:
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "net.minidev.json.JSONArray"
    return "java.lang.Object"


# ---------------------------------------------------------------------------- indefinite paths

def _indefinite_getter(segments: list) -> Callable[[JSON], JSON]:
    steps = [_step(s) for s in segments]

    def get(data: JSON) -> JSON:
        nodes = [data]
        for step in steps:
            out: list = []
            for node in nodes:
                step(node, out)
            nodes = out
        return nodes
    return get


def _step(seg: tuple) -> Callable[[JSON, list], None]:
    kind = seg[0]
    if kind == "key":
        name = seg[1]

        def key(node: JSON, out: list) -> None:
            if type(node) is dict and name in node:
                out.append(node[name])
        return key
    if kind == "index":
        i = seg[1]

        def index(node: JSON, out: list) -> None:
            if type(node) is list and -len(node) <= i < len(node):
                out.append(node[i])
        return index
    if kind == "wild":
        def wild(node: JSON, out: list) -> None:
            if type(node) is dict:
                out.extend(node.values())
            elif type(node) is list:
                out.extend(node)
        return wild
    if kind == "slice":
        sl = slice(seg[1], seg[2], seg[3])

        def slice_(node: JSON, out: list) -> None:
            if type(node) is list:
                out.extend(node[sl])
        return slice_
    if kind == "union":
        parts = [_step(s) for s in seg[1]]

        def union(node: JSON, out: list) -> None:
            for p in parts:
                p(node, out)
        return union
    if kind == "filter":
        pred = seg[1]

        def filter_(node: JSON, out: list) -> None:
            if type(node) is list:
                out.extend(x for x in node if pred(x))
            elif type(node) is dict:
                out.extend(x for x in node.values() if pred(x))
        return filter_
    if kind == "scan":
        inner = _step(seg[1])

        def scan(node: JSON, out: list) -> None:
            stack = [node]
            while stack:
                cur = stack.pop()
                inner(cur, out)
                if type(cur) is dict:
                    stack.extend(reversed([v for v in cur.values() if type(v) in (dict, list)]))
                elif type(cur) is list:
                    stack.extend(reversed([v for v in cur if type(v) in (dict, list)]))
        return scan
    raise AssertionError(kind)  # pragma: no cover


# ---------------------------------------------------------------------------- filters

_FILTER_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>==|!=|<=|>=|=~|<|>|&&|\|\||!|\(|\))
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<word>true|false|null|in|nin)\b
    | (?P<path>[@$](?:\.[^\s.\[\]()=<>!&|]+|\[[^\]]*\])*)
    )""", re.VERBOSE)

_MISSING = object()


def _compile_filter(expr: str, text: str) -> Callable[[JSON], bool]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _FILTER_TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise PathSyntaxError(f"Invalid JSONPath {text!r}: cannot parse filter near {expr[pos:]!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    parser = _FilterParser(tokens, text)
    pred = parser.parse_or()
    if parser.i != len(tokens):
        raise PathSyntaxError(f"Invalid JSONPath {text!r}: unexpected {tokens[parser.i][1]!r} in filter")
    return lambda node: bool(pred(node))


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
            left = (lambda a, b: lambda n: a(n) or b(n))(left, right)
        return left

    def parse_and(self) -> Callable:
        left = self.parse_not()
        while self.peek() == ("op", "&&"):
            self.i += 1
            right = self.parse_not()
            left = (lambda a, b: lambda n: a(n) and b(n))(left, right)
        return left

    def parse_not(self) -> Callable:
        if self.peek() == ("op", "!"):
            self.i += 1
            inner = self.parse_not()
            return lambda n: not inner(n)
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
                    or tok[0] == "word" and tok[1] in ("in", "nin")):
            self.i += 1
            op = tok[1]
            right = self.parse_operand()
            return _comparison(op, left, right)
        return lambda n: left(n) is not _MISSING

    def parse_operand(self) -> Callable:
        kind, value = self.take()
        if kind == "path":
            return _operand_path(value, self.text)
        if kind == "str":
            s = re.sub(r"\\(.)", r"\1", value[1:-1])
            return lambda n: s
        if kind == "num":
            num = float(value) if any(c in value for c in ".eE") else int(value)
            return lambda n: num
        if kind == "regex":
            body, _, flags = value[1:].rpartition("/")
            rx = re.compile(body, re.IGNORECASE if "i" in flags else 0)
            return lambda n: rx
        if kind == "word" and value in ("true", "false", "null"):
            const = {"true": True, "false": False, "null": None}[value]
            return lambda n: const
        if kind == "op" and value == "(":
            raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: unexpected '(' in filter")
        raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: unexpected {value!r} in filter")


def _operand_path(value: str, text: str) -> Callable:
    if value.startswith("@"):
        segments, definite = _parse_segments(value, 1)
        if not definite:
            get = _indefinite_getter(segments)
            return get
        keys = tuple(s[1] for s in segments)

        def current(node: JSON) -> JSON:
            v = node
            for k in keys:
                if isinstance(k, str):
                    if type(v) is not dict or k not in v:
                        return _MISSING
                else:
                    if type(v) is not list or not -len(v) <= k < len(v):
                        return _MISSING
                v = v[k]
            return v
        return current
    raise PathSyntaxError(f"Invalid JSONPath {text!r}: only '@' paths are supported inside filters")


def _comparable(a: JSON, b: JSON) -> bool:
    na = isinstance(a, (int, float)) and not isinstance(a, bool)
    nb = isinstance(b, (int, float)) and not isinstance(b, bool)
    return (na and nb) or (type(a) is type(b) and a is not _MISSING)


def _comparison(op: str, left: Callable, right: Callable) -> Callable:
    def equal(n: JSON) -> bool:
        l, r = left(n), right(n)
        if l is _MISSING or r is _MISSING:
            return False
        if l is None or r is None:
            return l is r
        return _comparable(l, r) and l == r

    if op == "==":
        return equal
    if op == "!=":
        return lambda n: not equal(n)
    if op == "=~":
        return lambda n: isinstance(l := left(n), str) and isinstance(r := right(n), re.Pattern) and r.fullmatch(l) is not None
    if op in ("in", "nin"):
        def member(n: JSON) -> bool:
            l, r = left(n), right(n)
            return l is not _MISSING and isinstance(r, list) and l in r
        return member if op == "in" else (lambda n: not member(n))
    import operator
    fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def ordered(n: JSON) -> bool:
        l, r = left(n), right(n)
        if l is None or r is None or isinstance(l, (bool, dict, list)) or isinstance(r, (bool, dict, list)):
            return False
        return _comparable(l, r) and fn(l, r)
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
    """Compile ``$...``, ``$$...`` or ``$var...`` into ``get(data, scope) -> value``."""
    ref = compile_reference(text)
    get = ref.path.get
    if ref.root == "input":
        if ref.path.keys == ():
            return lambda data, scope: data
        return lambda data, scope: get(data)
    if ref.root == "context":
        return lambda data, scope: get(scope.context)
    name = ref.variable
    return lambda data, scope: get(scope.variable(name))
