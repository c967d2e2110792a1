"""TestState, called as a function: every state type, each status and inspection level, mocks,
variables, stateName, and the errors it answers with.

Where an expectation comes from:
- [docs-cli] the developer guide "Testing state machines with TestState API", its CLI examples
  (Example 1 Choice/INFO, Example 2 Pass/DEBUG, the retry and catch examples, Map and Parallel
  mocks) — the values asserted are the ones printed there;
- [docs] the same guide's and API_TestState's statements (what each level shows, which
  combinations are refused, "nextState ... doesn't contain a value" when the state fails);
- [aws-recorded] the message AWS answers a mock on a Pass/Fail/Succeed state with;
- [asl] the ASL semantics executions follow (TestState runs the same interpreter);
- [guess] undocumented wording or detail (error messages of stepline's own choosing): such
  tests pin the error *code* and only loosely the message.
"""

from __future__ import annotations

import json
import time

import pytest

from stepline.integrations import Functions, Integrations, TaskFailure
from stepline.service.errors import ServiceError as ApiError
from stepline.service.teststate import HttpTrace
from stepline.service.teststate import test_state as run_test_state

REGION, ACCOUNT = "us-east-1", "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/teststate"
INVOKE = "arn:aws:states:::lambda:invoke"


def lam(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def boom(event, context):
    raise ValueError("no good")


def sleepy(event, context):
    time.sleep(3)
    return event


FUNCTIONS = {
    "echo": lambda event, context: {"got": event},
    "boom": boom,
    "sleepy": sleepy,
    "whoami": lambda event, context: event,
}


def call(definition, *, integrations: Integrations | None = None, **request) -> dict:
    body = {"definition": definition if isinstance(definition, str) else json.dumps(definition), "roleArn": ROLE,
            **request}
    return run_test_state(body, integrations=integrations or Integrations(Functions(FUNCTIONS)),
                          region=REGION, account=ACCOUNT)


def refused(definition, code: str, **request) -> str:
    with pytest.raises(ApiError) as e:
        call(definition, **request)
    assert e.value.code == code, e.value
    return e.value.message


def loads(text: str):
    return json.loads(text)


def mock_result(value) -> dict:
    return {"result": json.dumps(value)}


def mock_error(error: str, cause: str | None = None) -> dict:
    out = {"error": error} if cause is None else {"error": error, "cause": cause}
    return {"errorOutput": out}


# ---------------------------------------------------------------------------- the docs' examples

def test_choice_at_info_level_docs_example_1():
    # [docs-cli] Example 1: output (the input as given), nextState, status; nothing else at INFO
    d = {"Type": "Choice", "Choices": [{"Variable": "$.number", "NumericEquals": 1, "Next": "Equals 1"},
                                       {"Variable": "$.number", "NumericEquals": 2, "Next": "Equals 2"}],
         "Default": "No Match"}
    out = call(d, input='{"number": 2}')
    assert out == {"output": '{"number": 2}', "nextState": "Equals 2", "status": "SUCCEEDED"}


def test_pass_at_debug_level_docs_example_2():
    # [docs-cli] Example 2, value for value
    d = {"Type": "Pass", "InputPath": "$.payload", "Parameters": {"data": 1}, "ResultPath": "$.result",
         "OutputPath": "$.result.data", "Next": "Another State"}
    out = call(d, input='{"payload": {"foo": "bar"}}', inspectionLevel="DEBUG")
    assert out == {
        "output": "1",
        "inspectionData": {
            "input": '{"payload": {"foo": "bar"}}',
            "afterInputPath": '{"foo":"bar"}',
            "afterParameters": '{"data":1}',
            "afterResultSelector": '{"data":1}',
            "afterResultPath": '{"payload":{"foo":"bar"},"result":{"data":1}}',
        },
        "nextState": "Another State",
        "status": "SUCCEEDED",
    }


def test_retry_with_retrier_retry_count_docs_example():
    # [docs-cli] "Simulating retry attempts": IntervalSeconds 2, BackoffRate 2.0, count 1 -> 4 s
    d = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": INVOKE, "Arguments": {"FunctionName": "f"},
         "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 3,
                    "BackoffRate": 2.0}], "End": True}
    out = call(d, input='{"data": "value"}', stateConfiguration={"retrierRetryCount": 1},
               mock=mock_error("Lambda.ServiceException", "Service error"), inspectionLevel="DEBUG")
    assert out["status"] == "RETRIABLE"
    assert out["inspectionData"]["errorDetails"] == {"retryBackoffIntervalSeconds": 4, "retryIndex": 0}
    assert (out["error"], out["cause"]) == ("Lambda.ServiceException", "Service error")
    assert "output" not in out and "nextState" not in out


