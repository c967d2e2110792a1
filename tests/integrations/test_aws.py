"""AWS services through boto3, against moto's server over a real loopback socket."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from stepline.asl.resources import parse_resource
from stepline.engine.local import run
from stepline.integrations import Integrations, TaskFailure
from stepline.integrations.aws import AwsClients, java_service_name, register_aws

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Standard AWS configuration pointing at moto, for this test only."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    return boto3.session.Session()


@pytest.fixture
def integrations(aws: Any) -> Integrations:
    registry = Integrations()
    register_aws(registry, lambda_functions=True)
    return registry


def call(integrations: Integrations, arn: str, payload: Any, **context: Any) -> Any:
    resource = parse_resource(arn)
    assert resource is not None
    result, _ = integrations.invoke(resource, payload, **context)
    return result


def fails(integrations: Integrations, arn: str, payload: Any) -> TaskFailure:
    with pytest.raises(TaskFailure) as info:
        call(integrations, arn, payload)
    return info.value


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------- SQS


def test_sqs_send_message_returns_the_response_with_sdk_metadata(aws: Any, integrations: Integrations) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    out = call(integrations, "arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": "hello"})
    assert out["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    assert isinstance(out["MessageId"], str)
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert out["SdkResponseMetadata"]["RequestId"] == out["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"]
    assert out["SdkHttpMetadata"]["AllHttpHeaders"]["x-amzn-RequestId"] == [out["SdkResponseMetadata"]["RequestId"]]


def test_sqs_message_body_given_as_json_is_sent_as_its_text(aws: Any, integrations: Integrations) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    call(integrations, "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
         {"QueueUrl": url, "MessageBody": {"TaskToken": "tok", "n": [1, 2]}})
    body = sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]
    assert body == '{"TaskToken":"tok","n":[1,2]}'


def test_sqs_missing_queue(aws: Any, integrations: Integrations, endpoint: str) -> None:
    url = f"{endpoint}/{ACCOUNT}/{unique('missing')}"
    e = fails(integrations, "arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": "x"})
    assert e.error == "SQS.QueueDoesNotExistException"
    assert e.cause is not None
    assert e.cause.startswith("The specified queue does not exist")
    assert "(Service: AmazonSQS; Status Code: 400; Error Code: AWS.SimpleQueueService.NonExistentQueue; " \
           "Request ID: " in e.cause and e.cause.endswith("; Proxy: null)")

    e = fails(integrations, "arn:aws:states:::aws-sdk:sqs:sendMessage", {"QueueUrl": url, "MessageBody": "x"})
    assert e.error == "Sqs.QueueDoesNotExistException"
    assert e.cause is not None and "(Service: Sqs, Status Code: 400, Request ID: " in e.cause


# ---------------------------------------------------------------------------- SNS


def test_sns_publish(aws: Any, integrations: Integrations) -> None:
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    out = call(integrations, "arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"order": 7}})
    assert isinstance(out["MessageId"], str)
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == '{"order":7}'


def test_sns_publish_to_a_missing_topic(aws: Any, integrations: Integrations) -> None:
    e = fails(integrations, "arn:aws:states:::sns:publish",
              {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:{unique('none')}", "Message": "x"})
    assert e.error == "SNS.NotFoundException"
    assert e.cause is not None and "(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; " in e.cause


# ---------------------------------------------------------------------------- DynamoDB


@pytest.fixture
def table(aws: Any) -> str:
    name = unique("table")
    aws.client("dynamodb").create_table(
        TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return name


def test_dynamodb_put_get_update_delete(integrations: Integrations, table: str) -> None:
    key = {"id": {"S": "a"}}
    put = call(integrations, "arn:aws:states:::dynamodb:putItem",
               {"TableName": table, "Item": {"id": {"S": "a"}, "n": {"N": "1"}, "tags": {"SS": ["x"]}}})
    assert set(put) == {"SdkHttpMetadata", "SdkResponseMetadata"}

    got = call(integrations, "arn:aws:states:::dynamodb:getItem", {"TableName": table, "Key": key})
    assert got["Item"] == {"id": {"S": "a"}, "n": {"N": "1"}, "tags": {"SS": ["x"]}}
    assert got["SdkHttpMetadata"]["HttpStatusCode"] == 200

    updated = call(integrations, "arn:aws:states:::dynamodb:updateItem", {
        "TableName": table, "Key": key, "UpdateExpression": "SET n = n + :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"})
    assert updated["Attributes"] == {"n": {"N": "2"}}

    deleted = call(integrations, "arn:aws:states:::dynamodb:deleteItem",
                   {"TableName": table, "Key": key, "ReturnValues": "ALL_OLD"})
    assert deleted["Attributes"]["n"] == {"N": "2"}
    assert "Item" not in call(integrations, "arn:aws:states:::dynamodb:getItem", {"TableName": table, "Key": key})


def test_dynamodb_errors(integrations: Integrations, table: str) -> None:
    e = fails(integrations, "arn:aws:states:::dynamodb:getItem",
              {"TableName": unique("missing"), "Key": {"id": {"S": "a"}}})
    assert e.error == "DynamoDB.ResourceNotFoundException"
    assert e.cause is not None and e.cause.startswith(
        "Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; "
        "Error Code: ResourceNotFoundException; Request ID: ")

    e = fails(integrations, "arn:aws:states:::dynamodb:putItem", {
        "TableName": table, "Item": {"id": {"S": "b"}}, "ConditionExpression": "attribute_exists(id)"})
    assert e.error == "DynamoDB.ConditionalCheckFailedException"

    e = fails(integrations, "arn:aws:states:::aws-sdk:dynamodb:getItem",
              {"TableName": unique("missing"), "Key": {"id": {"S": "a"}}})
    assert e.error == "DynamoDb.ResourceNotFoundException"
    assert e.cause is not None and e.cause.startswith(
        "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: ")


def test_dynamodb_actions_without_an_optimized_integration_are_refused(integrations: Integrations) -> None:
    e = fails(integrations, "arn:aws:states:::dynamodb:query", {"TableName": "t"})
    assert e.error == "States.Runtime"


# ---------------------------------------------------------------------------- S3 (aws-sdk only)


@pytest.fixture
def bucket(aws: Any) -> str:
    name = unique("bucket")
    aws.client("s3").create_bucket(Bucket=name)
    return name


def test_s3_put_and_get_object_through_aws_sdk(integrations: Integrations, bucket: str) -> None:
    put = call(integrations, "arn:aws:states:::aws-sdk:s3:putObject",
               {"Bucket": bucket, "Key": "doc.json", "Body": {"a": 1}, "ContentType": "application/json"})
    digest = hashlib.md5(b'{"a":1}').hexdigest()
    assert put["ETag"] == f'"{digest}"'

    got = call(integrations, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": bucket, "Key": "doc.json"})
    assert got["Body"] == '{"a":1}'
    assert got["ContentLength"] == 7
    assert got["ContentType"] == "application/json"
    assert isinstance(got["LastModified"], str) and got["LastModified"].endswith("Z")
    assert "ResponseMetadata" not in got


def test_s3_missing_key(integrations: Integrations, bucket: str) -> None:
    e = fails(integrations, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": bucket, "Key": "nope"})
    assert e.error == "S3.NoSuchKeyException"
    assert e.cause is not None
    assert e.cause.startswith("The specified key does not exist. (Service: S3, Status Code: 404, Request ID: ")


def test_s3_has_no_optimized_integration(integrations: Integrations) -> None:
    e = fails(integrations, "arn:aws:states:::s3:getObject", {"Bucket": "b", "Key": "k"})
    assert e.error == "States.TaskFailed"


# ---------------------------------------------------------------------------- generic aws-sdk


def test_a_list_result_is_one_page_with_its_token(integrations: Integrations, bucket: str, aws: Any) -> None:
    s3 = aws.client("s3")
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    first = call(integrations, "arn:aws:states:::aws-sdk:s3:listObjectsV2", {"Bucket": bucket, "MaxKeys": 2})
    assert first["IsTruncated"] is True
    assert [o["Key"] for o in first["Contents"]] == ["a", "b"]
    assert first["Contents"][0]["LastModified"].endswith("Z")
    rest = call(integrations, "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                {"Bucket": bucket, "ContinuationToken": first["NextContinuationToken"]})
    assert [o["Key"] for o in rest["Contents"]] == ["c"]
    assert rest["IsTruncated"] is False


def test_camel_case_apis_are_written_and_answered_in_pascal_case(integrations: Integrations, aws: Any) -> None:
    sfn = aws.client("stepfunctions")
    name = unique("sm")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = sfn.create_state_machine(name=name, definition=definition,
                                   roleArn=f"arn:aws:iam::{ACCOUNT}:role/r")["stateMachineArn"]
    out = call(integrations, "arn:aws:states:::aws-sdk:sfn:describeStateMachine", {"StateMachineArn": arn})
    assert out["StateMachineArn"] == arn and out["Name"] == name and out["Definition"] == definition
    assert out["CreationDate"].endswith("Z")

    e = fails(integrations, "arn:aws:states:::aws-sdk:sfn:describeExecution",
              {"ExecutionArn": f"arn:aws:states:us-east-1:{ACCOUNT}:execution:{name}:nope"})
    assert e.error == "Sfn.ExecutionDoesNotExistException"
    assert e.cause is not None and "(Service: Sfn, Status Code: 400, Request ID: " in e.cause


def test_unknown_fields_and_actions(integrations: Integrations) -> None:
    e = fails(integrations, "arn:aws:states:::aws-sdk:s3:listObjectsV2", {"Bucket": "b", "Nope": 1})
    assert e.error == "States.Runtime"
    assert e.cause == ("The field 'Nope' is not supported by Step Functions for "
                       "arn:aws:states:::aws-sdk:s3:listObjectsV2")
    assert fails(integrations, "arn:aws:states:::aws-sdk:s3:fly", {}).error == "States.Runtime"
    assert fails(integrations, "arn:aws:states:::aws-sdk:s3:listBuckets.sync", {}).error == "States.Runtime"


def test_parameters_the_api_would_refuse_are_the_services_error(integrations: Integrations) -> None:
    e = fails(integrations, "arn:aws:states:::aws-sdk:dynamodb:getItem", {"TableName": "t"})
    assert e.error == "DynamoDb.DynamoDbException"
    assert e.cause is not None and "Key" in e.cause and e.cause.endswith("(Service: DynamoDb, Status Code: 400, "
                                                                         "Request ID: null)")
    e = fails(integrations, "arn:aws:states:::dynamodb:getItem", {"TableName": "t"})
    assert e.error == "DynamoDB.AmazonDynamoDBException"


def test_an_unknown_service(integrations: Integrations) -> None:
    # not registered under its own name: the catch-all serves it, and refuses a service boto3 does not know
    assert fails(integrations, "arn:aws:states:::aws-sdk:nosuchservice:go", {}).error == "States.Runtime"
    resource = parse_resource("arn:aws:states:::aws-sdk:nosuchservice:go")
    assert resource is not None
    with pytest.raises(TaskFailure) as info:
        integrations.services["aws-sdk:*"](resource, {}, timeout=None, token=None)
    assert info.value.error == "States.Runtime"


def test_service_names_map_to_boto3_clients(integrations: Integrations, aws: Any) -> None:
    # "cloudwatchlogs" is boto3's "logs"; "secretsmanager" is found by its own name
    group = unique("g")
    call(integrations, "arn:aws:states:::aws-sdk:cloudwatchlogs:createLogGroup", {"LogGroupName": group})
    groups = call(integrations, "arn:aws:states:::aws-sdk:cloudwatchlogs:describeLogGroups",
                  {"LogGroupNamePrefix": group})
    assert [g["LogGroupName"] for g in groups["LogGroups"]] == [group]
    e = fails(integrations, "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue", {"SecretId": unique("s")})
    assert e.error == "SecretsManager.ResourceNotFoundException"


def test_java_service_names() -> None:
    cases = {"DynamoDB": "DynamoDb", "SQS": "Sqs", "S3": "S3", "SFN": "Sfn", "ACM PCA": "AcmPca",
             "CloudWatch Logs": "CloudWatchLogs", "EventBridge": "EventBridge", "SESv2": "SesV2",
             "ApiGatewayV2": "ApiGatewayV2", "Elastic Load Balancing v2": "ElasticLoadBalancingV2",
             "Database Migration Service": "DatabaseMigration", "IoT Data Plane": "IotDataPlane",
             "EC2": "Ec2", "WAFV2": "Wafv2", "SageMaker": "SageMaker", "Bedrock Runtime": "BedrockRuntime"}
    assert {k: java_service_name(k) for k in cases} == cases


# ---------------------------------------------------------------------------- EventBridge


def test_events_put_events_adds_the_execution_to_resources(aws: Any, integrations: Integrations) -> None:
    events, sqs = aws.client("events"), aws.client("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = unique("my.source")
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    execution = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:machine:run-1"

    out = call(integrations, "arn:aws:states:::events:putEvents",
               {"Entries": [{"Source": source, "DetailType": "Thing", "Detail": {"k": "v"}}]},
               execution_arn=execution)
    assert out["FailedEntryCount"] == 0 and isinstance(out["Entries"][0]["EventId"], str)
    assert "SdkHttpMetadata" not in out
    event = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert event["detail"] == {"k": "v"}
    assert event["resources"] == [execution, f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:machine"]


def test_events_a_failed_entry_fails_the_task(integrations: Integrations) -> None:
    e = fails(integrations, "arn:aws:states:::events:putEvents",
              {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "not json"}]})
    assert e.error == "EventBridge.FailedEntry"
    assert e.cause is not None and json.loads(e.cause)["FailedEntryCount"] == 1


# ---------------------------------------------------------------------------- Bedrock, Lambda


def test_bedrock_invoke_model(aws: Any, integrations: Integrations, bucket: str) -> None:
    out = call(integrations, "arn:aws:states:::bedrock:invokeModel",
               {"ModelId": "amazon.titan-text-express-v1", "Body": {"inputText": "hi"}})
    assert set(out) == {"Body", "ContentType"}
    assert isinstance(out["Body"], (dict, list, str))

    aws.client("s3").put_object(Bucket=bucket, Key="prompt.json", Body=b'{"inputText":"hi"}')
    out = call(integrations, "arn:aws:states:::bedrock:invokeModel", {
        "ModelId": "amazon.titan-text-express-v1", "Input": {"S3Uri": f"s3://{bucket}/prompt.json"},
        "Output": {"S3Uri": f"s3://{bucket}/answer.json"}})
    assert out["Body"] == {"S3Uri": f"s3://{bucket}/answer.json"}
    assert aws.client("s3").get_object(Bucket=bucket, Key="answer.json")["ContentLength"] >= 0


def test_lambda_invoke_of_a_missing_aws_function(integrations: Integrations) -> None:
    # Integrations.invoke answers lambda:invoke from Python functions; the opt-in AWS Lambda
    # integration is registered as the "lambda" service for the server to route to
    resource = parse_resource("arn:aws:states:::lambda:invoke")
    assert resource is not None
    with pytest.raises(TaskFailure) as info:
        integrations.services["lambda"](resource, {"FunctionName": "nope", "Payload": {}}, timeout=None, token=None)
    assert info.value.error == "Lambda.ResourceNotFoundException"
    assert info.value.cause is not None and "(Service: AWSLambda; Status Code: 404; Error Code: " \
                                            "ResourceNotFoundException; Request ID: " in info.value.cause


def test_lambda_is_registered_only_when_asked(aws: Any) -> None:
    registry = Integrations()
    register_aws(registry)
    assert "lambda" not in registry.services
    assert {"sqs", "sns", "dynamodb", "events", "bedrock", "aws-sdk:s3", "aws-sdk:sfn", "aws-sdk:*"} \
        <= set(registry.services)


# ---------------------------------------------------------------------------- clients


def test_one_client_per_service_shared_across_threads(aws: Any) -> None:
    clients = AwsClients()
    seen: list[Any] = []
    barrier = threading.Barrier(8)

    def get() -> None:
        barrier.wait()
        seen.append(clients.client("sqs"))

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(c is seen[0] for c in seen)


def test_without_boto3_a_task_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    registry = Integrations()
    register_aws(registry)
    e = fails(registry, "arn:aws:states:::aws-sdk:s3:listBuckets", {})
    assert e.error == "States.TaskFailed" and e.cause is not None and "pip install 'stepline[aws]'" in e.cause


# ---------------------------------------------------------------------------- a whole execution


def test_an_execution_records_aws_results_and_errors(aws: Any, integrations: Integrations, table: str) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"QueueUrl": url, "MessageBody.$": "$.message"},
                     "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.sent", "Next": "Read"},
            "Read": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                     "Parameters": {"TableName": "no-such-table", "Key": {"id": {"S": "x"}}},
                     "Catch": [{"ErrorEquals": ["DynamoDB.ResourceNotFoundException"], "ResultPath": "$.error",
                                "Next": "Done"}],
                     "End": True},
            "Done": {"Type": "Pass", "End": True},
        },
    }
    ex = run(definition, {"message": {"hello": "world"}}, integrations=integrations)
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert ex.output["error"]["Error"] == "DynamoDB.ResourceNotFoundException"
    body = sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]
    assert body == '{"hello":"world"}'

    events = {e["type"]: e for e in ex.history}
    succeeded = events["TaskSucceeded"]["taskSucceededEventDetails"]
    assert succeeded["resourceType"] == "sqs" and succeeded["resource"] == "sendMessage"
    output = json.loads(succeeded["output"])
    assert output["MessageId"] == ex.output["sent"]["id"]
    assert output["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    failed = events["TaskFailed"]["taskFailedEventDetails"]
    assert failed["resourceType"] == "dynamodb" and failed["resource"] == "getItem"
    assert failed["error"] == "DynamoDB.ResourceNotFoundException"
    assert failed["cause"].startswith("Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; "
                                      "Error Code: ResourceNotFoundException; Request ID: ")


def test_an_uncaught_aws_sdk_error_fails_the_execution(aws: Any, integrations: Integrations, bucket: str) -> None:
    definition = {"StartAt": "Get", "States": {"Get": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {"Bucket": bucket, "Key": "missing"}, "End": True}}}
    ex = run(definition, {}, integrations=integrations)
    assert ex.status == "FAILED"
    assert ex.error == "S3.NoSuchKeyException"
    failed = next(e for e in ex.history if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert (failed["resourceType"], failed["resource"]) == ("aws-sdk:s3", "getObject")
    assert failed["error"] == "S3.NoSuchKeyException" and failed["cause"] == ex.cause
