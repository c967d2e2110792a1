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
    return _checked(_getenv("STEPLINE_REGION"), _REGION, DEFAULT_REGION)


def account() -> str:
    return _checked(_getenv("STEPLINE_ACCOUNT"), _ACCOUNT, DEFAULT_ACCOUNT)


_data: dict = getattr(os.environ, "_data", None) or {}
if _data and os.name == "posix":
    # os.environ.get encodes the key and decodes the value on every call; these run at every
    # execution start, so read the underlying dict (the same data) directly.
    def _getenv(name: str) -> str | None:
        raw = _data.get(name.encode())
        return raw.decode("utf-8", "surrogateescape") if raw is not None else None
else:  # pragma: no cover
    def _getenv(name: str) -> str | None:
        return os.environ.get(name)


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ACCOUNT = re.compile(r"\d{12}")
_seen: dict[tuple, str] = {}


def _checked(raw: str | None, pattern: re.Pattern, default: str) -> str:
    """The setting if it is well-formed, else the default (memoised: this is on every start)."""
    key = (raw, pattern)
    value = _seen.get(key)
    if value is None:
        value = _seen[key] = raw.strip() if raw and pattern.fullmatch(raw.strip()) else default
    return value