def test_catch_docs_example():
    # [docs-cli] "Testing catch handlers" (with Parameters: ResultPath is a JSONPath field)
    d = {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"},
         "Catch": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "ResultPath": "$.error",
                    "Next": "HandleThrottling"}], "Next": "Success"}
    out = call(d, input='{"data": "value"}', mock=mock_error("Lambda.TooManyRequestsException", "Rate exceeded"),
               inspectionLevel="DEBUG")
    assert out["status"] == "CAUGHT_ERROR"
    assert out["nextState"] == "HandleThrottling"
    assert (out["error"], out["cause"]) == ("Lambda.TooManyRequestsException", "Rate exceeded")
    assert loads(out["output"]) == {"data": "value", "error": {"Error": "Lambda.TooManyRequestsException",
                                                               "Cause": "Rate exceeded"}}
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_map_with_mocked_result_docs_example():
    # [docs-cli] "Testing a Map state": the iterations do not run; the mock is the Map's result
    d = {"Type": "Map", "ItemsPath": "$.items",
         "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
         "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "ProcessItem",
                           "States": {"ProcessItem": {"Type": "Task", "Resource": INVOKE, "End": True}}},
         "End": True}
    out = call(d, input='{"items": [1, 2, 3, 4, 5]}', mock=mock_result([10, 20, 30, 40, 50]),
               inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED"
    assert loads(out["output"]) == [10, 20, 30, 40, 50]
    assert "nextState" not in out
    data = out["inspectionData"]
    assert loads(data["afterItemsPath"]) == [1, 2, 3, 4, 5]
    assert loads(data["afterItemSelector"]) == [{"value": v, "index": i} for i, v in enumerate([1, 2, 3, 4, 5])]
    assert "result" not in data  # [aws-recorded] a mocked Map shows no result


# ---------------------------------------------------------------------------- Pass

def test_pass_result_and_result_path():
    # [asl] Result replaces the effective input; ResultPath merges it into the raw input
    out = call({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "End": True}, input='{"a": 0}',
               inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED" and "nextState" not in out
    assert loads(out["output"]) == {"a": 0, "r": {"x": 1}}
    assert loads(out["inspectionData"]["afterResultSelector"]) == {"x": 1}


def test_pass_without_input_defaults_to_empty_object():
    out = call({"Type": "Pass", "End": True})
    assert out == {"status": "SUCCEEDED", "output": "{}"}


def test_pass_jsonata_output_and_assign_show_variables():
    # [docs] inspectionData.variables: the variables after the state, those given included
    d = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a + $base %}",
         "Assign": {"doubled": "{% $states.input.a * 2 %}"}, "Next": "N"}
    out = call(d, input='{"a": 5}', variables='{"base": 100}', inspectionLevel="DEBUG")
    assert out["output"] == "105"
    assert out["nextState"] == "N"
    data = out["inspectionData"]
    assert loads(data["variables"]) == {"base": 100, "doubled": 10}
    assert "afterInputPath" not in data  # [docs] "Not populated when QueryLanguage is JSONata"


def test_jsonpath_variables_are_readable_and_assign_works():
    d = {"Type": "Pass", "Parameters": {"v.$": "$limit"}, "Assign": {"seen.$": "$.v"}, "End": True}
    out = call(d, variables='{"limit": 3}', inspectionLevel="DEBUG")
    assert loads(out["output"]) == {"v": 3}
    assert loads(out["inspectionData"]["variables"]) == {"limit": 3, "seen": 3}


def test_no_variables_no_variables_field():
    out = call({"Type": "Pass", "End": True}, inspectionLevel="DEBUG")
    assert "variables" not in out["inspectionData"]


# ---------------------------------------------------------------------------- Task

def test_task_calls_the_python_function():
    d = {"Type": "Task", "Resource": lam("echo"), "InputPath": "$.in", "ResultSelector": {"r.$": "$.got"},
         "ResultPath": "$.out", "OutputPath": "$.out", "Next": "After"}
    out = call(d, input='{"in": {"k": 1}}', inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED" and out["nextState"] == "After"
    assert loads(out["output"]) == {"r": {"k": 1}}
    data = out["inspectionData"]
    assert loads(data["afterInputPath"]) == {"k": 1}
    assert loads(data["afterParameters"]) == {"k": 1}
    assert loads(data["result"]) == {"got": {"k": 1}}
    assert loads(data["afterResultSelector"]) == {"r": {"k": 1}}
    assert loads(data["afterResultPath"]) == {"in": {"k": 1}, "out": {"r": {"k": 1}}}


def test_task_failure_is_failed_with_debug_data_up_to_the_failure():
    # [docs] FAILED: error and cause, no nextState; DEBUG shows the processing up to the failure
    out = call({"Type": "Task", "Resource": lam("boom"), "Parameters": {"x.$": "$.a"}, "Next": "N"},
               input='{"a": 1}', inspectionLevel="DEBUG")
    assert out["status"] == "FAILED"
    assert out["error"] == "ValueError"
    assert json.loads(out["cause"])["errorMessage"] == "no good"
    assert "nextState" not in out and "output" not in out
    data = out["inspectionData"]
    assert loads(data["afterParameters"]) == {"x": 1}
    assert "result" not in data and "afterResultPath" not in data


def test_info_level_has_no_inspection_data_even_for_errors():
    out = call({"Type": "Task", "Resource": lam("boom"), "Retry": [{"ErrorEquals": ["States.ALL"]}], "End": True})
    assert out["status"] == "RETRIABLE"
    assert "inspectionData" not in out


def test_retry_defaults_and_first_matching_retrier():
    # [asl] defaults IntervalSeconds 1, BackoffRate 2.0; the first retrier whose ErrorEquals matches
    d = {"Type": "Task", "Resource": lam("boom"), "End": True,
         "Retry": [{"ErrorEquals": ["Other"]}, {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3}]}
    out = call(d, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 2})
    assert out["status"] == "RETRIABLE"
    assert out["inspectionData"]["errorDetails"] == {"retryIndex": 1, "retryBackoffIntervalSeconds": 12}


