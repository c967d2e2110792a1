"""The errors of the Amazon States Language, and the exceptions that carry them.

The names are AWS's (docs: concepts-error-handling). While a state is being evaluated,
helpers raise :class:`StatesError`; the interpreter catches it at the state's boundary and
turns it into a failure value, so an ASL error never escapes as a Python exception.
:class:`DefinitionError` is the one exception users see: the definition itself is invalid.
"""

from __future__ import annotations

from collections.abc import Iterable

from .diagnostics import Diagnostic

ALL = "States.ALL"
BRANCH_FAILED = "States.BranchFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
HTTP_SOCKET = "States.Http.Socket"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
ITEM_READER_FAILED = "States.ItemReaderFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
PERMISSIONS = "States.Permissions"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
RUNTIME = "States.Runtime"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"

#: Errors that ``States.ALL`` in a retrier or catcher does not match. AWS's docs name
#: States.DataLimitExceeded too, but executions recorded on AWS show a task result over the
#: limit (reported as the task's failure) caught by States.ALL; a state *output* over the limit
#: fails the execution before any catcher is consulted, which the interpreter does itself.
NOT_MATCHED_BY_ALL = frozenset({RUNTIME})

#: "States.TaskFailed ... acts as a wildcard that matches any known error name except for
#: States.Timeout" (AWS docs); nor does it catch what States.ALL cannot.
NOT_MATCHED_BY_TASK_FAILED = frozenset({TIMEOUT, DATA_LIMIT_EXCEEDED, RUNTIME})

PREDEFINED = frozenset({
    ALL, BRANCH_FAILED, DATA_LIMIT_EXCEEDED, EXCEED_TOLERATED_FAILURE_THRESHOLD,
    HEARTBEAT_TIMEOUT, HTTP_SOCKET, INTRINSIC_FAILURE, ITEM_READER_FAILED, NO_CHOICE_MATCHED,
    PARAMETER_PATH_FAILURE, PERMISSIONS, QUERY_EVALUATION_ERROR, RESULT_PATH_MATCH_FAILURE,
    RESULT_WRITER_FAILED, RUNTIME, TASK_FAILED, TIMEOUT,
})


class StatesError(Exception):
    """An ASL runtime error (``error`` name and ``cause``) raised while evaluating a state."""

    def __init__(self, error: str, cause: str | None = None, *, location: str | None = None,
                 in_state: bool = True) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause
        #: where in the state it happened, e.g. ``Arguments/FunctionName`` (JSONata errors)
        self.location = location
        #: AWS prefixes the cause of an evaluation error with "An error occurred while
        #: executing the state '...' (entered at the event id #n). "; some errors go bare
        self.in_state = in_state

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}" if self.cause else self.error


class QueryEvaluationError(StatesError):
    """A JSONata expression failed; AWS records an ``EvaluationFailed`` event for it."""

    def __init__(self, cause: str, *, location: str | None = None) -> None:
        super().__init__(QUERY_EVALUATION_ERROR, cause, location=location)


def error_matches(error: str | None, error_equals: Iterable[str]) -> bool:
    """Does a retrier's or catcher's ``ErrorEquals`` list match ``error`` (None: a Fail state
    without ``Error``, which only States.ALL matches)?"""
    if error is None:
        return ALL in error_equals
    for name in error_equals:
        if name == error:
            return True
        if name == ALL:
            return error not in NOT_MATCHED_BY_ALL
        if name == TASK_FAILED and error not in NOT_MATCHED_BY_TASK_FAILED:
            return True
    return False


class DefinitionError(ValueError):
    """The state machine definition is invalid; ``diagnostics`` says where and why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        if not diagnostics:
            text = "invalid definition"
        else:
            first = diagnostics[0]
            text = f"{first.code}: {first.message}" + (f" at {first.location}" if first.location else "")
        if len(diagnostics) > 1:
            text += f" (and {len(diagnostics) - 1} more)"
        super().__init__(text)
