"""Pass states: Result, Parameters and the JSONPath I/O fields (InputPath, ResultPath, OutputPath).

AWS applies InputPath -> Parameters (or Result) -> ResultPath (onto the *raw* state input)
-> OutputPath; a null InputPath/OutputPath means {} and a null ResultPath keeps the input.
Paths that select nothing are States.Runtime errors (conformance cases
``test_invalid_jsonpath__ST.INVALID_JSONPATH_IN_INPUTPATH`` / ``..._OUTPUTPATH``).
"""

from __future__ import annotations

import pytest

from .helpers import details, event, machine, parsed, run, state_output, types


def one_pass(**fields):
    return machine({"P": {"Type": "Pass", "End": True, **fields}})


def test_pass_without_fields_returns_its_input_and_records_four_events():
    ex = run(one_pass(), {"x": 1, "y": [1, 2]})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"x": 1, "y": [1, 2]}
    h = ex.history
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in h] == [0, 0, 2, 3]
    entered, exited = details(h[1]), details(h[2])
    assert entered["name"] == "P" and parsed(entered["input"]) == {"x": 1, "y": [1, 2]}
    assert entered["inputDetails"] == {"truncated": False}
    assert exited["name"] == "P" and parsed(exited["output"]) == {"x": 1, "y": [1, 2]}
    assert exited["outputDetails"] == {"truncated": False}
    assert "assignedVariables" not in exited


def test_input_and_output_are_json_text_in_the_history():
    ex = run(one_pass(), "just a string")
    assert ex.output == "just a string"
    assert details(ex.history[1])["input"] == '"just a string"'
    assert details(ex.history[-1])["output"] == '"just a string"'


def test_execution_started_records_input_and_role():
    ex = run(one_pass(), {"a": 1})
    d = details(ex.history[0])
    assert parsed(d["input"]) == {"a": 1}
    assert d["inputDetails"] == {"truncated": False}
    assert d["roleArn"].startswith("arn:aws:iam::")


def test_missing_input_defaults_to_empty_object():
    ex = run(one_pass(), None)
    assert ex.output == {}


@pytest.mark.parametrize("result", [{"a": 1}, [1, 2, 3], "text", 42, 1.5, True, None])
def test_result_replaces_the_input(result):
    ex = run(one_pass(Result=result), {"ignored": True})
    assert ex.status == "SUCCEEDED"
    assert ex.output == result
    assert state_output(ex, "P") == result


def test_result_with_result_path_merges_into_the_input():
    ex = run(one_pass(Result={"v": 1}, ResultPath="$.res"), {"x": 1})
    assert ex.output == {"x": 1, "res": {"v": 1}}


def test_result_path_overwrites_an_existing_field():
    ex = run(one_pass(Result="new", ResultPath="$.x"), {"x": "old", "y": 2})
    assert ex.output == {"x": "new", "y": 2}


def test_nested_result_path_creates_missing_objects_and_keeps_siblings():
    ex = run(one_pass(Result=7, ResultPath="$.a.b.c"), {"a": {"keep": 1}, "z": 0})
    assert ex.output == {"a": {"keep": 1, "b": {"c": 7}}, "z": 0}


def test_null_result_path_discards_the_result():
    ex = run(one_pass(Result={"v": 1}, ResultPath=None), {"x": 1})
    assert ex.output == {"x": 1}


def test_result_path_dollar_replaces_the_whole_input():
    ex = run(one_pass(Result={"v": 1}, ResultPath="$"), {"x": 1})
    assert ex.output == {"v": 1}


def test_parameters_build_the_result_from_input_context_and_intrinsics():
    params = {
        "static": "s",
        "fromInput.$": "$.a.b",
        "nested": {"list.$": "$.list", "n": 1},
        "stateName.$": "$$.State.Name",
        "formatted.$": "States.Format('{}-{}', $.a.b, $.list[1])",
    }
    ex = run(one_pass(Parameters=params), {"a": {"b": "B"}, "list": [1, 2]})
    assert ex.output == {"static": "s", "fromInput": "B", "nested": {"list": [1, 2], "n": 1},
                         "stateName": "P", "formatted": "B-2"}


def test_input_path_filters_before_parameters_and_result_path_merges_into_raw_input():
    ex = run(one_pass(InputPath="$.a", Parameters={"v.$": "$.b"}, ResultPath="$.res"),
             {"a": {"b": 1}, "c": 2})
    assert ex.output == {"a": {"b": 1}, "c": 2, "res": {"v": 1}}