def test_retry_capped_by_max_delay_seconds():
    d = {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"}, "End": True,
         "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 9,
                    "MaxDelaySeconds": 15}]}
    out = call(d, mock=mock_error("E"), stateConfiguration={"retrierRetryCount": 3}, inspectionLevel="DEBUG")
    assert out["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == 15


def test_retries_exhausted_then_caught():
    # [docs] "Whether retries are exhausted and the error gets caught"
    d = {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"}, "Next": "N",
         "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 2}],
         "Catch": [{"ErrorEquals": ["Other"], "Next": "X"}, {"ErrorEquals": ["States.ALL"], "Next": "Y"}]}
    out = call(d, mock=mock_error("E", "c"), stateConfiguration={"retrierRetryCount": 2}, inspectionLevel="DEBUG")
    assert out["status"] == "CAUGHT_ERROR"
    assert out["nextState"] == "Y"
    assert loads(out["output"]) == {"Error": "E", "Cause": "c"}
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 1}


def test_retries_exhausted_and_not_caught_fails():
    d = {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"}, "End": True,
         "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}]}
    out = call(d, mock=mock_error("E"), stateConfiguration={"retrierRetryCount": 1})
    assert out == {"status": "FAILED", "error": "E"}


def test_mocked_result_flows_through_result_selector_and_path():
    d = {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f", "Payload.$": "$"},
         "ResultSelector": {"body.$": "$.Payload.body"}, "ResultPath": "$.res", "End": True}
    out = call(d, input='{"key": "value"}', mock=mock_result({"Payload": {"statusCode": 200, "body": "Success"}}),
               inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED"
    assert loads(out["output"]) == {"key": "value", "res": {"body": "Success"}}
    assert loads(out["inspectionData"]["afterParameters"]) == {"FunctionName": "f", "Payload": {"key": "value"}}


def test_jsonata_task_arguments_result_and_output():
    d = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": lam("echo"),
         "Arguments": {"n": "{% $states.input.n + 1 %}"}, "Output": "{% $states.result.got.n %}",
         "Assign": {"last": "{% $states.result.got.n %}"}, "End": True}
    out = call(d, input='{"n": 1}', inspectionLevel="DEBUG")
    assert out["output"] == "2"
    data = out["inspectionData"]
    assert loads(data["afterArguments"]) == {"n": 2}
    assert loads(data["result"]) == {"got": {"n": 2}}
    assert loads(data["variables"]) == {"last": 2}
    assert "afterParameters" not in data and "afterResultPath" not in data


def test_runtime_error_fails_with_the_cause_executions_give():
    # [asl] an InputPath that selects nothing is States.Runtime, which nothing catches
    d = {"Type": "Task", "Resource": lam("echo"), "InputPath": "$.missing", "End": True,
         "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}]}
    out = call(d, input='{"a": 1}', inspectionLevel="DEBUG")
    assert out["status"] == "FAILED"
    assert out["error"] == "States.Runtime"
    assert out["cause"].startswith("An error occurred while executing the state 'StateName' (entered at the event "
                                   "id #2). Invalid path '$.missing'")
    assert "afterInputPath" not in out["inspectionData"]


def test_task_timeout_is_states_timeout():
    out = call({"Type": "Task", "Resource": lam("sleepy"), "TimeoutSeconds": 1, "End": True})
    assert out["status"] == "FAILED" and out["error"] == "States.Timeout"


def test_unknown_function_fails_like_an_execution():
    out = call({"Type": "Task", "Resource": lam("nope"), "End": True})
    assert out["status"] == "FAILED" and out["error"] == "Lambda.ResourceNotFoundException"


def test_wait_for_task_token_with_mock_sees_a_token():
    d = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
         "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}
    out = call(d, mock=mock_result({"ok": True}), inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED"
    assert loads(out["inspectionData"]["afterParameters"])["MessageBody"]["token"]


def test_activity_with_mock():
    d = {"Type": "Task", "Resource": f"arn:aws:states:{REGION}:{ACCOUNT}:activity:work", "End": True}
    assert call(d, mock=mock_result({"done": 1}))["output"] == '{"done":1}'


# ---------------------------------------------------------------------------- Choice, Wait, Succeed, Fail

def test_choice_debug_shows_input_path_and_default():
    d = {"Type": "Choice", "InputPath": "$.v", "Choices": [{"Variable": "$", "NumericGreaterThan": 10, "Next": "Big"}],
         "Default": "Small"}
    out = call(d, input='{"v": 3}', inspectionLevel="DEBUG")
    assert out["nextState"] == "Small" and out["output"] == "3"
    assert out["inspectionData"] == {"input": '{"v": 3}', "afterInputPath": "3"}


def test_choice_without_match_fails():
    d = {"Type": "Choice", "Choices": [{"Variable": "$.v", "BooleanEquals": True, "Next": "Yes"}]}
    out = call(d, input='{"v": false}')
    assert out["status"] == "FAILED" and out["error"] == "States.NoChoiceMatched"
    assert "nextState" not in out


def test_choice_jsonata_rule_output_and_assign():
    d = {"Type": "Choice", "QueryLanguage": "JSONata", "Assign": {"seen": true_expr()},
         "Choices": [{"Condition": "{% $states.input.v > 1 %}", "Next": "Big", "Output": {"big": True},
                      "Assign": {"size": "big"}}], "Default": "Small"}
    out = call(d, input='{"v": 2}', inspectionLevel="DEBUG")
    assert out["nextState"] == "Big"
    assert loads(out["output"]) == {"big": True}
    assert loads(out["inspectionData"]["variables"]) == {"seen": True, "size": "big"}


def true_expr() -> str:
    return "{% true %}"


def test_wait_does_not_wait():
    start = time.monotonic()
    out = call({"Type": "Wait", "Seconds": 3600, "OutputPath": "$.a", "Next": "N"}, input='{"a": 7}',
               inspectionLevel="DEBUG")
    assert time.monotonic() - start < 5
    assert out == {"status": "SUCCEEDED", "output": "7", "nextState": "N",
                   "inspectionData": {"input": '{"a": 7}', "afterInputPath": '{"a":7}'}}


def test_wait_with_a_bad_seconds_path_fails():
    out = call({"Type": "Wait", "SecondsPath": "$.s", "End": True}, input='{"s": "soon"}')
    assert out["status"] == "FAILED" and out["error"] == "States.Runtime"


def test_succeed_has_no_next_state():
    out = call({"Type": "Succeed", "InputPath": "$.x"}, input='{"x": [1]}', inspectionLevel="DEBUG")
    assert out == {"status": "SUCCEEDED", "output": "[1]",
                   "inspectionData": {"input": '{"x": [1]}', "afterInputPath": "[1]"}}


def test_fail_state():
    out = call({"Type": "Fail", "Error": "Oops", "Cause": "bad"}, inspectionLevel="DEBUG")
    # [aws-recorded] a JSONPath Fail state shows its input after InputPath too
    assert out == {"status": "FAILED", "error": "Oops", "cause": "bad",
                   "inspectionData": {"input": "{}", "afterInputPath": "{}"}}


def test_fail_state_error_path():
    out = call({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}, input='{"e": "E1", "c": "C1"}')
    assert (out["error"], out["cause"]) == ("E1", "C1")


def test_fail_state_jsonata():
    out = call({"Type": "Fail", "QueryLanguage": "JSONata", "Error": "{% $states.input.e %}"}, input='{"e": "E2"}')
    assert out == {"status": "FAILED", "error": "E2"}


# ---------------------------------------------------------------------------- Parallel and Map

PARALLEL = {"Type": "Parallel", "Parameters": {"in.$": "$.a"}, "ResultSelector": {"both.$": "$"},
            "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                         {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
            "Next": "After"}


def test_parallel_with_mocked_result():
    # [docs] "the mocked result must be a JSON array with one element for each branch"
    out = call(PARALLEL, input='{"a": 1}', mock=mock_result([{"b": 1}, {"b": 2}]), inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED" and out["nextState"] == "After"
    assert loads(out["output"]) == {"both": [{"b": 1}, {"b": 2}]}
    data = out["inspectionData"]
    # [aws-recorded] a mocked Parallel shows its input, and what follows the mocked result
    assert "afterParameters" not in data and "afterInputPath" not in data and "result" not in data
    assert loads(data["afterResultSelector"]) == {"both": [{"b": 1}, {"b": 2}]}


def test_parallel_mock_must_have_one_element_per_branch():
    refused(PARALLEL, "ValidationException", mock=mock_result([1]))


def test_parallel_mocked_error_is_caught_by_the_parallel_catcher():
    # [docs] errorCausedByState names the sub-state; the parent's Catch handles the error
    d = {**PARALLEL, "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handle"}]}
    out = call(d, input='{"a": 1}', mock=mock_error("States.TaskFailed", "boom"),
               stateConfiguration={"errorCausedByState": "B"}, inspectionLevel="DEBUG")
    assert out["status"] == "CAUGHT_ERROR" and out["nextState"] == "Handle"
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_parallel_mocked_error_needs_error_caused_by_state():
    refused(PARALLEL, "ValidationException", mock=mock_error("E"))
    refused(PARALLEL, "ValidationException", mock=mock_error("E"), stateConfiguration={"errorCausedByState": "Z"})


def test_parallel_and_map_need_a_mock():
    # [docs] "Without a mock, invoking these states via TestState API will return a validation exception"
    refused(PARALLEL, "ValidationException")


MAP = {"Type": "Map", "ItemsPath": "$.items", "ToleratedFailureCount": 1, "MaxConcurrency": 2,
       "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
       "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooMany"}],
       "Next": "Done"}


