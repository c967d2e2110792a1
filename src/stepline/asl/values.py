"""JSON values as stepline holds them: plain ``dict``/``list``/``str``/``int``/``float``/
``bool``/``None``, never mutated once made (share structure, copy only what you change).

Every JSON text and every value that comes from outside (a request, a task's result, a
callback, a mock) enters through :func:`parse_json` or :func:`checked_copy`, which refuse
what stepline could not write back out (:class:`NotJson`): ``NaN`` and ``Infinity`` (Python's
reader takes them, JSON has neither), numbers out of a double's range (``1e400``), lone UTF-16
surrogates (``"\\ud800"``: valid JSON syntax, but no UTF-8 text can hold it), and nesting
deeper than :data:`MAX_DEPTH`. Inside, values are trusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from json.scanner import c_make_scanner  # type: ignore[attr-defined]
from typing import Any

JSON = Any


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


if c_make_encoder is not None:
    # The C encoder made once: no per-call setup and no cycle check (stepline's values are trees).
    _encode = c_make_encoder(None, _not_json, encode_basestring, None, ":", ",", False, False, False)

    def _compact(value: JSON) -> str:
        return "".join(_encode(value, 0))
else:  # pragma: no cover - CPython always has the C encoder
    _compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode  # type: ignore[assignment]


def dumps(value: JSON) -> str:
    """Compact JSON text, as Step Functions writes values into its history and outputs."""
    return _compact(value)


class JsonText(str):
    """JSON text already written, to be sent as it is (a response assembled from stored text)."""

    __slots__ = ()


def loads(text: str) -> JSON:
    """Read JSON text that stepline wrote itself (a stored snapshot, event or output)."""
    return json.loads(text)


_scan = c_make_scanner(json.JSONDecoder()) if c_make_scanner is not None else None


#: how deeply arrays and objects may nest in a value that enters. AWS documents no limit; the
#: JSON reader of its Java runtime (Jackson) refuses more than 1,000 levels by default. stepline
#: takes half that, so that every recursive walk of a value (the C encoder and decoder, JSONPath,
#: JSONata, the snapshot around it) has room under Python's default recursion limit.
MAX_DEPTH = 500


class NotJson(ValueError):
    """Text or a value that stepline does not take as JSON (the message says why)."""


def _constant(word: str) -> JSON:
    raise NotJson(f"{word} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # inf - inf is nan
        raise NotJson(f"the number {text} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_constant)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def parse_json(text: str | bytes, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> JSON:
    """JSON text from outside as a value; raises :class:`NotJson` (a ValueError) for text that
    is not JSON or holds what stepline refuses (see the module's docstring)."""
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise NotJson(f"the text is not UTF-8 ({e.reason} at byte {e.start})") from None
    elif not text.isascii():
        _encodable(text)
    _shallow(text)
    decoder = _DECODER if object_pairs_hook is None else json.JSONDecoder(
        parse_float=_finite, parse_constant=_constant, object_pairs_hook=object_pairs_hook)
    try:
        value = decoder.decode(text)
    except RecursionError:  # (the depth was checked: only a caller deep in its own stack gets here)
        raise NotJson(f"the value is nested too deeply (more than {MAX_DEPTH} levels)") from None
    except NotJson:
        raise
    except ValueError as e:
        raise NotJson(str(e)) from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):  # a pair is a character; a lone half is not
        _encodable(dumps(value))
    return value


def checked_copy(value: JSON) -> tuple[JSON, int]:
    """A value made by code outside stepline's own (a Python function's result, an SDK's
    answer), as :func:`copy_via_json` copies it, refused (:class:`NotJson`) where
    :func:`parse_json` would refuse its text, or when it holds what JSON cannot (a set, a date)."""
    try:
        text = _compact(value)
    except RecursionError:
        raise NotJson(f"the value is nested too deeply (more than {MAX_DEPTH} levels)") from None
    except (TypeError, ValueError) as e:
        raise NotJson(str(e)) from None
    size = len(text) if text.isascii() else len(_encodable(text))
    _shallow(text)
    if _scan is not None:
        return _scan(text, 0)[0], size
    return json.loads(text), size  # pragma: no cover


def _encodable(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NotJson(f"the text holds a lone surrogate (U+{ord(text[e.start]):04X}), which no UTF-8 text "
                      "can hold") from None


def _shallow(text: str) -> None:
    """Refuse JSON text nested deeper than MAX_DEPTH (counted outside strings); cheap when the
    text has fewer brackets than that in all."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    outside = _STRINGS.sub("", text) if '"' in text else text
    deepest = max(accumulate(map(_STEP.__getitem__, _BRACKETS.findall(outside))), default=0)
    if deepest > MAX_DEPTH:
        raise NotJson(f"the value is nested too deeply (more than {MAX_DEPTH} levels)")


def size_in_bytes(value: JSON) -> int:
    """UTF-8 size of the compact JSON text (what the 256 KiB payload quota counts)."""
    text = _compact(value)
    return len(text) if text.isascii() else _utf8_size(text)


def _utf8_size(text: str) -> int:
    # JSON text may escape a lone surrogate ("\ud800"), which strict UTF-8 cannot encode; count
    # it as the three bytes it takes when passed through rather than fail on it
    return len(text.encode("utf-8", "surrogatepass"))


def type_name(value: JSON) -> str:
    """JSON type names as AWS's messages use them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_json(value: JSON, _depth: int = 0) -> bool:
    """Is ``value`` made only of JSON types (and not absurdly deep)?"""
    if _depth > 1000:
        return False
    if value is None or type(value) in (str, bool, int):
        return True
    if type(value) is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is list:
        return all(is_json(v, _depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and is_json(v, _depth + 1) for k, v in value.items())
    return False