def test_input_path_without_parameters_is_the_result():
    ex = run(one_pass(InputPath="$.a"), {"a": {"b": 1}, "c": 2})
    assert ex.output == {"b": 1}
    # the entered event records the raw input, not the filtered one
    assert parsed(details(event(ex, "PassStateEntered"))["input"]) == {"a": {"b": 1}, "c": 2}


def test_null_input_path_gives_an_empty_object():
    ex = run(one_pass(InputPath=None), {"x": 1})
    assert ex.output == {}


def test_null_input_path_with_parameters_sees_an_empty_object():
    ex = run(one_pass(InputPath=None, Parameters={"all.$": "$"}), {"x": 1})
    assert ex.output == {"all": {}}


def test_output_path_selects_part_of_the_output():
    ex = run(one_pass(Result={"keep": {"k": 1}, "drop": 2}, OutputPath="$.keep"), {})
    assert ex.output == {"k": 1}


def test_output_path_applies_after_result_path():
    ex = run(one_pass(Result=5, ResultPath="$.r", OutputPath="$.r"), {"x": 1})
    assert ex.output == 5


def test_null_output_path_gives_an_empty_object():
    ex = run(one_pass(OutputPath=None), {"x": 1})
    assert ex.output == {}
    assert state_output(ex, "P") == {}


def test_output_path_from_the_context_object():
    ex = run(one_pass(OutputPath="$$.Execution.Input"), {"input-value": 0})
    assert ex.output == {"input-value": 0}


def test_input_path_selecting_nothing_is_a_runtime_error():
    # conformance: test_invalid_jsonpath__ST.INVALID_JSONPATH_IN_INPUTPATH
    ex = run(one_pass(InputPath="$.NoSuchInputPath"), {"int-literal": 0})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'P' (entered at the event id #2). "
                        "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']")
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]
    assert ex.history[-1]["previousEventId"] == 2


def test_output_path_selecting_nothing_is_a_runtime_error():
    # conformance: test_invalid_jsonpath__ST.INVALID_JSONPATH_IN_OUTPUTPATH
    ex = run(one_pass(OutputPath="$.NoSuchOutputPath"), {"int-literal": 0})
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'P' (entered at the event id #2). "
                        "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']")
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


def test_parameters_path_selecting_nothing_is_a_runtime_error():
    ex = run(one_pass(Parameters={"v.$": "$.missing"}), {"x": 1})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause.startswith("An error occurred while executing the state 'P' (entered at the event id #2). ")
    assert "$.missing" in ex.cause
    assert types(ex)[-1] == "ExecutionFailed"


def test_result_path_through_a_non_object_fails_with_result_path_match_failure():
    ex = run(one_pass(Result=1, ResultPath="$.a.b"), {"a": "str"})
    assert ex.status == "FAILED"
    assert ex.error == "States.ResultPathMatchFailure"
    assert types(ex) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


def test_result_path_match_failure_names_the_result_path():
    # The cause must quote the ResultPath that could not be applied ('$.a.b'), not '$'.
    ex = run(one_pass(Result=1, ResultPath="$.a.b"), {"a": "str"})
    assert ex.error == "States.ResultPathMatchFailure"
    assert "'$.a.b'" in ex.cause


def test_result_path_on_an_array_input_fails():
    ex = run(one_pass(Result=1, ResultPath="$.r"), [1, 2])
    assert ex.error == "States.ResultPathMatchFailure"


def test_chain_of_passes_links_each_event_to_the_previous_one():
    d = machine({
        "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Result": 2, "ResultPath": "$.b", "Next": "C"},
        "C": {"Type": "Pass", "End": True},
    })
    ex = run(d, {})
    assert ex.output == {"a": 1, "b": 2}
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 6, 7]
    assert [details(e).get("name") for e in ex.history[1:-1]] == ["A", "A", "B", "B", "C", "C"]


def test_result_wins_over_parameters():
    # AWS docs (Pass state): Parameters is the *input* of the virtual task, Result is its output;
    # with both, the Result is what ResultPath places.
    ex = run(one_pass(Parameters={"p.$": "$.x"}, Result={"r": 1}, ResultPath="$.out"), {"x": 1})
    assert ex.output == {"x": 1, "out": {"r": 1}}


def test_explicit_dollar_paths_are_identity():
    ex = run(one_pass(InputPath="$", ResultPath="$", OutputPath="$"), {"x": [1]})
    assert ex.output == {"x": [1]}


def test_pass_assign_does_not_change_the_output():
    ex = run(one_pass(Result={"r": 1}, Assign={"v.$": "$.r"}), {"x": 1})
    assert ex.output == {"r": 1}
    assert details(event(ex, "PassStateExited"))["assignedVariables"] == {"v": "1"}