def test_map_inspection_shows_limits():
    out = call(MAP, input='{"items": [1, 2, 3]}', mock=mock_result(["a", "b", "c"]), inspectionLevel="DEBUG")
    data = out["inspectionData"]
    assert data["maxConcurrency"] == 2 and data["toleratedFailureCount"] == 1
    # [aws-recorded] without an ItemSelector no selected items are shown, nor a result
    assert loads(data["afterItemsPath"]) == [1, 2, 3] and "afterItemSelector" not in data and "result" not in data


def test_map_failures_within_tolerance_succeed():
    out = call(MAP, input='{"items": [1, 2, 3]}', mock=mock_result(["a", "b", "c"]),
               stateConfiguration={"mapIterationFailureCount": 1})
    assert out["status"] == "SUCCEEDED" and out["nextState"] == "Done"


def test_map_failures_over_tolerance_exceed_the_threshold():
    # [docs] "Testing States.ExceedToleratedFailureThreshold"
    out = call(MAP, input='{"items": [1, 2, 3]}', mock=mock_result(["a", "b", "c"]),
               stateConfiguration={"mapIterationFailureCount": 2})
    assert out["status"] == "CAUGHT_ERROR" and out["nextState"] == "TooMany"
    assert out["error"] == "States.ExceedToleratedFailureThreshold"
    no_catch = {k: v for k, v in MAP.items() if k != "Catch"}
    out = call(no_catch, input='{"items": [1, 2, 3]}', mock=mock_result(["a", "b", "c"]),
               stateConfiguration={"mapIterationFailureCount": 2})
    assert out["status"] == "FAILED" and out["error"] == "States.ExceedToleratedFailureThreshold"


