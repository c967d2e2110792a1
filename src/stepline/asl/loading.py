"""Reading a definition as JSON: text or Python values in, plain dicts and lists out.

Problems found here are about the JSON, not the ASL: text that does not parse
(``INVALID_JSON_DESCRIPTION``), an empty definition (``MISSING_DESCRIPTION``), a key given
twice (``DUPLICATE_STATE_NAME`` inside a ``States`` object), Python values JSON cannot hold.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from . import errors
from .diagnostics import DUPLICATE_STATE_NAME, ERROR, INVALID_JSON_DESCRIPTION, MISSING_DESCRIPTION, Diagnostic, at
from .values import JSON, NotJson, parse_json


def load_definition(definition: JSON | str | bytes) -> JSON:
    """Accept a dict or JSON text; raise DefinitionError for input that is not JSON."""
    data, found = load(definition)
    if any(d.severity == ERROR for d in found):
        raise errors.DefinitionError(found)
    return data


def load(definition: Any) -> tuple[JSON, list[Diagnostic]]:
    """The definition as JSON values, and what is wrong with it as JSON (not as ASL)."""
    if isinstance(definition, (bytes, bytearray)):
        try:
            definition = bytes(definition).decode("utf-8")
        except UnicodeDecodeError as e:
            return None, [Diagnostic(ERROR, INVALID_JSON_DESCRIPTION, f"The definition is not valid UTF-8: {e}")]
    if isinstance(definition, str):
        if not definition.strip():
            return None, [Diagnostic(ERROR, MISSING_DESCRIPTION, "The definition is empty")]
        duplicates: list[tuple[dict[str, JSON], str]] = []
        try:
            data = parse_json(definition, object_pairs_hook=_recording(duplicates))
        except NotJson as e:
            return None, [Diagnostic(ERROR, INVALID_JSON_DESCRIPTION, f"The definition is not valid JSON: {e}")]
        if data is None:
            return None, [Diagnostic(ERROR, MISSING_DESCRIPTION, "The definition is null")]
        return data, _duplicate_diagnostics(data, duplicates)
    if definition is None:
        return None, [Diagnostic(ERROR, MISSING_DESCRIPTION, "The definition is null")]
    problem, plain = _not_json(definition)
    if problem:
        return None, [problem]
    # the compiled templates test ``type(x) is dict``: an OrderedDict would pass for a literal
    return (definition if plain else json.loads(json.dumps(definition))), []


def _recording(duplicates: list[tuple[dict[str, JSON], str]]) -> Callable[[list[tuple[str, Any]]], dict[str, JSON]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        for key, value in pairs:
            if key in out:
                duplicates.append((out, key))
            out[key] = value
        return out
    return hook


def _duplicate_diagnostics(data: JSON, duplicates: list[tuple[dict[str, JSON], str]]) -> list[Diagnostic]:
    """A repeated key: ``DUPLICATE_STATE_NAME`` in a ``States`` object, else a JSON problem."""
    if not duplicates:
        return []
    wanted = {id(obj) for obj, _ in duplicates}
    where: dict[int, str] = {}
    stack: list[tuple[JSON, str]] = [(data, "")]
    while stack:
        node, loc = stack.pop()
        if isinstance(node, dict):
            if id(node) in wanted:
                where[id(node)] = loc
            stack.extend((v, at(loc, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, at(loc, i)) for i, v in enumerate(node))
    out = []
    for obj, key in duplicates:
        parent = where.get(id(obj))
        if parent is not None and parent.endswith("/States"):
            out.append(Diagnostic(ERROR, DUPLICATE_STATE_NAME, f"Duplicate State name: {key}", at(parent, key)))
        else:
            out.append(Diagnostic(ERROR, INVALID_JSON_DESCRIPTION, f"Duplicate field '{key}' in a JSON object",
                                  None if parent is None else at(parent, key)))
    return out


def _not_json(data: Any) -> tuple[Diagnostic | None, bool]:
    """For a definition given as Python values: the first one JSON cannot hold, and whether
    every container is a plain dict or list."""
    stack: list[tuple[Any, str | None]] = [(data, "")]
    inside: set[int] = set()  # the containers on the way to the current node (a cycle comes back to one)
    plain = True
    while stack:
        node, loc = stack.pop()
        if loc is None:  # done with this container
            inside.discard(id(node))
            continue
        problem = None
        if isinstance(node, (dict, list)):
            if id(node) in inside:
                problem = "a value contains itself"
            else:
                inside.add(id(node))
                stack.append((node, None))
                plain = plain and type(node) in (dict, list)
                if isinstance(node, list):
                    stack.extend((v, at(loc, i)) for i, v in enumerate(node))
                for k, v in node.items() if isinstance(node, dict) else ():
                    if not isinstance(k, str):
                        problem = f"the key {k!r} is not a string"
                        break
                    if not k.isascii() and _lone_surrogate(k):
                        problem = f"the key {k!r} holds a lone surrogate"
                        break
                    stack.append((v, at(loc, k)))
        elif isinstance(node, float) and not math.isfinite(node):
            problem = f"{node} is not a number"
        elif isinstance(node, str) and not node.isascii() and _lone_surrogate(node):
            problem = f"the string {node!r} holds a lone surrogate"
        elif node is not None and not isinstance(node, (str, int, float)):
            problem = f"a {type(node).__name__} is not a JSON value"
        if problem:
            message = f"The definition is not JSON: {problem}"
            return Diagnostic(ERROR, INVALID_JSON_DESCRIPTION, message, loc or "/"), plain
    return None, plain


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
