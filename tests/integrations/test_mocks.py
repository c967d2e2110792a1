"""Mocked task responses (Step Functions Local's MockConfigFile): the format, its validation,
how invocations are counted and answered, and `stepline run --mock-config --test-case`."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading

import pytest

import stepline
from stepline.integrations import TaskFailure
from stepline.integrations.mocks import MockConfigError, Mocks

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:{}"
ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:{}"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/q"


def machine(**states: dict) -> dict:
    return {"StartAt": next(iter(states)), "States": states}


def config(cases: dict, responses: dict, name: str = "M") -> dict:
    """A one-machine config: ``cases`` maps test case -> state -> response name."""
    return {"StateMachines": {name: {"TestCases": cases}}, "MockedResponses": responses}


def events(ex: stepline.Execution, *types: str) -> list[dict]:
    return [e for e in ex.history if not types or e["type"] in types]


def details(event: dict) -> dict:
    key = event["type"][0].lower() + event["type"][1:] + "EventDetails"
    return event[key]


# The example of AWS's "Configuration file for mocked service integrations" page.
AWS_EXAMPLE = {
    "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
        "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
        "HybridPath": {"LambdaState": "MockedLambdaSuccess"}}}},
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200,
                                                 "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
        "LambdaMockedResourceNotReady": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException",
                                                         "Cause": "Lambda resource is not ready."}}},
        "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                                              "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}}}

# ... and the state machine of its companion page, "Using mocked service integrations".
AWS_MACHINE = machine(
    LambdaState={"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
                 "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3,
                            "BackoffRate": 2}],
                 "Next": "SQSState"},
    SQSState={"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
              "Parameters": {"QueueUrl": QUEUE, "MessageBody.$": "$"}, "End": True})


# ---------------------------------------------------------------------- the format and its validation


def test_the_aws_example_loads() -> None:
    mocks = Mocks.from_json(AWS_EXAMPLE)
    assert mocks.test_case("LambdaSQSIntegration", "RetryPath") == {"LambdaState": "MockedLambdaRetry",
                                                                     "SQSState": "MockedSQSSuccess"}
    assert mocks.responses["MockedLambdaRetry"].describe() == "0, 1-2, 3"


def test_a_file_is_read_and_its_name_is_in_errors(tmp_path: pathlib.Path) -> None:
    good = tmp_path / "MockConfigFile.json"
    good.write_text(json.dumps(AWS_EXAMPLE))
    assert "LambdaSQSIntegration" in Mocks.load(good).state_machines
    bad = tmp_path / "bad.json"
    bad.write_text('{"StateMachines": {}, ')
    with pytest.raises(MockConfigError, match=r"mock config .*bad\.json: it is not valid JSON"):
        Mocks.load(bad)
    with pytest.raises(MockConfigError, match=r"missing\.json: cannot read it"):
        Mocks.load(tmp_path / "missing.json")


@pytest.mark.parametrize("value, location, reason", [
    ([], None, "the mock configuration must be a JSON object, not an array"),
    ({"StateMachines": {}}, None, "the field 'MockedResponses' is missing"),
    ({"StateMachines": {}, "MockedResponse": {}}, None,
     "unknown field 'MockedResponse' (did you mean 'MockedResponses'?)"),
    ({"StateMachines": [], "MockedResponses": {}}, "StateMachines", "must be a JSON object, not an array"),
    ({"StateMachines": {"M": {}}, "MockedResponses": {}}, "StateMachines.M", "the field 'TestCases' is missing"),
    ({"StateMachines": {"M": {"TestCases": {}, "Cases": {}}}, "MockedResponses": {}}, "StateMachines.M",
     "unknown field 'Cases'"),
    (config({"Happy": {"A": "Nope"}}, {"R": {"0": {"Return": 1}}}), "StateMachines.M.TestCases.Happy.A",
     "the mocked response 'Nope' is not defined in MockedResponses (defined: 'R')"),
    (config({"Happy": {"A": {"Return": 1}}}, {}), "StateMachines.M.TestCases.Happy.A",
     "the name of a mocked response (a string), not an object"),
    (config({}, {"R": {"first": {"Return": 1}}}), "MockedResponses.R", "'first' is not an invocation"),
    (config({}, {"R": {"3-1": {"Return": 1}}}), "MockedResponses.R", "the range '3-1' ends before it starts"),
    (config({}, {"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}), "MockedResponses.R",
     "the invocations '0-2' and '2' overlap"),
    (config({}, {"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}), 'MockedResponses.R["0"]',
     "exactly one field, 'Return' (the result) or 'Throw'"),
    (config({}, {"R": {"0": {}}}), 'MockedResponses.R["0"]', "exactly one field"),
    (config({}, {"R": {"0": {"Result": 1}}}), 'MockedResponses.R["0"]', "unknown field 'Result'"),
    (config({}, {"R": {"0": {"Throw": {"Cause": "c"}}}}), 'MockedResponses.R["0"].Throw', "'Error' is missing"),
    (config({}, {"R": {"0": {"Throw": {"Error": 5}}}}), 'MockedResponses.R["0"].Throw',
     "'Error' must be a non-empty string, not a number"),
    (config({}, {"R": {"0": {"Throw": {"Error": "E", "Cause": {"x": 1}}}}}), 'MockedResponses.R["0"].Throw',
     "'Cause' must be a string, not an object"),
    (config({}, {"R": {"0": {"Throw": "E"}}}), 'MockedResponses.R["0"].Throw', "must be a JSON object, not a string"),
    (config({"My case": {"The state": 1}}, {}), 'StateMachines.M.TestCases["My case"]["The state"]', "not a number"),
])
def test_validation_names_what_is_wrong_and_where(value, location, reason) -> None:
    with pytest.raises(MockConfigError) as e:
        Mocks.from_json(value, source="mock config mocks.json")
    assert e.value.location == location
    assert reason in e.value.reason
    assert str(e.value).startswith("mock config mocks.json: " + (f"{location}: " if location else ""))


def test_a_field_written_twice_is_an_error() -> None:
    text = '{"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": 1}, "0": {"Return": 2}}}}'
    with pytest.raises(MockConfigError, match=r"MockedResponses\.R: the field '0' appears more than once"):
        Mocks.from_text(text)


def test_a_response_may_have_gaps_or_no_invocations_at_all() -> None:
    # Step Functions Local accepts these and fails only the invocation that has no response
    mocks = Mocks.from_json(config({"T": {"A": "Gap", "B": "Empty"}},
                                   {"Gap": {"1": {"Return": 1}, "3-4": {"Return": 2}}, "Empty": {}}))
    assert mocks.responses["Gap"].at(0) is None
    assert mocks.responses["Gap"].at(1).result == 1
    assert mocks.responses["Gap"].at(2) is None
    assert mocks.responses["Gap"].at(4).result == 2
    assert mocks.responses["Gap"].at(5) is None
    assert mocks.responses["Empty"].describe() == "none"


# ---------------------------------------------------------------------- answering: the interceptor


def call(mocks: Mocks, state: str = "A", *, execution: str = "ex1", test_case: str | None = "T",
         machine_name: str = "M") -> tuple[bool, object]:
    return mocks.interceptor(None, {}, token=None, execution_arn=execution, state_machine_name=machine_name,
                             state_name=state, attempt=0, test_case=test_case)


def test_invocations_are_counted_per_execution_and_state() -> None:
    mocks = Mocks.from_json(config({"T": {"A": "R", "B": "R"}},
                                   {"R": {"0": {"Return": "zero"}, "1-2": {"Return": "one or two"}}}))
    assert call(mocks, "A") == (True, "zero")
    assert call(mocks, "A") == (True, "one or two")
    assert call(mocks, "B") == (True, "zero")                     # another state counts on its own
    assert call(mocks, "A", execution="ex2") == (True, "zero")    # and so does another execution
    assert call(mocks, "A") == (True, "one or two")
    with pytest.raises(TaskFailure) as e:
        call(mocks, "A")
    assert e.value.error == "States.Runtime"
    assert "no response for invocation 3 of the state 'A'" in e.value.cause
    assert "invocations 0, 1-2" in e.value.cause
    assert mocks.invocations("ex1") == {"A": 4, "B": 1}
    mocks.forget("ex1")
    assert mocks.invocations("ex1") == {}


def test_states_and_executions_without_a_test_case_are_not_mocked() -> None:
    mocks = Mocks.from_json(config({"T": {"A": "R"}}, {"R": {"0": {"Return": 1}}}))
    assert call(mocks, "Other") == (False, None)
    assert call(mocks, "A", test_case=None) == (False, None)
    with pytest.raises(TaskFailure, match="States.Runtime"):
        call(mocks, "A", test_case="Unknown")


def test_a_returned_value_is_a_fresh_copy_each_time() -> None:
    mocks = Mocks.from_json(config({"T": {"A": "R"}}, {"R": {"0-1": {"Return": {"list": [1]}}}}))
    first = call(mocks)[1]
    first["list"].append(2)  # type: ignore[index]
    assert call(mocks)[1] == {"list": [1]}


def test_counters_are_safe_across_threads() -> None:
    n_threads, per_thread = 8, 250
    total = n_threads * per_thread
    mocks = Mocks.from_json(config({"T": {"A": "R"}}, {"R": {str(i): {"Return": i} for i in range(total)}}))
    seen: list[object] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [call(mocks)[1] for _ in range(per_thread)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(total))  # every invocation answered exactly once


def test_choosing_the_state_machine_of_a_test_case() -> None:
    mocks = Mocks.from_json({"StateMachines": {"A": {"TestCases": {"Only": {}, "Both": {}}},
                                               "B": {"TestCases": {"Both": {}}}},
                             "MockedResponses": {}})
    assert mocks.state_machine_for("Only") == "A"
    assert mocks.state_machine_for("Both", "B") == "B"
    with pytest.raises(MockConfigError, match=r"several state machines have a test case named 'Both' \('A', 'B'\)"):
        mocks.state_machine_for("Both")
    with pytest.raises(MockConfigError, match="no state machine has a test case named 'Nope'"):
        mocks.state_machine_for("Nope")
    with pytest.raises(MockConfigError, match=r"state machine 'B' has no test case 'Only' \(its test cases: 'Both'\)"):
        mocks.state_machine_for("Only", "B")
    with pytest.raises(MockConfigError, match="no state machine named 'C'"):
        mocks.state_machine_for("Only", "C")


# ---------------------------------------------------------------------- executions (stepline.run)


def test_happy_path_of_the_aws_example() -> None:
    ex = stepline.run(AWS_MACHINE, {"in": 1}, mock_config=AWS_EXAMPLE, test_case="HappyPath")
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert ex.state_machine_name == "LambdaSQSIntegration"
    assert ex.arn.startswith("arn:aws:states:us-east-1:123456789012:execution:LambdaSQSIntegration:")
    assert ex.output == AWS_EXAMPLE["MockedResponses"]["MockedSQSSuccess"]["0"]["Return"]
    lambda_done, sqs_done = events(ex, "TaskSucceeded")
    # lambda:invoke: the Return is the whole Invoke response, as the task's result
    assert details(lambda_done)["resourceType"] == "lambda"
    assert details(lambda_done)["resource"] == "invoke"
    assert json.loads(details(lambda_done)["output"]) == {"StatusCode": 200,
                                                         "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
    assert details(sqs_done)["resourceType"] == "sqs"
    assert json.loads(details(sqs_done)["output"])["MessageId"] == "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"
    # the mocked result flows on as a real one would: the SQS state got the Lambda response
    scheduled = events(ex, "TaskScheduled")[1]
    assert json.loads(details(scheduled)["parameters"])["MessageBody"]["Payload"]["body"] == "Hello from Lambda!"


def test_retry_path_of_the_aws_example_consumes_one_invocation_per_attempt() -> None:
    ex = stepline.run(AWS_MACHINE, {}, mock_config=AWS_EXAMPLE, test_case="RetryPath", virtual_time=True)
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    failed = events(ex, "TaskFailed")
    assert [(details(e)["error"], details(e)["cause"]) for e in failed] == [
        ("Lambda.ResourceNotReadyException", "Lambda resource is not ready."),
        ("Lambda.TimeoutException", "Lambda timed out."),
        ("Lambda.TimeoutException", "Lambda timed out."),
    ]
    assert len(events(ex, "TaskScheduled")) == 5  # four Lambda attempts, one SQS call
    assert [e["type"] for e in events(ex, "TaskFailed", "TaskSucceeded")] == [
        "TaskFailed", "TaskFailed", "TaskFailed", "TaskSucceeded", "TaskSucceeded"]
    # the waits of the retrier (2, 4, 8 seconds) passed, in virtual time
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] >= 14


def test_hybrid_path_calls_the_real_function_for_unmocked_states() -> None:
    calls = []

    def echo(event, context):
        calls.append(event)
        return {"echoed": event}

    definition = machine(
        Mocked={"Type": "Task", "Resource": LAMBDA.format("charge"), "Next": "Real"},
        Real={"Type": "Task", "Resource": LAMBDA.format("echo"), "End": True})
    mocks = config({"Hybrid": {"Mocked": "Charged"}}, {"Charged": {"0": {"Return": {"charged": 42}}}})
    ex = stepline.run(definition, {"n": 1}, functions={"echo": echo}, mock_config=mocks, test_case="Hybrid")
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert calls == [{"charged": 42}]  # "charge" is not even defined: the mock answered for it
    assert ex.output == {"echoed": {"charged": 42}}
    mocked, real = events(ex, "LambdaFunctionSucceeded")
    # a Lambda function ARN: the Return is the function's result (no Invoke response around it)
    assert json.loads(details(mocked)["output"]) == {"charged": 42}
    assert json.loads(details(real)["output"]) == {"echoed": {"charged": 42}}


def test_a_thrown_error_is_caught() -> None:
    definition = machine(
        Send={"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
              "Parameters": {"QueueUrl": QUEUE, "MessageBody": "hi"},
              "Catch": [{"ErrorEquals": ["SQS.QueueDoesNotExistException"], "ResultPath": "$.error",
                         "Next": "Handled"}],
              "End": True},
        Handled={"Type": "Pass", "End": True})
    mocks = config({"Sad": {"Send": "NoQueue"}},
                   {"NoQueue": {"0": {"Throw": {"Error": "SQS.QueueDoesNotExistException",
                                                "Cause": "The specified queue does not exist."}}}})
    ex = stepline.run(definition, {"order": 7}, mock_config=mocks, test_case="Sad")
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert ex.output == {"order": 7, "error": {"Error": "SQS.QueueDoesNotExistException",
                                               "Cause": "The specified queue does not exist."}}
    (failed,) = events(ex, "TaskFailed")
    assert details(failed) == {"resourceType": "sqs", "resource": "sendMessage",
                               "error": "SQS.QueueDoesNotExistException",
                               "cause": "The specified queue does not exist."}


def test_an_uncaught_throw_fails_the_execution_with_a_lambda_failed_event() -> None:
    definition = machine(F={"Type": "Task", "Resource": LAMBDA.format("f"), "End": True})
    mocks = config({"T": {"F": "Boom"}}, {"Boom": {"0": {"Throw": {"Error": "Custom.Boom"}}}})
    ex = stepline.run(definition, mock_config=mocks, test_case="T")
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "Custom.Boom", None)
    (failed,) = events(ex, "LambdaFunctionFailed")
    assert details(failed) == {"error": "Custom.Boom"}


def test_a_state_run_again_goes_on_counting() -> None:
    """A loop calls the mocked state three times: invocations 0, 1, 2 (no retries involved)."""
    definition = machine(
        Poll={"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeInstances",
              "Parameters": {}, "ResultPath": "$.state", "Next": "Ready?"},
        **{"Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.state", "StringEquals": "running",
                                                     "Next": "Done"}], "Default": "Poll"}},
        Done={"Type": "Succeed"})
    mocks = config({"T": {"Poll": "States"}}, {"States": {"0-1": {"Return": "pending"}, "2": {"Return": "running"}}})
    ex = stepline.run(definition, {}, mock_config=mocks, test_case="T")
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert [json.loads(details(e)["output"]) for e in events(ex, "TaskSucceeded")] == ["pending", "pending", "running"]


def test_an_invocation_without_a_response_fails_the_execution_past_catch() -> None:
    definition = machine(
        F={"Type": "Task", "Resource": LAMBDA.format("f"),
           "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 1}],
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True},
        Caught={"Type": "Pass", "End": True})
    mocks = config({"T": {"F": "TwoFailures"}}, {"TwoFailures": {"0-1": {"Throw": {"Error": "E", "Cause": "c"}}}})
    ex = stepline.run(definition, mock_config=mocks, test_case="T", virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert "no response for invocation 2 of the state 'F'" in ex.cause
    assert [details(e)["error"] for e in events(ex, "LambdaFunctionFailed")] == ["E", "E", "States.Runtime"]
    assert not events(ex, "PassStateEntered")


def test_map_iterations_share_the_state_counter() -> None:
    definition = machine(M={"Type": "Map", "MaxConcurrency": 1, "ItemsPath": "$.items", "End": True,
                            "ItemProcessor": {"StartAt": "Price", "States": {
                                "Price": {"Type": "Task", "Resource": LAMBDA.format("price"), "End": True}}}})
    mocks = config({"T": {"Price": "Prices"}}, {"Prices": {str(i): {"Return": i * 10} for i in range(4)}})
    ex = stepline.run(definition, {"items": ["a", "b", "c", "d"]}, mock_config=mocks, test_case="T")
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert ex.output == [0, 10, 20, 30]


def test_a_mocked_activity_answers_without_a_worker() -> None:
    definition = machine(Approve={"Type": "Task", "Resource": ACTIVITY.format("approve"), "End": True})
    mocks = config({"T": {"Approve": "Approved"}}, {"Approved": {"0": {"Return": {"approved": True}}}})
    ex = stepline.run(definition, {"amount": 3}, mock_config=mocks, test_case="T")
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert ex.output == {"approved": True}
    assert [e["type"] for e in ex.history] == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                               "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                               "ExecutionSucceeded"]
    assert json.loads(details(events(ex, "ActivitySucceeded")[0])["output"]) == {"approved": True}
    # without the test case, `stepline run` still says it cannot wait for a worker
    plain = stepline.run(definition, {"amount": 3})
    assert plain.status == "FAILED" and "cannot" in plain.cause


def test_a_mocked_activity_can_throw() -> None:
    definition = machine(Approve={"Type": "Task", "Resource": ACTIVITY.format("approve"), "End": True})
    mocks = config({"T": {"Approve": "Denied"}}, {"Denied": {"0": {"Throw": {"Error": "Denied", "Cause": "no"}}}})
    ex = stepline.run(definition, mock_config=mocks, test_case="T")
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "Denied", "no")
    assert details(events(ex, "ActivityFailed")[0]) == {"error": "Denied", "cause": "no"}


def test_a_mocked_callback_gets_a_token_and_takes_the_return_as_its_result() -> None:
    definition = machine(Ask={"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                              "Parameters": {"QueueUrl": QUEUE, "MessageBody": {"token.$": "$$.Task.Token"}},
                              "End": True})
    mocks = config({"T": {"Ask": "Answered"}}, {"Answered": {"0": {"Return": {"answer": "yes"}}}})
    ex = stepline.run(definition, mock_config=mocks, test_case="T")
    assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
    assert ex.output == {"answer": "yes"}
    (scheduled,) = events(ex, "TaskScheduled")
    token = json.loads(details(scheduled)["parameters"])["MessageBody"]["token"]
    assert isinstance(token, str) and token
    (succeeded,) = events(ex, "TaskSucceeded")
    assert details(succeeded)["resource"] == "sendMessage.waitForTaskToken"
    assert json.loads(details(succeeded)["output"]) == {"answer": "yes"}


def test_the_test_case_must_exist_and_comes_with_a_config() -> None:
    definition = machine(P={"Type": "Pass", "End": True})
    with pytest.raises(MockConfigError, match="no state machine has a test case named 'Nope'"):
        stepline.run(definition, mock_config=AWS_EXAMPLE, test_case="Nope")
    with pytest.raises(ValueError, match="mock_config and test_case go together"):
        stepline.run(definition, test_case="HappyPath")
    with pytest.raises(ValueError, match="mock_config and test_case go together"):
        stepline.run(definition, mock_config=AWS_EXAMPLE)


def test_the_state_machine_name_selects_the_test_cases(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps({"StateMachines": {"A": {"TestCases": {"T": {"F": "One"}}},
                                                  "B": {"TestCases": {"T": {"F": "Two"}}}},
                                "MockedResponses": {"One": {"0": {"Return": 1}}, "Two": {"0": {"Return": 2}}}}))
    definition = machine(F={"Type": "Task", "Resource": LAMBDA.format("f"), "ResultPath": "$.r",
                            "Next": "Name"},
                         Name={"Type": "Pass", "Parameters": {"r.$": "$.r", "name.$": "$$.StateMachine.Name"},
                               "End": True})
    mocks = Mocks.load(path)  # one Mocks serves several executions
    assert stepline.run(definition, mock_config=mocks, test_case="T", state_machine_name="B").output == \
        {"r": 2, "name": "B"}
    assert stepline.run(definition, mock_config=str(path), test_case="T", state_machine_name="A").output == \
        {"r": 1, "name": "A"}


# ---------------------------------------------------------------------- `stepline run` in a real process


def _stepline_command() -> list[str]:
    script = pathlib.Path(sys.executable).parent / "stepline"
    return [str(script)] if script.exists() else [sys.executable, "-m", "stepline"]


def stepline_cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("STEPLINE_REGION", "STEPLINE_ACCOUNT")}
    return subprocess.run([*_stepline_command(), *args], capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
def files(tmp_path: pathlib.Path):
    def write(name: str, value: object) -> str:
        path = tmp_path / name
        path.write_text(value if isinstance(value, str) else json.dumps(value))
        return str(path)
    return write


def test_cli_runs_a_test_case_with_history(files) -> None:
    definition = files("machine.json", AWS_MACHINE)
    mock_config = files("MockConfigFile.json", AWS_EXAMPLE)
    proc = stepline_cli("run", definition, "--mock-config", mock_config, "--test-case", "RetryPath",
                        "--virtual-time", "--history")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "SUCCEEDED"
    assert out["output"]["MessageId"] == "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"
    started = out["history"][0]["executionStartedEventDetails"]
    assert started["roleArn"].startswith("arn:aws:iam::")
    assert [e["taskFailedEventDetails"]["error"] for e in out["history"] if e["type"] == "TaskFailed"] == [
        "Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]


def test_cli_mocks_a_callback_and_calls_real_functions_for_the_rest(files) -> None:
    functions = files("fns.py", "def double(event, context):\n    return {'n': event['n'] * 2}\n")
    definition = files("machine.json", machine(
        Ask={"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
             "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}}, "Next": "Double"},
        Double={"Type": "Task", "Resource": LAMBDA.format("double"), "Next": "Name"},
        Name={"Type": "Pass", "Parameters": {"n.$": "$.n", "machine.$": "$$.StateMachine.Name"}, "End": True}))
    mock_config = files("mocks.json", {"StateMachines": {"Approval": {"TestCases": {"Yes": {"Ask": "Three"}}}},
                                       "MockedResponses": {"Three": {"0": {"Return": {"n": 3}}}}})
    proc = stepline_cli("run", definition, "--functions", functions, "--mock-config", mock_config,
                        "--test-case", "Yes", "--history")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # the state machine is named after the config's one machine with that test case
    assert out["output"] == {"n": 6, "machine": "Approval"}
    types = [e["type"] for e in out["history"]]
    assert "TaskSucceeded" in types and "LambdaFunctionSucceeded" in types


def test_cli_a_thrown_error_fails_with_exit_1(files) -> None:
    definition = files("machine.json", machine(F={"Type": "Task", "Resource": LAMBDA.format("f"), "End": True}))
    mock_config = files("mocks.json", config({"T": {"F": "Boom"}},
                                             {"Boom": {"0": {"Throw": {"Error": "Boom", "Cause": "it broke"}}}}))
    proc = stepline_cli("run", definition, "--mock-config", mock_config, "--test-case", "T")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout) == {"status": "FAILED", "output": None, "error": "Boom", "cause": "it broke"}


def test_cli_bad_config_exits_2_with_a_clear_message(files) -> None:
    definition = files("machine.json", machine(P={"Type": "Pass", "End": True}))
    bad = files("bad.json", config({"T": {"P": "R"}}, {"R": {"0-x": {"Return": 1}}}))
    proc = stepline_cli("run", definition, "--mock-config", bad, "--test-case", "T")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "stepline: invalid mock config" in proc.stderr
    assert "bad.json: MockedResponses.R: '0-x' is not an invocation" in proc.stderr


@pytest.mark.parametrize("extra, message", [
    (["--test-case", "Nope"], "no state machine has a test case named 'Nope'"),
    (["--test-case", "T", "--state-machine-name", "Other"], "no state machine named 'Other'"),
    ([], "--mock-config and --test-case go together"),
])
def test_cli_wrong_test_case_or_missing_half_exits_2(files, extra, message) -> None:
    definition = files("machine.json", machine(P={"Type": "Pass", "End": True}))
    good = files("mocks.json", config({"T": {}}, {}))
    proc = stepline_cli("run", definition, "--mock-config", good, *extra)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_cli_missing_config_file_exits_2(files, tmp_path: pathlib.Path) -> None:
    definition = files("machine.json", machine(P={"Type": "Pass", "End": True}))
    proc = stepline_cli("run", definition, "--mock-config", str(tmp_path / "none.json"), "--test-case", "T")
    assert proc.returncode == 2
    assert "none.json: cannot read it" in proc.stderr
