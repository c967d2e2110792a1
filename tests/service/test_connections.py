"""EventBridge connections: every operation, its errors, pagination, and secrets that never
leave encrypted (not in the database file, its WAL, or any response)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from stepline.secrets import Secrets, generate_key
from stepline.service.connections import CONNECTION, CONNECTION_NAME, Connections
from stepline.service.errors import ServiceError
from stepline.store import Resource, Store, open_store

REGION, ACCOUNT = "eu-west-1", "123456789012"
MODEL = botocore.session.get_session().get_service_model("events")
CONNECTION_ARN = re.compile(MODEL.shape_for("ConnectionArn").metadata["pattern"])
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# what AWS answers (its model's pattern for SecretsManagerSecretArn has no "!", its answers do)
SECRET_ARN = re.compile(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/conn/"
                        f"{UUID}-[A-Za-z0-9]{{6}}")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "stepline.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{db_path}")
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def secrets() -> Secrets:
    return Secrets(generate_key())


@pytest.fixture
def conns(store: Store, secrets: Secrets) -> Connections:
    return Connections(store, secrets, REGION, ACCOUNT, clock=Clock())


def conforms(operation: str, response: Any) -> Any:
    """The response has only members botocore's model of ``operation`` knows, of their types."""
    def walk(shape: Any, value: Any, path: str) -> None:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(value, dict), path
            for key, item in value.items():
                assert key in shape.members, f"{path}.{key} is not in {shape.name}"
                walk(shape.members[key], item, f"{path}.{key}")
        elif kind == "list":
            assert isinstance(value, list), path
            for n, item in enumerate(value):
                walk(shape.member, item, f"{path}[{n}]")
        elif kind == "string":
            assert isinstance(value, str), path
            if "enum" in shape.metadata:
                assert value in shape.metadata["enum"], path
        elif kind == "timestamp":
            assert isinstance(value, float), path
        elif kind == "boolean":
            assert isinstance(value, bool), path
    walk(MODEL.operation_model(operation).output_shape, response, operation)
    return response


def basic(name: str = "conn", username: str = "user", password: str = "pass", **more: Any) -> dict:
    return {"Name": name, "AuthorizationType": "BASIC",
            "AuthParameters": {"BasicAuthParameters": {"Username": username, "Password": password}}, **more}


def api_key(name: str = "keyed", value: str = "key-value", **more: Any) -> dict:
    return {"Name": name, "AuthorizationType": "API_KEY",
            "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": value}}, **more}


def oauth(name: str = "oauthed", secret: str = "client-secret", body_secret: str = "body-secret") -> dict:
    return {"Name": name, "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {"OAuthParameters": {
        "ClientParameters": {"ClientID": "client-id", "ClientSecret": secret},
        "AuthorizationEndpoint": "https://auth.example.com/oauth2/token", "HttpMethod": "POST",
        "OAuthHttpParameters": {"BodyParameters": [
            {"Key": "grant_type", "Value": "client_credentials", "IsValueSecret": False},
            {"Key": "audience", "Value": body_secret, "IsValueSecret": True}]}}}}


def error(call: Any, *args: Any) -> ServiceError:
    with pytest.raises(ServiceError) as e:
        call(*args)
    return e.value


# ---------------------------------------------------------------------- create / describe

def test_create_answers_as_aws_does(conns: Connections) -> None:
    out = conforms("CreateConnection", conns.create_connection(basic()))
    assert set(out) == {"ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime"}
    assert out["ConnectionState"] == "AUTHORIZED"
    assert CONNECTION_ARN.fullmatch(out["ConnectionArn"])
    assert re.fullmatch(f"arn:aws:events:{REGION}:{ACCOUNT}:connection/conn/{UUID}", out["ConnectionArn"])
    assert out["CreationTime"] == out["LastModifiedTime"]


