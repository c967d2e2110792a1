"""jsonata-python made to answer as jsonata-js does, and so as AWS does.

Step Functions runs jsonata-js, so JavaScript shows through its answers: in numbers and in the
builtins that lean on them. jsonata-python (a port of jsonata-java) departs from it there, and
each departure measured is mended here:

- arithmetic as JavaScript's (``%`` keeps the dividend's sign, ``1/0`` is an infinity), and
  ``&`` writing its operands as ``$string`` does: :class:`JsonataJs`, the evaluator;
- ``$string`` writing a number as JavaScript does after rounding to 15 digits
  (:func:`js_number`), and ``$number``, ``$power``, ``$toMillis`` and the URL functions
  failing with jsonata-js's codes: :data:`JS_FUNCTIONS`, registered on every expression;
- the signature check reading a null argument as null, and naming the bad argument: patched
  into jsonata-python's ``Signature`` when this module is imported, for every builtin.

:mod:`stepline.asl.jsonata` compiles with :class:`JsonataJs` and registers
:data:`JS_FUNCTIONS`; its error messages write values with :func:`js_number` and
:func:`js_quote`. This module imports nothing from it.
"""

from __future__ import annotations

import decimal
import functools
import json
import math
import re
from typing import Any

import jsonata as _jsonata
from jsonata import jexception as _jexception
from jsonata.functions import Functions as _JFunctions
from jsonata.parser import Parser as _JParser
from jsonata.signature import Signature as _JSignature
from jsonata.utils import Utils as _Utils

_NULL = _Utils.NULL_VALUE
_JList = _Utils.JList


# ---------------------------------------------------------------------------- the signature check

def _symbol(self: Any, value: Any) -> str:
    return "l" if value is _NULL else _symbol_of(self, value)


def _signature_error(self: Any, bad_args: Any, bad_sig: Any, function_name: Any) -> Any:
    good_to = 0
    pattern = ""
    for param in self._params:
        pattern += param.regex
        match = re.match(pattern, bad_sig)
        if match is None:
            break
        good_to = match.end()
    raise _jexception.JException("T0410", -1, good_to + 1, function_name)


# jsonata-python's signature check reads a null argument as a missing one (jsonata-js's
# getSymbol says "l"), so a builtin given null went on and answered undefined or failed in
# Python's words where jsonata-js (and AWS) refuse it with T0410/T0412; and it names the wrong
# argument when one after the first is bad (it matches each prefix of the signature against the
# whole argument list, where jsonata-js matches a prefix). Both mended here, for every builtin.
_symbol_of = _JSignature.get_symbol
_JSignature.get_symbol = _symbol
_JSignature.throw_validation_error = _signature_error


# ---------------------------------------------------------------------------- the evaluator

class JsonataJs(_jsonata.Jsonata):  # type: ignore[misc]  # jsonata-python ships no types: its class is Any
    """jsonata-python where it departs from jsonata-js, and so from AWS (which words its errors
    as jsonata-js does): arithmetic as JavaScript's, and ``&`` writing values as ``$string``."""

    def evaluate_string_concat(self, lhs: Any, rhs: Any) -> str:
        return (_JsFunctions.string(lhs) or "" if lhs is not None else "") + \
            (_JsFunctions.string(rhs) or "" if rhs is not None else "")

    def evaluate_numeric_expression(self, lhs: Any, rhs: Any, op: Any) -> Any:
        """Arithmetic on two numbers as JavaScript does it: ``%`` keeps the fraction and the
        dividend's sign, division by zero gives an infinity (0/0 NaN), and a result too large
        is an infinity, not an error (jsonata-js checks operands only: ``(1/0) + 1`` is D1001).
        AWS writes such a value out as the string "Infinity" (measured: ``[1/0]`` answers
        ``["Infinity"]``, floci-io/floci#2737)."""
        # is_numeric: D1001 for an infinite operand; False for NaN, which jsonata-python's own
        # check then refuses (T2001/T2002), as jsonata-js does
        if type(lhs) not in (int, float) or type(rhs) not in (int, float) \
                or not (_Utils.is_numeric(lhs) and _Utils.is_numeric(rhs)):
            return super().evaluate_numeric_expression(lhs, rhs, op)
        a, b = float(lhs), float(rhs)
        if op == "+":
            result = a + b
        elif op == "-":
            result = a - b
        elif op == "*":
            result = a * b
        elif op == "/":
            if b:
                result = a / b
            else:  # x/0 is an infinity signed by both operands (-0 included), 0/0 NaN
                result = math.nan if a == 0 else math.copysign(math.inf, a) * math.copysign(1, b)
        elif op == "%":
            result = math.fmod(a, b) if b else math.nan  # the sign of the dividend, as in JavaScript
        else:
            return super().evaluate_numeric_expression(lhs, rhs, op)
        return _Utils.convert_number(result) if math.isfinite(result) else result


# ---------------------------------------------------------------------------- builtins

