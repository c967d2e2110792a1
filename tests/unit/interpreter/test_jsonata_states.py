"""JSONata states: Output, Arguments, Assign, Condition, Items and ``$states``; evaluation errors.

Ground truth: conformance ``outputdecl_*``, ``query_language_*``, ``BASE_UNDEFINED_*``,
``test_math_random_seeded`` (a JSONata error during evaluation), ``test_map_state_items_*``.
A failed evaluation records ``EvaluationFailed`` (linked to the event before the state's entry)
and fails with ``States.QueryEvaluationError``.
"""

from __future__ import annotations

import pytest

from .helpers import details, event, lambda_arn, machine, parsed, run, state_output, types


def jsonata(states: dict) -> dict:
    return machine(states, QueryLanguage="JSONata")


def one(**fields):
    return jsonata({"S": {"Type": "Pass", "End": True, **fields}})


def test_output_mixes_literals_and_expressions():
    ex = run(one(Output={"lit": "x", "n": 1, "expr": "{% $states.input.a & '!' %}",
                         "nested": {"list": [1, "{% $states.input.b * 2 %}"]}}), {"a": "hi", "b": 21})
    assert ex.output == {"lit": "x", "n": 1, "expr": "hi!", "nested": {"list": [1, 42]}}


@pytest.mark.parametrize("value", [True, "string literal", 3, None, [1, 2]])
def test_output_can_be_any_json_value(value):
    # conformance: test_base_output_any_non_dict__BOOL / __STR_LIT
    ex = run(one(Output=value), {"input_value": "stringliteral"})
    assert ex.output == value


def test_no_output_passes_the_input_through():
    # conformance: test_base_query_language_field__JSONATA
    ex = run(one(), {"k": 1})
    assert ex.output == {"k": 1}


def test_state_level_query_language_overrides_the_top_level():
    # conformance: JSONATA_OVERRIDE
    d = machine({"S": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.v + 1 %}",
                       "End": True}}, QueryLanguage="JSONPath")
    assert run(d, {"v": 1}).output == 2


def test_jsonpath_and_jsonata_states_in_one_machine():
    d = machine({
        "Path": {"Type": "Pass", "Parameters": {"v.$": "$.a"}, "Next": "Ata"},
        "Ata": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"w": "{% $states.input.v * 3 %}"},
                "Next": "Back"},
        "Back": {"Type": "Pass", "OutputPath": "$.w", "End": True},
    })
    assert run(d, {"a": 2}).output == 6


def test_a_string_that_is_not_wholly_an_expression_is_a_literal():
    ex = run(one(Output={"partial": "x {% 1 %}", "intrinsic": "States.Format('{}', 1)", "path": "$.a"}), {"a": 1})
    assert ex.output == {"partial": "x {% 1 %}", "intrinsic": "States.Format('{}', 1)", "path": "$.a"}


def test_states_context_is_bound():
    ex = run(one(Output={"name": "{% $states.context.State.Name %}",
                         "exec": "{% $states.context.Execution.Name %}",
                         "input": "{% $states.context.Execution.Input %}"}), {"i": 1})
    assert ex.output == {"name": "S", "exec": ex.name, "input": {"i": 1}}


def test_states_result_in_task_output():
    d = jsonata({"T": {"Type": "Task", "Resource": lambda_arn("f"),
                       "Output": {"in": "{% $states.input %}", "res": "{% $states.result %}"}, "End": True}})
    ex = run(d, {"a": 1}, functions={"f": lambda e, c: {"b": 2}})
    assert ex.output == {"in": {"a": 1}, "res": {"b": 2}}


def test_task_without_output_returns_the_result():
    d = jsonata({"T": {"Type": "Task", "Resource": lambda_arn("f"), "End": True}})
    ex = run(d, {"a": 1}, functions={"f": lambda e, c: {"b": 2}})
    assert ex.output == {"b": 2}


def test_arguments_build_the_task_input():
    seen = []
    d = jsonata({"T": {"Type": "Task", "Resource": lambda_arn("f"),
                       "Arguments": {"sum": "{% $sum($states.input.xs) %}", "lit": "L"}, "End": True}})
    run(d, {"xs": [1, 2, 3]}, functions={"f": lambda e, c: seen.append(e)})
    assert seen == [{"sum": 6, "lit": "L"}]
    assert parsed(details(event(run(d, {"xs": [1]}, functions={"f": lambda e, c: None}),
                                "LambdaFunctionScheduled"))["input"]) == {"sum": 1, "lit": "L"}


def test_arguments_can_be_a_single_expression():
    seen = []
    d = jsonata({"T": {"Type": "Task", "Resource": lambda_arn("f"), "Arguments": "{% $states.input.payload %}",
                       "End": True}})
    run(d, {"payload": {"p": 1}}, functions={"f": lambda e, c: seen.append(e)})
    assert seen == [{"p": 1}]


def test_null_is_a_value_undefined_is_an_error():
    assert run(one(Output={"n": "{% null %}"}), {}).output == {"n": None}
    assert run(one(Output={"n": "{% $states.input.present %}"}), {"present": None}).output == {"n": None}
    missing = run(one(Output={"n": "{% $states.input.missing %}"}), {"present": None})
    assert missing.status == "FAILED"
    assert missing.error == "States.QueryEvaluationError"
    assert missing.cause == ("An error occurred while executing the state 'S' (entered at the event id #2). The "
                             "JSONata expression '$states.input.missing' specified for the field 'Output/n' returned "
                             "nothing (undefined).")