def test_describe_shows_everything_but_the_secrets(conns: Connections) -> None:
    made = conns.create_connection(basic(Description="the CRM", KmsKeyIdentifier="alias/mine"))
    out = conforms("DescribeConnection", conns.describe_connection({"Name": "conn"}))
    assert out["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}}
    assert out["ConnectionArn"] == made["ConnectionArn"] and out["Name"] == "conn"
    assert out["Description"] == "the CRM" and out["KmsKeyIdentifier"] == "alias/mine"
    assert out["AuthorizationType"] == "BASIC" and out["ConnectionState"] == "AUTHORIZED"
    assert out["CreationTime"] == out["LastModifiedTime"] == out["LastAuthorizedTime"] == made["CreationTime"]
    assert SECRET_ARN.fullmatch(out["SecretArn"])
    assert "StateReason" not in out


def test_api_key_and_oauth_connections_hide_their_secrets(conns: Connections) -> None:
    conns.create_connection(api_key())
    assert conforms("DescribeConnection", conns.describe_connection({"Name": "keyed"}))["AuthParameters"] == {
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}}

    made = conforms("CreateConnection", conns.create_connection(oauth()))
    # AWS answers AUTHORIZING until it has a first token; stepline fetches tokens at call time
    assert made["ConnectionState"] == "AUTHORIZED"
    out = conforms("DescribeConnection", conns.describe_connection({"Name": "oauthed"}))
    assert out["AuthParameters"] == {"OAuthParameters": {
        "ClientParameters": {"ClientID": "client-id"},
        "AuthorizationEndpoint": "https://auth.example.com/oauth2/token", "HttpMethod": "POST",
        "OAuthHttpParameters": {"BodyParameters": [
            {"Key": "grant_type", "Value": "client_credentials", "IsValueSecret": False},
            {"Key": "audience", "IsValueSecret": True}]}}}


def test_invocation_parameters_show_their_values_unless_secret(conns: Connections) -> None:
    params = {"HeaderParameters": [{"Key": "X-Tenant", "Value": "acme"},
                                   {"Key": "X-Token", "Value": "tok", "IsValueSecret": True}],
              "QueryStringParameters": [{"Key": "sig", "Value": "s3cr3t", "IsValueSecret": True}],
              "BodyParameters": []}
    request = basic()
    request["AuthParameters"]["InvocationHttpParameters"] = params
    conns.create_connection(request)
    shown = conforms("DescribeConnection", conns.describe_connection({"Name": "conn"}))["AuthParameters"]
    assert shown["InvocationHttpParameters"] == {
        "HeaderParameters": [{"Key": "X-Tenant", "Value": "acme", "IsValueSecret": False},
                             {"Key": "X-Token", "IsValueSecret": True}],
        "QueryStringParameters": [{"Key": "sig", "IsValueSecret": True}], "BodyParameters": []}


def test_resolve_gives_the_http_task_everything(conns: Connections) -> None:
    request = oauth()
    request["AuthParameters"]["InvocationHttpParameters"] = {
        "HeaderParameters": [{"Key": "X-Token", "Value": "tok", "IsValueSecret": True}]}
    arn = conns.create_connection(request)["ConnectionArn"]
    assert conns.resolve(arn) == {"ConnectionArn": arn, "Name": "oauthed",
                                  "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "ConnectionState": "AUTHORIZED",
                                  "AuthParameters": request["AuthParameters"]}


def test_resolve_of_an_unknown_arn_is_resource_not_found(conns: Connections, store: Store) -> None:
    missing = f"arn:aws:events:{REGION}:{ACCOUNT}:connection/none/{'0' * 8}-0000-0000-0000-{'0' * 12}"
    e = error(conns.resolve, missing)
    assert e.code == "ResourceNotFoundException" and missing in e.message
    conns.create_connection(basic())
    # the name's index is a resource too, but not a connection
    assert error(conns.resolve, f"arn:aws:events:{REGION}:{ACCOUNT}:connection/conn").code == \
        "ResourceNotFoundException"
    assert error(conns.resolve, None).code == "ResourceNotFoundException"


def test_a_name_is_taken_once(conns: Connections) -> None:
    conns.create_connection(basic())
    e = error(conns.create_connection, api_key(name="conn"))
    assert (e.code, e.message) == ("ResourceAlreadyExistsException", "Connection conn already exists.")
    assert conns.describe_connection({"Name": "conn"})["AuthorizationType"] == "BASIC"


def test_names_are_per_region_and_account(store: Store, secrets: Secrets) -> None:
    here = Connections(store, secrets, REGION, ACCOUNT, clock=Clock())
    there = Connections(store, secrets, "us-east-1", ACCOUNT, clock=Clock())
    other = Connections(store, secrets, REGION, "210987654321", clock=Clock())
    arns = {c.create_connection(basic())["ConnectionArn"] for c in (here, there, other)}
    assert len(arns) == 3
    assert [c["Name"] for c in there.list_connections({})["Connections"]] == ["conn"]
    china = Connections(store, secrets, "cn-north-1", ACCOUNT, clock=Clock())
    assert china.create_connection(basic())["ConnectionArn"].startswith("arn:aws-cn:events:cn-north-1:")
    assert china.describe_connection({"Name": "conn"})["SecretArn"].startswith("arn:aws-cn:secretsmanager:")


