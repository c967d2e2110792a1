"""The errors of the Step Functions API: AWS's error code (the wire's ``__type``), its
message, and the HTTP status AWS answers with."""

from __future__ import annotations

from ..store import StoreError, StoreRefusedValue


class ServiceError(Exception):
    """A request the service refuses, as AWS would: ``code`` is AWS's error name."""

    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body. Some AWS errors carry no message at all (a SerializationException for
        a body that is not a JSON object), and then the body has none either."""
        if not self.message:
            return {"__type": self.code}
        return {"__type": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r})"


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def store_refusal(e: StoreError) -> ServiceError:
    """What the caller is told when the database refused an operation: a value it cannot store
    is the request's to mend; anything else (a full disk, a lost connection) is ours."""
    if isinstance(e, StoreRefusedValue):
        return ServiceError("ValidationException", f"The request holds a value that cannot be stored: {e}")
    return ServiceError("InternalFailure", f"The database refused the operation: {e}", 500)
