"""Templates compiled once into builders: JSONPath payload templates and JSONata fields.

*Payload templates* (``Parameters``, ``ItemSelector``, ``ResultSelector``, JSONPath ``Assign``):
a key ending in ``.$`` takes its value from a path (``$``, ``$$``, ``$var``) or an intrinsic
call; every other value is a literal, shared rather than copied. The result is a builder
``build(data, scope) -> JSON``.

*JSONata templates* (``Arguments``, ``Output``, JSONata ``Assign`` and every single-value
field): any string ``{% expr %}`` anywhere inside is an expression; the rest is literal. The
builder is ``build(bindings, now) -> JSON`` and fails with ``States.QueryEvaluationError``
and AWS's message for an undefined result, a thrown error or an unsupported result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import errors
from .diagnostics import UNSUPPORTED_JSONATA_EXPRESSION, Diagnostics
from .intrinsics import IntrinsicSyntaxError, compile_intrinsic, is_intrinsic
from .jsonata import UNDEFINED, Expression, JsonataEvaluationError, JsonataSyntaxError, UnsupportedResult, is_expression
from .jsonpath import PathNotFound, PathSyntaxError, compile_getter, compile_reference
from .jsonpath_select import Keys
from .values import JSON, dumps

Builder = Callable[[JSON, Any], JSON]
JsonataBuilder = Callable[[dict[str, JSON], Any], JSON]
#: one member of a template object: (name, dynamic?, its builder or its constant value, the
#: names of a plain input path ``$.a.b`` it reads, when it is one)
_Member = tuple[str, bool, Any, Keys | None]


def constant(value: JSON) -> Builder:
    return lambda data, scope: value


# ---------------------------------------------------------------------------- JSONPath payload templates

def compile_payload(template: JSON, location: str, diags: Diagnostics) -> Builder:
    """Compile a payload template found at ``location`` (its pointer, for diagnostics)."""
    if not _has_dynamic(template):
        return constant(template)
    return _compile_node(template, location, diags)


def _has_dynamic(node: JSON) -> bool:
    if type(node) is dict:
        return any(k.endswith(".$") or _has_dynamic(v) for k, v in node.items())
    if type(node) is list:
        return any(_has_dynamic(v) for v in node)
    return False


def compile_value_expression(text: JSON, field: str, location: str, diags: Diagnostics) -> Builder | None:
    """Compile the value of a ``key.$`` field: a path or an intrinsic function call."""
    if not isinstance(text, str):
        diags.error(location, f"The value for the field '{field}' must be a STRING that contains a JSONPath "
                              "or an intrinsic function")
        return None
    if is_intrinsic(text):
        try:
            fn = compile_intrinsic(text)
        except IntrinsicSyntaxError as e:
            diags.error(location, f"The value for the field '{field}' must be a valid intrinsic function: {e}")
            return None
        return _guard_path(fn, text, field)
    try:
        getter = compile_getter(text)
    except PathSyntaxError as e:
        diags.error(location, f"The value for the field '{field}' must be a valid JSONPath: {e}")
        return None
    return _guard_path(getter, text, field)


def _guard_path(fn: Builder, text: str, field: str) -> Builder:
    def get(data: JSON, scope: Any) -> JSON:
        try:
            return fn(data, scope)
        except PathNotFound:
            raise errors.StatesError(
                errors.RUNTIME,
                f"The JSONPath '{text}' specified for the field '{field}' could not be found in the input "
                f"'{dumps(data)}'") from None
    return get


def _compile_node(node: JSON, location: str, diags: Diagnostics) -> Builder:
    if type(node) is dict:
        items: list[_Member] = []
        for key, value in node.items():
            loc = f"{location}/{key}"
            if key.endswith(".$"):
                fn = compile_value_expression(value, key, loc, diags)
                items.append((key[:-2], True, fn or constant(None), _plain_input_keys(value)))
            elif _has_dynamic(value):
                items.append((key, True, _compile_node(value, loc, diags), None))
            else:
                items.append((key, False, value, None))
        seen: set[str] = set()
        for key, _, _, _ in items:
            if key in seen:
                diags.error(location, f"The field '{key}' is given twice (once with '.$')")
            seen.add(key)
        return _dict_builder(tuple(items))
    if type(node) is list:
        parts = [(_has_dynamic(v), _compile_node(v, f"{location}[{i}]", diags) if _has_dynamic(v) else v)
                 for i, v in enumerate(node)]
        return lambda data, scope: [p(data, scope) if dyn else p for dyn, p in parts]
    return constant(node)


def _plain_input_keys(text: JSON) -> Keys | None:
    """For ``$`` or ``$.a.b`` (names only, from the input): the names; else None."""
    if not isinstance(text, str) or is_intrinsic(text):
        return None
    try:
        ref = compile_reference(text)
    except PathSyntaxError:
        return None
    keys = ref.path.keys
    if ref.root != "input" or keys is None or not all(isinstance(k, str) for k in keys):
        return None
    return keys


def _dict_builder(items: tuple[_Member, ...]) -> Builder:
    """A builder for one template object, generated as Python source so that a path like
    ``$.a.b`` costs two subscripts. Any lookup that fails falls back to the general builder,
    which raises AWS's error for the missing path."""
    def slow(data: JSON, scope: Any) -> JSON:
        return {k: (v(data, scope) if dynamic else v) for k, dynamic, v, _ in items}

    names: dict[str, Any] = {"_slow": slow}
    fields = []
    for i, (key, dynamic, value, keys) in enumerate(items):
        if not dynamic:
            names[f"_c{i}"] = value
            expr = f"_c{i}"
        elif keys is not None:
            expr = "data" + "".join(f"[{k!r}]" for k in keys)
        else:
            names[f"_f{i}"] = value
            expr = f"_f{i}(data, scope)"
        fields.append(f"{key!r}: {expr}")
    source = ("def build(data, scope):\n"
              "    try:\n"
              f"        return {{{', '.join(fields)}}}\n"
              "    except (KeyError, TypeError, IndexError):\n"
              "        return _slow(data, scope)\n")
    exec(compile(source, "<stepline template>", "exec"), names)
    build: Builder = names["build"]
    return build