@pytest.mark.parametrize("request_, message", [
    ({**basic(), "Name": None},
     "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"),
    ({**basic(), "Name": "Invalid Name With Spaces!"},
     "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy constraint: "
     "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"),
    ({**basic(), "Name": "n" * 65},
     f"1 validation error detected: Value '{'n' * 65}' at 'name' failed to satisfy constraint: "
     "Member must have length less than or equal to 64"),
    ({**basic(), "AuthorizationType": "INVALID_AUTH_TYPE"},
     "1 validation error detected: Value 'INVALID_AUTH_TYPE' at 'authorizationType' failed to satisfy constraint: "
     "Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]"),
    ({**basic(), "AuthorizationType": None},
     "1 validation error detected: Value null at 'authorizationType' failed to satisfy constraint: "
     "Member must not be null"),
    ({**basic(), "AuthParameters": None},
     "1 validation error detected: Value null at 'authParameters' failed to satisfy constraint: "
     "Member must not be null"),
    ({**basic(), "AuthParameters": {"BasicAuthParameters": {"Username": "user"}}},
     "1 validation error detected: Value null at 'authParameters.basicAuthParameters.password' failed to "
     "satisfy constraint: Member must not be null"),
    ({**basic(), "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}},
     "AuthParameters must contain BasicAuthParameters, and no other authorization parameters, "
     "for AuthorizationType BASIC."),
    ({**basic(), "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"},
                                    "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}},
     "AuthParameters must contain BasicAuthParameters, and no other authorization parameters, "
     "for AuthorizationType BASIC."),
    ({**basic(), "Description": "d" * 513},
     "1 validation error detected: Value at 'description' failed to satisfy constraint: "
     "Member must have length less than or equal to 512"),
])
def test_create_refuses_bad_requests(conns: Connections, request_: dict, message: str) -> None:
    e = error(conns.create_connection, request_)
    assert (e.code, e.message, e.status) == ("ValidationException", message, 400)
    assert conns.list_connections({})["Connections"] == []


def test_create_checks_oauth_and_http_parameters(conns: Connections) -> None:
    request = oauth()
    request["AuthParameters"]["OAuthParameters"]["HttpMethod"] = "PATCH"
    del request["AuthParameters"]["OAuthParameters"]["ClientParameters"]["ClientSecret"]
    request["AuthParameters"]["OAuthParameters"]["OAuthHttpParameters"]["HeaderParameters"] = "nope"
    e = error(conns.create_connection, request)
    assert e.code == "ValidationException"
    assert e.message.startswith("3 validation errors detected: ")
    assert "Value null at 'authParameters.oAuthParameters.clientParameters.clientSecret'" in e.message
    assert "Value 'PATCH' at 'authParameters.oAuthParameters.httpMethod'" in e.message
    assert "'authParameters.oAuthParameters.oAuthHttpParameters.headerParameters'" in e.message
    too_many = basic()
    too_many["AuthParameters"]["InvocationHttpParameters"] = {
        "HeaderParameters": [{"Key": f"k{n}", "Value": "v"} for n in range(101)]}
    assert "less than or equal to 100" in error(conns.create_connection, too_many).message


def test_a_private_api_connection_is_refused(conns: Connections) -> None:
    request = basic(InvocationConnectivityParameters={"ResourceParameters": {
        "ResourceConfigurationArn": "arn:aws:vpc-lattice:eu-west-1:123456789012:resourceconfiguration/rcfg-"
                                    "0123456789abcdef0"}})
    e = error(conns.create_connection, request)
    assert e.code == "ValidationException" and "not supported" in e.message
    request = basic()
    request["AuthParameters"]["ConnectivityParameters"] = {"ResourceParameters": {"ResourceConfigurationArn": ""}}
    assert error(conns.create_connection, request).code == "ValidationException"


def test_the_quota_of_connections(store: Store, secrets: Secrets) -> None:
    conns = Connections(store, secrets, REGION, ACCOUNT, clock=Clock(), max_connections=2)
    conns.create_connection(basic("a"))
    conns.create_connection(basic("b"))
    e = error(conns.create_connection, basic("c"))
    assert e.code == "LimitExceededException"
    Connections(store, secrets, "us-west-2", ACCOUNT, max_connections=2).create_connection(basic("c"))  # per region
    conns.delete_connection({"Name": "a"})
    conns.create_connection(basic("c"))


def test_a_name_left_by_an_interrupted_create_is_freed_after_a_minute(conns: Connections, store: Store) -> None:
    index = f"arn:aws:events:{REGION}:{ACCOUNT}:connection/conn"
    gone = f"{index}/00000000-0000-0000-0000-000000000000"
    store.insert_resource(Resource(index, CONNECTION_NAME, "conn", None, conns.clock() - 5,
                                   json.dumps({"ConnectionArn": gone})))
    assert error(conns.describe_connection, {"Name": "conn"}).code == "ResourceNotFoundException"
    assert error(conns.create_connection, basic()).code == "ResourceAlreadyExistsException"  # maybe mid-create
    conns.clock.now += 120  # type: ignore[attr-defined]
    arn = conns.create_connection(basic())["ConnectionArn"]
    assert conns.describe_connection({"Name": "conn"})["ConnectionArn"] == arn


# ---------------------------------------------------------------------- update

def test_update_merges_the_parameters_of_the_type(conns: Connections) -> None:
    made = conns.create_connection(basic())
    before = conns.describe_connection({"Name": "conn"})
    out = conforms("UpdateConnection", conns.update_connection(
        {"Name": "conn", "AuthParameters": {"BasicAuthParameters": {"Password": "new-pass"}}}))
    assert set(out) == {"ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime", "LastAuthorizedTime"}
    assert out["ConnectionArn"] == made["ConnectionArn"] and out["ConnectionState"] == "AUTHORIZED"
    assert out["CreationTime"] == made["CreationTime"] < out["LastModifiedTime"] == out["LastAuthorizedTime"]
    after = conns.describe_connection({"Name": "conn"})
    assert after["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}}
    assert after["SecretArn"] == before["SecretArn"]  # the same secret, a new value
    assert conns.resolve(made["ConnectionArn"])["AuthParameters"]["BasicAuthParameters"] == {
        "Username": "user", "Password": "new-pass"}


def test_update_of_description_alone_keeps_the_authorization(conns: Connections) -> None:
    conns.create_connection(basic())
    before = conns.describe_connection({"Name": "conn"})
    conns.update_connection({"Name": "conn", "Description": "now described", "KmsKeyIdentifier": "alias/k"})
    after = conns.describe_connection({"Name": "conn"})
    assert after["Description"] == "now described" and after["KmsKeyIdentifier"] == "alias/k"
    assert after["LastAuthorizedTime"] == before["LastAuthorizedTime"] < after["LastModifiedTime"]
    assert after["AuthParameters"] == before["AuthParameters"]


def test_parameters_of_another_type_without_changing_the_type_have_no_effect(conns: Connections) -> None:
    arn = conns.create_connection(basic())["ConnectionArn"]
    conns.update_connection({"Name": "conn", "AuthParameters": {
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "ignored"}}})
    shown = conns.describe_connection({"Name": "conn"})["AuthParameters"]
    assert shown == {"BasicAuthParameters": {"Username": "user"}}
    assert conns.resolve(arn)["AuthParameters"] == {"BasicAuthParameters": {"Username": "user", "Password": "pass"}}


def test_changing_the_type_needs_its_parameters_and_drops_the_old_ones(conns: Connections) -> None:
    request = basic()
    request["AuthParameters"]["InvocationHttpParameters"] = {"HeaderParameters": [{"Key": "X-A", "Value": "a"}]}
    arn = conns.create_connection(request)["ConnectionArn"]
    e = error(conns.update_connection, {"Name": "conn", "AuthorizationType": "API_KEY"})
    assert e.code == "ValidationException" and "ApiKeyAuthParameters" in e.message
    e = error(conns.update_connection, {"Name": "conn", "AuthorizationType": "API_KEY",
                                        "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "k"}}})
    assert "Value null at 'authParameters.apiKeyAuthParameters.apiKeyValue'" in e.message
    conns.update_connection({"Name": "conn", "AuthorizationType": "API_KEY", "AuthParameters": {
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}})
    out = conns.describe_connection({"Name": "conn"})
    assert out["AuthorizationType"] == "API_KEY"
    assert out["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "k"}, "InvocationHttpParameters": {
        "HeaderParameters": [{"Key": "X-A", "Value": "a", "IsValueSecret": False}]}}
    assert conns.resolve(arn)["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"},
                                                    "InvocationHttpParameters": {
                                                        "HeaderParameters": [{"Key": "X-A", "Value": "a"}]}}


def test_update_replaces_the_http_parameter_lists_it_names(conns: Connections) -> None:
    request = basic()
    request["AuthParameters"]["InvocationHttpParameters"] = {
        "HeaderParameters": [{"Key": "X-A", "Value": "a"}, {"Key": "X-B", "Value": "b"}],
        "QueryStringParameters": [{"Key": "q", "Value": "1"}]}
    arn = conns.create_connection(request)["ConnectionArn"]
    conns.update_connection({"Name": "conn", "AuthParameters": {"InvocationHttpParameters": {
        "HeaderParameters": [{"Key": "X-C", "Value": "c", "IsValueSecret": True}]}}})
    assert conns.resolve(arn)["AuthParameters"]["InvocationHttpParameters"] == {
        "HeaderParameters": [{"Key": "X-C", "Value": "c", "IsValueSecret": True}],
        "QueryStringParameters": [{"Key": "q", "Value": "1"}]}
    conns.update_connection({"Name": "conn", "AuthParameters": {"InvocationHttpParameters": {
        "QueryStringParameters": []}}})
    assert conns.describe_connection({"Name": "conn"})["AuthParameters"]["InvocationHttpParameters"] == {
        "HeaderParameters": [{"Key": "X-C", "IsValueSecret": True}], "QueryStringParameters": []}


def test_update_of_oauth_keeps_what_it_does_not_name(conns: Connections) -> None:
    arn = conns.create_connection(oauth())["ConnectionArn"]
    conns.update_connection({"Name": "oauthed", "AuthParameters": {"OAuthParameters": {
        "ClientParameters": {"ClientSecret": "rotated"}, "HttpMethod": "PUT"}}})
    params = conns.resolve(arn)["AuthParameters"]["OAuthParameters"]
    assert params["ClientParameters"] == {"ClientID": "client-id", "ClientSecret": "rotated"}
    assert params["HttpMethod"] == "PUT"
    assert params["AuthorizationEndpoint"] == "https://auth.example.com/oauth2/token"
    assert params["OAuthHttpParameters"] == oauth()["AuthParameters"]["OAuthParameters"]["OAuthHttpParameters"]


def test_update_refuses_bad_requests(conns: Connections) -> None:
    conns.create_connection(basic())
    e = error(conns.update_connection, {"Name": "missing", "Description": "x"})
    assert (e.code, e.message) == ("ResourceNotFoundException",
                                   "Failed to describe the connection(s). Connection 'missing' does not exist.")
    assert error(conns.update_connection, {"Name": "conn", "AuthorizationType": "NONE"}).code == "ValidationException"
    e = error(conns.update_connection, {"Name": "conn", "AuthParameters": {
        "BasicAuthParameters": {"Password": 42}}})
    assert e.code == "ValidationException" and "basicAuthParameters.password" in e.message
    assert error(conns.update_connection, {"AuthorizationType": "BASIC"}).code == "ValidationException"


def test_concurrent_updates_that_never_settle_are_refused(conns: Connections, store: Store,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    conns.create_connection(basic())
    monkeypatch.setattr(store, "update_resource", lambda resource, expect_revision: False)
    assert error(conns.update_connection, {"Name": "conn", "Description": "x"}).code == \
        "ConcurrentModificationException"
    assert error(conns.deauthorize_connection, {"Name": "conn"}).code == "ConcurrentModificationException"


def test_an_update_applies_on_top_of_a_concurrent_one(conns: Connections, store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    conns.create_connection(basic())
    real = store.update_resource
    calls = []

    def racing(resource: Resource, expect_revision: int) -> bool:
        if not calls:  # another process updates first
            calls.append(1)
            other = store.get_resource(resource.arn)
            assert other is not None
            body = json.loads(other.body)
            body["Description"] = "from the other process"
            assert real(Resource(other.arn, other.kind, other.name, other.parent, other.created, json.dumps(body)),
                        other.revision)
        return real(resource, expect_revision)

    monkeypatch.setattr(store, "update_resource", racing)
    conns.update_connection({"Name": "conn", "AuthParameters": {"BasicAuthParameters": {"Username": "mine"}}})
    out = conns.describe_connection({"Name": "conn"})
    assert out["Description"] == "from the other process"
    assert out["AuthParameters"]["BasicAuthParameters"]["Username"] == "mine"


# ---------------------------------------------------------------------- delete / deauthorize

def test_delete_answers_deleting_and_the_connection_is_gone(conns: Connections, store: Store) -> None:
    arn = conns.create_connection(basic())["ConnectionArn"]
    out = conforms("DeleteConnection", conns.delete_connection({"Name": "conn"}))
    assert out["ConnectionArn"] == arn and out["ConnectionState"] == "DELETING"
    assert set(out) == {"ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime", "LastAuthorizedTime"}
    e = error(conns.describe_connection, {"Name": "conn"})
    assert (e.code, e.message) == ("ResourceNotFoundException",
                                   "Failed to describe the connection(s). Connection 'conn' does not exist.")
    assert error(conns.resolve, arn).code == "ResourceNotFoundException"
    assert store.list_resources(CONNECTION) == [] and store.list_resources(CONNECTION_NAME) == []
    assert error(conns.delete_connection, {"Name": "conn"}).code == "ResourceNotFoundException"
    again = conns.create_connection(basic())["ConnectionArn"]
    assert again != arn


def test_deauthorize_removes_the_credentials_until_an_update(conns: Connections) -> None:
    request = basic()
    request["AuthParameters"]["InvocationHttpParameters"] = {
        "HeaderParameters": [{"Key": "X-A", "Value": "a"}, {"Key": "X-T", "Value": "t", "IsValueSecret": True}]}
    arn = conns.create_connection(request)["ConnectionArn"]
    before = conns.describe_connection({"Name": "conn"})
    out = conforms("DeauthorizeConnection", conns.deauthorize_connection({"Name": "conn"}))
    assert out["ConnectionState"] == "DEAUTHORIZING" and out["ConnectionArn"] == arn
    described = conns.describe_connection({"Name": "conn"})
    assert described["ConnectionState"] == "DEAUTHORIZED" and "SecretArn" not in described
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}, "InvocationHttpParameters": {
        "HeaderParameters": [{"Key": "X-A", "Value": "a", "IsValueSecret": False}]}}
    assert described["LastAuthorizedTime"] == before["LastAuthorizedTime"]
    resolved = conns.resolve(arn)
    assert resolved["ConnectionState"] == "DEAUTHORIZED"
    assert resolved["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}, "InvocationHttpParameters": {
        "HeaderParameters": [{"Key": "X-A", "Value": "a", "IsValueSecret": False}]}}
    assert conns.deauthorize_connection({"Name": "conn"})["ConnectionState"] == "DEAUTHORIZING"  # again: no harm

    # an update without the missing credential leaves it de-authorized; with it, authorized again
    out = conns.update_connection({"Name": "conn", "Description": "x"})
    assert out["ConnectionState"] == "DEAUTHORIZED"
    out = conns.update_connection({"Name": "conn", "AuthParameters": {"BasicAuthParameters": {"Password": "p2"}}})
    assert out["ConnectionState"] == "AUTHORIZED" and out["LastAuthorizedTime"] > before["LastAuthorizedTime"]
    described = conns.describe_connection({"Name": "conn"})
    assert SECRET_ARN.fullmatch(described["SecretArn"]) and described["SecretArn"] != before["SecretArn"]
    assert conns.resolve(arn)["AuthParameters"]["BasicAuthParameters"] == {"Username": "user", "Password": "p2"}
    assert error(conns.deauthorize_connection, {"Name": "missing"}).code == "ResourceNotFoundException"