def test_map_failure_count_cannot_exceed_items():
    # [docs] "The value for this field cannot exceed the number of items in the input"
    refused(MAP, "ValidationException", input='{"items": [1]}', mock=mock_result(["a"]),
            stateConfiguration={"mapIterationFailureCount": 2})


def test_map_mock_must_be_an_array():
    # [docs] "a valid JSON array or JSON object depending on your Map state configuration"
    refused(MAP, "ValidationException", input='{"items": [1]}', mock=mock_result({"a": 1}))


def test_map_over_no_items_still_uses_the_mock():
    out = call(MAP, input='{"items": []}', mock=mock_result(["m"]))
    assert out["output"] == '["m"]'


def test_map_items_path_error_fails():
    out = call(MAP, input='{"items": 5}', mock=mock_result([]))
    assert out["status"] == "FAILED" and out["error"] == "States.Runtime"


def test_map_jsonata_items_and_item_selector():
    d = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.xs %}",
         "ItemSelector": {"v": "{% $states.context.Map.Item.Value * 10 %}"},
         "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
         "Output": "{% $count($states.result) %}", "End": True}
    out = call(d, input='{"xs": [1, 2]}', mock=mock_result([0, 0]), inspectionLevel="DEBUG")
    assert out["output"] == "2"
    data = out["inspectionData"]
    assert loads(data["afterItemSelector"]) == [{"v": 10}, {"v": 20}]
    assert "afterItemsPath" not in data  # [docs] "only populated when using JSONPath"


def test_map_mocked_error_retried_by_the_map():
    # [docs] "Whether child state errors trigger parent Retry policies"
    d = {**MAP, "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 5}]}
    out = call(d, input='{"items": [1, 2]}', mock=mock_error("States.TaskFailed", "x"),
               stateConfiguration={"errorCausedByState": "P"}, inspectionLevel="DEBUG")
    assert out["status"] == "RETRIABLE"
    data = out["inspectionData"]
    assert data["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 5}
    assert loads(data["afterItemsPath"]) == [1, 2] and "result" not in data


def test_parallel_jsonata_arguments_and_output():
    d = {"Type": "Parallel", "QueryLanguage": "JSONata", "Arguments": {"x": "{% $states.input.a %}"},
         "Output": {"r": "{% $states.result %}"},
         "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": lam("echo"), "End": True}}}],
         "End": True}
    out = call(d, input='{"a": 1}', mock=mock_result([5]), inspectionLevel="DEBUG")
    assert loads(out["output"]) == {"r": [5]}
    # [aws-recorded] a mocked Parallel's Arguments are not shown
    assert out["inspectionData"] == {"input": '{"a": 1}'}


DISTRIBUTED = {"Type": "Map", "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"tag": "t"}},
               "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
               "End": True}


