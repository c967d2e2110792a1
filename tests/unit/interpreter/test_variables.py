"""Workflow variables: Assign in both query languages, scopes, and ``assignedVariables``.

Ground truth: conformance ``assign_*`` cases (BASE_CONSTANT_LITERALS, BASE_VAR, BASE_SCOPE_MAP,
BASE_SCOPE_PARALLEL, BASE_REFERENCE_IN_*, BASE_ASSIGN_FROM_*), ``test_variable_sampling__*``
(mixed query languages: a state's Assign reads the values from before the state) and the AWS
docs (workflow-variables): inner scopes (Parallel branches, Map iterations) read outer variables,
what they assign stays inside.
"""

from __future__ import annotations

import pytest

from .helpers import INVOKE, assigned, details, event, lambda_arn, machine, parsed, run, state_output, types


def test_constant_assign_is_recorded_as_json_text_on_the_exited_event():
    # conformance: BASE_CONSTANT_LITERALS
    d = machine({"S": {"Type": "Pass", "End": True, "Assign": {
        "n": None, "i": 0, "f": 0.1, "b": True, "s": "constant string", "path_like": "$.no.such.path",
        "ctx_like": "$$.Execution.Id", "var_like": "$noSuchVar", "jsonata_like": "{% $x %}",
        "lst": [None, 0, "$x", []], "obj": {"k": "v", "nested": {"a": [1]}}, "empty": {},
    }}})
    ex = run(d, {"in": 1})
    assert ex.output == {"in": 1}
    exited = details(event(ex, "PassStateExited"))
    assert exited["assignedVariables"] == {
        "n": "null", "i": "0", "f": "0.1", "b": "true", "s": '"constant string"', "path_like": '"$.no.such.path"',
        "ctx_like": '"$$.Execution.Id"', "var_like": '"$noSuchVar"', "jsonata_like": '"{% $x %}"',
        "lst": '[null,0,"$x",[]]', "obj": '{"k":"v","nested":{"a":[1]}}', "empty": "{}",
    }
    assert exited["assignedVariablesDetails"] == {"truncated": False}


def test_no_assign_no_assigned_variables():
    ex = run(machine({"S": {"Type": "Pass", "End": True}}), {})
    assert "assignedVariables" not in details(event(ex, "PassStateExited"))
    assert "assignedVariablesDetails" not in details(event(ex, "PassStateExited"))


def test_jsonpath_assign_reads_the_pass_result():
    # conformance: BASE_REFERENCE_IN_OUTPUTPATH
    d = machine({
        "S0": {"Type": "Pass", "Result": {"answer": 42}, "Assign": {"theAnswer.$": "$.answer"}, "Next": "S1"},
        "S1": {"Type": "Pass", "OutputPath": "$theAnswer", "End": True},
    })
    ex = run(d, {"answer": "from input"})
    assert ex.output == 42
    assert assigned(ex, "S0") == {"theAnswer": "42"}


def test_jsonpath_assign_reads_the_task_result_after_result_selector():
    d = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("f"), "ResultSelector": {"sel.$": "$.raw"},
              "Assign": {"got.$": "$.sel", "ctx.$": "$$.State.Name"}, "ResultPath": None, "Next": "Use"},
        "Use": {"Type": "Pass", "Parameters": {"got.$": "$got", "ctx.$": "$ctx"}, "End": True},
    })
    ex = run(d, {}, functions={"f": lambda e, c: {"raw": "R"}})
    assert ex.output == {"got": "R", "ctx": "T"}


def test_variables_from_the_lambda_invoke_flow():
    # conformance: BASE_ASSIGN_FROM_LAMBDA_TASK_RESULT
    d = machine({
        "Pass": {"Type": "Pass", "Assign": {"functionName.$": "$.FunctionName",
                                            "inputData": {"foo": "oof", "bar": "rab"}, "timeout": 300},
                 "Next": "Task"},
        "Task": {"Type": "Task", "Resource": INVOKE, "TimeoutSecondsPath": "$timeout",
                 "Parameters": {"Payload.$": "$inputData", "FunctionName.$": "$functionName"},
                 "Assign": {"result.$": "$.Payload"}, "OutputPath": "$.Payload", "Next": "End"},
        "End": {"Type": "Pass", "Assign": {"previousResult.$": "$result", "timeout": 150}, "End": True},
    })
    ex = run(d, {"FunctionName": lambda_arn("hello")}, functions={"hello": lambda e, c: b'"HelloWorld!"'})
    assert ex.output == "HelloWorld!"
    assert details(event(ex, "TaskScheduled"))["timeoutInSeconds"] == 300
    assert parsed(details(event(ex, "TaskScheduled"))["parameters"]) == {
        "FunctionName": lambda_arn("hello"), "Payload": {"foo": "oof", "bar": "rab"}}
    assert assigned(ex, "Task") == {"result": '"HelloWorld!"'}
    assert assigned(ex, "End") == {"previousResult": '"HelloWorld!"', "timeout": "150"}