def test_connections_under_another_key_fail_clearly_and_can_be_reset(store: Store) -> None:
    first = Connections(store, Secrets(generate_key()), REGION, ACCOUNT, clock=Clock())
    arn = first.create_connection(basic())["ConnectionArn"]
    later = Connections(store, Secrets(generate_key()), REGION, ACCOUNT, clock=Clock())
    assert later.describe_connection({"Name": "conn"})["ConnectionState"] == "AUTHORIZED"  # nothing to decrypt
    e = error(later.resolve, arn)
    assert e.code == "InternalException" and e.status == 500 and "another secret key" in e.message
    e = error(later.update_connection, {"Name": "conn", "AuthParameters": {"BasicAuthParameters": {"Password": "n"}}})
    assert e.code == "InternalException" and "DeauthorizeConnection" in e.message
    later.deauthorize_connection({"Name": "conn"})
    later.update_connection({"Name": "conn", "AuthParameters": {"BasicAuthParameters": {"Password": "n"}}})
    assert later.resolve(arn)["AuthParameters"]["BasicAuthParameters"] == {"Username": "user", "Password": "n"}


# ---------------------------------------------------------------------- list

def test_list_pages_through_every_connection_oldest_first(conns: Connections) -> None:
    names = [f"c{n}" for n in range(5)]
    for name in names:
        conns.create_connection(basic(name))
    seen, token, pages = [], None, 0
    while True:
        request = {"Limit": 2, **({"NextToken": token} if token else {})}
        out = conforms("ListConnections", conns.list_connections(request))
        pages += 1
        assert len(out["Connections"]) <= 2
        seen += [c["Name"] for c in out["Connections"]]
        token = out.get("NextToken")
        if token is None:
            break
    assert seen == names and pages == 3
    whole = conns.list_connections({})
    assert [c["Name"] for c in whole["Connections"]] == names and "NextToken" not in whole
    exact = conns.list_connections({"Limit": 5})
    assert len(exact["Connections"]) == 5 and "NextToken" not in exact
    first = whole["Connections"][0]
    assert set(first) == {"ConnectionArn", "Name", "ConnectionState", "AuthorizationType", "CreationTime",
                          "LastModifiedTime", "LastAuthorizedTime"}


