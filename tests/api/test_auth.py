"""SigV4 verification (stepline.api.auth) of requests signed as boto3 signs them."""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from stepline.api.auth import MISMATCH, Verifier, parse_credentials
from stepline.api.errors import ApiError

KEY_ID, SECRET = "AKIDSTEPLINE", "secret/key+with=odd chars"
ENDPOINT = "http://localhost:8083"
HOST = "localhost:8083"


class _Sent(Exception):
    pass


def sent_by_boto3(service: str = "stepfunctions", call: str = "list_state_machines", *,
                  key_id: str = KEY_ID, secret: str = SECRET, token: str | None = None,
                  **params: Any) -> tuple[str, str, dict[str, str], bytes]:
    """The request boto3 puts on the wire (method, path, headers with the Host that the HTTP
    client adds, body), captured just before it would be sent."""
    client = boto3.client(service, endpoint_url=ENDPOINT, region_name="eu-west-3", aws_access_key_id=key_id,
                          aws_secret_access_key=secret, aws_session_token=token)
    captured = []

    def capture(request: Any, **kwargs: Any) -> None:
        captured.append(request)
        raise _Sent()

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Sent):
        getattr(client, call)(**params)
    request = captured[0]
    headers = {name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()}
    headers["Host"] = HOST
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return request.method, request.url.removeprefix(ENDPOINT), headers, body


def signed(body: bytes = b"{}", path: str = "/", headers: dict[str, str] | None = None, *,
           service: str = "states", region: str = "us-east-1", secret: str = SECRET, key_id: str = KEY_ID,
           token: str | None = None) -> dict[str, str]:
    """Headers of a request signed with botocore's SigV4Auth, as boto3 signs."""
    request = AWSRequest(method="POST", url=ENDPOINT + path, data=body, headers=dict(headers or {
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}))
    SigV4Auth(Credentials(key_id, secret, token), service, region).add_auth(request)
    return {**dict(request.headers.items()), "Host": HOST}


def verifier(clock_shift: float = 0.0, **kwargs: Any) -> Verifier:
    now = datetime.datetime.now(datetime.UTC).timestamp()
    return Verifier(f"OTHER:x,{KEY_ID}:{SECRET}", clock=lambda: now + clock_shift, **kwargs)