def test_distributed_map_item_batcher():
    out = call(DISTRIBUTED, input="[1, 2, 3]", mock=mock_result([]), inspectionLevel="DEBUG")
    data = out["inspectionData"]
    assert loads(data["afterItemBatcher"]) == [{"BatchInput": {"tag": "t"}, "Items": [1, 2]},
                                              {"BatchInput": {"tag": "t"}, "Items": [3]}]
    assert loads(data["afterItemSelector"]) == [1, 2, 3]


def test_map_item_reader_data_csv():
    # [docs] mapItemReaderData: "The data read by ItemReader ... as found in its original source"
    d = {**DISTRIBUTED, "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                                       "Parameters": {"Bucket": "b", "Key": "k.csv"}}}
    del d["ItemBatcher"]
    out = call(d, mock=mock_result([]), stateConfiguration={"mapItemReaderData": "id,name\n1,a\n2,b\n"},
               inspectionLevel="DEBUG")
    assert loads(out["inspectionData"]["afterItemSelector"]) == [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]


def test_item_reader_data_needs_an_item_reader():
    refused(MAP, "ValidationException", input='{"items": []}', mock=mock_result([]),
            stateConfiguration={"mapItemReaderData": "[]"})


# ---------------------------------------------------------------------------- stateName and context

MACHINE = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Next": "Loop"},
        "Loop": {"Type": "Map", "ItemsPath": "$.xs", "Next": "Last",
                 "ItemProcessor": {"StartAt": "Inner", "States": {
                     "Inner": {"Type": "Pass", "Parameters": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value",
                                                              "state.$": "$$.State.Name"}, "Next": "Inner2"},
                     "Inner2": {"Type": "Succeed"}}}},
        "Last": {"Type": "Task", "Resource": lam("whoami"), "Parameters": {"id.$": "$$.Execution.Id"}, "End": True},
    },
}


def test_state_name_tests_one_state_of_a_machine():
    # [docs] "A complete state machine definition with stateName parameter"
    out = call(MACHINE, stateName="First", input='{"xs": [1]}')
    assert out == {"status": "SUCCEEDED", "output": '{"xs": [1]}', "nextState": "Loop"}


def test_state_name_inside_a_map_populates_map_item():
    # [docs] "Automatic Context population": Map.Item.Index = 0, Map.Item.Value = your input
    out = call(MACHINE, stateName="Inner", input='{"k": 1}')
    assert loads(out["output"]) == {"i": 0, "v": {"k": 1}, "state": "Inner"}
    assert out["nextState"] == "Inner2"


def test_state_name_inside_a_parallel_branch_with_variables():
    m = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": lam("echo"), "Parameters": {"v.$": "$v"},
                                          "End": True}}}]}}}
    out = call(m, stateName="A", input='{"z": 1}', variables='{"v": 1}', inspectionLevel="DEBUG")
    assert loads(out["output"]) == {"got": {"v": 1}}
    assert loads(out["inspectionData"]["variables"]) == {"v": 1}


def test_unknown_state_name():
    # [guess] AWS's error for it is not documented
    assert "Nope" in refused(MACHINE, "ValidationException", stateName="Nope")


def test_state_name_needs_a_whole_machine():
    refused({"Type": "Pass", "End": True}, "InvalidDefinition", stateName="TestState")


def test_context_is_used_as_given_with_a_mock():
    # [docs] "Using context field in the TestState API" (context needs a mock)
    d = {"Type": "Task", "Resource": INVOKE, "End": True,
         "Parameters": {"FunctionName": "f", "Payload": {"executionId.$": "$$.Execution.Id",
                                                         "stateName.$": "$$.State.Name"}}}
    ctx = {"Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:M:test-exec-123"},
           "State": {"Name": "ProcessData"}}
    out = call(d, context=json.dumps(ctx), mock=mock_result({"Payload": {}}), inspectionLevel="DEBUG")
    assert loads(out["inspectionData"]["afterParameters"])["Payload"] == {
        "executionId": "arn:aws:states:us-east-1:123456789012:execution:M:test-exec-123", "stateName": "ProcessData"}


def test_default_context_has_the_execution():
    out = call(MACHINE, stateName="Last")
    # [aws-recorded] the state runs in an Express execution: arn:...:express:MACHINE:NAME
    arn = loads(out["output"])["id"]
    assert arn.startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:express:") and len(arn.split(":")) == 8


def test_context_needs_a_mock():
    # [docs] "This field may only be specified if a mock is specified in the same request"
    refused({"Type": "Pass", "End": True}, "ValidationException", context="{}")


# ---------------------------------------------------------------------------- mock rules and validation

@pytest.mark.parametrize("state", [{"Type": "Pass", "End": True}, {"Type": "Fail"}, {"Type": "Succeed"}])
def test_mock_on_a_state_without_work_is_refused(state):
    # [aws-recorded] "State type 'Pass' is not supported when a mock is specified"
    message = refused(state, "ValidationException", mock=mock_result({}))
    assert message == f"State type '{state['Type']}' is not supported when a mock is specified"


def test_mock_with_both_result_and_error_is_refused():
    # [docs] "You cannot provide both mock.result and mock.errorOutput in the same API call"
    refused({"Type": "Task", "Resource": lam("echo"), "End": True}, "ValidationException",
            mock={**mock_result({}), **mock_error("E")})


