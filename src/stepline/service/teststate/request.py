"""TestState's request: its members checked against the API model, its JSON texts read, the
ItemReader data it gives."""

from __future__ import annotations

import csv
import re
from typing import Any

from ...asl.model import MapState
from ...asl.values import JSON, parse_json
from ..errors import ServiceError as ApiError

INFO, DEBUG, TRACE = "INFO", "DEBUG", "TRACE"
LEVELS = (INFO, DEBUG, TRACE)
MODES = ("STRICT", "PRESENT", "NONE")
#: "The TestState API can run for up to five minutes" (API_TestState): then States.Timeout
MAX_SECONDS = 300.0
#: the name a single-state definition runs under ($$.State.Name in AWS's answers), and the
#: machine it runs in (AWS makes up a name)
STATE_NAME = "StateName"
MACHINE_NAME = "TestStateMachine"
ROLE_ARN = re.compile(r"arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
UNSET: Any = object()



def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


class Request:
    """The request's members, checked against the API model's constraints (botocore's
    ``TestStateInput``) and with the JSON texts read."""

    def __init__(self, r: Any) -> None:
        if not isinstance(r, dict):
            raise ApiError("SerializationException", "The request must be a JSON object")
        self.problems: list[str] = []
        self.definition: str = self._text(r, "definition", None, 1, 1048576, required=True) or ""
        self.role_arn = self._text(r, "roleArn", None, 1, 256, sensitive=False)
        self.input_text = self._text(r, "input", None, 0, 262144)
        level = self._text(r, "inspectionLevel", None, 0, None, sensitive=False)
        self.level = self._enum(level, "inspectionLevel", LEVELS) or INFO
        self.reveal_secrets = self._type(r.get("revealSecrets"), "revealSecrets", bool) or False
        self.variables_text = self._text(r, "variables", None, 0, 262144)
        self.state_name = self._text(r, "stateName", None, 1, 80)
        self.context_text = self._text(r, "context", None, 0, 262144)
        mock = self._type(r.get("mock"), "mock", dict)
        self.mock = mock is not None
        self.mock_result_text = self._text(mock or {}, "result", "mock", 0, 262144)
        error_output = self._type((mock or {}).get("errorOutput"), "mock.errorOutput", dict)
        self.mock_error = self._text(error_output or {}, "error", "mock.errorOutput", 0, 256)
        self.mock_cause = self._text(error_output or {}, "cause", "mock.errorOutput", 0, 32768)
        self.has_error_output = error_output is not None
        mode = self._text(mock or {}, "fieldValidationMode", "mock", 0, None, sensitive=False)
        self.validation_mode = self._enum(mode, "mock.fieldValidationMode", MODES) or "STRICT"
        config = self._type(r.get("stateConfiguration"), "stateConfiguration", dict) or {}
        self.retry_count = self._count(config, "retrierRetryCount")
        self.error_caused_by = self._text(config, "errorCausedByState", "stateConfiguration", 1, 80)
        self.iteration_failures = self._count(config, "mapIterationFailureCount")
        self.reader_data = self._text(config, "mapItemReaderData", "stateConfiguration", 0, 262144)
        if self.problems:
            n = len(self.problems)
            raise validation(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(self.problems))
        if self.role_arn is not None and not ROLE_ARN.fullmatch(self.role_arn):
            raise ApiError("InvalidArn", f"Invalid Arn: '{self.role_arn}'")  # TestState's errors include InvalidArn
        self.mock_result: JSON = UNSET
        if self.mock_result_text is not None:
            try:
                self.mock_result = parse_json(self.mock_result_text)
            except ValueError as e:
                raise validation(f"The mocked result is not valid JSON: {e}") from None

    def _type(self, value: Any, member: str, typ: type) -> Any:
        if value is not None and (type(value) is not typ):
            raise ApiError("SerializationException", f"The value of '{member}' must be a {typ.__name__}, not "
                                                     f"{type(value).__name__}")
        return value

    def _text(self, r: dict, name: str, parent: str | None, low: int, high: int | None, *,
              required: bool = False, sensitive: bool = True) -> str | None:
        member = f"{parent}.{name}" if parent else name
        value = self._type(r.get(name), member, str)
        shown = "" if sensitive or value is None else f"'{value}' "
        if value is None:
            if required:
                self.problems.append(f"Value null at '{member}' failed to satisfy constraint: Member must not be null")
        elif len(value) < low:
            self.problems.append(f"Value {shown}at '{member}' failed to satisfy constraint: Member must have length "
                                 f"greater than or equal to {low}")
        elif high is not None and len(value) > high:
            self.problems.append(f"Value {shown}at '{member}' failed to satisfy constraint: Member must have length "
                                 f"less than or equal to {high}")
        return value

    def _enum(self, value: str | None, member: str, allowed: tuple[str, ...]) -> str | None:
        if value is not None and value not in allowed:
            self.problems.append(f"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy "
                                 f"enum value set: [{', '.join(allowed)}]")
            return None
        return value

    def _count(self, config: dict, name: str) -> int | None:
        value = self._type(config.get(name), f"stateConfiguration.{name}", int)
        if value is not None and value < 0:
            self.problems.append(f"Value '{value}' at 'stateConfiguration.{name}' failed to satisfy constraint: "
                                 "Member must have value greater than or equal to 0")
        return value



def json_object(text: str | None, member: str) -> dict | None:
    if text is None:
        return None
    try:
        value = parse_json(text)
    except ValueError as e:
        raise validation(f"The {member} field is not valid JSON: {e}") from None
    if type(value) is not dict:
        raise validation(f"The {member} field must be a JSON object")
    return value


#: the members of the context object a request may give, and the JSON type of each (AWS's
#: context object: $$.Execution, $$.State, $$.StateMachine, $$.Task); None: any value
_CONTEXT: dict[str, dict[str, str | None]] = {
    "Execution": {"Id": "a string", "Input": None, "Name": "a string", "RoleArn": "a string",
                  "StartTime": "a string", "RedriveCount": "a number", "RedriveTime": "a string"},
    "State": {"EnteredTime": "a string", "Name": "a string", "RetryCount": "a number"},
    "StateMachine": {"Id": "a string", "Name": "a string"},
    "Task": {"Token": "a string"},
}


def context_object(text: str | None) -> dict | None:
    """The request's ``context``: a JSON object of the context object's own members, as AWS
    checks it (a Map's members are not given but made)."""
    value = json_object(text, "context")
    if value is None:
        return None
    for group, members in value.items():
        if group == "Map":
            raise _bad_context("'Map' field is not supported when mocking a Context object")
        known = _CONTEXT.get(group)
        if known is None:
            raise _bad_context(f"Field '{group}' is not allowed")
        if type(members) is not dict:
            raise _bad_context(f"{group} must be an object")
        for name, member in members.items():
            if name not in known:
                raise _bad_context(f"Field '{name}' is not allowed")
            kind = known[name]
            if kind == "a string" and type(member) is not str or kind == "a number" and (
                    isinstance(member, bool) or not isinstance(member, (int, float))):
                raise _bad_context(f"{group}.{name} must be {kind}")
    return value


def _bad_context(problem: str) -> ApiError:
    return validation(f"Invalid Context object provided: {problem}")





# ---------------------------------------------------------------------------- ItemReader data

_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def reader_items(st: MapState, text: str) -> list:
    """``mapItemReaderData``: "the data read by ItemReader ... as found in its original
    source", read the way the ItemReader's ReaderConfig says (CSV, JSONL, else JSON)."""
    reader: dict = st.item_reader if isinstance(st.item_reader, dict) else {}
    config: dict = reader["ReaderConfig"] if isinstance(reader.get("ReaderConfig"), dict) else {}
    kind = config.get("InputType")
    try:
        if kind == "CSV":
            rows = list(csv.reader(text.splitlines(), delimiter=_DELIMITERS.get(str(config.get("CSVDelimiter")), ",")))
            if config.get("CSVHeaderLocation") == "GIVEN":
                headers = config.get("CSVHeaders") or []
            else:
                headers = rows.pop(0) if rows else []
            items: Any = [dict(zip(headers, row, strict=False)) for row in rows]
        elif kind == "JSONL":
            items = [parse_json(line) for line in text.splitlines() if line.strip()]
        else:
            items = parse_json(text)
    except (ValueError, csv.Error) as e:
        raise validation(f"stateConfiguration.mapItemReaderData cannot be read as {kind or 'JSON'}: {e}") from None
    if not isinstance(items, list):
        raise validation("stateConfiguration.mapItemReaderData must hold a JSON array of items")
    limit = config.get("MaxItems")
    return items[:limit] if isinstance(limit, int) and limit > 0 else items