@pytest.mark.parametrize("field,value", [
    ("InputPath", "$v"),
    ("Parameters", {"x.$": "$v"}),
    ("Parameters", {"x.$": "States.Format('<{}>', $v)"}),
    ("Parameters", {"x.$": "$obj.deep[1]"}),
])
def test_variables_are_readable_in_later_states(field, value):
    d = machine({
        "Set": {"Type": "Pass", "Assign": {"v": "V", "obj": {"deep": [0, "D"]}}, "Next": "Use"},
        "Use": {"Type": "Pass", field: value, "End": True},
    })
    ex = run(d, {})
    assert ex.status == "SUCCEEDED"
    expected = {"$v": "V", "States.Format('<{}>', $v)": "<V>", "$obj.deep[1]": "D"}
    if field == "InputPath":
        assert ex.output == "V"
    else:
        assert ex.output == {"x": expected[value["x.$"]]}


def test_reassigning_overwrites_and_the_state_reads_values_from_before_it():
    # conformance: test_variable_sampling__JSONATA_ASSIGN_JSONPATH_REF
    d = machine({
        "A": {"Type": "Pass", "Assign": {"theAnswerVar": 42}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"theAnswerVar": 18, "oldAnswerVar.$": "$theAnswerVar"},
              "Parameters": {"seen.$": "$theAnswerVar"}, "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"now.$": "$theAnswerVar", "old.$": "$oldAnswerVar"}, "End": True},
    })
    ex = run(d, {})
    assert assigned(ex, "B") == {"theAnswerVar": "18", "oldAnswerVar": "42"}
    assert state_output(ex, "B") == {"seen": 42}
    assert ex.output == {"now": 18, "old": 42}


def test_jsonpath_assign_then_jsonata_reference():
    # conformance: test_variable_sampling__JSONPATH_ASSIGN_JSONATA_REF
    d = machine({
        "JSONPathState": {"QueryLanguage": "JSONPath", "Type": "Pass", "Assign": {"theAnswer": 42},
                          "Next": "JSONataState"},
        "JSONataState": {"QueryLanguage": "JSONata", "Type": "Pass",
                         "Assign": {"theAnswer": 18, "oldAnswer": "{% $theAnswer %}"}, "End": True},
    })
    ex = run(d, {})
    assert assigned(ex, "JSONataState") == {"theAnswer": "18", "oldAnswer": "42"}


def test_jsonata_output_in_the_assigning_state_sees_the_old_value():
    d = machine({
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": 2}, "Output": {"seen": "{% $x %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Output": {"seen": "{% $x %}"}, "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {})
    assert state_output(ex, "B") == {"seen": 1}
    assert ex.output == {"seen": 2}


def test_jsonata_assign_from_input_and_expressions():
    d = machine({
        "A": {"Type": "Pass", "Assign": {"total": "{% $sum($states.input.xs) %}", "first": "{% $states.input.xs[0] %}",
                                         "lit": [1, "{% 1 + 1 %}"]}, "Next": "B"},
        "B": {"Type": "Pass", "Output": {"total": "{% $total %}", "first": "{% $first %}", "lit": "{% $lit %}"},
              "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {"xs": [3, 4]})
    assert ex.output == {"total": 7, "first": 3, "lit": [1, 2]}
    assert assigned(ex, "A") == {"total": "7", "first": "3", "lit": "[1,2]"}


def test_assign_with_a_missing_path_is_a_runtime_error():
    d = machine({"A": {"Type": "Pass", "Assign": {"x.$": "$.missing"}, "End": True}})
    ex = run(d, {})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause.startswith("An error occurred while executing the state 'A' (entered at the event id #2). ")
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


def test_jsonata_assign_undefined_is_a_query_evaluation_error():
    # conformance: BASE_UNDEFINED_ASSIGN
    d = machine({"State0": {"Type": "Pass", "Assign": {"result": "{% $doesNotExist %}"}, "End": True}},
                QueryLanguage="JSONata")
    ex = run(d, {})
    cause = ("An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata "
             "expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined).")
    assert (ex.error, ex.cause) == ("States.QueryEvaluationError", cause)
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 0, 3]
    assert details(ex.history[2]) == {"error": "States.QueryEvaluationError", "cause": cause,
                                      "location": "Assign/result", "state": "State0"}


# ---------------------------------------------------------------------------- scopes

def test_map_iterations_read_outer_variables():
    # conformance: BASE_SCOPE_MAP
    d = machine({
        "State0": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2, 3]}, "Next": "State1"},
        "State1": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrency": 1,
                   "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Inner",
                                     "States": {"Inner": {"Type": "Pass", "Assign": {"innerX.$": "$x"}, "End": True}}},
                   "Next": "State2"},
        "State2": {"Type": "Pass", "Assign": {"final.$": "$x"}, "End": True},
    })
    ex = run(d, {"input_value": "input_value_literal"})
    assert ex.output == [1, 2, 3]
    assert [assigned(ex, "Inner", i) for i in range(3)] == [{"innerX": "42"}] * 3
    assert assigned(ex, "State2") == {"final": "42"}


