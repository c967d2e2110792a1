"""State machines, versions, aliases, activities and tags through boto3 over a real socket."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT, ROLE

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def name() -> str:
    return f"sm-{uuid.uuid4().hex[:10]}"


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    e = info.value.response
    return e["Error"]["Code"], e["Error"].get("Message", ""), e["ResponseMetadata"]["HTTPStatusCode"]


def create(sfn: Any, definition: dict | None = None, **kwargs: Any) -> dict:
    return sfn.create_state_machine(name=kwargs.pop("name", None) or name(),
                                    definition=json.dumps(definition or PASS), roleArn=ROLE, **kwargs)


# ------------------------------------------------------------------ create / describe


def test_create_then_describe_returns_the_definition_verbatim(sfn: Any) -> None:
    text = '{"StartAt":"P",  "States": {"P": {"Type": "Pass", "End": true}}}'
    n = name()
    made = sfn.create_state_machine(name=n, definition=text, roleArn=ROLE)
    assert made["stateMachineArn"] == f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{n}"
    got = sfn.describe_state_machine(stateMachineArn=made["stateMachineArn"])
    assert got["definition"] == text
    assert (got["name"], got["status"], got["type"], got["roleArn"]) == (n, "ACTIVE", "STANDARD", ROLE)
    assert got["creationDate"] == made["creationDate"]
    assert got["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    assert got["tracingConfiguration"] == {"enabled": False}
    assert got["revisionId"]


def test_create_is_idempotent_for_the_same_configuration_only(sfn: Any) -> None:
    n = name()
    first = create(sfn, name=n)
    again = create(sfn, name=n)  # same definition and type: the same state machine
    assert again == {k: v for k, v in first.items() if k != "ResponseMetadata"} | {
        "ResponseMetadata": again["ResponseMetadata"]}
    code, message, status = error_of(sfn.create_state_machine, name=n, roleArn=ROLE,
                                     definition=json.dumps({"StartAt": "Q", "States": {"Q": {"Type": "Succeed"}}}))
    assert (code, status) == ("StateMachineAlreadyExists", 400)
    assert first["stateMachineArn"] in message


def test_an_invalid_definition_is_refused_with_aws_diagnostics(sfn: Any) -> None:
    code, message, _ = error_of(sfn.create_state_machine, name=name(), roleArn=ROLE,
                                definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}))
    assert code == "InvalidDefinition"
    assert message.startswith("Invalid State Machine Definition: '") and "MISSING_TRANSITION_TARGET" in message
    code, message, _ = error_of(sfn.create_state_machine, name=name(), roleArn=ROLE, definition="{not json")
    assert code == "InvalidDefinition"


@pytest.mark.parametrize("bad", ["has space", "a/b", "br[acket", "x" * 81, "tab\tname", "q?"])
def test_bad_names_are_invalid_name(sfn: Any, bad: str) -> None:
    code, _, _ = error_of(sfn.create_state_machine, name=bad, roleArn=ROLE, definition=json.dumps(PASS))
    assert code in ("InvalidName", "ValidationException")  # over 80: the model's length rule answers first


def test_describe_unknown_and_malformed_arns(sfn: Any) -> None:
    missing = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:nope-{uuid.uuid4().hex[:6]}"
    assert error_of(sfn.describe_state_machine, stateMachineArn=missing)[0] == "StateMachineDoesNotExist"
    assert error_of(sfn.describe_state_machine, stateMachineArn="not-an-arn")[0] == "InvalidArn"
    assert error_of(sfn.describe_state_machine,
                    stateMachineArn=f"arn:aws:states:us-east-1:{ACCOUNT}:activity:a")[0] == "InvalidArn"


def test_arns_of_other_partitions_name_the_same_machine(sfn: Any) -> None:
    made = create(sfn)
    for partition in ("aws-cn", "aws-us-gov"):
        other = made["stateMachineArn"].replace("arn:aws:", f"arn:{partition}:", 1)
        assert sfn.describe_state_machine(stateMachineArn=other)["stateMachineArn"] == made["stateMachineArn"]


def test_update_changes_the_revision_and_refuses_nothing_to_update(sfn: Any) -> None:
    made = create(sfn)
    before = sfn.describe_state_machine(stateMachineArn=made["stateMachineArn"])
    new = {"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}
    updated = sfn.update_state_machine(stateMachineArn=made["stateMachineArn"], definition=json.dumps(new))
    assert updated["revisionId"] != before["revisionId"]
    after = sfn.describe_state_machine(stateMachineArn=made["stateMachineArn"])
    assert json.loads(after["definition"]) == new and after["revisionId"] == updated["revisionId"]
    assert error_of(sfn.update_state_machine, stateMachineArn=made["stateMachineArn"])[0] == \
        "MissingRequiredParameter"
    assert error_of(sfn.update_state_machine, stateMachineArn=made["stateMachineArn"],
                    definition="{}")[0] == "InvalidDefinition"


def test_delete_then_describe_is_does_not_exist(sfn: Any) -> None:
    made = create(sfn)
    sfn.delete_state_machine(stateMachineArn=made["stateMachineArn"])
    assert error_of(sfn.describe_state_machine, stateMachineArn=made["stateMachineArn"])[0] == \
        "StateMachineDoesNotExist"


def test_list_state_machines_pages(sfn: Any) -> None:
    made = {create(sfn)["stateMachineArn"] for _ in range(5)}
    seen: list[str] = []
    token = None
    while True:
        page = sfn.list_state_machines(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["stateMachines"]) <= 2
        seen += [m["stateMachineArn"] for m in page["stateMachines"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert made <= set(seen) and len(seen) == len(set(seen))
    assert error_of(sfn.list_state_machines, nextToken="garbage!")[0] == "InvalidToken"
    assert error_of(sfn.list_state_machines, maxResults=1001)[0] == "ValidationException"


def test_validate_state_machine_definition(sfn: Any) -> None:
    ok = sfn.validate_state_machine_definition(definition=json.dumps(PASS))
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition=json.dumps({"StartAt": "X", "States": {}}))
    assert bad["result"] == "FAIL" and bad["diagnostics"][0]["severity"] == "ERROR"


def test_variable_references_are_described(sfn: Any) -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "B"},
        "B": {"Type": "Pass", "Output": "{% $x + $y + $sum([1]) %}", "End": True}}}
    made = create(sfn, definition)
    got = sfn.describe_state_machine(stateMachineArn=made["stateMachineArn"])
    assert got["variableReferences"] == {"B": ["x", "y"]}


# ------------------------------------------------------------------ versions and aliases


def test_publish_versions_list_them_newest_first_and_describe_one(sfn: Any) -> None:
    made = create(sfn, publish=True, versionDescription="first")
    arn = made["stateMachineArn"]
    assert made["stateMachineVersionArn"] == f"{arn}:1"
    again = sfn.publish_state_machine_version(stateMachineArn=arn)  # same revision: the same version
    assert again["stateMachineVersionArn"] == f"{arn}:1"
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(
        {"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}), publish=True)
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:2", f"{arn}:1"]
    v1 = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert v1["stateMachineArn"] == f"{arn}:1" and json.loads(v1["definition"]) == PASS
    assert v1["description"] == "first"
    revision = sfn.describe_state_machine(stateMachineArn=arn)["revisionId"]
    code, _, _ = error_of(sfn.publish_state_machine_version, stateMachineArn=arn, revisionId="stale-" + revision)
    assert code == "ConflictException"


def test_aliases_route_executions_and_guard_their_versions(sfn: Any) -> None:
    made = create(sfn, publish=True)
    arn = made["stateMachineArn"]
    v1 = made["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 100}])["stateMachineAliasArn"]
    assert alias == f"{arn}:live"
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    assert [a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)[
        "stateMachineAliases"]] == [alias]
    started = sfn.start_execution(stateMachineArn=alias)
    execution = sfn.describe_execution(executionArn=started["executionArn"])
    assert execution["stateMachineAliasArn"] == alias and execution["stateMachineVersionArn"] == v1
    assert execution["stateMachineArn"] == arn
    assert error_of(sfn.delete_state_machine_version, stateMachineVersionArn=v1)[0] == "ConflictException"
    code, _, _ = error_of(sfn.update_state_machine_alias, stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 60}])
    assert code == "ValidationException"  # weights must add up to 100
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, description="now described")
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["description"] == "now described"
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    assert error_of(sfn.describe_state_machine_alias, stateMachineAliasArn=alias)[0] == "ResourceNotFound"
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == []


# ------------------------------------------------------------------ activities and tags


def test_activities_create_describe_list_delete(sfn: Any) -> None:
    n = name()
    made = sfn.create_activity(name=n, tags=[{"key": "team", "value": "a"}])
    assert made["activityArn"] == f"arn:aws:states:us-east-1:{ACCOUNT}:activity:{n}"
    assert sfn.create_activity(name=n)["activityArn"] == made["activityArn"]  # idempotent
    got = sfn.describe_activity(activityArn=made["activityArn"])
    assert (got["name"], got["creationDate"]) == (n, made["creationDate"])
    assert made["activityArn"] in [a["activityArn"] for a in sfn.list_activities(maxResults=1000)["activities"]]
    sfn.delete_activity(activityArn=made["activityArn"])
    assert error_of(sfn.describe_activity, activityArn=made["activityArn"])[0] == "ActivityDoesNotExist"


def test_tags_on_state_machines_and_activities(sfn: Any) -> None:
    arn = create(sfn, tags=[{"key": "a", "value": "1"}])["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}, {"key": "a", "value": "one"}])
    assert sorted((t["key"], t["value"]) for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]) == [
        ("a", "one"), ("b", "2")]
    sfn.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    missing = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:missing-{uuid.uuid4().hex[:6]}"
    assert error_of(sfn.list_tags_for_resource, resourceArn=missing)[0] == "ResourceNotFound"
    too_many = [{"key": f"k{i}", "value": "v"} for i in range(50)]
    assert error_of(sfn.tag_resource, resourceArn=arn, tags=too_many)[0] == "TooManyTags"


@pytest.mark.parametrize("resource, why", [
    ("arn:aws:states:::lambda:invoke.waitForTaskToken", "'.waitForTaskToken' service integration"),
    ("arn:aws:states:::states:startExecution.sync:2", "'.sync:2' service integration"),
    ("arn:aws:states:us-east-1:123456789012:activity:work", "Activities"),
])
def test_an_express_machine_refuses_tasks_that_wait(sfn, resource: str, why: str) -> None:
    # [docs] "Express Workflows only support Request Response integrations"
    task = {"Type": "Task", "Resource": resource, "End": True}
    if "lambda" in resource:
        task["Parameters"] = {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}}
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "T", "States": {"T": task}}]}}})
    code, message, _ = error_of(sfn.create_state_machine, name=name(), definition=definition, roleArn=ROLE,
                                type="EXPRESS")
    assert code == "InvalidDefinition"
    assert f"Express state machine does not support {why} at /States/P/Branches[0]/States/T/Resource" in message
    standard = sfn.create_state_machine(name=name(), definition=definition, roleArn=ROLE)  # a Standard one may
    assert standard["stateMachineArn"]