def test_reveal_secrets_with_a_mock_is_refused():
    # [docs] "If you specify both revealSecrets and a mock ... returns a validation exception"
    refused({"Type": "Task", "Resource": lam("echo"), "End": True}, "ValidationException",
            mock=mock_result({}), revealSecrets=True)


@pytest.mark.parametrize("resource", ["arn:aws:states:::states:startExecution.sync:2",
                                      "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                                      f"arn:aws:states:{REGION}:{ACCOUNT}:activity:a"])
def test_patterns_that_need_a_mock(resource):
    # [docs] Activity, .sync and .waitForTaskToken: "Without a mock ... a validation exception"
    refused({"Type": "Task", "Resource": resource, "End": True}, "ValidationException")


def test_mock_validated_against_the_api_model_strict():
    # [docs] STRICT (the default) checks types and required fields against the API's model
    d = {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"}, "End": True}
    assert "StatusCode" in refused(d, "ValidationException", mock=mock_result({"StatusCode": "200"}))
    assert call(d, mock={**mock_result({"StatusCode": "200"}), "fieldValidationMode": "NONE"})["status"] == "SUCCEEDED"
    start = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
             "Parameters": {"StateMachineArn": "arn"}, "End": True}
    # StartExecution's output (botocore model) requires executionArn and startDate
    assert refused(start, "ValidationException", mock=mock_result({"StartDate": "2025-01-01T00:00:00Z"})) == \
        "Mock result schema validation error: Field 'ExecutionArn' is required"
    present = {"StartDate": "2025-01-01T00:00:00Z"}
    assert call(start, mock={**mock_result(present), "fieldValidationMode": "PRESENT"})["status"] == "SUCCEEDED"
    # [aws-recorded] a timestamp is written as a string; a number is refused, in AWS's words
    assert refused(start, "ValidationException", mock={**mock_result({"StartDate": 1}), "fieldValidationMode":
                                                       "PRESENT"}) == \
        "Mock result schema validation error: Field 'StartDate' must be a string"
    # fields the model does not define are ignored (docs note)
    assert call(d, mock=mock_result({"Payload": {"x": 1}, "SdkHttpMetadata": {}}))["status"] == "SUCCEEDED"


def test_invalid_mock_json():
    refused({"Type": "Task", "Resource": lam("echo"), "End": True}, "ValidationException", mock={"result": "{nope"})


# ---------------------------------------------------------------------------- TRACE and the HTTP hook

class FakeHttp(Integrations):
    """Stands in for the HTTP Task integration: fills the trace the way it is to."""

    def invoke(self, resource, payload, *, timeout=None, **kw):
        if resource.service != "http":
            raise TaskFailure("States.TaskFailed", "not http")
        trace = kw.get("http_trace")
        assert isinstance(trace, HttpTrace) and trace.reveal_secrets
        trace.request = {"protocol": "https", "method": payload["Method"], "url": payload["ApiEndpoint"],
                         "headers": "[]", "body": ""}
        trace.response = {"protocol": "https", "statusCode": "200", "statusMessage": "OK", "headers": "[]",
                          "body": '{"ok":true}'}
        return {"ResponseBody": {"ok": True}, "StatusCode": 200}, None


HTTP = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {"ApiEndpoint": "https://example.com/get", "Method": "GET",
                       "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"}},
        "End": True}


def test_trace_gives_the_http_exchange():
    # [docs] TRACE "returns information about the HTTP request ... and response"
    out = call(HTTP, integrations=FakeHttp(), inspectionLevel="TRACE", revealSecrets=True)
    assert out["status"] == "SUCCEEDED"
    data = out["inspectionData"]
    assert data["request"]["method"] == "GET" and data["request"]["url"] == "https://example.com/get"
    assert data["response"]["statusCode"] == "200"
    assert "afterParameters" in data  # TRACE includes DEBUG's data


def test_trace_is_taken_for_every_state_and_shows_what_debug_shows():
    # AWS's answers today (recorded): TRACE is accepted for any state; only an HTTP Task has a
    # request and a response to add
    d = {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "End": True}
    trace = call(d, input='{"a": 1}', inspectionLevel="TRACE")
    debug = call(d, input='{"a": 1}', inspectionLevel="DEBUG")
    assert trace == debug and trace["inspectionData"]["afterParameters"] == '{"x":1}'