def test_list_filters_by_name_prefix_and_state(conns: Connections) -> None:
    for name in ("crm-a", "crm-b", "billing", "crm-c", "crm-d"):
        conns.create_connection(basic(name))
    conns.deauthorize_connection({"Name": "crm-b"})
    conns.deauthorize_connection({"Name": "billing"})
    conns.deauthorize_connection({"Name": "crm-d"})

    def names(**p: Any) -> list[str]:
        return [c["Name"] for c in conns.list_connections(p)["Connections"]]

    assert names(NamePrefix="crm-") == ["crm-a", "crm-b", "crm-c", "crm-d"]
    assert names(ConnectionState="DEAUTHORIZED") == ["crm-b", "billing", "crm-d"]
    assert names(NamePrefix="crm", ConnectionState="AUTHORIZED") == ["crm-a", "crm-c"]
    assert names(NamePrefix="nothing") == []
    out = conns.list_connections({"NamePrefix": "crm-", "ConnectionState": "DEAUTHORIZED", "Limit": 1})
    assert [c["Name"] for c in out["Connections"]] == ["crm-b"]
    rest = conns.list_connections({"NamePrefix": "crm-", "ConnectionState": "DEAUTHORIZED", "Limit": 1,
                                   "NextToken": out["NextToken"]})
    assert [c["Name"] for c in rest["Connections"]] == ["crm-d"] and "NextToken" not in rest


