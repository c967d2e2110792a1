"""Task states calling Python functions as Lambda functions.

Two resources call a function: its Lambda ARN (``LambdaFunction*`` events, the result is the
function's return value) and ``arn:aws:states:::lambda:invoke`` (``Task*`` events, the result
is Lambda's Invoke response with the return value under ``Payload``).
Ground truth: conformance ``test_raise_exception*``, ``test_raise_custom_exception``,
``test_no_such_function*``, ``test_fixed_timeout_lambda``, ``*_data_limit_exceeded_on_large_utf8_response``,
``test_invoke_bytes_payload``, ``context_object ... test_result_selector``.
"""

from __future__ import annotations

import json
import time

import pytest

from .helpers import INVOKE, details, event, lambda_arn, machine, parsed, run, state_output, types


def ident(event, context):
    return event


def task(resource, **fields):
    return machine({"T": {"Type": "Task", "Resource": resource, "End": True, **fields}})


class CustomException(Exception):
    pass


def raise_custom(event, context):
    raise CustomException()


def raise_value_error(event, context):
    raise ValueError("bad thing")


# ---------------------------------------------------------------------------- Lambda ARN

def test_lambda_arn_returns_the_function_result():
    seen = []

    def double(event, context):
        seen.append(event)
        return {"doubled": event["n"] * 2}

    ex = run(task(lambda_arn("double")), {"n": 21}, functions={"double": double})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"doubled": 42}
    assert seen == [{"n": 21}]


def test_lambda_arn_history():
    ex = run(task(lambda_arn("ident")), {"n": 1}, functions={"ident": ident})
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                         "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 6]
    scheduled = details(ex.history[2])
    assert scheduled["resource"] == lambda_arn("ident")
    assert parsed(scheduled["input"]) == {"n": 1}
    assert scheduled["inputDetails"] == {"truncated": False}
    assert "timeoutInSeconds" not in scheduled
    assert details(ex.history[3]) == {}
    succeeded = details(ex.history[4])
    assert parsed(succeeded["output"]) == {"n": 1}
    assert succeeded["outputDetails"] == {"truncated": False}


@pytest.mark.parametrize("value", [0, 1.5, True, "text", None, [1, "a"], {"k": {"n": [1]}}])
def test_lambda_arn_returns_any_json_value(value):
    ex = run(task(lambda_arn("f")), {}, functions={"f": lambda e, c: value})
    assert ex.status == "SUCCEEDED"
    assert ex.output == value


def test_parameters_build_the_payload():
    seen = []
    ex = run(task(lambda_arn("f"), Parameters={"a.$": "$.x", "const": 1, "name.$": "$$.State.Name"}),
             {"x": "X"}, functions={"f": lambda e, c: seen.append(e) or "ok"})
    assert seen == [{"a": "X", "const": 1, "name": "T"}]
    assert parsed(details(event(ex, "LambdaFunctionScheduled"))["input"]) == {"a": "X", "const": 1, "name": "T"}
    assert ex.output == "ok"


def test_the_function_gets_a_private_copy_of_its_event():
    def mutate(event, context):
        event["x"].append(99)
        return event

    ex = run(task(lambda_arn("mutate"), ResultPath="$.r"), {"x": [1]}, functions={"mutate": mutate})
    assert ex.output == {"x": [1], "r": {"x": [1, 99]}}


def test_result_selector_result_path_and_output_path():
    ex = run(task(lambda_arn("f"), ResultSelector={"picked.$": "$.a", "fromInput.$": "$$.Execution.Input.tag"},
                  ResultPath="$.res", OutputPath="$.res"),
             {"tag": "T"}, functions={"f": lambda e, c: {"a": 1, "b": 2}})
    assert ex.output == {"picked": 1, "fromInput": "T"}
    # the raw result is what LambdaFunctionSucceeded records
    assert parsed(details(event(ex, "LambdaFunctionSucceeded"))["output"]) == {"a": 1, "b": 2}


def test_null_result_path_keeps_the_input():
    ex = run(task(lambda_arn("f"), ResultPath=None), {"in": 1}, functions={"f": lambda e, c: {"out": 2}})
    assert ex.output == {"in": 1}