def rejected(headers: dict[str, str], body: bytes = b"{}", path: str = "/", **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        verifier(**kwargs).verify("POST", path, headers, body)
    return caught.value


# -- accepted ----------------------------------------------------------------------------

def test_a_request_signed_by_boto3_is_accepted() -> None:
    method, path, headers, body = sent_by_boto3()
    assert verifier().verify(method, path, headers, body) == KEY_ID


def test_a_request_with_a_body_and_a_session_token_is_accepted() -> None:
    method, path, headers, body = sent_by_boto3(
        call="start_execution", token="FQoGZXIvYXdzEBAaDTemporaryToken==",
        stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:m", input=json.dumps({"é": [1, 2]}))
    assert "x-amz-security-token" in headers["Authorization"] and json.loads(body)["input"]
    assert verifier().verify(method, path, headers, body) == KEY_ID


def test_eventbridge_requests_are_accepted() -> None:
    method, path, headers, body = sent_by_boto3("events", "list_connections")
    assert "/events/aws4_request" in headers["Authorization"]
    assert verifier().verify(method, path, headers, body) == KEY_ID
    with pytest.raises(ApiError) as caught:
        verifier().verify(method, path, headers, body, service="states")
    assert caught.value.message == "Credential should be scoped to correct service: 'states'."


def test_headers_are_case_insensitive_and_may_come_as_starlette_headers() -> None:
    method, path, headers, body = sent_by_boto3()
    lowered = {name.lower(): value for name, value in headers.items()}
    assert verifier().verify(method, path, lowered, body) == KEY_ID
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    assert verifier().verify(method, path, Headers(raw=raw), body) == KEY_ID


def test_unsigned_headers_may_change() -> None:
    method, path, headers, body = sent_by_boto3()
    headers["User-Agent"] = "something else"
    headers["X-Forwarded-For"] = "10.1.2.3"
    assert verifier().verify(method, path, headers, body) == KEY_ID


def test_path_and_query_are_signed() -> None:
    headers = signed(path="/some%20where/?b=2&a=1")
    assert verifier().verify("POST", "/some%20where/?b=2&a=1", headers, b"{}") == KEY_ID
    assert rejected(headers, path="/some%20where/?b=2&a=3").message == MISMATCH
    assert rejected(headers, path="/elsewhere?b=2&a=1").message == MISMATCH


def test_any_region_is_accepted() -> None:
    assert verifier().verify("POST", "/", signed(region="ap-southeast-2"), b"{}") == KEY_ID


def test_signed_header_values_are_compared_after_whitespace_folding() -> None:
    headers = signed(headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "A.B",
                              "X-Custom": "a   b"})
    headers["X-Custom"] = " a b "
    assert verifier().verify("POST", "/", headers, b"{}") == KEY_ID


# -- rejected ----------------------------------------------------------------------------

def test_no_authorization_header() -> None:
    headers = signed()
    del headers["Authorization"]
    failure = rejected(headers)
    assert (failure.code, failure.message, failure.status) == (
        "MissingAuthenticationTokenException", "Missing Authentication Token", 403)


def test_unknown_access_key() -> None:
    failure = rejected(signed(key_id="AKIDNOBODY"))
    assert (failure.code, failure.message, failure.status) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.", 400)


def test_wrong_secret() -> None:
    failure = rejected(signed(secret="not the secret"))
    assert (failure.code, failure.message, failure.status) == ("InvalidSignatureException", MISMATCH, 400)


def test_tampered_body() -> None:
    method, path, headers, body = sent_by_boto3(
        call="start_execution", stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:m")
    assert rejected(headers, body.replace(b":m", b":n")).message == MISMATCH
    assert rejected(headers, b"").message == MISMATCH


def test_tampered_signed_header() -> None:
    method, path, headers, body = sent_by_boto3()
    headers["X-Amz-Target"] = "AWSStepFunctions.DeleteStateMachine"
    assert rejected(headers, body).message == MISMATCH


def test_tampered_session_token() -> None:
    method, path, headers, body = sent_by_boto3(token="TOKEN")
    headers["X-Amz-Security-Token"] = "OTHER"
    assert rejected(headers, body).message == MISMATCH


def test_a_signed_header_that_did_not_arrive() -> None:
    method, path, headers, body = sent_by_boto3()
    del headers["X-Amz-Target"]
    assert rejected(headers, body).message == MISMATCH


def test_a_content_hash_that_is_not_the_body_s() -> None:
    headers = signed(headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "A.B",
                              "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert rejected(headers).message == MISMATCH


def test_expired_and_not_yet_current() -> None:
    headers = signed()
    date = headers["X-Amz-Date"]
    signed_at = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    later = signed_at + datetime.timedelta(minutes=20, seconds=3)
    with pytest.raises(ApiError) as caught:
        Verifier({KEY_ID: SECRET}, clock=lambda: later.timestamp() + 0.5).verify("POST", "/", headers, b"{}")
    failure = caught.value
    assert failure.code == "InvalidSignatureException" and failure.status == 400

    def stamp(moment: datetime.datetime) -> str:
        return moment.strftime("%Y%m%dT%H%M%SZ")

    assert failure.message == (f"Signature expired: {date} is now earlier than "
                               f"{stamp(later - datetime.timedelta(minutes=15))} ({stamp(later)} - 15 min.)")

    verify = Verifier({KEY_ID: SECRET}, clock=lambda: (signed_at - datetime.timedelta(minutes=16)).timestamp())
    with pytest.raises(ApiError) as caught:
        verify.verify("POST", "/", headers, b"{}")
    earlier = signed_at - datetime.timedelta(minutes=16)
    assert caught.value.message == (f"Signature not yet current: {date} is still later than "
                                    f"{stamp(earlier + datetime.timedelta(minutes=15))} ({stamp(earlier)} + 15 min.)")
    assert Verifier({KEY_ID: SECRET}, clock=lambda: (signed_at + datetime.timedelta(minutes=14)).timestamp()).verify(
        "POST", "/", headers, b"{}") == KEY_ID


@pytest.mark.parametrize("garbage", ["garbage", "Basic dXNlcjpwYXNz", "AWS4-HMAC-SHA256",
                                     "AWS4-HMAC-SHA256 Credential="])
def test_garbage_authorization_header(garbage: str) -> None:
    headers = {**signed(), "Authorization": garbage}
    failure = rejected(headers)
    assert (failure.code, failure.status) == ("IncompleteSignatureException", 400)
    assert failure.message == ("Authorization header requires 'Credential' parameter. "
                               "Authorization header requires 'Signature' parameter. "
                               f"Authorization header requires 'SignedHeaders' parameter. Authorization={garbage}")


def test_missing_parts_are_all_named() -> None:
    headers = signed()
    del headers["X-Amz-Date"]
    header = headers["Authorization"].split(", Signature=")[0]
    headers["Authorization"] = header
    assert rejected(headers).message == (
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={header}")


def test_malformed_date() -> None:
    headers = {**signed(), "X-Amz-Date": "2024-01-01T00:00:00Z"}
    failure = rejected(headers)
    assert (failure.code, failure.message) == ("IncompleteSignatureException",
                                               "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. "
                                               "See http://en.wikipedia.org/wiki/ISO_8601")
    assert rejected({**signed(), "X-Amz-Date": "20241399T000000Z"}).code == "IncompleteSignatureException"


def test_host_must_be_signed() -> None:
    headers = signed()
    headers["Authorization"] = headers["Authorization"].replace("SignedHeaders=content-type;host;",
                                                                "SignedHeaders=content-type;")
    failure = rejected(headers)
    assert (failure.code, failure.message) == (
        "InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")


def test_unsupported_algorithm() -> None:
    headers = signed()
    headers["Authorization"] = headers["Authorization"].replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    failure = rejected(headers)
    assert (failure.code, failure.message) == (
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ")


def test_credential_must_have_five_parts() -> None:
    headers = signed()
    headers["Authorization"] = headers["Authorization"].replace("/us-east-1/states/", "/us-east-1/")
    failure = rejected(headers)
    assert failure.code == "IncompleteSignatureException"
    assert failure.message.startswith("Credential must have exactly 5 slash-delimited elements, "
                                      f"e.g. keyid/date/region/service/term, got '{KEY_ID}/")


def test_credential_scope() -> None:
    headers = signed(service="dynamodb", region="Bad_Region")
    date = headers["X-Amz-Date"]
    headers["Authorization"] = headers["Authorization"].replace("aws4_request", "aws5_request").replace(
        f"/{date[:8]}/", "/20200101/")
    failure = rejected(headers)
    assert (failure.code, failure.message) == ("InvalidSignatureException", (
        "Credential should be scoped to a valid region, not 'Bad_Region'. "
        "Credential should be scoped to correct service: 'states'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
        f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        f"'20200101' != '{date[:8]}', from '{date}'."))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["Authorization", "X-Amz-Date", "Host", "X-Amz-Target", "X-Amz-Content-SHA256"]),
                       st.text(max_size=80)),
       st.text(max_size=30), st.binary(max_size=20))
def test_fuzz_only_api_errors(headers: dict[str, str], path: str, body: bytes) -> None:
    base = signed()
    try:
        verifier().verify("POST", path, {**base, **headers}, body)
    except ApiError as failure:
        assert failure.code in ("MissingAuthenticationTokenException", "IncompleteSignatureException",
                                "InvalidSignatureException", "UnrecognizedClientException")


# -- credentials -------------------------------------------------------------------------

def test_parse_credentials() -> None:
    assert parse_credentials("AKID:SECRET") == {"AKID": "SECRET"}
    assert parse_credentials(" A1:s1 , A2:s:2/+= ") == {"A1": "s1", "A2": "s:2/+="}


@pytest.mark.parametrize(("text", "complaint"), [
    ("", "credential 1 is not of the form ACCESS_KEY_ID:SECRET_ACCESS_KEY"),
    ("AKID", "credential 1 is not of the form"),
    ("AKID:", "credential 1 is not of the form"),
    (":s3cr3t", "credential 1 is not of the form"),
    ("s3cr3t", "credential 1 is not of the form"),
    ("A:B,,C:D", "credential 2 is not of the form"),
    ("A/B:C", "access key id 'A/B' may hold only"),
    ("A:B,A:C", "access key id 'A' is given twice"),
])
def test_malformed_credentials(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as caught:
        parse_credentials(text)
    assert "s3cr3t" not in str(caught.value)


def test_a_verifier_needs_a_credential() -> None:
    with pytest.raises(ValueError):
        Verifier({})
    assert Verifier({KEY_ID: SECRET}).credentials == {KEY_ID: SECRET}
