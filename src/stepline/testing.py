"""Helpers for tests of code that uses stepline, ours and yours.

Everything here is public: use it in your own test suite as we use it in ours.

- :func:`check_output` lists what is wrong with a response body of a service botocore
  models (``"stepfunctions"``, ``"events"``), as botocore would read it: members its
  output shape does not have, required members missing, nulls, JSON types that are not the
  shape's. A test that records what a server answers and asserts
  ``check_output(service, operation, body) == []`` catches a response that drifts from the
  model before an SDK does::

      from stepline.testing import check_output

      assert check_output("stepfunctions", "DescribeExecution", body) == []

This module imports botocore (through :mod:`stepline.api.shapes`) only when a check is first made.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import Shape

__all__ = ["check_output"]


def check_output(service: str, operation: str, response: dict) -> list[str]:
    """Every problem with a response body as botocore would read it: members the shape does
    not have, required members missing, nulls (AWS leaves absent members out), and JSON types
    that are not the shape's (timestamps are epoch-second numbers, blobs base64 strings).
    An empty list when the body is right."""
    from .api.shapes import service_model  # here, not above: it brings botocore

    shape = service_model(service).operation_model(operation).output_shape
    problems: list[str] = []
    if shape is None:
        if response:
            problems.append(f"(body): {operation} returns no members, got {sorted(response)}")
        return problems
    _check_out(shape, response, "", problems)
    return problems


def _check_out(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    where = path or "(body)"
    if value is None:
        problems.append(f"{where}: null (AWS leaves an absent member out)")
        return
    kind = shape.type_name
    if kind == "structure":
        if type(value) is not dict:
            problems.append(f"{where}: expected an object, got {_json_type(value)} {_short(value)}")
            return
        members = {member.serialization.get("name", name): member for name, member in shape.members.items()}
        for name in shape.required_members:
            wire = shape.members[name].serialization.get("name", name)
            if wire not in value:
                problems.append(f"{_join(path, wire)}: required member missing")
        for name, item in value.items():
            if name not in members:
                problems.append(f"{_join(path, name)}: not a member of {shape.name}")
            else:
                _check_out(members[name], item, _join(path, name), problems)
    elif kind == "list":
        if type(value) is not list:
            problems.append(f"{where}: expected a list, got {_json_type(value)} {_short(value)}")
            return
        for index, item in enumerate(value):
            _check_out(shape.member, item, f"{path}[{index}]", problems)
    elif kind == "map":
        if type(value) is not dict:
            problems.append(f"{where}: expected an object (map), got {_json_type(value)} {_short(value)}")
            return
        for name, item in value.items():
            _check_out(shape.value, item, f"{path}[{name!r}]", problems)
    else:
        wrong = _scalar_problem(kind, value)
        if wrong:
            problems.append(f"{where}: {wrong}, got {_json_type(value)} {_short(value)}")


def _scalar_problem(kind: str, value: Any) -> str | None:
    got = type(value)
    if kind == "string":
        return None if got is str else "expected a string"
    if kind in ("integer", "long"):
        return None if got is int else "expected an integer"
    if kind in ("float", "double"):
        return None if got in (int, float) and math.isfinite(value) else "expected a number"
    if kind == "boolean":
        return None if got is bool else "expected a boolean"
    if kind == "timestamp":
        return (None if got in (int, float) and math.isfinite(value)
                else "expected a timestamp as epoch seconds (a number)")
    if kind == "blob":
        if got is str:
            try:
                base64.b64decode(value, validate=True)
                return None
            except (binascii.Error, ValueError):
                pass
        return "expected a base64 string"
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