def test_list_pages_beyond_one_store_page(conns: Connections) -> None:
    for n in range(230):
        conns.create_connection(basic(f"c{n:03}"))
    conns.create_connection(basic("last"))
    out = conns.list_connections({"NamePrefix": "last"})
    assert [c["Name"] for c in out["Connections"]] == ["last"]
    first = conns.list_connections({})
    assert len(first["Connections"]) == 100 and "NextToken" in first


def test_list_refuses_bad_requests(conns: Connections) -> None:
    for p, where in (({"Limit": 0}, "limit"), ({"Limit": 101}, "limit"), ({"Limit": "9"}, "limit"),
                     ({"ConnectionState": "GONE"}, "connectionState"), ({"NamePrefix": "a b"}, "namePrefix"),
                     ({"NamePrefix": ""}, "namePrefix")):
        e = error(conns.list_connections, p)
        assert e.code == "ValidationException" and f"at '{where}'" in e.message, p
    for token in ("garbage", "e30", 42):
        e = error(conns.list_connections, {"NextToken": token})
        assert e.code == "ValidationException" and "NextToken" in e.message


# ---------------------------------------------------------------------- secrets stay secret

SECRETS = ["S3CRET-basic-password-7f3a", "S3CRET-api-key-value-91bc", "S3CRET-oauth-client-secret-42de",
           "S3CRET-oauth-body-param-aa01", "S3CRET-header-token-c0ff", "S3CRET-query-sig-beef",
           "S3CRET-updated-password-1234", "S3CRET-updated-header-5678", "S3CRET-rotated-client-9abc",
           "S3CRET-type-changed-key-def0", "S3CRET-rejected-too-long-"]


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    found = [s for s in SECRETS if s.encode() in data]
    # and in the encodings SQLite or JSON might use
    found += [s for s in SECRETS if s.encode("utf-16-le") in data or json.dumps(s).encode() in data]
    return found