def test_undefined_output_is_an_error():
    # conformance: BASE_UNDEFINED_OUTPUT
    d = jsonata({"State0": {"Type": "Pass", "Output": "{% $doesNotExist %}", "End": True}})
    ex = run(d, {})
    cause = ("An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata "
             "expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined).")
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.QueryEvaluationError", cause)
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 0, 3]
    assert details(ex.history[2]) == {"error": "States.QueryEvaluationError", "cause": cause, "location": "Output",
                                      "state": "State0"}
    assert details(ex.history[3]) == {"error": "States.QueryEvaluationError", "cause": cause}


def test_evaluation_failed_links_to_the_event_before_the_state_was_entered():
    d = jsonata({
        "First": {"Type": "Pass", "Next": "Second"},
        "Second": {"Type": "Pass", "Output": {"x": "{% $nope %}"}, "End": True},
    })
    ex = run(d, {})
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered",
                         "EvaluationFailed", "ExecutionFailed"]
    assert event(ex, "EvaluationFailed")["previousEventId"] == 3
    assert ex.history[-1]["previousEventId"] == 5
    assert ex.cause.startswith("An error occurred while executing the state 'Second' (entered at the event id #4). ")


def test_error_thrown_during_evaluation():
    # conformance: test_math_random_seeded (calling a function that does not exist)
    d = jsonata({"State_0": {"Type": "Pass", "Output": {"FunctionResult": "{% $randomSeeded($states.input.x) %}"},
                             "End": True}})
    ex = run(d, {"x": "fst"})
    assert ex.error == "States.QueryEvaluationError"
    assert ex.cause == ("An error occurred while executing the state 'State_0' (entered at the event id #2). The "
                        "JSONata expression '$randomSeeded($states.input.x)' specified for the field "
                        "'Output/FunctionResult' "
                        "threw an error during evaluation. T1006: Attempted to invoke a non-function")
    assert details(event(ex, "EvaluationFailed"))["location"] == "Output/FunctionResult"


def test_arguments_evaluation_error_happens_before_the_task_is_scheduled():
    called = []
    d = jsonata({"T": {"Type": "Task", "Resource": lambda_arn("f"), "Arguments": {"a": "{% $missingVar %}"},
                       "End": True}})
    ex = run(d, {}, functions={"f": lambda e, c: called.append(e)})
    assert ex.error == "States.QueryEvaluationError"
    assert called == []
    assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "EvaluationFailed", "ExecutionFailed"]
    assert details(event(ex, "EvaluationFailed"))["location"] == "Arguments/a"


def test_condition_reads_variables_and_input():
    d = jsonata({
        "Set": {"Type": "Pass", "Assign": {"limit": 10}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.v > $limit %}", "Next": "Big"}],
              "Default": "Small"},
        "Big": {"Type": "Pass", "Output": "big", "End": True},
        "Small": {"Type": "Pass", "Output": "small", "End": True},
    })
    assert run(d, {"v": 11}).output == "big"
    assert run(d, {"v": 10}).output == "small"


def test_items_from_a_variable():
    # conformance: test_map_state_items_variable_sampling__* (a non-array variable fails)
    d = jsonata({
        "Start": {"Type": "Pass", "Assign": {"ItemsVar": "{% $states.input.items %}"}, "Next": "M"},
        "M": {"Type": "Map", "MaxConcurrency": 1, "Items": "{% $ItemsVar %}",
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                                "States": {"P": {"Type": "Pass", "End": True}}}, "End": True},
    })
    assert run(d, {"items": [1, 2]}).output == [1, 2]
    bad = run(d, {"items": None})
    assert bad.error == "States.QueryEvaluationError"
    assert bad.cause == ("An error occurred while executing the state 'M' (entered at the event id #4). The JSONata "
                         "expression '$ItemsVar' specified for the field 'Items' returned an unexpected result type. "
                         "Expected 'array', but was 'null' for value: null")
    assert types(bad)[-3:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]
    assert event(bad, "EvaluationFailed")["previousEventId"] == 3


def test_output_and_assign_recorded_on_exit():
    ex = run(one(Output={"o": 1}, Assign={"a": "{% $states.input.v %}"}), {"v": [1]})
    exited = details(event(ex, "PassStateExited"))
    assert parsed(exited["output"]) == {"o": 1}
    assert exited["assignedVariables"] == {"a": "[1]"}


def test_jsonata_functions_added_by_step_functions():
    # $range includes its end (conformance test_array_range jsonata: $range(1, 9, 2) = [1, 3, 5, 7, 9])
    ex = run(one(Output={"range": "{% $range(0, 6, 2) %}", "parsed": "{% $parse($states.input.s) %}",
                         "uuid_len": "{% $length($uuid()) %}", "part": "{% $partition([1,2,3], 2) %}"}),
             {"s": '{"k": [1]}'})
    assert ex.output == {"range": [0, 2, 4, 6], "parsed": {"k": [1]}, "uuid_len": 36, "part": [[1, 2], [3]]}
    assert state_output(ex, "S") == ex.output
