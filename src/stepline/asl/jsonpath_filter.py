"""JSONPath's filter language, ``[?(<expression>)]``, compiled once into a predicate.

As Jayway has it, and so Step Functions: ``@`` is the node being tested and ``$`` the
document the path is evaluated on; operands are paths, strings, numbers, ``true``, ``false``,
``null``, arrays of those, and regular expressions (``/.../i``); the operators are ``==``,
``!=``, ``<``, ``<=``, ``>``, ``>=``, ``=~`` and the words ``in``, ``nin``, ``subsetof``,
``anyof``, ``noneof``, ``size`` and ``empty``, joined by ``&&``, ``||``, ``!`` and parentheses.
``[?(@.isbn)]`` keeps the nodes that have an ``isbn``. Values compare as JSON values
(``1 == 1.0``, but ``true`` is not ``1``); an order between values of different types is
false, not an error.

A filter's operands are paths, parsed by :func:`stepline.asl.jsonpath.parse_segments`, and a
path may hold filters: the grammar is recursive. This module imports the parser as it loads;
the parser imports :func:`compile_filter` when it meets a filter, not as it loads, so that
either module can be imported first.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from .jsonpath import PathSyntaxError, parse_segments, split_union
from .jsonpath_select import indefinite_getter

JSON = Any


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
Operand = Callable[[JSON, JSON], Any]  # operand(node, root) -> its value (_MISSING for a path that selects nothing)


def compile_filter(expr: str, text: str) -> Predicate:
    """The predicate of ``expr``, the text inside ``[?( )]`` in the path ``text``."""
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
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.i, self.text = tokens, 0, text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: filter ends too early")
        self.i += 1
        return tok

    def parse_or(self) -> Predicate:
        left = self.parse_and()
        while self.peek() == ("op", "||"):
            self.i += 1
            right = self.parse_and()
            left = (lambda a, b: lambda n, r: a(n, r) or b(n, r))(left, right)
        return left

    def parse_and(self) -> Predicate:
        left = self.parse_not()
        while self.peek() == ("op", "&&"):
            self.i += 1
            right = self.parse_not()
            left = (lambda a, b: lambda n, r: a(n, r) and b(n, r))(left, right)
        return left

    def parse_not(self) -> Predicate:
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

    def parse_comparison(self) -> Predicate:
        left = self.parse_operand()
        tok = self.peek()
        if tok and (tok[0] == "op" and tok[1] in ("==", "!=", "<", "<=", ">", ">=", "=~")
                    or tok[0] == "word" and tok[1] in _WORD_OPERATORS):
            self.i += 1
            op = tok[1]
            right = self.parse_operand()
            return _comparison(op, left, right)
        return lambda n, r: left(n, r) is not _MISSING

    def parse_operand(self) -> Operand:
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
        for part in split_union(inner, self.text):
            m = _FILTER_TOKEN.fullmatch(part)
            if not m or m.lastgroup not in ("str", "num", "word") or m.lastgroup == "word" and part not in (
                    "true", "false", "null"):
                raise PathSyntaxError(f"Invalid JSONPath {self.text!r}: bad array item {part!r} in filter")
            items.append(self._literal(m.lastgroup, m.group(m.lastgroup)))
        return items


def _operand_path(value: str, text: str) -> Operand:
    """``@...`` reads the node being tested, ``$...`` the document the path is evaluated on."""
    on_root = value.startswith("$")
    segments, definite = parse_segments(value, 1)
    if not definite:
        many = indefinite_getter(segments)
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
        return bool(a == b)
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_json_equal(v, b[k]) for k, v in a.items())
    return bool(a == b)


def _contains(items: list[JSON], value: JSON) -> bool:
    return any(_json_equal(value, x) for x in items)


def _comparison(op: str, left: Operand, right: Operand) -> Predicate:
    def equal(n: JSON, root: JSON) -> bool:
        lhs, rhs = left(n, root), right(n, root)
        return lhs is not _MISSING and rhs is not _MISSING and _json_equal(lhs, rhs)

    if op == "==":
        return equal
    if op == "!=":
        return lambda n, root: not equal(n, root)
    if op == "=~":
        def matches(n: JSON, root: JSON) -> bool:
            lhs, rhs = left(n, root), right(n, root)
            return isinstance(lhs, str) and isinstance(rhs, re.Pattern) and rhs.fullmatch(lhs) is not None
        return matches
    if op in ("in", "nin"):
        def member(n: JSON, root: JSON) -> bool:
            lhs, rhs = left(n, root), right(n, root)
            return lhs is not _MISSING and type(rhs) is list and _contains(rhs, lhs)
        return member if op == "in" else (lambda n, root: not member(n, root))
    if op in ("subsetof", "anyof", "noneof"):
        def sets(n: JSON, root: JSON) -> bool:
            lhs, rhs = left(n, root), right(n, root)
            if type(lhs) is not list or type(rhs) is not list:
                return False
            if op == "subsetof":
                return all(_contains(rhs, x) for x in lhs)
            found = any(_contains(rhs, x) for x in lhs)
            return found if op == "anyof" else not found
        return sets
    if op == "size":
        def size(n: JSON, root: JSON) -> bool:
            lhs, rhs = left(n, root), right(n, root)
            return type(lhs) in (str, list) and _is_number(rhs) and len(lhs) == rhs
        return size
    if op == "empty":
        def empty(n: JSON, root: JSON) -> bool:
            lhs, rhs = left(n, root), right(n, root)
            return type(lhs) in (str, list) and type(rhs) is bool and (len(lhs) == 0) == rhs
        return empty
    fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def ordered(n: JSON, root: JSON) -> bool:
        lhs, rhs = left(n, root), right(n, root)
        if _is_number(lhs) and _is_number(rhs) or type(lhs) is str and type(rhs) is str:
            return bool(fn(lhs, rhs))
        return False
    return ordered
