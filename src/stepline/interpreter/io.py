"""Input and output processing shared by the state types, with AWS's runtime errors.

JSONPath: ``InputPath`` -> (``Parameters``) -> work -> ``ResultSelector`` -> ``ResultPath``
-> ``OutputPath``. JSONata: ``Arguments`` -> work -> ``Output``, with ``$states`` bound.
Each failure raises :class:`StatesError` with the cause AWS writes (the interpreter adds the
"An error occurred while executing the state ..." prefix).
"""

from __future__ import annotations

from typing import Any

from ..asl import errors
from ..asl.errors import QueryEvaluationError, StatesError
from ..asl.jsonpath import PathNotFound, set_path
from ..asl.model import DISCARD, State, WaitState
from ..asl.templates import unexpected_type
from ..asl.timestamps import parse_timestamp
from ..asl.values import JSON, dumps, type_name

_UNSET: Any = object()


def input_path(frame: Any, st: State, data: JSON) -> JSON:
    getter = st.input_path
    if getter is None:
        return data
    if getter is DISCARD:
        return {}
    try:
        return getter(data, frame)
    except PathNotFound as e:
        raise StatesError(errors.RUNTIME, f"Invalid path '{st.input_path_text}' : {e}") from None


def output_path(frame: Any, st: State, data: JSON) -> JSON:
    getter = st.output_path
    if getter is None:
        return data
    if getter is DISCARD:
        return {}
    try:
        return getter(data, frame)
    except PathNotFound as e:
        raise StatesError(errors.RUNTIME, f"Invalid path '{st.output_path_text}' : {e}") from None


def result_path(st: Any, data: JSON, result: JSON, text: str | None) -> JSON:
    return result_path_for(st.result_path, data, result, getattr(st, "result_path_text", text))


def result_path_for(keys: Any, data: JSON, result: JSON, text: str | None) -> JSON:
    if keys == ():
        return result
    if keys is DISCARD:
        return data
    try:
        return set_path(data, keys, result)
    except PathNotFound:
        raise StatesError(errors.RESULT_PATH_MATCH_FAILURE,
                          f"Unable to apply ResultPath '{text}' to input '{dumps(data)}'") from None


def bindings(frame: Any, data: JSON, now: float, *, result: JSON = _UNSET,
             error_output: JSON = _UNSET) -> dict[str, JSON]:
    """What a JSONata expression sees: ``$states`` and the workflow variables."""
    states = {"input": data, "context": frame.context}
    if result is not _UNSET:
        states["result"] = result
    if error_output is not _UNSET:
        states["errorOutput"] = error_output
    out = frame.visible_variables() if (frame.vars or frame.outer is not None) else {}
    out["states"] = states
    return out


def condition(value: JSON) -> bool:
    if type(value) is not bool:
        raise QueryEvaluationError(
            f"The Condition field evaluated to an unexpected result type. Expected 'boolean', but was "
            f"'{type_name(value)}' for value: {dumps(value)}", location="Condition")
    return value


def string_field(value: JSON, field: str) -> str:
    if type(value) is not str:
        raise QueryEvaluationError(
            f"The {field} field evaluated to an unexpected result type. Expected 'string', but was "
            f"'{type_name(value)}' for value: {dumps(value)}", location=field)
    return value


def fail_field(getter: Any, text: str | None, field: str, data: JSON, frame: Any) -> str | None:
    value = getter(data, frame)
    if type(value) is not str:
        raise StatesError(errors.RUNTIME, f"The JSONPath '{text}' specified for the field '{field}' must "
                                          f"resolve to a string, but was {type_name(value)}: {dumps(value)}")
    return value


def jsonata_number(builder: Any, bindings_: dict[str, JSON], now: float, field: str, *, integer: bool) -> Any:
    value = builder(bindings_, now)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
        raise unexpected_type(field, field, "integer" if integer else "number", value)
    return int(value) if integer else value


def wait_until_jsonata(frame: Any, st: WaitState, now: float) -> float:
    """When a JSONata Wait state ends (its Seconds or Timestamp, a literal or an expression)."""
    if st.seconds_expr is not None or st.timestamp_expr is not None:
        b = bindings(frame, frame.data, now)
        if st.seconds_expr is not None:
            seconds = st.seconds_expr(b, now)
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise QueryEvaluationError(
                    f"The Seconds field evaluated to an unexpected value. Expected a non-negative integer, but "
                    f"was '{type_name(seconds)}' for value: {dumps(seconds)}", location="Seconds")
            return now + int(seconds)
        text = st.timestamp_expr(b, now)  # type: ignore[misc]
        ts = parse_timestamp(text) if isinstance(text, str) else None
        if ts is None:
            raise QueryEvaluationError(
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
                f"string: {text if isinstance(text, str) else dumps(text)}", location="Timestamp")
        return ts.timestamp()
    return _literal_wait(st, now)


def wait_until(frame: Any, st: WaitState, now: float) -> float:
    """When a JSONPath Wait state ends (Seconds, Timestamp, SecondsPath or TimestampPath)."""
    effective = input_path(frame, st, frame.data)  # (an InputPath that finds nothing fails it, used or not)
    if st.seconds_path is None and st.timestamp_path is None:
        return _literal_wait(st, now)
    if st.seconds_path is not None:
        value = _path_value(st.seconds_path, st.seconds_path_text, "SecondsPath", effective, frame)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
            raise StatesError(errors.RUNTIME, f"The SecondsPath parameter cannot be parsed as a long value: "
                                              f"{st.seconds_path_text} == {_java(value)}")
        if value < 0:
            raise StatesError(errors.RUNTIME, f"The SecondsPath parameter references a negative value: "
                                              f"{st.seconds_path_text} == {_java(value)}")
        return now + int(value)
    value = _path_value(st.timestamp_path, st.timestamp_path_text, "TimestampPath", effective, frame)
    ts = parse_timestamp(value) if isinstance(value, str) else None
    if ts is None:
        raise StatesError(errors.RUNTIME, "The TimestampPath parameter does not reference a valid ISO-8601 "
                                          f"extended offset date-time format string: {st.timestamp_path_text} "
                                          f"== {_java(value)}")
    return ts.timestamp()


def _literal_wait(st: WaitState, now: float) -> float:
    if st.seconds is not None:
        return now + st.seconds
    if st.timestamp is not None:
        return parse_timestamp(st.timestamp).timestamp()  # type: ignore[union-attr]
    return now


def _path_value(getter: Any, text: str | None, field: str, data: JSON, frame: Any) -> JSON:
    try:
        return getter(data, frame)
    except PathNotFound as e:
        raise StatesError(errors.RUNTIME, f"Invalid path '{text}' : {e}") from None


def _java(value: JSON) -> str:
    """How AWS prints a value in some messages (Java's toString, not JSON)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    return dumps(value)
