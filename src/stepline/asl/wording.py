"""How the parser words its diagnostics, and the value checks it shares (in one place)."""

from __future__ import annotations

import json
import re
from typing import Any

from .model import JSONATA, JSONPATH
from .values import JSON

MAX_INT = 99999999


def other(ql: str) -> str:
    return JSONATA if ql == JSONPATH else JSONPATH


def required(*fields: str) -> str:
    return f"These fields are required: [{', '.join(fields)}]"


def only_one(*fields: str) -> str:
    return f"There should only be one of the following fields: [{', '.join(fields)}]"


def not_supported(field: str) -> str:
    return f"Field '{field}' is not supported"


def wrong_language(ql: str, field: str) -> str:
    return (f"The QueryLanguage is set to '{ql}', but field '{field}' is only supported "
            f"for the '{other(ql)}' QueryLanguage")


def show(value: JSON) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_INT


def nonneg_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_INT


def number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
