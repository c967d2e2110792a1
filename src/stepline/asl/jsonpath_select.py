"""What a compiled JSONPath selects, and Jayway's words when a definite path selects nothing.

:mod:`stepline.asl.jsonpath` parses a path into segments, then builds its getter here, once;
per transition only the getter runs:

- a *definite* path (names and indexes) follows its keys to one value, or raises
  :class:`PathNotFound` with the message Jayway (and so AWS) gives for the first step that
  fails, naming what it found by its Java class and printing it as Java does;
- several names in the last brackets of an otherwise definite path (``$.a['x','y']``) select
  one object made of those of them the value has;
- an *indefinite* path (wildcard, slice, union, filter, deep scan) is a chain of steps, each
  appending what it selects from every node the step before selected: the answer is the list,
  possibly empty.

A segment is the tuple the parser makes: ``("key", name)``, ``("index", i)``, ``("wild",)``,
``("slice", start, stop, step)``, ``("union", segments)``, ``("scan", segment)``,
``("filter", predicate)`` or ``("merge", names)``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

JSON = Any
Key = str | int  # a step of a definite path: a name or an index
Keys = tuple[Key, ...]
Segment = tuple[Any, ...]  # one of the tuples the docstring lists, its first member naming its kind


class PathNotFound(LookupError):
    """A definite path selected nothing; the message reads like AWS's (Jayway's)."""


# ---------------------------------------------------------------------------- definite paths

def normalized(keys: Keys, root_text: str = "$") -> str:
    """Jayway's normalised form: ``$['a'][0]``."""
    return root_text + "".join(f"[{k}]" if isinstance(k, int) else f"['{k}']" for k in keys)


def definite_getter(keys: Keys, root_text: str) -> Callable[[JSON], JSON]:
    """The value at ``keys``, or :class:`PathNotFound`; one or two names get a getter of their own."""
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
        k0, k1 = keys[0], keys[1]

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


def _walk(data: JSON, keys: Keys, root_text: str, tail: str) -> JSON:
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


def merge_getter(keys: Keys, names: tuple[str, ...], root_text: str) -> Callable[[JSON], JSON]:
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


def _missing(data: JSON, keys: Keys, root_text: str, tail: str = "") -> JSON:
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

Step = Callable[[JSON, list[JSON], JSON], None]  # step(node, out, root): append what the segment selects


def indefinite_getter(segments: list[Segment]) -> Callable[[JSON], JSON]:
    """The list of all that ``segments`` select, each step applied to what the one before selected."""
    steps = [_step(s) for s in segments]

    def get(data: JSON) -> JSON:
        nodes = [data]
        for step in steps:
            out: list[JSON] = []
            for node in nodes:
                step(node, out, data)
            nodes = out
        return nodes
    return get


def _step(seg: Segment) -> Step:
    kind = seg[0]
    if kind == "key":
        name = seg[1]

        def key(node: JSON, out: list[JSON], root: JSON) -> None:
            if type(node) is dict and name in node:
                out.append(node[name])
        return key
    if kind == "merge":
        names = seg[1]

        def merge(node: JSON, out: list[JSON], root: JSON) -> None:
            if type(node) is dict:
                out.append({n: node[n] for n in names if n in node})
        return merge
    if kind == "index":
        i = seg[1]

        def index(node: JSON, out: list[JSON], root: JSON) -> None:
            if type(node) is list and -len(node) <= i < len(node):
                out.append(node[i])
        return index
    if kind == "wild":
        def wild(node: JSON, out: list[JSON], root: JSON) -> None:
            if type(node) is dict:
                out.extend(node.values())
            elif type(node) is list:
                out.extend(node)
        return wild
    if kind == "slice":
        sl = slice(seg[1], seg[2], seg[3])

        def slice_(node: JSON, out: list[JSON], root: JSON) -> None:
            if type(node) is list:
                out.extend(node[sl])
        return slice_
    if kind == "union":
        parts = [_step(s) for s in seg[1]]

        def union(node: JSON, out: list[JSON], root: JSON) -> None:
            for p in parts:
                p(node, out, root)
        return union
    if kind == "filter":
        pred = seg[1]

        def filter_(node: JSON, out: list[JSON], root: JSON) -> None:
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

            def visit_filter(node: JSON, out: list[JSON], root: JSON) -> None:
                # Jayway's deep scan tests every object (and array) it walks, the root included
                if type(node) is dict:
                    if pred(node, root):
                        out.append(node)
                elif pred(node, root):
                    out.extend(x for x in node if pred(x, root))
            visit = visit_filter

        def scan(node: JSON, out: list[JSON], root: JSON) -> None:
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
