"""JSON values as stepline holds them: plain ``dict``/``list``/``str``/``int``/``float``/
``bool``/``None``, never mutated once made (share structure, copy only what you change).
"""

from __future__ import annotations

import json
from typing import Any

JSON = Any

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def dumps(value: JSON) -> str:
    """Compact JSON text, as Step Functions writes values into its history and outputs."""
    return _compact(value)


def loads(text: str) -> JSON:
    return json.loads(text)


def size_in_bytes(value: JSON) -> int:
    """UTF-8 size of the compact JSON text (what the 256 KiB payload quota counts)."""
    text = _compact(value)
    return len(text) if text.isascii() else len(text.encode("utf-8"))


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
