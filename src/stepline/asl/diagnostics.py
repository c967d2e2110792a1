"""Validation diagnostics, shaped like AWS's ``ValidateStateMachineDefinition`` output.

Codes are AWS's (botocore's documentation of ``ValidateStateMachineDefinitionDiagnostic``):
most structural problems are ``SCHEMA_VALIDATION_FAILED``; the rest have codes of their own.
``location`` is a JSON-pointer-like path into the definition, e.g. ``/States/Check/Next``.
"""

from __future__ import annotations

from dataclasses import dataclass

INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
MISSING_DESCRIPTION = "MISSING_DESCRIPTION"
SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
INVALID_RESOURCE = "INVALID_RESOURCE"
MISSING_END_STATE = "MISSING_END_STATE"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_STATE_NAME = "INVALID_STATE_NAME"
DUPLICATE_LABEL_NAME = "DUPLICATE_LABEL_NAME"
INVALID_LABEL_NAME = "INVALID_LABEL_NAME"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
TOO_DEEPLY_NESTED = "TOO_DEEPLY_NESTED"
#: not in AWS's list, but what AWS reports for states nothing can reach
UNREACHABLE_STATE = "UNREACHABLE_STATE"

NO_DOLLAR = "NO_DOLLAR"
NO_PATH = "NO_PATH"
PASS_RESULT_IS_STATIC = "PASS_RESULT_IS_STATIC"

ERROR = "ERROR"
WARNING = "WARNING"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str
    code: str
    message: str
    location: str | None = None

    def to_json(self) -> dict:
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            out["location"] = self.location
        return out


class Diagnostics:
    """Collects diagnostics while a definition is parsed."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, location: str | None, message: str, code: str = SCHEMA_VALIDATION_FAILED) -> None:
        self.items.append(Diagnostic(ERROR, code, message, location))

    def warning(self, location: str | None, message: str, code: str) -> None:
        self.items.append(Diagnostic(WARNING, code, message, location))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == ERROR]

    def __bool__(self) -> bool:
        return bool(self.errors)


def pointer(*parts: object) -> str:
    """``pointer("States", "A", "Next")`` -> ``/States/A/Next`` (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
