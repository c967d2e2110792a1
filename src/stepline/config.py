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
    value = os.environ.get("STEPLINE_REGION", "").strip()
    return value if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", value) else DEFAULT_REGION


def account() -> str:
    value = os.environ.get("STEPLINE_ACCOUNT", "").strip()
    return value if re.fullmatch(r"\d{12}", value) else DEFAULT_ACCOUNT
