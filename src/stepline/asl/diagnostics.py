"""Validation diagnostics, shaped like AWS's ``ValidateStateMachineDefinition`` output.

Codes are AWS's (botocore's documentation of ``ValidateStateMachineDefinitionDiagnostic``):
most structural problems are ``SCHEMA_VALIDATION_FAILED``; the rest have codes of their own.
``location`` points into the definition the way AWS writes it: field names after ``/``,
array indexes in brackets, e.g. ``/States/Check/Next`` or ``/States/Check/Choices[0]/Next``.
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
#: also what AWS reports for a state nothing can reach (``State "X" is not reachable.``)
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
TOO_DEEPLY_NESTED = "TOO_DEEPLY_NESTED"
#: not in the API reference's list, but what AWS answers for a JSONata expression that does
#: not parse (``INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/A/Output``)
INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"
#: and for one that reads what Step Functions does not offer (``UNSUPPORTED_JSONATA_EXPRESSION:
#: Reference to 'phone' at the top level is not supported. at /States/E/Output/v``)
UNSUPPORTED_JSONATA_EXPRESSION = "UNSUPPORTED_JSONATA_EXPRESSION"

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

    def to_json(self) -> dict[str, str]:
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            out["location"] = self.location
        return out


class Diagnostics:
    """Collects diagnostics while a definition is parsed.

    ``error`` records ``default_code`` unless told otherwise; :meth:`coded` gives a view that
    records into the same list under another default code (e.g. for JSONata expressions)."""

    def __init__(self, default_code: str = SCHEMA_VALIDATION_FAILED, items: list[Diagnostic] | None = None) -> None:
        self.items: list[Diagnostic] = [] if items is None else items
        self.default_code = default_code

    def error(self, location: str | None, message: str, code: str | None = None) -> None:
        self.items.append(Diagnostic(ERROR, code or self.default_code, message, location))

    def warning(self, location: str | None, message: str, code: str) -> None:
        self.items.append(Diagnostic(WARNING, code, message, location))

    def coded(self, code: str) -> Diagnostics:
        return Diagnostics(code, self.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == ERROR]

    def __bool__(self) -> bool:
        return bool(self.errors)


def pointer(*parts: object) -> str:
    """``pointer("States", "A", "Next")`` -> ``/States/A/Next`` (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def at(base: str, *parts: str | int) -> str:
    """A location below ``base`` as AWS writes it: ``at("/States/C", "Choices", 0, "Next")``
    -> ``/States/C/Choices[0]/Next`` (names escaped as by :func:`pointer`)."""
    return base + "".join(f"[{p}]" if isinstance(p, int) else pointer(p) for p in parts)
