"""Settings read from the environment, in one place.

``STEPLINE_REGION`` and ``STEPLINE_ACCOUNT`` set the region and account that ARNs are built
with (defaults ``us-east-1`` and ``123456789012``), so executions can carry the ARNs of the
account a definition was written for.
"""

from __future__ import annotations

import os
import re

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


def region() -> str:
    return _setting("STEPLINE_REGION", _REGION, DEFAULT_REGION)


def account() -> str:
    return _setting("STEPLINE_ACCOUNT", _ACCOUNT, DEFAULT_ACCOUNT)


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ACCOUNT = re.compile(r"\d{12}")
_seen: dict[tuple, str] = {}
_environ: dict = getattr(os.environ, "_data", None) or {}
_raw_lookup = os.name == "posix" and bool(_environ)


def _setting(name: str, pattern: re.Pattern, default: str) -> str:
    """The variable if it is well-formed, else the default. This runs at every execution start:
    on POSIX it reads os.environ's underlying dict (the same data, without encoding the key
    and decoding the value each time) and memoises the check per raw value."""
    raw = _environ.get(name.encode()) if _raw_lookup else os.environ.get(name)
    key = (name, raw)
    value = _seen.get(key)
    if value is None:
        text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
        text = (text or "").strip()
        value = _seen[key] = text if pattern.fullmatch(text) else default
    return value