class _JsFunctions:
    """JSONata builtins where jsonata-python departs from jsonata-js (and so from AWS)."""

    #: jsonata-js's $number: a JSON number's text, or 0x/0o/0b digits; anything else is D3030
    _DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?")
    _BASED = re.compile(r"0([xX][0-9A-Fa-f]+|[oO][0-7]+|[bB][01]+)")

    @staticmethod
    def number(arg: Any) -> Any:
        if arg is None:
            return None
        if type(arg) is bool:
            return 1 if arg else 0
        if type(arg) in (int, float):
            return arg
        if type(arg) is str:
            if _JsFunctions._DECIMAL.fullmatch(arg):
                value = float(arg)
                if math.isfinite(value):
                    return _Utils.convert_number(value)
            elif _JsFunctions._BASED.fullmatch(arg):
                return int(arg[2:], {"x": 16, "o": 8, "b": 2}[arg[1].lower()])
        raise _jexception.JException("D3030", -1, arg)

    @staticmethod
    def string(arg: Any, prettify: Any = None) -> Any:
        """jsonata-js's $string (and ``&``): a number as JavaScript writes it after rounding to
        15 significant digits (``1e20`` is ``100000000000000000000``, ``1/3`` is
        ``0.333333333333333``), inside arrays and objects too; D3001 for a top-level non-finite
        number; JSON.stringify's layout."""
        if isinstance(arg, _JList) and arg.outer_wrapper:
            arg = arg[0]
        if arg is None:
            return None
        if type(arg) is str:
            return arg
        if _is_function(arg):
            return ""
        if type(arg) is float and not math.isfinite(arg):
            raise _jexception.JException("D3001", -1, arg)
        return _js_json(arg, "  " if prettify is True else None, "")

    @staticmethod
    def power(base: Any, exponent: Any) -> Any:
        """jsonata-js's $power: D3061 for what is not a finite number (``$power(-8, 1/3)``)."""
        if base is None or exponent is None:
            return None
        try:
            result = math.pow(base, exponent)
        except (ValueError, OverflowError):
            result = math.nan
        if not math.isfinite(result):
            raise _jexception.JException("D3061", -1, base, exponent)
        return _Utils.convert_number(result)

    @staticmethod
    def to_millis(timestamp: Any, picture: Any = None) -> Any:
        try:
            return _JFunctions.datetime_to_millis(timestamp, picture)
        except _jexception.JException:
            raise
        except (ValueError, OverflowError):  # jsonata-js: D3110 for a timestamp that is not ISO 8601
            raise _jexception.JException("D3110", -1, timestamp) from None

    @staticmethod
    def url(name: str, method: str, text: Any) -> Any:
        """jsonata-python's URL function ``method``, failing with jsonata-js's D3140."""
        try:
            return getattr(_JFunctions, method)(text)
        except (UnicodeError, ValueError):  # jsonata-js: D3140, the function and the text
            raise _jexception.JException("D3140", -1, name, text) from None


#: the URL functions, by JSONata name: jsonata-python's method, each wrapped by _JsFunctions.url
_URL_FUNCTIONS = {"encodeUrlComponent": "encode_url_component", "encodeUrl": "encode_url",
                  "decodeUrlComponent": "decode_url_component", "decodeUrl": "decode_url"}
for _name, _method in _URL_FUNCTIONS.items():
    setattr(_JsFunctions, _method, staticmethod(functools.partial(_JsFunctions.url, _name, _method)))


#: the builtins _JsFunctions replaces: name -> (jsonata-js's signature, the method)
_JS_BUILTINS = {
    "number": ("<(nsb)-:n>", "number"),
    "string": ("<x-b?:s>", "string"),
    "power": ("<n-n:n>", "power"),
    "toMillis": ("<s-s?:n>", "to_millis"),
    **{name: ("<s-:s>", method) for name, method in _URL_FUNCTIONS.items()},
}
JS_FUNCTIONS = {name: _jsonata.Jsonata.JNativeFunction(name, signature, _JsFunctions, method)
                for name, (signature, method) in _JS_BUILTINS.items()}


# ---------------------------------------------------------------------------- values as JavaScript writes them

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def js_quote(text: str) -> str:
    """JSON.stringify of a string: non-ASCII as it is, a lone surrogate escaped."""
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _js_json(value: Any, indent: str | None, at: str) -> str:
    """JSON.stringify(value, <15-digit numbers>, indent) of a jsonata-python value."""
    if value is None or value is _NULL:
        return "null"
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return js_number(float(_Decimal(value).normalize(_PRECISION_15))) if math.isfinite(value) else "null"
    if kind is str or _is_function(value):  # a function is written as "" (jsonata-js's replacer)
        return js_quote(value if kind is str else "")
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = at + indent if indent is not None else ""
        parts = [f"{js_quote(str(k))}:{' ' if indent is not None else ''}"
                 f"{_js_json(v, indent, inner)}" for k, v in value.items()]
        return _js_joined("{", parts, "}", indent, at)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = at + indent if indent is not None else ""
        return _js_joined("[", [_js_json(v, indent, inner) for v in value], "]", indent, at)
    return js_quote(str(value))


def _js_joined(open_: str, parts: list[str], close: str, indent: str | None, at: str) -> str:
    if indent is None:
        return open_ + ",".join(parts) + close
    inner = at + indent
    return open_ + "\n" + ",\n".join(inner + p for p in parts) + "\n" + at + close


def _is_function(value: Any) -> bool:
    return isinstance(value, (_jsonata.Jsonata.JFunction, _jsonata.Jsonata.JFunctionCallable, _JSymbol))


_PRECISION_15 = decimal.Context(prec=15, rounding=decimal.ROUND_HALF_UP)  # toPrecision(15)
_Decimal = decimal.Decimal
_JSymbol = _JParser.Symbol


def js_number(x: float) -> str:
    """A finite number as JavaScript's ``Number.prototype.toString`` writes it: the shortest
    digits that read back to it, plain from 1e-6 up to 1e21, else in exponent form (``1e+21``,
    ``1.5e-7``)."""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    t = _Decimal(repr(abs(x))).as_tuple()  # repr: the shortest round-tripping digits
    digits = "".join(map(str, t.digits)).rstrip("0") or "0"
    n = len(t.digits) + int(t.exponent)  # the value is 0.<digits> x 10**n (finite: an int exponent)
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
