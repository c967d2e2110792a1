"""Request validation (stepline.api.shapes) and response checking (stepline.testing) against
botocore's models.

The expected messages are AWS's formats. Those marked *recorded* were seen in answers from
AWS services; the rest follow the same rules (see the module's docstring for the guesses).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepline.api import shapes, shapes_java
from stepline.api.errors import ApiError
from stepline.testing import _scalar_problem, check_output

SFN = "stepfunctions"
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:machine"
EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:machine:run"
LIST = "Start of list found where not expected"
OBJECT = "Start of structure or map found where not expected."

#: strings tried, in order, for a string member with a pattern (events' ARNs, names, ...)
CANDIDATES = [
    "a", "a.b", "us-east-1", "123456789012", "events:PutEvents", "aws.partner/a/b", "https://example.com",
    "arn:aws:events:us-east-1:123456789012:api-destination/name/id",
    "arn:aws:events:us-east-1:123456789012:connection/name/id",
    "arn:aws:events:us-east-1:123456789012:event-bus/bus",
    "arn:aws:events:us-east-1:123456789012:endpoint/name",
    "arn:aws:iam::123456789012:role/role",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:name",
    "arn:aws:route53:::healthcheck/abc",
    "arn:aws:vpc-lattice:us-east-1:123456789012:resourceconfiguration/rcfg-0123456789abcdef0",
]


class NoSample(Exception):
    """No candidate satisfies a string member's constraints."""


