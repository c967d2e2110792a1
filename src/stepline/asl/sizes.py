"""Upper bounds on the size of a state's output, worked out when the definition is loaded.

AWS fails an execution whose state output exceeds 256 KiB (``States.DataLimitExceeded``).
Serialising every output to measure it would cost more than the rest of a Pass state, so the
interpreter tracks an upper bound instead: a JSON value's compact serialisation contains that
of every value inside it, so an output built from the input by paths and literal templates is
at most ``a + b * S + c * R`` bytes, where ``S`` bounds the state's input, ``R`` its result
(a Task's, Map's or Parallel's), and ``a, b, c`` come from the definition. Only when that
bound passes the limit is the output measured exactly. A :class:`Growth` of ``None`` means
"no bound known" (JSONata, context or variable references, intrinsics that can grow data):
the output is then measured every time.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .model import DISCARD
from .values import JSON, size_in_bytes


class Growth(NamedTuple):
    a: int      # constant bytes
    b: int = 0  # times the state's input size
    c: int = 0  # times the state's result size


def template(value: JSON) -> Growth | None:
    """Bound of a JSONPath payload template's result, in terms of the input size ``S`` (as b)."""
    refs = [0]

    def skeleton(node: JSON) -> JSON:
        if type(node) is dict:
            out = {}
            for k, v in node.items():
                if k.endswith(".$"):
                    bound = _reference(v)
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


#: intrinsics whose result has a small fixed bound (bytes of its JSON), whatever the input
_BOUNDED_INTRINSICS = {"MathAdd": 12, "MathRandom": 12, "UUID": 38, "ArrayLength": 11, "ArrayContains": 5,
                       "Hash": 130}
_INTRINSIC = re.compile(r"\s*States\.(\w+)\s*\(")


def _reference(text: JSON) -> tuple[int, int] | None:
    """(constant bytes, multiples of S) bounding what ``text`` (a ``.$`` value) yields."""
    if not isinstance(text, str):
        return None
    m = _INTRINSIC.match(text)
    if m:
        fixed = _BOUNDED_INTRINSICS.get(m.group(1))
        return (fixed, 0) if fixed is not None else None
    if text.startswith("$") and not text.startswith("$$") and (len(text) == 1 or text[1] in ".["):
        return (0, 1)  # a part of the input (an indefinite path yields at most the input, in a list)
    if text.startswith("$$.Map.Item.Value"):
        return (0, 1)  # inside a Map's ItemSelector the item is a part of the Map's input
    if text == "$$.Map.Item.Index":
        return (11, 0)
    return None  # the rest of the context object, or a variable: not bounded by the input


def result_path(keys: Any) -> tuple[int, int, int]:
    """(a, b, c): ResultPath merges a result (R) into the input (S)."""
    if keys is DISCARD:
        return (0, 1, 0)
    if keys == ():
        return (0, 0, 1)
    # every key may add '"key":{' + '},' around the result
    return (sum(len(str(k)) + 6 for k in keys) + 2, 1, 1)


def io_path(getter: Any) -> int:
    """Extra bytes an InputPath/OutputPath can add: none (a part), or '{}' when it is null."""
    return 2 if getter is DISCARD else 0


def pass_state(has_result: bool, result: JSON, parameters: JSON | None, has_parameters: bool, result_keys: Any,
               input_path: Any, output_path: Any) -> Growth | None:
    """Output bound of a JSONPath Pass state, in terms of its input size."""
    effective_a = io_path(input_path)
    if has_parameters:
        t = template(parameters)
        if t is None:
            return None
        r_a, r_b = t.a + t.b * effective_a, t.b
    elif has_result:
        r_a, r_b = size_in_bytes(result), 0
    else:
        r_a, r_b = effective_a, 1
    a, b, c = result_path(result_keys)
    out_a, out_b = a + c * r_a, b + c * r_b
    return Growth(max(out_a, io_path(output_path)), out_b)


def passthrough(input_path: Any, output_path: Any) -> Growth:
    """Choice, Wait, Succeed: the output is (part of) the input."""
    return Growth(max(io_path(input_path), io_path(output_path)), 1)


def with_result(result_selector: JSON | None, result_keys: Any, output_path: Any) -> Growth | None:
    """Task, Map, Parallel: the output from the state input (S) and the result (R)."""
    if result_selector is not None:
        t = template(result_selector)
        if t is None:
            return None
        sel_a, sel_c = t.a, t.b  # the selector's "$" is the result
    else:
        sel_a, sel_c = 0, 1
    a, b, c = result_path(result_keys)
    return Growth(max(a + c * sel_a, io_path(output_path)), b, c * sel_c)