def test_input_path_selects_the_payload():
    seen = []
    run(task(lambda_arn("f"), InputPath="$.inner"), {"inner": {"a": 1}, "outer": 2},
        functions={"f": lambda e, c: seen.append(e)})
    assert seen == [{"a": 1}]


def test_function_exception_becomes_error_and_lambda_cause():
    ex = run(task(lambda_arn("raise_value_error")), {}, functions={"raise_value_error": raise_value_error})
    assert ex.status == "FAILED"
    assert ex.error == "ValueError"
    cause = json.loads(ex.cause)
    assert set(cause) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert cause["errorMessage"] == "bad thing"
    assert cause["errorType"] == "ValueError"
    assert isinstance(cause["requestId"], str) and cause["requestId"]
    assert len(cause["stackTrace"]) == 1
    frame = cause["stackTrace"][0]
    assert frame.startswith('  File "test_task.py", line ')
    assert frame.endswith(', in raise_value_error\n    raise ValueError("bad thing")\n')
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                         "LambdaFunctionFailed", "ExecutionFailed"]
    failed = details(event(ex, "LambdaFunctionFailed"))
    assert failed == {"error": "ValueError", "cause": ex.cause}
    assert ex.history[-1]["previousEventId"] == 5


def test_custom_exception_without_message():
    # conformance: error_handling ... test_raise_custom_exception
    d = machine({
        "InvokeLambda": {"Type": "Task", "Resource": lambda_arn("raise_custom"), "Next": "ProcessResult",
                         "Catch": [{"ErrorEquals": ["CustomException"], "Next": "ErrorMatched"}]},
        "ProcessResult": {"Type": "Pass", "End": True},
        "ErrorMatched": {"Type": "Pass", "End": True},
    })
    ex = run(d, {}, functions={"raise_custom": raise_custom})
    assert ex.status == "SUCCEEDED"
    assert ex.output["Error"] == "CustomException"
    cause = json.loads(ex.output["Cause"])
    assert cause["errorMessage"] == ""
    assert cause["errorType"] == "CustomException"
    assert cause["stackTrace"][0].endswith("    raise CustomException()\n")
    assert details(event(ex, "PassStateEntered"))["name"] == "ErrorMatched"


def test_request_ids_differ_between_invocations():
    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("boom"), "End": True,
                       "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}]}})
    ex = run(d, {}, functions={"boom": raise_value_error}, virtual_time=True)
    ids = [json.loads(details(e)["cause"])["requestId"] for e in ex.history if e["type"] == "LambdaFunctionFailed"]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_unknown_function_by_lambda_arn_fails_the_task():
    ex = run(task(lambda_arn("nope")), {})
    assert ex.status == "FAILED"
    assert ex.error == "Lambda.ResourceNotFoundException"
    assert ex.cause.startswith(f"Function not found: {lambda_arn('nope')}:$LATEST (Service: AWSLambda; "
                               "Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ")


def test_function_returning_bytes_is_the_raw_payload():
    ex = run(task(lambda_arn("f")), {}, functions={"f": lambda e, c: b'{"from": "bytes"}'})
    assert ex.output == {"from": "bytes"}


def test_function_returning_non_json_is_a_marshal_error():
    ex = run(task(lambda_arn("f")), {}, functions={"f": lambda e, c: {1, 2}})
    assert ex.status == "FAILED"
    assert ex.error == "Runtime.MarshalError"
    assert json.loads(ex.cause)["errorType"] == "Runtime.MarshalError"


def test_lambda_context_names_the_function():
    seen = {}

    def look(event, context):
        seen.update(name=context.function_name, arn=context.invoked_function_arn,
                    remaining=context.get_remaining_time_in_millis())
        return None

    run(task(lambda_arn("look")), {}, functions={"look": look})
    assert seen["name"] == "look"
    assert seen["arn"] == lambda_arn("look")
    assert seen["remaining"] > 0


# ---------------------------------------------------------------------------- lambda:invoke