def test_parallel_branches_read_outer_variables():
    # conformance: BASE_SCOPE_PARALLEL
    d = machine({
        "State0": {"Type": "Pass", "Assign": {"x": 42}, "Next": "State1"},
        "State1": {"Type": "Parallel", "End": True, "Branches": [
            machine({"B1": {"Type": "Pass", "Assign": {"innerX.$": "$x", "value.$": "$"}, "End": True}}),
            machine({"B2": {"Type": "Pass", "Assign": {"innerX.$": "$x", "value.$": "$"}, "End": True}}),
        ]},
    })
    ex = run(d, {})
    assert ex.output == [{}, {}]
    assert assigned(ex, "B1") == {"innerX": "42", "value": "{}"}
    assert assigned(ex, "B2") == {"innerX": "42", "value": "{}"}


def test_variables_assigned_in_a_map_iteration_do_not_leak_out():
    d = machine({
        "M": {"Type": "Map", "Items": [1, 2],
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Inner",
                                "States": {"Inner": {"Type": "Pass", "Assign": {"innerOnly": "{% $states.input %}"},
                                                     "End": True}}},
              "Next": "After"},
        "After": {"Type": "Pass", "Output": {"leaked": "{% $exists($innerOnly) %}"}, "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"leaked": False}


def test_variables_assigned_in_a_parallel_branch_do_not_leak_out_or_across():
    d = machine({
        "P": {"Type": "Parallel", "Next": "After", "Branches": [
            machine({"A1": {"Type": "Pass", "Assign": {"fromA": "a"}, "Next": "A2"},
                     "A2": {"Type": "Wait", "Seconds": 5, "Next": "A3"},
                     "A3": {"Type": "Pass", "Output": {"sawB": "{% $exists($fromB) %}", "own": "{% $fromA %}"},
                            "End": True}}),
            machine({"B1": {"Type": "Pass", "Assign": {"fromB": "b"}, "End": True}}),
        ]},
        "After": {"Type": "Pass", "Output": {"branches": "{% $states.input %}",
                                             "leaked": "{% $exists($fromA) or $exists($fromB) %}"}, "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output["branches"][0] == {"sawB": False, "own": "a"}
    assert ex.output["leaked"] is False


def test_variables_assigned_in_an_iteration_are_visible_later_in_that_iteration():
    # conformance: BASE_REFERENCE_IN_ITERATOR_OUTER_SCOPE (nested maps)
    d = machine({
        "Input": {"Type": "Pass", "Result": [[9, 44, 6], [82, 25, 76]], "Assign": {"bias": 4.3}, "Next": "Levels"},
        "Levels": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "AssignVector",
            "States": {
                "AssignVector": {"Type": "Pass", "Assign": {"x.$": "$[0]", "y.$": "$[1]", "z.$": "$[2]"},
                                 "Next": "Calculate"},
                "Calculate": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Sum",
                    "States": {"Sum": {"Type": "Pass",
                                       "Assign": {"Sum.$": "States.MathAdd(States.MathAdd($x, $y), $z)"},
                                       "End": True}}}, "End": True},
            }}, "End": True},
    })
    ex = run(d, {})
    assert ex.output == [[9, 44, 6], [82, 25, 76]]
    sums = [parsed(assigned(ex, "Sum", i)["Sum"]) for i in range(6)]
    assert sums == [59] * 3 + [183] * 3


def test_map_iterations_do_not_share_their_variables():
    d = machine({
        "M": {"Type": "Map", "MaxConcurrency": 1, "Items": [1, 2],
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Check",
                                "States": {"Check": {"Type": "Pass",
                                                     "Output": {"sawPrevious": "{% $exists($mine) %}"},
                                                     "Assign": {"mine": "{% $states.input %}"}, "End": True}}},
              "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {})
    assert ex.output == [{"sawPrevious": False}, {"sawPrevious": False}]


def test_parallel_state_assign_goes_to_the_outer_scope():
    d = machine({
        "P": {"Type": "Parallel", "Branches": [machine({"B": {"Type": "Pass", "Result": "r", "End": True}})],
              "Assign": {"first.$": "$[0]"}, "Next": "Use"},
        "Use": {"Type": "Pass", "Parameters": {"v.$": "$first"}, "End": True},
    })
    ex = run(d, {})
    assert ex.output == {"v": "r"}
    assert assigned(ex, "P") == {"first": '"r"'}


def test_map_state_assign_reads_the_results():
    d = machine({
        "M": {"Type": "Map", "ItemsPath": "$.xs",
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I",
                                "States": {"I": {"Type": "Pass", "End": True}}},
              "Assign": {"count.$": "States.ArrayLength($)"}, "Next": "Use"},
        "Use": {"Type": "Pass", "Parameters": {"n.$": "$count"}, "End": True},
    })
    ex = run(d, {"xs": ["a", "b", "c"]})
    assert ex.output == {"n": 3}
