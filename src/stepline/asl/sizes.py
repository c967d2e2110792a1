"""Upper bounds on the size of a state's output, worked out when the definition is loaded.

AWS fails an execution whose state output exceeds 256 KiB (``States.DataLimitExceeded``).
Serialising every output to measure it would cost more than the rest of a Pass state, so the
interpreter tracks an upper bound instead: a JSON value's compact serialisation contains that
of every value inside it, so an output built from the input by paths and literal templates is
at most ``a + b * S + c * R`` bytes, where ``S`` bounds the state's input, ``R`` its result
(a Task's, Map's or Parallel's), and ``a, b, c`` come from the definition. Only when that
bound passes the limit is the output measured exactly. ``None`` instead of a :class:`Growth`
means "no bound known" (JSONata, context or variable references, deep scans and unions,
intrinsics that can grow data): the output is then measured every time.

Paths, the facts the bounds rest on:

* a definite path selects one part of what it reads: at most ``S``;
* an indefinite path without deep scan or union selects parts that do not overlap, or the
  value itself (a filter tests an object itself), and lists them: at most ``S + 2`` (``[]``
  when nothing matches, ``[value]`` when the value itself does);
* a deep scan or a union can select a value and parts of it, or the same value twice: no bound.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .intrinsics import is_intrinsic
from .jsonpath import PathSyntaxError, Reference, compile_reference
from .jsonpath_select import Keys
from .model import DISCARD
from .values import JSON, size_in_bytes


class Growth(NamedTuple):
    a: int      # constant bytes
    b: int = 0  # times the state's input size
    c: int = 0  # times the state's result size


#: the bytes an indefinite path can add to what it reads: the brackets of the list
_LIST = 2


def template(value: JSON, *, item_is_input: bool = True) -> Growth | None:
    """Bound of a JSONPath payload template's result, in terms of the size ``S`` of its ``$``
    (as b). With ``item_is_input`` (a Map's ``ItemSelector``), ``$$.Map.Item.Value`` counts as
    a part of ``$``; anywhere else it does not."""
    refs = [0]

    def skeleton(node: JSON) -> JSON:
        if type(node) is dict:
            out = {}
            for k, v in node.items():
                if k.endswith(".$"):
                    bound = _reference(v, item_is_input)
                    if bound is None:
                        raise _Unbounded
                    extra, n = bound
                    refs[0] += n
                    out[k[:-2]] = "x" * extra  # stands for a value of at most `extra` + n*S bytes
                else:
                    out[k] = skeleton(v)
            return out
        if type(node) is list:
            return [skeleton(v) for v in node]
        return node

    try:
        shape = skeleton(value)
    except _Unbounded:
        return None
    return Growth(size_in_bytes(shape), refs[0])


class _Unbounded(Exception):
    pass


#: intrinsics whose result has a small fixed bound (bytes of its JSON), whatever the input:
#: MathAdd sums 32-bit integers (at most 12 digits for two; intrinsics refuse bigger
#: arguments), MathRandom returns a 32-bit integer, a hash is at most 128 hex digits.
_BOUNDED_INTRINSICS = {"MathAdd": 12, "MathRandom": 11, "UUID": 38, "ArrayLength": 11, "ArrayContains": 5,
                       "Hash": 130}


def _reference(text: JSON, item_is_input: bool) -> tuple[int, int] | None:
    """(constant bytes, multiples of S) bounding what ``text`` (a ``.$`` value) yields."""
    if not isinstance(text, str):
        return None
    if is_intrinsic(text):
        name = text[len("States."):text.index("(")].strip()
        fixed = _BOUNDED_INTRINSICS.get(name)
        return (fixed, 0) if fixed is not None else None
    try:
        ref = compile_reference(text)
    except PathSyntaxError:
        return None
    if ref.root == "context" and ref.text.startswith("$$.Map.Item."):
        keys = _context_keys(ref)
        if keys == ("Map", "Item", "Index"):
            return (11, 0)
        if item_is_input and keys is not None and keys[:3] == ("Map", "Item", "Value"):
            return (0, 1)
        return None
    extra = _path_extra(ref)
    return None if extra is None else (extra, 1)


def _context_keys(ref: Reference) -> Keys | None:
    return ref.path.keys if ref.path.definite else None


def _path_extra(ref: Reference) -> int | None:
    """Bytes a path rooted at the input can add to the input's size; None if it can read
    something else (the context object, a variable) or repeat what it selects."""
    if ref.root != "input":
        return None
    if ref.path.definite:
        return 0
    return None if ref.path.repeats else _LIST


def _getter_extra(getter: Any) -> int | None:
    """Like :func:`_path_extra`, for a compiled InputPath/OutputPath (None: the identity)."""
    if getter is None:
        return 0
    ref = getattr(getter, "reference", None)
    return _path_extra(ref) if isinstance(ref, Reference) else None


def result_path(keys: Any) -> tuple[int, int, int]:
    """(a, b, c): ResultPath merges a result (R) into the input (S)."""
    if keys is DISCARD:
        return (0, 1, 0)
    if keys == ():
        return (0, 0, 1)
    # a missing name on the way adds ',"name":{' and '}' around the rest (an index never adds)
    return (sum(size_in_bytes(k) + 4 for k in keys if isinstance(k, str)) + 2, 1, 1)


def _after_output_path(out: Growth, output_path: Any) -> Growth | None:
    if output_path is DISCARD:
        return Growth(2)
    extra = _getter_extra(output_path)
    if extra is None:
        return None
    return Growth(out.a + extra, out.b, out.c)


def effective_input(input_path: Any) -> tuple[int, int] | None:
    """(a, b): the effective input (after InputPath) is at most a + b * S."""
    if input_path is DISCARD:
        return (2, 0)
    extra = _getter_extra(input_path)
    return None if extra is None else (extra, 1)


def pass_state(has_result: bool, result: JSON, parameters: JSON | None, has_parameters: bool, result_keys: Any,
               input_path: Any, output_path: Any) -> Growth | None:
    """Output bound of a JSONPath Pass state, in terms of its input size."""
    effective = effective_input(input_path)
    if effective is None:
        return None
    e_a, e_b = effective
    if has_parameters or has_result:
        # with both, the bound covers either one, whichever the interpreter gives precedence
        r_a, r_b = 0, 0
        if has_parameters:
            t = template(parameters, item_is_input=False)
            if t is None:
                return None
            r_a, r_b = t.a + t.b * e_a, t.b * e_b
        if has_result:
            r_a = max(r_a, size_in_bytes(result))
    else:
        r_a, r_b = e_a, e_b
    a, b, c = result_path(result_keys)
    return _after_output_path(Growth(a + c * r_a, b + c * r_b), output_path)


def passthrough(input_path: Any, output_path: Any) -> Growth | None:
    """Choice, Wait, Succeed: the output is (part of) the input."""
    effective = effective_input(input_path)
    if effective is None:
        return None
    return _after_output_path(Growth(*effective), output_path)


def with_result(result_selector: JSON | None, result_keys: Any, output_path: Any) -> Growth | None:
    """Task, Map, Parallel: the output from the state input (S) and the result (R)."""
    if result_selector is not None:
        t = template(result_selector, item_is_input=False)
        if t is None:
            return None
        sel_a, sel_c = t.a, t.b  # the selector's "$" is the result
    else:
        sel_a, sel_c = 0, 1
    a, b, c = result_path(result_keys)
    return _after_output_path(Growth(a + c * sel_a, b, c * sel_c), output_path)


def applied(effective: tuple[int, int] | None, parameters: JSON | None, *, item_is_input: bool = False
            ) -> Growth | None:
    """Bound of what a template (Parameters, ItemSelector) builds from an input of bound
    ``a + b * S``; without a template, the input itself."""
    if effective is None:
        return None
    e_a, e_b = effective
    if parameters is None:
        return Growth(e_a, e_b)
    t = template(parameters, item_is_input=item_is_input)
    if t is None:
        return None
    return Growth(t.a + t.b * e_a, t.b * e_b)