def sample(shape: Any, full: bool = False, depth: int = 0, timestamps: bool = True) -> Any:
    """A valid value for ``shape``: required members only, or (``full``) every member."""
    kind = shape.type_name
    meta = shape.metadata
    lo, hi = meta.get("min"), meta.get("max")
    if kind == "structure":
        names = list(shape.members) if full and depth < 5 else shape.required_members
        return {shape.members[name].serialization.get("name", name):
                sample(shape.members[name], full, depth + 1) for name in names}
    if kind == "list":
        count = max(lo or 0, 1 if full and depth < 5 else 0)
        return [sample(shape.member, full, depth + 1) for _ in range(count)]
    if kind == "map":
        if not (full and depth < 5) and not lo:
            return {}
        return {sample(shape.key): sample(shape.value, full, depth + 1)}
    if kind == "string":
        if "enum" in meta:
            return meta["enum"][0]
        pattern = shapes_java.java_pattern(meta["pattern"]) if "pattern" in meta else None
        for text in CANDIDATES:
            text = text * max(1, -(-(lo or 0) // len(text))) if pattern is None else text
            if (lo or 0) <= len(text) <= (hi if hi is not None else 10**9) and (
                    pattern is None or pattern.fullmatch(text)):
                return text
        raise NoSample(f"{shape.name}: {meta}")
    if kind in ("integer", "long"):
        return lo if lo is not None else 1
    if kind in ("float", "double"):
        return float(lo if lo is not None else 1)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1700000000.25
    if kind == "blob":
        return "YQ=="
    raise AssertionError(kind)


def input_shape(service: str, operation: str) -> Any:
    return shapes.service_model(service).operation_model(operation).input_shape


def output_shape(service: str, operation: str) -> Any:
    return shapes.service_model(service).operation_model(operation).output_shape


def error(service: str, operation: str, params: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        shapes.validate_input(service, operation, params)
    return caught.value


def invalid(operation: str, params: dict, service: str = SFN) -> str:
    failure = error(service, operation, params)
    assert failure.code == "ValidationException", failure
    assert failure.status == 400
    return failure.message


def serialization(operation: str, params: Any, service: str = SFN) -> str:
    failure = error(service, operation, params)
    assert failure.code == "SerializationException", failure
    assert failure.status == 400
    return failure.message


def one(text: str) -> str:
    return f"1 validation error detected: {text}"


# -- valid requests ----------------------------------------------------------------------

@pytest.mark.parametrize("operation", shapes.operations(SFN))
def test_a_minimal_request_built_from_the_model_passes(operation: str) -> None:
    params = sample(input_shape(SFN, operation))
    assert shapes.validate_input(SFN, operation, json.loads(json.dumps(params))) == params


@pytest.mark.parametrize("operation", shapes.operations(SFN))
def test_a_request_with_every_member_passes(operation: str) -> None:
    params = sample(input_shape(SFN, operation), full=True)
    assert shapes.validate_input(SFN, operation, json.loads(json.dumps(params))) == params


@pytest.mark.parametrize("operation", shapes.operations("events"))
def test_eventbridge_requests_built_from_the_model_pass(operation: str) -> None:
    for full in (False, True):
        params = sample(input_shape("events", operation), full=full)
        assert shapes.validate_input("events", operation, json.loads(json.dumps(params))) == params


def test_operations_lists_the_model() -> None:
    assert "StartExecution" in shapes.operations(SFN)
    assert "CreateConnection" in shapes.operations("events")
    assert len(shapes.operations(SFN)) == len(set(shapes.operations(SFN)))


def test_unknown_members_are_ignored_and_nulls_are_absent() -> None:
    params = {"stateMachineArn": ARN, "name": None, "nonsense": {"deep": [1]}, "Input": 3}
    assert shapes.validate_input(SFN, "StartExecution", params) == {
        "stateMachineArn": ARN, "nonsense": {"deep": [1]}, "Input": 3}


def test_null_list_items_and_map_values_are_dropped() -> None:
    params = {"resourceArn": ARN, "tagKeys": ["a", None, "b"]}
    assert shapes.validate_input(SFN, "UntagResource", params)["tagKeys"] == ["a", "b"]
    target = {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
              "InputTransformer": {"InputPathsMap": {"a": "$.a", "b": None}, "InputTemplate": "<a>"}}
    checked = shapes.validate_input("events", "PutTargets", {"Rule": "r", "Targets": [target]})
    assert checked["Targets"][0]["InputTransformer"]["InputPathsMap"] == {"a": "$.a"}


def test_numbers_take_the_shape_s_type() -> None:
    # recorded (Athena, another Coral JSON service): a fraction where an integer goes is truncated
    params = shapes.validate_input(SFN, "ListExecutions", {"stateMachineArn": ARN, "maxResults": 9.9})
    assert params["maxResults"] == 9 and type(params["maxResults"]) is int
    params = shapes.validate_input(SFN, "UpdateMapRun", {"mapRunArn": ARN, "toleratedFailurePercentage": 5})
    assert params["toleratedFailurePercentage"] == 5.0 and type(params["toleratedFailurePercentage"]) is float


def test_unknown_operation() -> None:
    failure = error(SFN, "NoSuchThing", {})
    assert (failure.code, failure.body()) == ("UnknownOperationException", {"__type": "UnknownOperationException"})


# -- ValidationException: the formats ----------------------------------------------------

def test_length_above_max_recorded() -> None:
    name = "a" * 81
    expected = one(f"Value '{name}' at 'name' failed to satisfy constraint: "
                   "Member must have length less than or equal to 80")
    assert invalid("StartExecution", {"stateMachineArn": ARN, "name": name}) == expected
    assert error(SFN, "StartExecution", {"stateMachineArn": ARN, "name": name}).body() == {
        "__type": "ValidationException", "message": expected}


def test_missing_required_member_recorded() -> None:
    expected = one("Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null")
    assert invalid("StartExecution", {"name": "n"}) == expected
    assert invalid("StartExecution", {"name": "n", "stateMachineArn": None}) == expected


def test_payload_size_is_counted_in_utf8_bytes_and_never_echoed_recorded() -> None:
    too_big = one("Value at 'input' failed to satisfy constraint: "
                  "Member must have size less than or equal to 262144 bytes in UTF-8 encoding")
    assert invalid("StartExecution", {"stateMachineArn": ARN, "input": '"' + "a" * 262_144 + '"'}) == too_big
    assert invalid("StartExecution", {"stateMachineArn": ARN, "input": "é" * 131_073}) == too_big
    shapes.validate_input(SFN, "StartExecution", {"stateMachineArn": ARN, "input": "é" * 131_072})
    shapes.validate_input(SFN, "StartExecution", {"stateMachineArn": ARN, "input": "\ud800" * 80_000})
    assert invalid("SendTaskSuccess", {"taskToken": "t", "output": "€" * 90_000}) == \
        too_big.replace("'input'", "'output'")


def test_length_below_min_and_sensitive_members_are_not_echoed() -> None:
    assert invalid("CreateStateMachine", {"name": "m", "definition": "", "roleArn": "r"}) == one(
        "Value at 'definition' failed to satisfy constraint: Member must have length greater than or equal to 1")
    assert invalid("SendTaskHeartbeat", {"taskToken": "t" * 2049}) == one(
        "Value at 'taskToken' failed to satisfy constraint: Member must have length less than or equal to 2048")


def test_value_range() -> None:
    assert invalid("ListExecutions", {"stateMachineArn": ARN, "maxResults": 1001}) == one(
        "Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
    assert invalid("ListExecutions", {"stateMachineArn": ARN, "maxResults": -1}) == one(
        "Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0")
    assert invalid("UpdateMapRun", {"mapRunArn": ARN, "toleratedFailurePercentage": 101}) == one(
        "Value '101.0' at 'toleratedFailurePercentage' failed to satisfy constraint: "
        "Member must have value less than or equal to 100.0")
    assert invalid("UpdateMapRun", {"mapRunArn": ARN, "toleratedFailureCount": -2}) == one(
        "Value '-2' at 'toleratedFailureCount' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0")


def test_enum() -> None:
    assert invalid("ListExecutions", {"stateMachineArn": ARN, "statusFilter": "DONE"}) == one(
        "Value 'DONE' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: "
        "[RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]")


def test_pattern() -> None:
    assert invalid("CreateStateMachineAlias", {
        "name": "123", "routingConfiguration": [{"stateMachineVersionArn": ARN + ":1", "weight": 100}]}) == one(
        "Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$")
    assert invalid("StartExecution", {"stateMachineArn": ARN, "traceHeader": "Root=1-é"}) == one(
        "Value 'Root=1-é' at 'traceHeader' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: \p{ASCII}*")


def test_a_value_breaking_two_rules_is_reported_twice() -> None:
    text = "é" * 257
    assert invalid("StartExecution", {"stateMachineArn": ARN, "traceHeader": text}) == (
        "2 validation errors detected: "
        f"Value '{text}' at 'traceHeader' failed to satisfy constraint: "
        "Member must have length less than or equal to 256; "
        f"Value '{text}' at 'traceHeader' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: \p{ASCII}*")


def test_several_errors_in_model_order() -> None:
    name = "n" * 81
    assert invalid("StartExecution", {"name": name, "traceHeader": "é"}) == (
        "3 validation errors detected: "
        "Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null; "
        f"Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80; "
        "Value 'é' at 'traceHeader' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: \p{ASCII}*")


def test_list_items_of_structures_are_addressed_by_position() -> None:
    params = {"resourceArn": ARN, "tags": [{"key": "ok", "value": "v"}, {"key": "", "value": "v" * 257}, {}]}
    assert invalid("TagResource", params) == (
        "2 validation errors detected: "
        "Value '' at 'tags.2.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        f"Value '{'v' * 257}' at 'tags.2.member.value' failed to satisfy constraint: "
        "Member must have length less than or equal to 256")
    alias = {"name": "alias", "routingConfiguration": [{"stateMachineVersionArn": ARN + ":1", "weight": 101}]}
    assert invalid("CreateStateMachineAlias", alias) == one(
        "Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: "
        "Member must have value less than or equal to 100")
    alias["routingConfiguration"] = [{"weight": 1}]
    assert invalid("CreateStateMachineAlias", alias) == one(
        "Value null at 'routingConfiguration.1.member.stateMachineVersionArn' failed to satisfy constraint: "
        "Member must not be null")


def test_nested_structures_are_addressed_with_dots() -> None:
    params = {"name": "m", "definition": "{}", "roleArn": "r",
              "loggingConfiguration": {"level": "LOUD",
                                       "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": ""}}]}}
    assert invalid("CreateStateMachine", params) == (
        "2 validation errors detected: "
        "Value 'LOUD' at 'loggingConfiguration.level' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]; "
        "Value '' at 'loggingConfiguration.destinations.1.member.cloudWatchLogsLogGroup.logGroupArn' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1")


def test_list_length() -> None:
    base = {"name": "alias"}
    assert invalid("CreateStateMachineAlias", {**base, "routingConfiguration": []}) == one(
        "Value '[]' at 'routingConfiguration' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1")
    route = {"stateMachineVersionArn": "v", "weight": 1}
    assert invalid("CreateStateMachineAlias", {**base, "routingConfiguration": [route] * 3}) == one(
        "Value '[{stateMachineVersionArn=v, weight=1}, {stateMachineVersionArn=v, weight=1}, "
        "{stateMachineVersionArn=v, weight=1}]' at 'routingConfiguration' failed to satisfy constraint: "
        "Member must have length less than or equal to 2")


def test_list_of_plain_values_is_reported_once_with_every_item_rule() -> None:
    assert invalid("UntagResource", {"resourceArn": ARN, "tagKeys": ["", "k", "x" * 129]}) == one(
        f"Value '[, k, {'x' * 129}]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")


def test_eventbridge_members_are_named_in_lower_camel_case() -> None:
    target = {"Id": "i" * 65, "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}
    assert invalid("PutTargets", {"Rule": "r", "Targets": [target]}, "events") == one(
        f"Value '{'i' * 65}' at 'targets.1.member.id' failed to satisfy constraint: "
        "Member must have length less than or equal to 64")


def test_map_keys_recorded() -> None:
    # recorded from EventBridge PutTargets, the message character for character
    paths = {"de onde?": "$.detail.sourceIPAddress", "Quem foi?": "$.detail.userIdentity.userName",
             "o que?": "$.detail.eventName"}
    target = {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
              "InputTransformer": {"InputPathsMap": paths, "InputTemplate": "<x>"}}
    assert invalid("PutTargets", {"Rule": "r", "Targets": [target]}, "events") == one(
        "Value '{de onde?=$.detail.sourceIPAddress, Quem foi?=$.detail.userIdentity.userName, "
        "o que?=$.detail.eventName}' "
        "at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to 256, "
        "Member must have length greater than or equal to 1, "
        r"Member must satisfy regular expression pattern: [A-Za-z0-9\_\-]+]")


def test_map_values_and_size() -> None:
    target = {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
              "InputTransformer": {"InputPathsMap": {"k": "v" * 257}, "InputTemplate": "<x>"}}
    assert invalid("PutTargets", {"Rule": "r", "Targets": [target]}, "events") == one(
        f"Value '{{k={'v' * 257}}}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 256]")
    target["InputTransformer"]["InputPathsMap"] = {f"k{n}": "$" for n in range(101)}
    message = invalid("PutTargets", {"Rule": "r", "Targets": [target]}, "events")
    assert message.startswith(one("Value '{k0=$, k1=$,")) and message.endswith(
        "at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Member must have length less than or equal to 100")


def test_unicode_property_classes() -> None:
    target = {"Id": "t", "Arn": "arn:aws:ssm:us-east-1:123456789012:document/d",
              "RunCommandParameters": {"RunCommandTargets": [{"Key": "tag:Zürich 42", "Values": ["v"]}]}}
    shapes.validate_input("events", "PutTargets", {"Rule": "r", "Targets": [target]})
    target["RunCommandParameters"]["RunCommandTargets"][0]["Key"] = "tag!"
    assert invalid("PutTargets", {"Rule": "r", "Targets": [target]}, "events").endswith(
        r"Member must satisfy regular expression pattern: ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")


def test_each_constraint_of_every_top_level_member_is_enforced() -> None:
    """Walk the model: every top-level length, range, enum and required rule is checked."""
    checked = 0
    for operation in shapes.operations(SFN):
        shape = input_shape(SFN, operation)
        base = sample(shape)
        for name, member in shape.members.items():
            meta = member.metadata
            shown = (lambda value: "Value at") if meta.get("sensitive") else (lambda value: f"Value '{value}' at")
            cases = []
            if name in shape.required_members:
                cases.append((None, f"Value null at '{name}' failed to satisfy constraint: Member must not be null"))
            if member.type_name == "string" and "pattern" not in meta:
                if meta.get("max") is not None and member.name != "SensitiveData":
                    text = "a" * (meta["max"] + 1)
                    cases.append((text, f"{shown(text)} '{name}' failed to satisfy constraint: "
                                        f"Member must have length less than or equal to {meta['max']}"))
                if meta.get("min"):
                    cases.append(("", f"{shown('')} '{name}' failed to satisfy constraint: "
                                      f"Member must have length greater than or equal to {meta['min']}"))
                if "enum" in meta:
                    cases.append(("NOPE", f"{shown('NOPE')} '{name}' failed to satisfy constraint: "
                                          f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]"))
            if member.type_name in ("integer", "long"):
                if meta.get("max") is not None:
                    cases.append((meta["max"] + 1, f"{shown(meta['max'] + 1)} '{name}' failed to satisfy constraint: "
                                                   f"Member must have value less than or equal to {meta['max']}"))
                if meta.get("min") is not None:
                    cases.append((meta["min"] - 1, f"{shown(meta['min'] - 1)} '{name}' failed to satisfy constraint: "
                                                   f"Member must have value greater than or equal to {meta['min']}"))
            for value, expected in cases:
                params = {key: item for key, item in base.items() if key != name}
                if value is not None:
                    params[name] = value
                message = invalid(operation, params)
                assert expected in message.split(": ", 1)[1].split("; "), (operation, name, message)
                checked += 1
    assert checked > 100


# -- SerializationException --------------------------------------------------------------

@pytest.mark.parametrize(("member", "value", "message"), [
    ("name", 1, "NUMBER_VALUE can not be converted to a String"),
    ("name", 1.5, "NUMBER_VALUE can not be converted to a String"),
    ("name", True, "TRUE_VALUE can not be converted to a String"),
    ("name", False, "FALSE_VALUE can not be converted to a String"),
    ("name", ["x"], LIST),
    ("name", {"x": 1}, OBJECT),
    ("input", {"a": 1}, OBJECT),  # the execution input is a JSON *string*
])
def test_wrong_type_for_a_string_recorded(member: str, value: Any, message: str) -> None:
    assert serialization("StartExecution", {"stateMachineArn": ARN, member: value}) == message


@pytest.mark.parametrize(("operation", "params", "message"), [
    ("ListExecutions", {"maxResults": "1"}, "STRING_VALUE can not be converted to an Integer"),
    ("ListExecutions", {"maxResults": True}, "TRUE_VALUE can not be converted to an Integer"),
    ("ListExecutions", {"maxResults": [1]}, LIST),
    ("ListExecutions", {"maxResults": {}}, OBJECT),
    ("ListExecutions", {"maxResults": 2**31}, "NUMBER_VALUE can not be converted to an Integer"),
    ("ListExecutions", {"maxResults": float("inf")}, "NUMBER_VALUE can not be converted to an Integer"),
    ("ListExecutions", {"maxResults": float("nan")}, "NUMBER_VALUE can not be converted to an Integer"),
    ("UpdateMapRun", {"toleratedFailureCount": "1"}, "STRING_VALUE can not be converted to a Long"),
    ("UpdateMapRun", {"toleratedFailureCount": 2**63}, "NUMBER_VALUE can not be converted to a Long"),
    ("UpdateMapRun", {"toleratedFailurePercentage": "1"}, "STRING_VALUE can not be converted to a Float"),
    ("UpdateMapRun", {"toleratedFailurePercentage": float("nan")}, "NUMBER_VALUE can not be converted to a Float"),
    ("GetExecutionHistory", {"reverseOrder": "true"}, "STRING_VALUE can not be converted to a Boolean"),
    ("GetExecutionHistory", {"reverseOrder": 1}, "NUMBER_VALUE can not be converted to a Boolean"),
    ("TagResource", {"tags": "x"}, "Expected list or null"),
    ("TagResource", {"tags": 1}, "Expected list or null"),
    ("TagResource", {"tags": {"key": "k"}}, OBJECT),
    ("TagResource", {"tags": [["k"]]}, LIST),
    ("TagResource", {"tags": ["k"]}, "Expected null"),
    ("UntagResource", {"tagKeys": [1]}, "NUMBER_VALUE can not be converted to a String"),
    ("CreateStateMachine", {"loggingConfiguration": "x"}, "Expected null"),
    ("CreateStateMachine", {"loggingConfiguration": []}, LIST),
])
def test_wrong_type(operation: str, params: dict, message: str) -> None:
    assert serialization(operation, {**sample(input_shape(SFN, operation)), **params}) == message


def test_wrong_type_in_eventbridge() -> None:
    entry = {"Source": "s", "DetailType": "d", "Detail": "{}", "Time": "2024-01-01T00:00:00Z"}
    assert serialization("PutEvents", {"Entries": [entry]}, "events") == \
        "STRING_VALUE can not be converted to a Timestamp"
    entry["Time"] = 1700000000.5
    shapes.validate_input("events", "PutEvents", {"Entries": [entry]})
    target = {"Id": "t", "Arn": "a", "InputTransformer": {"InputPathsMap": "x", "InputTemplate": "<x>"}}
    assert serialization("PutTargets", {"Rule": "r", "Targets": [target]}, "events") == "Expected map or null"
    target["InputTransformer"]["InputPathsMap"] = ["x"]
    assert serialization("PutTargets", {"Rule": "r", "Targets": [target]}, "events") == LIST
    target["InputTransformer"]["InputPathsMap"] = {"k": 1}
    assert serialization("PutTargets", {"Rule": "r", "Targets": [target]}, "events") == (
        "NUMBER_VALUE can not be converted to a String")


@pytest.mark.parametrize("body", [None, "x", 1, 1.5, True])
def test_a_body_that_is_not_an_object_recorded(body: Any) -> None:
    failure = error(SFN, "ListStateMachines", body)
    assert failure.code == "SerializationException"
    assert failure.body() == {"__type": "SerializationException"}


def test_a_body_that_is_a_list_recorded() -> None:
    assert serialization("ListStateMachines", []) == LIST


def test_serialization_comes_before_validation() -> None:
    assert serialization("StartExecution", {"name": "n" * 81, "input": 1}) == \
        "NUMBER_VALUE can not be converted to a String"


# -- patterns ----------------------------------------------------------------------------

def all_patterns() -> set[str]:
    found = set()
    for service in (SFN, "events"):
        model = shapes.service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                found.add(pattern)
    return found


def test_every_model_pattern_is_checked() -> None:
    for service in (SFN, "events"):
        for operation in shapes.operations(service):
            try:
                shapes.validate_input(service, operation, {})
            except ApiError:
                pass
    assert shapes_java.UNCHECKED_PATTERNS == set()
    assert all(shapes_java.java_pattern(pattern) is not None for pattern in all_patterns())


def test_patterns_match_whole_values_as_java_does() -> None:
    pattern = shapes_java.java_pattern("[!-~]+")
    assert pattern is not None and pattern.fullmatch("token") and not pattern.fullmatch("to ken")
    digits = shapes_java.java_pattern(r"\d{12}")
    assert digits is not None and digits.fullmatch("123456789012") and not digits.fullmatch("١٢٣٤٥٦٧٨٩٠١٢")
    letters = shapes_java.java_pattern(r"[\p{L}\p{N}]+")
    assert letters is not None and letters.fullmatch("Zürich42") and not letters.fullmatch("a!")
    assert shapes_java.java_pattern(r"\P{ASCII}+").fullmatch("é")  # type: ignore[union-attr]
    assert shapes_java.java_pattern(r"\p{NoSuchClass}") is None


@pytest.mark.parametrize("java", sorted(shapes_java._LINEAR))
def test_linear_rewrites_accept_what_the_model_pattern_accepts(java: str) -> None:
    original, rewrite = re.compile(java), shapes_java.java_pattern(java)
    assert rewrite is not None
    for size in range(7):
        for chars in itertools.product("a :\t\x01", repeat=size):
            text = "".join(chars)
            assert bool(original.fullmatch(text)) == bool(rewrite.fullmatch(text)), repr(text)


def test_no_model_pattern_backtracks_for_long() -> None:
    probes = " \ta0-./:_%é$*?"
    for java in sorted(all_patterns()):
        pattern = shapes_java.java_pattern(java)
        assert pattern is not None
        started = time.perf_counter()
        for char, bad in itertools.product(probes, "\x01\n!"):
            for text in (char * 600 + bad, ("a" + char) * 300 + bad, ("a" + char + " ") * 200 + bad):
                pattern.fullmatch(text)
        assert time.perf_counter() - started < 1.0, java


def test_java_double() -> None:
    assert [shapes_java.java_double(x) for x in (100, 0.5, 0.001, 1e7, 1.5e-5, -2.5e20, 0.0, float("inf"))] == [
        "100.0", "0.5", "0.001", "1.0E7", "1.5E-5", "-2.5E20", "0.0", "Infinity"]


# -- fuzzing: only a dict or an ApiError, whatever arrives ---------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
OPERATIONS = [(service, operation) for service in (SFN, "events") for operation in shapes.operations(service)]


@cache
def shaped(service: str, shape_name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that follow the shape most of the way down, with arbitrary JSON anywhere."""
    shape = shapes.service_model(service).shape_for(shape_name)
    kind = shape.type_name
    if depth > 4:
        return JSON
    typed: st.SearchStrategy[Any]
    if kind == "structure":
        typed = st.fixed_dictionaries({}, optional={
            member.serialization.get("name", name): st.deferred(lambda m=member: shaped(service, m.name, depth + 1))
            for name, member in shape.members.items()})
    elif kind == "list":
        typed = st.lists(shaped(service, shape.member.name, depth + 1), max_size=3)
    elif kind == "map":
        typed = st.dictionaries(st.text(max_size=6), shaped(service, shape.value.name, depth + 1), max_size=3)
    elif kind == "string":
        typed = st.sampled_from(shape.metadata["enum"]) if "enum" in shape.metadata else st.text(max_size=30)
    elif kind in ("integer", "long"):
        typed = st.integers(min_value=-2**64, max_value=2**64)
    elif kind == "boolean":
        typed = st.booleans()
    else:
        typed = st.floats()
    return st.one_of(typed, typed, JSON)


def fuzzed(body: Any, service: str, operation: str) -> None:
    try:
        result = shapes.validate_input(service, operation, body)
    except ApiError as failure:
        assert failure.code in ("SerializationException", "ValidationException"), failure
        assert isinstance(failure.message, str) and failure.status == 400
        return
    assert type(result) is dict


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(OPERATIONS), JSON)
def test_fuzz_arbitrary_json(operation: tuple[str, str], body: Any) -> None:
    fuzzed(body, *operation)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_fuzz_shaped_json(data: st.DataObject) -> None:
    service, operation = data.draw(st.sampled_from(OPERATIONS))
    body = data.draw(shaped(service, input_shape(service, operation).name))
    fuzzed(body, service, operation)


# -- speed -------------------------------------------------------------------------------

def test_a_typical_start_execution_costs_microseconds() -> None:
    body = {"stateMachineArn": ARN, "name": "order-12345",
            "input": json.dumps({"order": {"id": 12345, "items": [1, 2, 3]}})}
    shapes.validate_input(SFN, "StartExecution", dict(body))
    rounds = 20_000
    started = time.perf_counter()
    for _ in range(rounds):
        shapes.validate_input(SFN, "StartExecution", body)
    per_call = (time.perf_counter() - started) / rounds
    assert per_call < 50e-6, f"{per_call * 1e6:.1f} µs per call"


# -- check_output ------------------------------------------------------------------------

@pytest.mark.parametrize("operation", shapes.operations(SFN))
def test_responses_built_from_the_model_pass(operation: str) -> None:
    for full in (False, True):
        response = json.loads(json.dumps(sample(output_shape(SFN, operation), full=full)))
        assert check_output(SFN, operation, response) == []


DESCRIBED = {
    "executionArn": EXECUTION_ARN, "stateMachineArn": ARN, "name": "run", "status": "SUCCEEDED",
    "startDate": 1700000000.123, "stopDate": 1700000001, "input": "{}", "output": "{}",
    "inputDetails": {"included": True}, "outputDetails": {"included": True}, "redriveCount": 0,
}


def test_a_real_describe_execution_response_passes() -> None:
    assert check_output(SFN, "DescribeExecution", DESCRIBED) == []


@pytest.mark.parametrize(("change", "problem"), [
    ({"extra": 1}, "extra: not a member of DescribeExecutionOutput"),
    ({"startDate": "2024-01-01T00:00:00Z"},
     "startDate: expected a timestamp as epoch seconds (a number), got string '2024-01-01T00:00:00Z'"),
    ({"startDate": True}, "startDate: expected a timestamp as epoch seconds (a number), got boolean True"),
    ({"status": 1}, "status: expected a string, got number 1"),
    ({"redriveCount": 1.0}, "redriveCount: expected an integer, got number 1.0"),
    ({"redriveCount": "1"}, "redriveCount: expected an integer, got string '1'"),
    ({"inputDetails": {"included": "yes"}}, "inputDetails.included: expected a boolean, got string 'yes'"),
    ({"inputDetails": []}, "inputDetails: expected an object, got array []"),
    ({"output": None}, "output: null (AWS leaves an absent member out)"),
])
def test_check_output_finds(change: dict, problem: str) -> None:
    assert check_output(SFN, "DescribeExecution", {**DESCRIBED, **change}) == [problem]


def test_check_output_finds_missing_required_members() -> None:
    response = {key: value for key, value in DESCRIBED.items() if key not in ("executionArn", "startDate")}
    assert check_output(SFN, "DescribeExecution", response) == [
        "executionArn: required member missing", "startDate: required member missing"]


def test_check_output_walks_lists_and_maps() -> None:
    listed = {"executions": [{"executionArn": EXECUTION_ARN, "stateMachineArn": ARN, "name": "r",
                              "status": "RUNNING", "startDate": "now", "itemCount": "3"}]}
    assert check_output(SFN, "ListExecutions", listed) == [
        "executions[0].startDate: expected a timestamp as epoch seconds (a number), got string 'now'",
        "executions[0].itemCount: expected an integer, got string '3'"]
    assert check_output(SFN, "ListExecutions", {"executions": {}}) == [
        "executions: expected a list, got object {}"]
    described = {"stateMachineArn": ARN, "name": "m", "definition": "{}", "roleArn": "r", "type": "STANDARD",
                 "creationDate": 1700000000, "variableReferences": {"A": ["x"], "B": "y", "C": [2]}}
    assert check_output(SFN, "DescribeStateMachine", described) == [
        "variableReferences['B']: expected a list, got string 'y'",
        "variableReferences['C'][0]: expected a string, got number 2"]
    assert check_output(SFN, "DescribeStateMachine", {**described, "variableReferences": []}) == [
        "variableReferences: expected an object (map), got array []"]


def test_check_output_of_blobs() -> None:
    assert _scalar_problem("blob", "YWJj") is None
    assert _scalar_problem("blob", "not base64!") == "expected a base64 string"
    assert _scalar_problem("blob", 3) == "expected a base64 string"
