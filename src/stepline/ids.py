"""Identifiers: random UUIDs (execution names, request ids) and task tokens.

``uuid.uuid4()`` builds a UUID object first; these format the random bytes directly, which
matters when thousands of executions start per second.
"""

from __future__ import annotations

import base64
import os


def new_uuid() -> str:
    """A random (version 4) UUID in its canonical text form."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_token() -> str:
    """An unguessable task token: 256 random bits, URL-safe text."""
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