def test_a_state_inside_the_tested_one_may_have_the_name_it_is_tested_under():
    d = {"Type": "Map", "ItemProcessor": {"StartAt": "TestState", "States": {
        "TestState": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": True}}}, "End": True}
    out = call(d, input="[1, 2]", mock=mock_result([{"v": 1}, {"v": 2}]))
    assert out["status"] == "SUCCEEDED" and loads(out["output"]) == [{"v": 1}, {"v": 2}]


# ---------------------------------------------------------------------------- request errors

def test_invalid_definition_is_reported_at_the_state():
    message = refused({"Type": "Pass", "Bogus": 1, "End": True}, "InvalidDefinition")
    assert message.startswith("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ")
    assert "Bogus" in message and "/States/" not in message


def test_definition_that_is_not_json():
    assert "INVALID_JSON_DESCRIPTION" in refused("{not json", "InvalidDefinition")


def test_task_without_next_or_end():
    message = refused({"Type": "Task", "Resource": lam("echo")}, "InvalidDefinition")
    assert "Next, End" in message and "MISSING_END_STATE" not in message


def test_invalid_machine_with_state_name():
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}
    message = refused(bad, "InvalidDefinition", stateName="A")
    assert "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next" in message


def test_bad_input_is_invalid_execution_input():
    refused({"Type": "Pass", "End": True}, "InvalidExecutionInput", input="{oops")


def test_bad_variables_and_context():
    refused({"Type": "Pass", "End": True}, "ValidationException", variables="[1]")
    refused({"Type": "Task", "Resource": lam("echo"), "End": True}, "ValidationException",
            mock=mock_result({}), context="nope")


def test_constraint_messages():
    # AWS's wording for model constraints (enum, length, range)
    message = refused({"Type": "Pass", "End": True}, "ValidationException", inspectionLevel="LOUD")
    assert message == ("1 validation error detected: Value 'LOUD' at 'inspectionLevel' failed to satisfy constraint: "
                       "Member must satisfy enum value set: [INFO, DEBUG, TRACE]")
    message = refused({"Type": "Pass", "End": True}, "ValidationException", stateName="",
                      stateConfiguration={"retrierRetryCount": -1})
    assert message.startswith("2 validation errors detected: ")
    with pytest.raises(ApiError) as e:
        run_test_state({}, integrations=Integrations(), region=REGION, account=ACCOUNT)
    assert e.value.message == ("1 validation error detected: Value null at 'definition' failed to satisfy "
                               "constraint: Member must not be null")


def test_role_arn_is_checked():
    # [docs] InvalidArn is among TestState's errors; the message is [guess]
    refused({"Type": "Pass", "End": True}, "InvalidArn", roleArn="not-an-arn")
    role = f"arn:aws:iam::{ACCOUNT}:role/myRole"
    out = call({"Type": "Pass", "Parameters": {"r.$": "$$.Execution.RoleArn"}, "End": True}, roleArn=role)
    assert loads(out["output"]) == {"r": role}


def test_wrong_member_type():
    with pytest.raises(ApiError) as e:
        run_test_state({"definition": {"Type": "Pass"}}, integrations=Integrations(), region=REGION, account=ACCOUNT)
    assert e.value.code == "SerializationException"


@pytest.mark.parametrize("context, message", [
    ({"Execution": {"pokemon": "squirtle"}}, "Field 'pokemon' is not allowed"),
    ({"Pokedex": {}}, "Field 'Pokedex' is not allowed"),
    ({"Execution": {"Id": 1}}, "Execution.Id must be a string"),
    ({"Map": {}}, "'Map' field is not supported when mocking a Context object"),
])
def test_a_given_context_object_is_checked(context, message):
    # [aws-recorded] the words AWS answers with
    d = {"Type": "Task", "Resource": lam("echo"), "End": True}
    assert refused(d, "ValidationException", mock=mock_result({}), context=json.dumps(context)) == \
        f"Invalid Context object provided: {message}"


def test_a_mocked_map_may_hold_tasks_of_resources_that_never_run():
    # [aws-recorded] AWS takes placeholder ARNs inside a Map whose result is mocked
    d = {"Type": "Map", "ItemProcessor": {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:your-region:your-account-id:function:yourFunction", "End": True}}},
         "End": True}
    out = call(d, input="[1]", mock=mock_result(["done"]))
    assert out["status"] == "SUCCEEDED" and loads(out["output"]) == ["done"]
    assert refused({"Type": "Task", "Resource": "arn:aws:lambda:your-region:x:function:f", "End": True},
                   "InvalidDefinition").startswith("Invalid State Machine Definition: 'INVALID_RESOURCE")


def test_a_task_is_tested_as_a_role():
    # [aws-recorded] a Task state (not mocked) needs the role it calls the service as
    body = {"definition": json.dumps({"Type": "Task", "Resource": lam("echo"), "End": True})}
    with pytest.raises(ApiError) as e:
        run_test_state(body, integrations=Integrations(Functions(FUNCTIONS)), region=REGION, account=ACCOUNT)
    assert (e.value.code, e.value.message) == ("ValidationException", "RoleArn must be specified when testing a "
                                                                      "Task state")


def test_a_map_that_tolerates_nothing_answers_its_mock_whatever_failed():
    # [aws-recorded] mapIterationFailureCount only counts against a tolerance the Map sets
    d = {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}
    out = call(d, input="[1, 2, 3]", mock=mock_result([0, 0, 1]), stateConfiguration={"mapIterationFailureCount": 2})
    assert out["status"] == "SUCCEEDED" and loads(out["output"]) == [0, 0, 1]