def test_lambda_invoke_result_shape_and_events():
    ex = run(task(INVOKE, Parameters={"FunctionName": "ident", "Payload.$": "$"}), {"x": 1},
             functions={"ident": ident})
    assert ex.status == "SUCCEEDED"
    out = ex.output
    assert set(out) == {"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"}
    assert out["ExecutedVersion"] == "$LATEST"
    assert out["Payload"] == {"x": 1}
    assert out["StatusCode"] == 200
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    rid = out["SdkResponseMetadata"]["RequestId"]
    assert out["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"] == rid
    assert out["SdkHttpMetadata"]["AllHttpHeaders"]["x-amzn-RequestId"] == [rid]
    # Lambda's Python runtime writes json.dumps(result): {"x": 1} is 8 bytes
    assert out["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "8"
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
                         "TaskStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 6]
    scheduled = details(ex.history[2])
    assert scheduled["resourceType"] == "lambda"
    assert scheduled["resource"] == "invoke"
    assert scheduled["region"] == "us-east-1"
    assert parsed(scheduled["parameters"]) == {"FunctionName": "ident", "Payload": {"x": 1}}
    assert details(ex.history[3]) == {"resourceType": "lambda", "resource": "invoke"}
    succeeded = details(ex.history[4])
    assert succeeded["resourceType"] == "lambda" and succeeded["resource"] == "invoke"
    assert parsed(succeeded["output"]) == out


def test_lambda_invoke_without_payload_sends_an_empty_object():
    seen = []
    run(task(INVOKE, Parameters={"FunctionName": "f"}), {"x": 1}, functions={"f": lambda e, c: seen.append(e)})
    assert seen == [{}]


def test_lambda_invoke_accepts_a_function_arn():
    ex = run(task(INVOKE, Parameters={"FunctionName": lambda_arn("ident"), "Payload": {"a": 1}}), {},
             functions={"ident": ident})
    assert ex.output["Payload"] == {"a": 1}


def test_lambda_invoke_result_selector_on_payload():
    # conformance: context_object test_result_selector
    ex = run(task(INVOKE, Parameters={"FunctionName": "ident", "Payload": {"Input.$": "$"}},
                  ResultSelector={"LambdaOutput.$": "$.Payload", "ContextObjectValue.$": "$$.Execution.Input"}),
             {"k": 0}, functions={"ident": ident})
    assert ex.output == {"LambdaOutput": {"Input": {"k": 0}}, "ContextObjectValue": {"k": 0}}


def test_lambda_invoke_function_exception():
    ex = run(task(INVOKE, Parameters={"FunctionName": "raise_custom"}), {}, functions={"raise_custom": raise_custom})
    assert ex.error == "CustomException"
    assert json.loads(ex.cause)["errorType"] == "CustomException"
    failed = details(event(ex, "TaskFailed"))
    assert failed == {"resourceType": "lambda", "resource": "invoke", "error": "CustomException", "cause": ex.cause}


def test_lambda_invoke_unknown_function():
    # conformance: error_handling_test_task_service_lambda ... test_no_such_function
    ex = run(task(INVOKE, Parameters={"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"}),
             {"FunctionName": "no_such_function", "Payload": None})
    assert ex.status == "FAILED"
    assert ex.error == "Lambda.ResourceNotFoundException"
    assert ex.cause.startswith(f"Function not found: {lambda_arn('no_such_function')}:$LATEST (Service: AWSLambda; "
                               "Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ")
    assert ex.cause.endswith("; Proxy: null)")
    assert types(ex)[-3:] == ["TaskStarted", "TaskFailed", "ExecutionFailed"]


def test_unknown_function_is_caught_by_task_failed():
    # conformance: test_no_such_function_catch (service integration)
    d = machine({
        "Start": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "nope"},
                  "Catch": [{"ErrorEquals": ["Lambda.Unknown"], "Next": "Unknown"},
                            {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.task_failed_error",
                             "Next": "TaskFailed"},
                            {"ErrorEquals": ["States.ALL"], "Next": "All"}],
                  "Next": "Final"},
        "Unknown": {"Type": "Pass", "End": True},
        "TaskFailed": {"Type": "Pass", "End": True},
        "All": {"Type": "Pass", "End": True},
        "Final": {"Type": "Pass", "End": True},
    })
    ex = run(d, {"in": 1})
    assert ex.status == "SUCCEEDED"
    assert details(event(ex, "PassStateEntered"))["name"] == "TaskFailed"
    assert ex.output["in"] == 1
    assert ex.output["task_failed_error"]["Error"] == "Lambda.ResourceNotFoundException"