# ---------------------------------------------------------------------------- JSONata templates

def compile_jsonata(template: JSON, field: str, diags: Diagnostics, at: str) -> JsonataBuilder:
    """Compile a JSONata-mode field. ``field`` is AWS's name for it in messages (``Output``,
    nested: ``Output/result``); ``at`` is its pointer in the definition, for diagnostics."""
    if not _has_expression(template):
        return lambda bindings, now: template
    return _compile_jsonata_node(template, field, diags, at)


def _has_expression(node: JSON) -> bool:
    if type(node) is dict:
        return any(_has_expression(v) for v in node.values())
    if type(node) is list:
        return any(_has_expression(v) for v in node)
    return is_expression(node)


def _compile_jsonata_node(node: JSON, field: str, diags: Diagnostics, at: str) -> JsonataBuilder:
    if not _has_expression(node):  # a literal part: shared, not rebuilt on every call
        return lambda bindings, now: node
    if is_expression(node):
        expr = compile_expression(node, diags, at)
        if expr is None:
            return lambda bindings, now: None
        return lambda bindings, now: evaluate(expr, bindings, now, field)
    if type(node) is dict:
        parts = tuple((k, _compile_jsonata_node(v, f"{field}/{k}", diags, f"{at}/{k}")) for k, v in node.items())
        return lambda bindings, now: {k: fn(bindings, now) for k, fn in parts}
    if type(node) is list:
        items = tuple(_compile_jsonata_node(v, field, diags, f"{at}/{i}") for i, v in enumerate(node))
        return lambda bindings, now: [fn(bindings, now) for fn in items]
    return lambda bindings, now: node


def compile_expression(text: str, diags: Diagnostics, at: str) -> Expression | None:
    """The expression compiled, or None with a diagnostic at ``at`` for what AWS refuses."""
    try:
        expr = Expression(text)
    except JsonataSyntaxError as e:
        # as AWS refuses it: the parser's message alone (measured on AWS, floci-io/floci#2745:
        # "INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/Main/Output")
        diags.error(at, str(e))
        return None
    for name in expr.top_level_names():
        diags.error(at, f"Reference to '{name}' at the top level is not supported.", UNSUPPORTED_JSONATA_EXPRESSION)
    if "errorOutput" in expr.states_fields() and not _CATCHER_FIELD.search(at):
        # $states.errorOutput is a catcher's alone (AWS docs); elsewhere AWS refuses the definition:
        # "UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.errorOutput' does not exist."
        diags.error(at, "Field '$states.errorOutput' does not exist.", UNSUPPORTED_JSONATA_EXPRESSION)
    return expr


#: where a catcher's Output and Assign are: the fields that can read $states.errorOutput
_CATCHER_FIELD = re.compile(r"/Catch\[\d+\]/(Output|Assign)(/|$)")


def evaluate(expr: Expression, bindings: dict[str, JSON], now: Any, location: str) -> JSON:
    """Evaluate and insist on a JSON result, with AWS's messages when there is none."""
    try:
        result = expr.evaluate(bindings, now)
    except JsonataEvaluationError as e:
        raise errors.QueryEvaluationError(
            f"The JSONata expression '{expr.text}' specified for the field '{location}' threw an error "
            f"during evaluation. {e}", location=location) from None
    except UnsupportedResult:
        raise errors.QueryEvaluationError(
            f"The JSONata expression '{expr.text}' specified for the field '{location}' returned an "
            "unsupported result type.", location=location) from None
    if result is UNDEFINED:
        raise errors.QueryEvaluationError(
            f"The JSONata expression '{expr.text}' specified for the field '{location}' returned nothing "
            "(undefined).", location=location)
    return result


def unexpected_type(expr_text: str, location: str, expected: str, value: JSON) -> errors.QueryEvaluationError:
    from .values import type_name
    return errors.QueryEvaluationError(
        f"The JSONata expression '{expr_text}' specified for the field '{location}' returned an unexpected "
        f"result type. Expected '{expected}', but was '{type_name(value)}' for value: {dumps(value)}",
        location=location)
