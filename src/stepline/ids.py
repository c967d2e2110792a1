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


_SECRET_BYTES = 32


def new_token(execution_arn: str = "") -> str:
    """An unguessable task token: 256 random bits and the ARN of the execution it belongs to
    (so a result sent with it finds its execution), as URL-safe text."""
    return base64.urlsafe_b64encode(os.urandom(_SECRET_BYTES) + execution_arn.encode()).rstrip(b"=").decode()


def token_execution(token: str) -> str | None:
    """The execution ARN inside a token from :func:`new_token`; None if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        arn = raw[_SECRET_BYTES:].decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return arn if arn.startswith("arn:") and ":execution:" in arn else None