# ---------------------------------------------------------------------------- timeouts

def slow(event, context):
    time.sleep(3)
    return "late"


def test_timeout_seconds_times_the_function_out():
    # conformance: timeouts_test_timeouts ... test_fixed_timeout_lambda
    ex = run(task(lambda_arn("slow"), TimeoutSeconds=1), {"Payload": None}, functions={"slow": slow})
    assert ex.status == "FAILED"
    assert ex.error == "States.Timeout"
    assert ex.cause is None
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                         "LambdaFunctionTimedOut", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5]
    assert details(ex.history[2])["timeoutInSeconds"] == 1
    assert details(ex.history[4]) == {"error": "States.Timeout"}
    assert details(ex.history[5]) == {"error": "States.Timeout"}
    assert 1 <= ex.history[4]["timestamp"] - ex.history[3]["timestamp"] < 2.5


def test_timeout_seconds_path():
    ex = run(task(lambda_arn("slow"), TimeoutSecondsPath="$.t"), {"t": 1}, functions={"slow": slow})
    assert ex.error == "States.Timeout"
    assert details(event(ex, "LambdaFunctionScheduled"))["timeoutInSeconds"] == 1


def test_a_fast_function_within_its_timeout_succeeds():
    ex = run(task(lambda_arn("ident"), TimeoutSeconds=30), {"a": 1}, functions={"ident": ident})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"a": 1}
    assert details(event(ex, "LambdaFunctionScheduled"))["timeoutInSeconds"] == 30


def test_lambda_invoke_timeout_records_task_timed_out():
    ex = run(task(INVOKE, Parameters={"FunctionName": "slow"}, TimeoutSeconds=1), {}, functions={"slow": slow})
    assert ex.error == "States.Timeout"
    assert details(event(ex, "TaskScheduled"))["timeoutInSeconds"] == 1
    timed_out = details(event(ex, "TaskTimedOut"))
    assert timed_out["error"] == "States.Timeout"
    assert timed_out["resourceType"] == "lambda" and timed_out["resource"] == "invoke"


# ---------------------------------------------------------------------------- payload limits

def big_bytes(event, context):
    return ("a" * (257 * 1024)).encode("utf-8")


def test_result_over_256_kib_is_data_limit_exceeded_caught_by_states_all():
    # conformance: test_task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("big"), "Next": "Ok",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]},
        "Ok": {"Type": "Pass", "End": True},
        "Handle": {"Type": "Pass", "End": True},
    })
    ex = run(d, {}, functions={"big": big_bytes})
    cause = (f"The state/task '{lambda_arn('big')}' returned a result with a size exceeding the maximum number of "
             "bytes service limit.")
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"Error": "States.DataLimitExceeded", "Cause": cause}
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                         "LambdaFunctionFailed", "TaskStateExited", "PassStateEntered", "PassStateExited",
                         "ExecutionSucceeded"]
    assert details(event(ex, "LambdaFunctionFailed")) == {"error": "States.DataLimitExceeded", "cause": cause}


def test_lambda_invoke_result_over_256_kib_names_the_service():
    # conformance: test_service_task_lambada_data_limit_exceeded_on_large_utf8_response
    d = machine({
        "T": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "big"}, "Next": "Ok",
              "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Handle"},
                        {"ErrorEquals": ["States.ALL"], "Next": "Ok"}]},
        "Ok": {"Type": "Pass", "End": True},
        "Handle": {"Type": "Pass", "End": True},
    })
    ex = run(d, {}, functions={"big": big_bytes})
    cause = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."
    assert ex.output == {"Error": "States.DataLimitExceeded", "Cause": cause}
    assert details(event(ex, "PassStateEntered"))["name"] == "Handle"
    failed = details(event(ex, "TaskFailed"))
    assert failed["error"] == "States.DataLimitExceeded" and failed["cause"] == cause


def test_result_over_256_kib_uncaught_fails_the_execution():
    ex = run(task(lambda_arn("big")), {}, functions={"big": big_bytes})
    assert ex.status == "FAILED"
    assert ex.error == "States.DataLimitExceeded"
    assert types(ex)[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]


