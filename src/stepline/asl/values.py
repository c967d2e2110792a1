"""JSON values as stepline holds them: plain ``dict``/``list``/``str``/``int``/``float``/
``bool``/``None``, never mutated once made (share structure, copy only what you change).
"""

from __future__ import annotations

import json
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


def loads(text: str) -> JSON:
    return json.loads(text)


_scan = c_make_scanner(json.JSONDecoder()) if c_make_scanner is not None else None


def copy_via_json(value: JSON) -> tuple[JSON, int]:
    """Round-trip a value through JSON text, as it would travel over the wire: a private
    copy made only of JSON types (tuples become lists), and its size. Raises TypeError or
    ValueError for what JSON cannot hold."""
    text = _compact(value)
    size = len(text) if text.isascii() else _utf8_size(text)
    if _scan is not None:
        return _scan(text, 0)[0], size
    return json.loads(text), size  # pragma: no cover


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
