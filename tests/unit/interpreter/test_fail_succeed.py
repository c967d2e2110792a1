"""Succeed and Fail states.

Ground truth: conformance cases ``test_state_fail``, ``test_state_fail_empty``,
``test_state_fail_intrinsic``, ``test_error_cause_path`` (context object),
``BASE_REFERENCE_IN_FAIL`` (variables), ``test_invalid_jsonpath__INVALID_JSONPATH_IN_ERRORPATH``
/ ``..._CAUSEPATH`` and ``test_fail_error_jsonata`` / ``test_fail_cause_jsonata``.
A Fail state records no exited event: ``FailStateEntered`` is followed by ``ExecutionFailed``.
"""

from __future__ import annotations

from .helpers import details, event, machine, parsed, run, state_output, types


def fail(**fields):
    return machine({"F": {"Type": "Fail", **fields}})


# ---------------------------------------------------------------------------- Succeed

def test_succeed_returns_its_input():
    ex = run(machine({"S": {"Type": "Succeed"}}), {"a": 1})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"a": 1}
    assert types(ex) == ["ExecutionStarted", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3]
    assert state_output(ex, "S") == {"a": 1}


def test_succeed_applies_input_path_and_output_path():
    ex = run(machine({"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}), {"a": {"b": [1]}, "c": 0})
    assert ex.output == [1]


def test_succeed_ends_the_execution_even_after_other_states():
    d = machine({
        "P": {"Type": "Pass", "Result": {"r": 1}, "Next": "S"},
        "S": {"Type": "Succeed"},
    })
    ex = run(d, {})
    assert ex.output == {"r": 1}
    assert types(ex)[-3:] == ["SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]


def test_succeed_with_jsonata_output():
    d = machine({"S": {"Type": "Succeed", "QueryLanguage": "JSONata",
                       "Output": {"doubled": "{% $states.input.n * 2 %}"}}})
    ex = run(d, {"n": 21})
    assert ex.output == {"doubled": 42}


# ---------------------------------------------------------------------------- Fail

def test_fail_with_error_and_cause():
    ex = run(fail(Error="SomeFailure", Cause="This state machines raises a 'SomeFailure' failure."), {})
    assert ex.status == "FAILED"
    assert ex.error == "SomeFailure"
    assert ex.cause == "This state machines raises a 'SomeFailure' failure."
    assert ex.output is None
    assert types(ex) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2]
    assert details(ex.history[-1]) == {"error": "SomeFailure",
                                       "cause": "This state machines raises a 'SomeFailure' failure."}


def test_empty_fail_has_no_error_and_no_cause():
    ex = run(fail(), {})
    assert ex.status == "FAILED"
    assert ex.error is None and ex.cause is None
    last = ex.history[-1]
    assert last["type"] == "ExecutionFailed"
    assert details(last) == {}


def test_fail_with_only_an_error():
    ex = run(fail(Error="OnlyError"), {})
    assert ex.error == "OnlyError"
    assert ex.cause is None
    assert details(ex.history[-1]) == {"error": "OnlyError"}


def test_fail_with_only_a_cause():
    ex = run(fail(Cause="only cause"), {})
    assert ex.error is None
    assert ex.cause == "only cause"
    assert details(ex.history[-1]) == {"cause": "only cause"}


def test_error_path_and_cause_path_read_the_input():
    ex = run(fail(ErrorPath="$.e.name", CausePath="$.c"), {"e": {"name": "Boom"}, "c": "because"})
    assert (ex.error, ex.cause) == ("Boom", "because")


def test_error_path_and_cause_path_with_intrinsics():
    # conformance: test_state_fail_intrinsic
    ex = run(fail(ErrorPath="States.Format('{}', $.Error)",
                  CausePath="States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)"),
             {"Error": "error string", "Cause": "cause string"})
    assert ex.error == "error string"
    assert ex.cause == "This is a custom error message for error string, caused by cause string."


def test_error_path_and_cause_path_from_the_context_object():
    # conformance: test_error_cause_path
    ex = run(fail(ErrorPath="$$.State.Name", CausePath="$$.StateMachine.Name"), {})
    assert ex.error == "F"
    assert ex.cause == ex.state_machine_name
    assert ex.state_machine_arn.endswith(":stateMachine:" + ex.cause)


def test_error_path_and_cause_path_from_variables():
    # conformance: BASE_REFERENCE_IN_FAIL
    d = machine({
        "Pass": {"Type": "Pass", "Assign": {"errorVar": "Exception", "causeVar": "An Exception was encountered"},
                 "Next": "Fail"},
        "Fail": {"Type": "Fail", "CausePath": "$causeVar", "ErrorPath": "$errorVar"},
    })
    ex = run(d, {})
    assert (ex.error, ex.cause) == ("Exception", "An Exception was encountered")
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "FailStateEntered",
                         "ExecutionFailed"]


def test_missing_error_path_is_a_runtime_error_naming_the_input():
    # conformance: test_invalid_jsonpath__INVALID_JSONPATH_IN_ERRORPATH
    d = machine({
        "pass": {"Type": "Pass", "Next": "fail", "Parameters": {"Error": "error-value"}},
        "fail": {"Type": "Fail", "ErrorPath": "$.ErrorX"},
    })
    ex = run(d, {"int-literal": 0})
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'fail' (entered at the event id #4). "
                        "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the "
                        "input '{\"Error\":\"error-value\"}'")
    assert types(ex)[-2:] == ["FailStateEntered", "ExecutionFailed"]
    assert ex.history[-1]["previousEventId"] == 4


def test_missing_cause_path_is_a_runtime_error():
    # conformance: ST.INVALID_JSONPATH_IN_CAUSEPATH
    d = machine({
        "pass": {"Type": "Pass", "Next": "fail", "Parameters": {"Error": "error-value"}},
        "fail": {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.NoSuchCausePath"},
    })
    ex = run(d, {})
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'fail' (entered at the event id #4). "
                        "The JSONPath '$.NoSuchCausePath' specified for the field 'CausePath' could not be found in "
                        "the input '{\"Error\":\"error-value\"}'")


def test_error_path_to_a_non_string_is_a_runtime_error():
    ex = run(fail(ErrorPath="$.e"), {"e": 5})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause.startswith("An error occurred while executing the state 'F' (entered at the event id #2). ")


def test_jsonata_fail_error_expression():
    # conformance: test_fail_error_jsonata
    d = machine({"F": {"Type": "Fail", "Error": "{% $states.input.error %}"}}, QueryLanguage="JSONata")
    ex = run(d, {"error": "Exception"})
    assert ex.error == "Exception"
    assert ex.cause is None
    assert details(ex.history[-1]) == {"error": "Exception"}


def test_jsonata_fail_cause_expression():
    # conformance: test_fail_cause_jsonata
    d = machine({"F": {"Type": "Fail", "Cause": "{% $states.input.cause %}"}}, QueryLanguage="JSONata")
    ex = run(d, {"cause": "This failed to due an Exception."})
    assert ex.error is None
    assert ex.cause == "This failed to due an Exception."


def test_jsonata_fail_with_non_string_error_is_a_query_evaluation_error():
    d = machine({"F": {"Type": "Fail", "Error": "{% $states.input.n %}", "Cause": "c"}}, QueryLanguage="JSONata")
    ex = run(d, {"n": 1})
    assert ex.error == "States.QueryEvaluationError"
    assert types(ex) == ["ExecutionStarted", "FailStateEntered", "EvaluationFailed", "ExecutionFailed"]
    ef = details(event(ex, "EvaluationFailed"))
    assert ef["state"] == "F"
    assert ef["error"] == "States.QueryEvaluationError"
    assert ef["cause"] == ex.cause


def test_fail_input_is_recorded_on_the_entered_event():
    ex = run(fail(Error="E"), {"k": [1, 2]})
    assert parsed(details(event(ex, "FailStateEntered"))["input"]) == {"k": [1, 2]}