def test_no_secret_is_ever_stored_or_answered_in_clear(conns: Connections, store: Store, db_path: Path) -> None:
    answers: list[Any] = []
    keep = answers.append
    with_params = basic("with-params", password=SECRETS[0])
    with_params["AuthParameters"]["InvocationHttpParameters"] = {
        "HeaderParameters": [{"Key": "X-Token", "Value": SECRETS[4], "IsValueSecret": True},
                             {"Key": "X-Plain", "Value": "visible"}],
        "QueryStringParameters": [{"Key": "sig", "Value": SECRETS[5], "IsValueSecret": True}]}
    keep(conns.create_connection(with_params))
    keep(conns.create_connection(api_key("keyed", value=SECRETS[1])))
    keep(conns.create_connection(oauth("oauthed", secret=SECRETS[2], body_secret=SECRETS[3])))
    keep(conns.create_connection(basic("doomed", password=SECRETS[0])))
    keep(conns.create_connection(basic("switching", password=SECRETS[0])))

    keep(conns.update_connection({"Name": "with-params", "AuthParameters": {
        "BasicAuthParameters": {"Password": SECRETS[6]},
        "InvocationHttpParameters": {"HeaderParameters": [
            {"Key": "X-Token", "Value": SECRETS[7], "IsValueSecret": True}, {"Key": "X-Plain", "Value": "visible"}]}}}))
    keep(conns.update_connection({"Name": "oauthed", "AuthParameters": {"OAuthParameters": {
        "ClientParameters": {"ClientSecret": SECRETS[8]}}}}))
    keep(conns.update_connection({"Name": "switching", "AuthorizationType": "API_KEY", "AuthParameters": {
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": SECRETS[9]}}}))
    keep(conns.deauthorize_connection({"Name": "keyed"}))
    for name in ("with-params", "keyed", "oauthed", "doomed", "switching"):
        keep(conns.describe_connection({"Name": name}))
    keep(conns.list_connections({}))
    keep(conns.list_connections({"Limit": 1}))
    keep(conns.delete_connection({"Name": "doomed"}))
    # a refused request does not echo the secret it carried
    e = error(conns.update_connection, {"Name": "oauthed", "AuthParameters": {"OAuthParameters": {
        "ClientParameters": {"ClientSecret": 7}}}})
    keep(e.message)
    long_secret = SECRETS[10] * 40
    too_long = basic("too-long", password=long_secret)
    keep(error(conns.create_connection, too_long).message)

    assert leaks(json.dumps(answers)) == []
    assert "visible" in json.dumps(answers)  # non-secret values are shown, as on AWS

    # every stored body, as the store returns it
    bodies = [r.body for kind in (CONNECTION, CONNECTION_NAME) for r in store.list_resources(kind, limit=1000)]
    assert len(bodies) == 8
    assert leaks("".join(bodies)) == []

    # the resolved parameters do carry them (that is what they are for)
    resolved = json.dumps([conns.resolve(json.loads(b)["ConnectionArn"]) for b in bodies if "Secret" in b])
    assert set(SECRETS[6:10]) | {SECRETS[3], SECRETS[5]} <= set(leaks(resolved))
    assert SECRETS[2] not in resolved  # rotated away

    # the database file and its write-ahead log, while open ...
    files = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    assert Path(f"{db_path}-wal").exists()
    on_disk = b"".join(path.read_bytes() for path in files if path.exists())
    assert leaks(on_disk) == []
    assert b"visible" in on_disk  # the scan does see what is stored in clear
    # ... and after a checkpoint folds the log into the file
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert Path(f"{db_path}-wal").stat().st_size == 0
    on_disk = db_path.read_bytes()
    assert leaks(on_disk) == [] and b"visible" in on_disk


def test_handlers_serve_the_operations_by_their_aws_names(conns: Connections) -> None:
    handlers = conns.handlers()
    assert set(handlers) <= set(MODEL.operation_names)
    assert set(handlers) == {"CreateConnection", "DescribeConnection", "UpdateConnection", "DeleteConnection",
                             "ListConnections", "DeauthorizeConnection"}
    handlers["CreateConnection"](basic())
    assert handlers["DescribeConnection"]({"Name": "conn"})["Name"] == "conn"


def test_members_the_model_does_not_know_are_neither_kept_nor_shown(conns: Connections) -> None:
    request = basic()
    request["AuthParameters"]["BasicAuthParameters"]["Token"] = "S3CRET-unknown"
    request["AuthParameters"]["InvocationHttpParameters"] = {
        "HeaderParameters": [{"Key": "X-A", "Value": "a", "Extra": "S3CRET-unknown"}], "Other": []}
    arn = conns.create_connection(request)["ConnectionArn"]
    conns.update_connection({"Name": "conn", "AuthParameters": {"BasicAuthParameters": {"Salt": "S3CRET-unknown"}}})
    assert "S3CRET-unknown" not in json.dumps([conns.describe_connection({"Name": "conn"}), conns.resolve(arn)])
