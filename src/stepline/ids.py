"""Identifiers: random UUIDs (execution names, request ids) and task tokens.

``uuid.uuid4()`` builds a UUID object first; these format the random bytes directly, which
matters when thousands of executions start per second.
"""

from __future__ import annotations

import base64
import os
import random

_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))  # forked workers must not repeat ids
_V4 = (0x4 << 76) | (0x8 << 60)          # version 4 and the RFC 4122 variant bits
_KEEP = ~((0xF << 76) | (0xC << 60)) & ((1 << 128) - 1)


def new_uuid() -> str:
    """A random (version 4) UUID in its canonical text form: unique, not secret (execution
    names, request ids). Tokens that must not be guessed come from :func:`new_token`."""
    h = f"{(_random.getrandbits(128) & _KEEP) | _V4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_token() -> str:
    """An unguessable task token: 256 random bits, URL-safe text."""
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
