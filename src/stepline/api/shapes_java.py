"""Java's ways, as AWS's messages show them: how values are written, how patterns match.

AWS's services run on Java, and their validation messages show it: a value is echoed as
Java's ``toString`` writes it (:func:`java_text`: ``[a, b]``, ``{k=v}``, ``true``), a number
as ``Double.toString`` does (:func:`java_double`: ``100.0``, ``1.0E-5``). A model's
``pattern`` trait is a Java regular expression matched against the whole value;
:func:`java_pattern` makes it a Python one (POSIX classes such as ``\\p{Alnum}``, Unicode
categories such as ``\\p{L}``, and linear-time equivalents of the patterns Python's
backtracking would take exponential time to reject).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
import warnings
from decimal import Decimal
from functools import cache
from typing import Any

__all__ = ["java_text", "java_double", "java_pattern", "UNCHECKED_PATTERNS"]


# -- values --------------------------------------------------------------------------------

def java_text(value: Any) -> str:
    """A value as Java's ``toString`` writes it: ``[a, b]``, ``{k=v}``, ``true``, ``1.0E-5``."""
    try:
        return _java(value)
    except RecursionError:  # pragma: no cover - a value nested deeper than Python can print
        return "..."


def _java(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return java_double(value)
    if kind is list:
        return "[" + ", ".join(map(_java, value)) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{name}={_java(entry)}" for name, entry in value.items()) + "}"
    return "null" if value is None else str(value)


def java_double(number: float) -> str:
    """Java's ``Double.toString``: ``100.0``, ``0.001``, ``1.0E7``, ``1.5E-5``."""
    number = float(number)
    if not math.isfinite(number):
        return "NaN" if number != number else "Infinity" if number > 0 else "-Infinity"
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(number)  # Python writes these in plain notation too
    sign, digits, exponent = Decimal(repr(number)).as_tuple()
    power = len(digits) + int(exponent) - 1
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


# -- regular expressions -----------------------------------------------------------------

#: Model patterns that Python's backtracking engine (like Java's) takes exponential time to
#: reject, each with an equivalent that runs in linear time. ``[ \t]*X+([ \t]+X+)*[ \t]*``
#: where X already holds the space is "tabs and X characters, at least one X".
_LINEAR = {
    r"^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$":
        r"\t*+[\x20-\x7E][\t\x20-\x7E]*+",
    r"^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$":
        r"\t*+[^\x00-\x1F:\x7F][^\x00-\x08\x0A-\x1F:\x7F]*+",
}

#: Java's POSIX classes (ASCII only, as in Java by default)
_POSIX = {
    "ASCII": r"\x00-\x7F", "Alpha": "a-zA-Z", "Digit": "0-9", "Alnum": "a-zA-Z0-9",
    "Upper": "A-Z", "Lower": "a-z", "XDigit": "0-9a-fA-F", "Space": r" \t\n\x0B\f\r",
    "Punct": r"!-/:-@\[-`{-~", "Graph": r"!-~", "Print": r" -~", "Blank": r" \t", "Cntrl": r"\x00-\x1F\x7F",
}

#: Patterns that could not be made into Python ones; their members go unchecked for pattern.
UNCHECKED_PATTERNS: set[str] = set()


def java_pattern(java: str) -> re.Pattern[str] | None:
    """A model pattern (Java syntax), matched against the whole value as Java's
    ``matches()`` does. None (and the pattern recorded in UNCHECKED_PATTERNS) when Python
    cannot express it."""
    try:
        python = _LINEAR.get(java) or _translate(java)
        with warnings.catch_warnings():  # "possible nested set" in Java classes like [!#$%&'*+-.^_`|~]
            warnings.simplefilter("ignore")
            return re.compile(python, re.ASCII)  # Java's \d, \w, \s and \b are ASCII-only too
    except (re.error, ValueError):
        UNCHECKED_PATTERNS.add(java)
        return None


def _translate(java: str) -> str:
    out: list[str] = []
    in_class = False
    i, size = 0, len(java)
    while i < size:
        char = java[i]
        if char == "\\" and i + 1 < size:
            escaped = java[i + 1]
            if escaped in "pP" and java.startswith("{", i + 2):
                end = java.index("}", i)
                ranges = _property(java[i + 3:end])
                if in_class and escaped == "P":
                    raise ValueError(f"negated property inside a class: {java}")
                out.append(ranges if in_class else f"[{'^' if escaped == 'P' else ''}{ranges}]")
                i = end + 1
                continue
            out.append("\\Z" if escaped == "z" else java[i:i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def _property(name: str) -> str:
    if name.startswith("Is") and len(name) <= 4:
        name = name[2:]
    if name in _POSIX:
        return _POSIX[name]
    if 1 <= len(name) <= 2 and name[0] in "LMNPSZC":
        return _category_ranges(name)
    raise ValueError(f"unsupported property \\p{{{name}}}")


@cache
def _category_ranges(prefix: str) -> str:
    """A character-class body for the Unicode general category ``prefix`` (``L``, ``Nd``)."""
    ranges: list[str] = []
    for first, last, category in _category_runs():
        if category.startswith(prefix):
            ranges.append(f"\\U{first:08x}" if first == last else f"\\U{first:08x}-\\U{last:08x}")
    return "".join(ranges)


@cache
def _category_runs() -> list[tuple[int, int, str]]:
    """Every code point's general category, as runs ``(first, last, category)``: one pass
    (about 0.2 s), made the first time a pattern uses ``\\p{L}`` and the like."""
    runs = []
    first = 0
    for category, group in itertools.groupby(map(unicodedata.category, map(chr, range(0x110000)))):
        size = sum(1 for _ in group)
        runs.append((first, first + size - 1, category))
        first += size
    return runs
