"""Pagination: ``maxResults`` and opaque ``nextToken`` values, as the API uses them."""

from __future__ import annotations

import base64
import json
from typing import Any

from ..asl.values import parse_json
from .errors import ServiceError

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def page_size(params: dict, default: int = DEFAULT_PAGE) -> int:
    """``maxResults``: 0 or absent means the default (as AWS reads it)."""
    n = params.get("maxResults") or 0
    return default if n <= 0 else min(n, MAX_PAGE)


def token(position: Any) -> str:
    """A next-page token: where the next page starts, as opaque text."""
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def position(params: dict) -> Any:
    """Where the page ``nextToken`` asks for starts (None: the first page)."""
    text = params.get("nextToken")
    if text is None:
        return None
    try:
        return parse_json(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, TypeError):
        raise ServiceError("InvalidToken", f"Invalid Token: '{text}'") from None
