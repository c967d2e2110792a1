"""JSONata expressions (``{% ... %}``) as Step Functions evaluates them, on jsonata-python.

An expression is compiled once when the definition is loaded. At run time it is evaluated
with ``$states`` (``input``, ``result``, ``errorOutput``, ``context``) and the workflow
variables bound, plus the functions Step Functions adds to JSONata: ``$partition``,
``$range``, ``$hash``, ``$random``, ``$uuid`` and ``$parse``. ``$eval`` is not there: a
definition that calls it is accepted, and the call fails when it runs (``T1006: Attempted to
invoke a non-function``), as measured on AWS (floci-io/floci#2737).

jsonata-python represents *undefined* as ``None`` and JSON ``null`` as a sentinel, so values
are converted on the way in (``None`` -> sentinel) and on the way out; an undefined result is
reported to the caller as :data:`UNDEFINED`.

Where jsonata-python answers otherwise than jsonata-js (and so AWS), :mod:`.jsonata_js` mends
it: arithmetic, ``&``, and the builtins that write or read numbers. This module is the adapter:
it compiles with that evaluator, binds the values, adds Step Functions' functions, and words the
errors as AWS reports them.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import json
import math
import random as _random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from jsonata import jexception as _jexception
from jsonata.functions import Functions as _JFunctions
from jsonata.utils import Utils as _Utils

from .java_random import JavaRandom
from .jsonata_js import JS_FUNCTIONS, JsonataJs, js_number, js_quote
from .values import NotJson, parse_json

JSON = Any

UNDEFINED: Any = type("Undefined", (), {"__repr__": lambda self: "UNDEFINED"})()
_NULL = _Utils.NULL_VALUE
_JList = _Utils.JList

_EXPRESSION = re.compile(r"\A\{%(.*)%\}\Z", re.DOTALL)

#: the clock that ``$now()`` and ``$millis()`` read: the interpreter's, not the wall clock
_current_time: contextvars.ContextVar[float | None] = contextvars.ContextVar("stepline_jsonata_now", default=None)


class JsonataSyntaxError(ValueError):
    """The text inside ``{% %}`` is not a valid JSONata expression."""


class JsonataEvaluationError(Exception):
    """Evaluation threw; ``str(self)`` is ``"<code>: <message>"`` as AWS reports it."""


class UnsupportedResult(Exception):
    """The expression returned a function or another value JSON cannot hold."""


# ---------------------------------------------------------------------------- error messages

_PLACEHOLDER = re.compile(r"\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}")
#: jsonata-python's catalog (from jsonata-java's) says "Object" for jsonata-js's "function" in its
#: templates ("Argument {{index}} of Object {{token}} does not match Object signature")
_OBJECT_FOR_FUNCTION = re.compile(r"\bObject\b")


def message_of(e: Any) -> str:
    """A JSONata error's message as jsonata-js words it, and so AWS (``T0410: Argument 1 of
    function "abs" does not match function signature``, measured on AWS, floci-io/floci#2736):
    "function" where jsonata-python's catalog says "Object", and a ``{{value}}`` written as JSON
    (a string in quotes), a ``{{{value}}}`` as it is. The arguments fill the placeholders in
    order, as jsonata-python fills them."""
    template = _jexception.JException.error_codes.get(getattr(e, "error", None))
    if template is None:
        return str(e)
    args = [e.current, e.expected] + ([e.extra] if e.extra is not None else [])
    if e.error == "T0412" and len(args) == 3:  # the array's type by name, as jsonata-js gives it
        args[2] = _ARRAY_OF.get(args[2], args[2])
    if template == "{{{message}}}":
        return str(args[0]) if args[0] is not None else str(e)
    values = iter(args)

    def fill(m: re.Match[str]) -> str:
        value = next(values, None)
        if m.group(1) is not None:  # {{{raw}}}
            return "undefined" if value is None else str(value)
        return _js_stringify(value)
    return _PLACEHOLDER.sub(fill, _OBJECT_FOR_FUNCTION.sub("function", template))


#: what T0412 says an array must hold, by signature symbol (jsonata-js's names)
_ARRAY_OF = {"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}


def _js_stringify(value: Any) -> str:
    """``JSON.stringify`` as the message templates use it."""
    if value is None:
        return "undefined"
    if value is _NULL:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return js_number(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return js_quote(value)
    if isinstance(value, int):
        return str(value)
    try:
        return json.dumps(from_jsonata(value), ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(value)


# ---------------------------------------------------------------------------- expressions

def is_expression(value: JSON) -> bool:
    return type(value) is str and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def expression_text(value: str) -> str:
    """The expression inside ``{% %}``, stripped: what AWS quotes in its error messages."""
    m = _EXPRESSION.match(value)
    return (m.group(1) if m else value).strip()


class Expression:
    """A compiled JSONata expression."""

    __slots__ = ("text", "_expr")

    def __init__(self, source: str) -> None:
        self.text = expression_text(source) if is_expression(source) else source.strip()
        if not self.text:
            raise JsonataSyntaxError("The JSONata expression is empty")
        try:
            expr = JsonataJs(self.text)
        except _jexception.JException as e:
            raise JsonataSyntaxError(message_of(e)) from None
        except Exception as e:  # jsonata-python raises plain errors for some syntax
            raise JsonataSyntaxError(str(e)) from None
        expr.set_output_convert_nulls(False)  # keep null (sentinel) apart from undefined (None)
        for name, fn in _FUNCTIONS.items():
            expr.register_lambda(name, fn)
        for name, builtin in JS_FUNCTIONS.items():
            expr.register_function(name, builtin)
        expr.assign("eval", None)  # not available on AWS: undefined, however it is reached
        self._expr = expr

    def top_level_names(self) -> list[str]:
        """The names the expression reads from its context item at the top level (``phone``
        in ``phone.number`` or ``phone & "x"``): Step Functions gives an expression no context
        item (the input is ``$states.input``), and refuses such a definition (measured on AWS,
        floci-io/floci#2670). Inside a path's later steps, predicates and function bodies a
        name reads something else, and is not looked at."""
        names: list[str] = []
        _top_level_names(getattr(self._expr, "ast", None), names)
        return list(dict.fromkeys(names))

    def states_fields(self) -> set[str]:
        """The fields of ``$states`` the expression reads (``errorOutput`` in
        ``$states.errorOutput.Cause``), anywhere in it."""
        fields: set[str] = set()
        for node in _nodes(getattr(self._expr, "ast", None)):
            steps = getattr(node, "steps", None) if getattr(node, "type", None) == "path" else None
            if steps and len(steps) > 1 and steps[0].type == "variable" and steps[0].value == "states" \
                    and steps[1].type == "name":
                fields.add(steps[1].value)
        return fields

    def evaluate(self, bindings: dict[str, JSON], now: float | None = None) -> JSON:
        """Evaluate with ``bindings`` (``{"states": {...}, "var": value, ...}``).

        Returns the JSON result or :data:`UNDEFINED`; raises :class:`JsonataEvaluationError`
        or :class:`UnsupportedResult`."""
        converted = {k: to_jsonata(v) for k, v in bindings.items()}
        token = _current_time.set(now)
        try:
            result = self._expr.evaluate(None, converted)
        except _jexception.JException as e:
            raise JsonataEvaluationError(f"{getattr(e, 'error', None) or 'D0000'}: {message_of(e)}") from None
        except _FunctionError as e:
            raise JsonataEvaluationError(str(e)) from None
        except RecursionError:
            raise JsonataEvaluationError("U1001: Stack overflow error") from None
        except Exception as e:  # jsonata-python sometimes leaks plain Python errors
            raise JsonataEvaluationError(f"D0000: {e}") from None
        finally:
            _current_time.reset(token)
        if result is None:
            return UNDEFINED
        return from_jsonata(result)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def _nodes(root: Any) -> list[Any]:
    """Every node of jsonata-python's AST under ``root`` (children found by their ``type``)."""
    out: list[Any] = []
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not hasattr(node, "type") or not hasattr(node, "__dict__"):
            continue
        out.append(node)
        for key, value in vars(node).items():
            if not key.startswith("_outer") and (hasattr(value, "type") or isinstance(value, (list, tuple))):
                stack.append(value)
    return out


def _top_level_names(node: Any, out: list[str]) -> None:
    """Collect the ``name`` nodes of jsonata-python's AST evaluated against the context item."""
    if node is None:
        return
    kind, walk = getattr(node, "type", None), _top_level_names
    if kind == "name":
        out.append(node.value)
    elif kind == "path":
        if node.steps:  # only the first step reads the context; the others read the step before
            walk(node.steps[0], out)
    elif kind in ("binary", "apply"):
        walk(node.lhs, out)
        walk(node.rhs, out)
    elif kind == "bind":
        walk(node.rhs, out)
    elif kind == "unary":
        if node.value == "-":
            walk(node.expression, out)
        elif node.value == "[":
            for item in node.expressions or ():
                walk(item, out)
        elif node.value == "{":
            for key, value in node.lhs_object or ():
                walk(key, out)
                walk(value, out)
    elif kind in ("function", "partial"):
        for argument in node.arguments or ():
            walk(argument, out)
    elif kind == "condition":
        walk(node.condition, out)
        walk(node.then, out)
        walk(node._else, out)
    elif kind == "block":
        for item in node.expressions or ():
            walk(item, out)


# ---------------------------------------------------------------------------- value conversion

def to_jsonata(value: JSON) -> JSON:
    """JSON null becomes jsonata-python's null sentinel; containers are copied only if needed."""
    if value is None:
        return _NULL
    t = type(value)
    if t is dict:
        new = None
        for k, v in value.items():
            c = to_jsonata(v) if type(v) in (dict, list) or v is None else v
            if c is not v:
                if new is None:
                    new = dict(value)
                new[k] = c
        return value if new is None else new
    if t is list:
        new_list = None
        for i, v in enumerate(value):
            c = to_jsonata(v) if type(v) in (dict, list) or v is None else v
            if c is not v:
                if new_list is None:
                    new_list = list(value)
                new_list[i] = c
        return value if new_list is None else new_list
    return value


def from_jsonata(value: JSON) -> JSON:
    """Back to plain JSON: sentinels to None, jsonata lists to lists; functions refused."""
    if value is _NULL or value is None:
        return None
    t = type(value)
    if t is str or t is bool or t is int:
        return value
    if t is float:
        if not math.isfinite(value):  # as AWS writes it out (Java's JSON writer): "Infinity", "NaN"
            return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, dict):
        return {k: from_jsonata(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [from_jsonata(v) for v in value if v is not None]
    raise UnsupportedResult()


# ---------------------------------------------------------------------------- Step Functions' functions

class _FunctionError(Exception):
    """Raised by the Step Functions functions below; reported as a JSONata evaluation error."""


def _fail(message: str) -> None:
    raise _FunctionError(message)


def _plain(value: JSON) -> JSON:
    return from_jsonata(value) if value is not None else None


def _is_int(value: JSON) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()


def _partition(array: JSON = None, size: JSON = None) -> JSON:
    if not isinstance(array, list):
        _fail("The first argument of $partition must be an array")
    if not _is_int(size) or size <= 0:
        _fail("The second argument of $partition must be a positive integer")
    size = int(size)
    # the items stay as jsonata-python holds them: a null stays the null sentinel, not undefined
    return _JList([_JList(array[i:i + size]) for i in range(0, len(array), size)])


def _range(start: JSON = None, end: JSON = None, step: JSON = None) -> JSON:
    if not (_is_int(start) and _is_int(end) and _is_int(step)):
        _fail("The arguments of $range must be integers")
    start, end, step = int(start), int(end), int(step)
    if step == 0:
        _fail("The step of $range must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    if len(values) > 1000:
        _fail("$range can produce at most 1000 values")
    return _Utils.create_sequence_from_iter(values)  # a sequence: one value comes back unwrapped, as on AWS


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(data: JSON = None, algorithm: JSON = None) -> JSON:
    data = _plain(data)
    if not isinstance(data, str):
        data = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if algorithm not in _HASHES:
        _fail(f"The hash algorithm must be one of {', '.join(_HASHES)}")
    # "surrogatepass": a lone surrogate (JSON may escape one) is hashed, not a crash
    return hashlib.new(_HASHES[algorithm], data.encode("utf-8", "surrogatepass")).hexdigest()


def _random_fn(seed: JSON = None) -> JSON:
    if seed is None:
        return _random.random()
    if not _is_int(seed):
        _fail("The seed of $random must be an integer")
    return JavaRandom(int(seed)).next_double()  # as AWS's: $random(42) is 0.7275636800328681


def _uuid() -> JSON:
    return str(uuid.uuid4())


def _parse(text: JSON = None) -> JSON:
    if not isinstance(text, str):
        _fail("The argument of $parse must be a string")
    try:
        return to_jsonata(parse_json(text))
    except NotJson:
        _fail("The argument of $parse is not valid JSON")


def _millis() -> JSON:
    t = _current_time.get()
    return int((t if t is not None else datetime.now(UTC).timestamp()) * 1000)


def _now(picture: JSON = None, timezone_: JSON = None) -> JSON:
    """``$now([picture [, timezone]])`` at the interpreter's clock, formatted as JSONata does."""
    picture = None if picture is _NULL else picture
    timezone_ = None if timezone_ is _NULL else timezone_
    return _JFunctions.datetime_from_millis(_millis(), picture, timezone_)


def _with_arity(name: str, fn: Any) -> Any:
    """``fn`` refusing more arguments than it takes as a JSONata signature does (``$uuid(1)``:
    ``T0410: Argument 1 of function "uuid" does not match function signature``), rather than
    with Python's TypeError."""
    most = len(inspect.signature(fn).parameters)

    def call(*args: Any) -> Any:
        if len(args) > most:
            raise _jexception.JException("T0410", -1, most + 1, name)
        return fn(*args)
    return call


_FUNCTIONS = {name: _with_arity(name, fn) for name, fn in {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random_fn,
    "uuid": _uuid,
    "parse": _parse,
    "now": _now,
    "millis": _millis,
}.items()}
