"""Request validation, driven by botocore's own service models.

AWS's JSON services (Coral) read a request body in two steps, and so does
:func:`validate_input`:

1. *Deserialisation.* The body must be a JSON object whose members have the JSON types of
   the operation's input shape. The first mismatch fails the whole request with a
   ``SerializationException`` whose message names the JSON token and the Java type, never
   the member (``STRING_VALUE can not be converted to an Integer``, ``Expected list or
   null``, ``Start of list found where not expected``). A ``null`` member is the same as an
   absent one (and so is a ``null`` list item or map value); members the shape does not
   know are ignored; a fractional number where an integer is expected is truncated.
2. *Validation* of the model's constraints (required, length, value range, pattern, enum).
   Every failure is collected into one ``ValidationException``::

       2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint:
       Member must ...; Value null at 'stateMachineArn' failed to satisfy constraint:
       Member must not be null

   Members are addressed by their lowerCamel names, joined with dots; list items as
   ``tags.1.member.key`` (1-based). A list or map of plain values is reported once, its
   value shown whole, with every rule of its items: ``Member must satisfy constraint:
   [...]``, ``Map keys must satisfy constraint: [...]``. Sensitive members (botocore's
   ``sensitive`` trait, e.g. ``input``, ``definition``) are never echoed: ``Value at
   'input' failed to satisfy constraint: ...``.

The checks of each operation are compiled once into plain closures, on first use
(:mod:`.shapes_checks`; Java's wording of values and patterns is :mod:`.shapes_java`).
Responses are checked against the same models by :func:`stepline.testing.check_output`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationNotFoundError, ServiceModel

from .errors import ApiError
from .shapes_checks import SERIALIZATION, UNEXPECTED_LIST, Check, compile_check

__all__ = ["SERIALIZATION", "VALIDATION", "service_model", "operations", "validate_input"]

VALIDATION = "ValidationException"


@cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service`` ("stepfunctions", "events"), loaded once."""
    return _session().get_service_model(service)


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def operations(service: str) -> list[str]:
    """The operation names of ``service``, e.g. ``["CreateActivity", ...]``."""
    return list(service_model(service).operation_names)


def validate_input(service: str, operation: str, params: object) -> dict:
    """Check a parsed JSON request body as AWS does and return it as the operation's params.

    Raises :class:`ApiError` (``SerializationException``, ``ValidationException``, or
    ``UnknownOperationException``) and nothing else. The body is normalised in place (see
    the module's docstring); the caller owns it, freshly parsed.
    """
    check = _input_check(service, operation)
    if type(params) is not dict:
        # a body that is JSON but not an object: AWS says no more than this
        raise ApiError(SERIALIZATION, UNEXPECTED_LIST if type(params) is list else "")
    errors: list[str] = []
    check(params, "", errors)
    if errors:
        count = len(errors)
        raise ApiError(VALIDATION, f"{count} validation error{'s' if count > 1 else ''} detected: "
                       + "; ".join(errors))
    return params


@cache
def _input_check(service: str, operation: str) -> Check:
    model = service_model(service)
    try:
        shape = model.operation_model(operation).input_shape
    except OperationNotFoundError:
        raise ApiError("UnknownOperationException") from None
    if shape is None:
        return _accept
    return compile_check(service, shape)


def _accept(value: Any, path: str, errors: list[str]) -> Any:
    return value
