"""Timestamps as Step Functions reads and writes them.

AWS docs (Wait state, Choice state): "Timestamps must conform to the RFC3339 profile of
ISO 8601, with the further restrictions that an uppercase T must separate the date and time
portions, and an uppercase Z must denote that a numeric time zone offset is not present, for
example, 2016-08-18T17:33:00Z."

So the accepted form is ``YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)``: the offset is
required, ``t``/``z`` and a space separator are refused, and the date and time must exist
(no month 13, no hour 25, no 31 February, no leap second 60). A fraction may have any number
of digits; digits beyond microseconds are dropped. Parsing is one precompiled regex plus one
C-level constructor, because the Choice operators and the Wait state call it on the
execution's hot path (about 1 µs).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# The profile's shape; ``datetime.fromisoformat`` (Python 3.11+) then builds the value in C,
# refusing dates that do not exist (31 February, year 0000) and truncating the fraction to
# microseconds. Hours, minutes and seconds are bounded here because ``fromisoformat`` is
# more lenient than RFC 3339 in some Python versions (``24:00``).
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
_match = _TIMESTAMP.fullmatch
_from_iso = datetime.fromisoformat


def parse_timestamp(text: str) -> datetime | None:
    """Parse an RFC 3339 date-time the way Step Functions accepts it.

    Returns an aware :class:`datetime`, or ``None`` when ``text`` is not such a timestamp
    (not a string, missing offset, lowercase ``t``/``z``, month 13, hour 25, ...).
    """
    if type(text) is not str or _match(text) is None:
        return None
    try:
        return _from_iso(text)
    except ValueError:  # month 13, day 32, 29 February 2023, year 0000 ...
        return None


def format_timestamp(dt: datetime) -> str:
    """``dt`` in UTC with milliseconds and ``Z``, e.g. ``2024-01-02T03:04:05.678Z``.

    A naive ``datetime`` is taken to be UTC already; microseconds are truncated.
    """
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
            f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z")