def test_multibyte_result_is_measured_in_utf8_bytes():
    # 90,000 three-byte characters: 270,000 bytes, over the limit, although under 256 Ki characters
    ex = run(task(lambda_arn("f")), {}, functions={"f": lambda e, c: "€" * 90000})
    assert ex.error == "States.DataLimitExceeded"


def test_result_just_under_the_limit_is_fine():
    ex = run(task(lambda_arn("f")), {}, functions={"f": lambda e, c: "a" * (256 * 1024 - 100)})
    assert ex.status == "SUCCEEDED"
    assert len(ex.output) == 256 * 1024 - 100


def test_task_input_over_256_kib_after_parameters_is_data_limit_exceeded():
    # AWS docs (concepts-error-handling, States.DataLimitExceeded): reported "when, after Parameters
    # processing, the input of a state is larger than the payload size quota".
    called = []
    d = task(lambda_arn("f"), Parameters={"a.$": "$.s", "b.$": "$.s"})
    ex = run(d, {"s": "a" * 150000}, functions={"f": lambda e, c: called.append(1) or "small"})
    assert ex.status == "FAILED"
    assert ex.error == "States.DataLimitExceeded"
    assert called == []


# ---------------------------------------------------------------------------- JSONata

def test_jsonata_task_arguments_output_and_assign():
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"),
              "Arguments": {"n": "{% $states.input.n %}", "ctx": "{% $states.context.State.Name %}"},
              "Output": {"result": "{% $states.result %}", "input": "{% $states.input %}"},
              "Assign": {"got": "{% $states.result.n %}"},
              "Next": "P"},
        "P": {"Type": "Pass", "Output": "{% $got %}", "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {"n": 5}, functions={"f": lambda e, c: {"n": e["n"] + 1, "ctx": e["ctx"]}})
    assert ex.status == "SUCCEEDED"
    assert state_output(ex, "T") == {"result": {"n": 6, "ctx": "T"}, "input": {"n": 5}}
    assert ex.output == 6
    assert details(event(ex, "TaskStateExited"))["assignedVariables"] == {"got": "6"}


def test_jsonata_task_without_arguments_sends_the_input():
    seen = []
    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("f"), "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {"a": 1}, functions={"f": lambda e, c: seen.append(e) or "r"})
    assert seen == [{"a": 1}]
    assert ex.output == "r"


def test_jsonata_lambda_invoke_arguments():
    d = machine({"T": {"Type": "Task", "Resource": INVOKE,
                       "Arguments": {"FunctionName": "ident", "Payload": {"v": "{% $states.input.v %}"}},
                       "Output": "{% $states.result.Payload %}", "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {"v": [1, 2]}, functions={"ident": ident})
    assert ex.output == {"v": [1, 2]}
    assert parsed(details(event(ex, "TaskScheduled"))["parameters"]) == {"FunctionName": "ident",
                                                                          "Payload": {"v": [1, 2]}}


def test_jsonata_timeout_seconds_expression():
    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("slow"), "TimeoutSeconds": "{% $states.input.t %}",
                       "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {"t": 1}, functions={"slow": slow})
    assert ex.error == "States.Timeout"
    assert details(event(ex, "LambdaFunctionScheduled"))["timeoutInSeconds"] == 1


@pytest.mark.parametrize("qualifier", [":$LATEST", ":prod", ":1"])
def test_qualified_lambda_arn_calls_the_function(qualifier):
    ex = run(task(lambda_arn("ident") + qualifier), {"x": 1}, functions={"ident": ident})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"x": 1}
    assert details(event(ex, "LambdaFunctionScheduled"))["resource"] == lambda_arn("ident") + qualifier


@pytest.mark.parametrize("name", ["ident:prod", "123456789012:function:ident", lambda_arn("ident") + ":$LATEST"])
def test_lambda_invoke_function_name_forms(name):
    ex = run(task(INVOKE, Parameters={"FunctionName": name, "Payload": {"a": 1}}, OutputPath="$.Payload"), {},
             functions={"ident": ident})
    assert ex.output == {"a": 1}
