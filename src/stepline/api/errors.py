"""The error an API call answers with: the service's error, in AWS's JSON shape
(``{"__type": code, "message": message}`` with an HTTP status). One class for both layers,
so the wire and the service cannot disagree on it."""

from __future__ import annotations

from ..service.errors import ServiceError as ApiError

__all__ = ["ApiError"]
