"""Map states: items, ItemSelector, legacy Iterator/Parameters, concurrency, failures and tolerance,
the MapIteration* events of inline maps and the MapRun* events of distributed maps.

Ground truth: conformance ``test_map_state_*`` (``break_condition``, ``retry``, ``catch_empty_fail``,
``parameters_legacy``, ``config_distributed_item_selector``, ``label``, ``items_*``,
``tolerated_failure_*``), ``test_max_concurrency_path__*``, ``BASE_SCOPE_MAP``.
"""

from __future__ import annotations

import re

import pytest

from .helpers import details, event, events_of, lambda_arn, machine, parsed, run, state_input, types

PASS_PROCESSOR = {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Item", "States": {"Item": {"Type": "Pass",
                                                                                               "End": True}}}


def processor(states: dict, mode: str = "INLINE") -> dict:
    config = {"Mode": mode} if mode == "INLINE" else {"Mode": mode, "ExecutionType": "STANDARD"}
    return {"ProcessorConfig": config, "StartAt": next(iter(states)), "States": states}


def map_state(proc=None, **fields):
    return machine({"M": {"Type": "Map", "ItemProcessor": proc or PASS_PROCESSOR, "End": True, **fields}})


def test_items_path_and_outputs_in_order():
    ex = run(map_state(ItemsPath="$.items"), {"items": [1, "two", {"three": 3}, [4]], "other": 0})
    assert ex.status == "SUCCEEDED"
    assert ex.output == [1, "two", {"three": 3}, [4]]


def test_the_input_itself_is_the_array_without_items_path():
    ex = run(map_state(), ["a", "b"])
    assert ex.output == ["a", "b"]


def test_iterations_transform_items():
    proc = processor({"Double": {"Type": "Pass", "Parameters": {"v.$": "$.n"}, "End": True}})
    ex = run(map_state(proc, ItemsPath="$.xs"), {"xs": [{"n": 1}, {"n": 2}]})
    assert ex.output == [{"v": 1}, {"v": 2}]


def test_inline_map_history_with_max_concurrency_one():
    ex = run(map_state(ItemsPath="$.items", MaxConcurrency=1), {"items": [10, 20]})
    assert types(ex) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted",
                         "MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
                         "MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
                         "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    # AWS (conformance BASE_SCOPE_MAP): the next iteration starts from the previous iteration's
    # last state event; MapStateSucceeded and MapStateExited both follow MapIterationSucceeded
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 6, 6, 8, 9, 10, 11, 11, 13]
    assert details(event(ex, "MapStateStarted")) == {"length": 2}
    assert details(event(ex, "MapIterationStarted", 0)) == {"name": "M", "index": 0}
    assert details(event(ex, "MapIterationSucceeded", 1)) == {"name": "M", "index": 1}
    assert state_input(ex, "Item", 1) == 20


def test_empty_array():
    # conformance: test_map_state_items_input_array__empty
    ex = run(map_state(ItemsPath="$.items", MaxConcurrency=1), {"items": []})
    assert ex.output == []
    assert types(ex) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapStateSucceeded",
                         "MapStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 3, 5]
    assert details(event(ex, "MapStateStarted")) == {"length": 0}


def test_items_path_to_a_non_array_is_a_runtime_error():
    ex = run(map_state(ItemsPath="$.items"), {"items": {"not": "array"}})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause.startswith("An error occurred while executing the state 'M' (entered at the event id #2). ")
    assert "MapIterationStarted" not in types(ex)


def test_items_path_missing_is_a_runtime_error():
    ex = run(map_state(ItemsPath="$.nope"), {})
    assert ex.error == "States.Runtime"
    assert "$.nope" in ex.cause


def test_item_selector_with_context_index_and_value():
    d = map_state(ItemsPath="$.items", ItemSelector={"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value",
                                                      "whole.$": "$.tag", "const": "c"})
    ex = run(d, {"items": ["a", "b"], "tag": "T"})
    assert ex.output == [{"index": 0, "value": "a", "whole": "T", "const": "c"},
                         {"index": 1, "value": "b", "whole": "T", "const": "c"}]


def test_item_selector_dollar_is_the_effective_state_input():
    # conformance: test_map_state_config_inline_item_selector (fromInput.$ = "$")
    d = map_state(MaxConcurrency=1, ItemSelector={"constantValue": "constant", "mapValue.$": "$$.Map.Item.Value",
                                                  "fromInput.$": "$"})
    ex = run(d, ["Hello", "World"])
    assert ex.output == [{"constantValue": "constant", "mapValue": "Hello", "fromInput": ["Hello", "World"]},
                         {"constantValue": "constant", "mapValue": "World", "fromInput": ["Hello", "World"]}]


def test_legacy_iterator_and_parameters():
    # conformance: test_map_state_parameters_legacy
    d = machine({"M": {"Type": "Map", "InputPath": "$.detail", "ItemsPath": "$.shipped", "MaxConcurrency": 1,
                       "ResultPath": "$.detail.out",
                       "Parameters": {"partner.$": "$.delivery-partner", "item.$": "$$.Map.Item.Value",
                                      "index.$": "$$.Map.Item.Index"},
                       "Iterator": {"StartAt": "H", "States": {"H": {"Type": "Pass", "End": True}}},
                       "End": True}})
    ex = run(d, {"detail": {"delivery-partner": "UQS", "shipped": [{"p": 1}, {"p": 2}]}})
    assert ex.output == {"detail": {"delivery-partner": "UQS", "shipped": [{"p": 1}, {"p": 2}],
                                    "out": [{"partner": "UQS", "item": {"p": 1}, "index": 0},
                                            {"partner": "UQS", "item": {"p": 2}, "index": 1}]}}


def test_result_selector_result_path_output_path():
    d = map_state(ItemsPath="$.xs", ResultSelector={"all.$": "$", "n.$": "States.ArrayLength($)"},
                  ResultPath="$.r", OutputPath="$.r")
    ex = run(d, {"xs": [1, 2, 3]})
    assert ex.output == {"all": [1, 2, 3], "n": 3}


def test_nested_maps():
    inner = processor({"Inner": {"Type": "Map", "ItemProcessor": processor({"Leaf": {"Type": "Pass", "End": True}}),
                                 "End": True}})
    ex = run(map_state(inner), [[1, 2], [3]])
    assert ex.output == [[1, 2], [3]]
    assert len(events_of(ex, "MapIterationStarted")) == 5
    assert {details(e)["name"] for e in events_of(ex, "MapIterationStarted")} == {"M", "Inner"}


# ---------------------------------------------------------------------------- concurrency

def waiting_processor(seconds=10):
    return processor({"W": {"Type": "Wait", "Seconds": seconds, "End": True}})


@pytest.mark.parametrize(("limit", "expected"), [(1, 40), (2, 20), (4, 10), (0, 10)])
def test_max_concurrency_bounds_running_iterations(limit, expected):
    ex = run(map_state(waiting_processor(), MaxConcurrency=limit), [1, 2, 3, 4], virtual_time=True)
    assert ex.output == [1, 2, 3, 4]
    total = ex.history[-1]["timestamp"] - ex.history[0]["timestamp"]
    assert expected <= total < expected + 1


def test_max_concurrency_path():
    # conformance: MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH (a numeric string is accepted)
    d = map_state(waiting_processor(), ItemsPath="$.xs", MaxConcurrencyPath="$.mc")
    ex = run(d, {"mc": 1, "xs": [1, 2]}, virtual_time=True)
    assert 20 <= ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] < 21
    ex = run(d, {"mc": "1", "xs": [1, 2]}, virtual_time=True)
    assert ex.status == "SUCCEEDED"


def test_max_concurrency_path_not_a_number():
    # conformance: test_max_concurrency_path__NoNumber
    d = machine({"MapState": {"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrencyPath": "$.MaxConcurrencyValue",
                              "ItemProcessor": PASS_PROCESSOR, "End": True}})
    ex = run(d, {"MaxConcurrencyValue": "NoNumber", "Values": ["HelloWorld"]})
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'MapState' (entered at the event id #2). "
                        "The MaxConcurrencyPath field refers to value \"NoNumber\" which is not a valid integer: "
                        "$.MaxConcurrencyValue")
    assert types(ex) == ["ExecutionStarted", "MapStateEntered", "ExecutionFailed"]


# ---------------------------------------------------------------------------- failures

def failing_on(value):
    return processor({
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": value, "Next": "Break"}],
                  "Default": "Ok"},
        "Break": {"Type": "Fail", "Error": "SomeFailure", "Cause": "broke"},
        "Ok": {"Type": "Pass", "End": True},
    })


def test_an_iteration_failure_fails_the_map():
    # conformance: test_map_state_break_condition
    ex = run(map_state(failing_on(3), MaxConcurrency=1), [1, 2, 3, 4, 5])
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "SomeFailure", "broke")
    assert types(ex)[-4:] == ["FailStateEntered", "MapIterationFailed", "MapStateFailed", "ExecutionFailed"]
    fail_entered = event(ex, "FailStateEntered")["id"]
    assert event(ex, "MapIterationFailed")["previousEventId"] == fail_entered
    assert event(ex, "MapStateFailed")["previousEventId"] == fail_entered
    assert details(event(ex, "MapIterationFailed")) == {"name": "M", "index": 2}
    # items after the failing one never start
    assert len(events_of(ex, "MapIterationStarted")) == 3


def test_an_empty_fail_in_an_iteration():
    # conformance: test_map_state_catch_empty_fail
    proc = processor({"F": {"Type": "Fail"}})
    ex = run(map_state(proc, MaxConcurrency=1), [1])
    assert ex.status == "FAILED"
    assert ex.error is None and ex.cause is None
    assert details(ex.history[-1]) == {}


def test_catch_on_map():
    d = machine({
        "M": {"Type": "Map", "ItemProcessor": failing_on(2), "Catch": [{"ErrorEquals": ["SomeFailure"],
                                                                        "ResultPath": "$.err", "Next": "Caught"}],
              "ItemsPath": "$.xs", "End": True},
        "Caught": {"Type": "Pass", "End": True},
    })
    ex = run(d, {"xs": [1, 2]})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"xs": [1, 2], "err": {"Error": "SomeFailure", "Cause": "broke"}}
    assert "MapStateExited" in types(ex)
    assert types(ex).index("MapStateFailed") < types(ex).index("MapStateExited")


def test_retry_on_map():
    # conformance: test_map_state_retry
    d = machine({"MapState": {"Type": "Map", "MaxConcurrency": 1, "ResultPath": None,
                              "ItemProcessor": processor({"HandleItemFail": {"Type": "Fail",
                                                                              "Error": "HandleItemFailError",
                                                                              "Cause": "HandleItemFailCause"}}),
                              "Retry": [{"ErrorEquals": ["HandleItemFailError"], "MaxAttempts": 2}], "End": True}})
    ex = run(d, [1], virtual_time=True)
    assert (ex.error, ex.cause) == ("HandleItemFailError", "HandleItemFailCause")
    assert types(ex) == ["ExecutionStarted", "MapStateEntered",
                         "MapStateStarted", "MapIterationStarted", "FailStateEntered", "MapIterationFailed",
                         "MapStateStarted", "MapIterationStarted", "FailStateEntered", "MapIterationFailed",
                         "MapStateStarted", "MapIterationStarted", "FailStateEntered", "MapIterationFailed",
                         "MapStateFailed", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 5, 7, 8, 9, 9, 11, 12, 13, 13, 15]


def test_an_error_inside_an_iteration_names_the_inner_state():
    proc = processor({"Bad": {"Type": "Pass", "InputPath": "$.missing", "End": True}})
    ex = run(map_state(proc), [{"a": 1}])
    assert ex.error == "States.Runtime"
    bad_entered = event(ex, "PassStateEntered")["id"]
    assert ex.cause.startswith(f"An error occurred while executing the state 'Bad' (entered at the event id "
                               f"#{bad_entered}). ")


# ---------------------------------------------------------------------------- distributed

def distributed(proc_states=None, **fields):
    proc = processor(proc_states or {"Inner": {"Type": "Pass", "End": True}}, mode="DISTRIBUTED")
    return map_state(proc, **fields)


def test_distributed_map_records_a_map_run_and_no_iterations():
    # conformance: test_map_state_config_distributed_item_selector_parameters,
    # test_map_state_nested_config_distributed (recorded since November 2024: MapStateExited
    # follows MapRunStarted; older recordings link it to MapRunSucceeded)
    ex = run(distributed(), ["Hello", "World"])
    assert ex.output == ["Hello", "World"]
    assert types(ex) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
                         "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 4, 7]
    arn = details(event(ex, "MapRunStarted"))["mapRunArn"]
    assert re.fullmatch(rf"arn:aws:states:us-east-1:123456789012:mapRun:{ex.state_machine_name}/M:[0-9a-f-]{{36}}", arn)
    assert details(event(ex, "MapRunSucceeded")) == {}


def test_distributed_map_label_names_the_map_run():
    ex = run(distributed(Label="TestMap"), [1])
    assert "/TestMap:" in details(event(ex, "MapRunStarted"))["mapRunArn"]


def test_distributed_map_runs_its_children():
    ex = run(distributed({"Inner": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": True}}), [1, 2])
    assert ex.output == [{"v": 1}, {"v": 2}]
    assert "PassStateEntered" not in types(ex)


def test_distributed_item_selector_can_pass_outer_variables():
    d = machine({
        "Start": {"Type": "Pass", "Assign": {"bucket": "test-name"}, "Result": {"Values": [1, 2]}, "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrency": 1,
              "ItemSelector": {"value.$": "$$.Map.Item.Value", "bucket.$": "$bucket", "literal": "$bucket"},
              "ItemProcessor": processor({"Inner": {"Type": "Pass", "End": True}}, mode="DISTRIBUTED"), "End": True},
    })
    ex = run(d, {})
    assert ex.output == [{"value": 1, "bucket": "test-name", "literal": "$bucket"},
                         {"value": 2, "bucket": "test-name", "literal": "$bucket"}]


def failing_distributed(**fields):
    return distributed({
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Break"}],
                  "Default": "Ok"},
        "Break": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
        "Ok": {"Type": "Pass", "End": True},
    }, **fields)


def test_tolerated_failure_count_within_tolerance_succeeds():
    ex = run(failing_distributed(ToleratedFailureCount=1), [1, -1, 2])
    assert ex.status == "SUCCEEDED"
    assert len(ex.output) == 3
    assert ex.output[0] == 1 and ex.output[2] == 2
    assert "MapRunSucceeded" in types(ex)


def test_tolerated_failure_count_exceeded():
    ex = run(failing_distributed(ToleratedFailureCount=1), [-1, -2, 3])
    assert ex.status == "FAILED"
    assert ex.error == "States.ExceedToleratedFailureThreshold"
    assert "MapRunFailed" in types(ex)
    assert types(ex)[-2:] == ["MapStateFailed", "ExecutionFailed"]


def test_tolerated_failure_percentage():
    assert run(failing_distributed(ToleratedFailurePercentage=50), [1, -1, 2, -2]).status == "SUCCEEDED"
    exceeded = run(failing_distributed(ToleratedFailurePercentage=25), [1, -1, 2, -2])
    assert exceeded.status == "FAILED"
    assert exceeded.error == "States.ExceedToleratedFailureThreshold"


def test_zero_tolerance_fails_on_the_first_failure():
    ex = run(failing_distributed(ToleratedFailureCount=0), [1, -1])
    assert ex.error == "States.ExceedToleratedFailureThreshold"


def test_without_tolerance_a_failure_is_the_child_error():
    ex = run(failing_distributed(), [1, -1])
    assert (ex.error, ex.cause) == ("Negative", "below zero")


def test_tolerated_failure_percentage_out_of_range():
    # conformance: test_map_state_tolerated_failure_percentage_path__100.1
    d = machine({"MapState": {"Type": "Map", "ItemsPath": "$.Items", "MaxConcurrency": 1,
                              "ItemProcessor": processor({"H": {"Type": "Pass", "End": True}}, mode="DISTRIBUTED"),
                              "ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage", "End": True}})
    ex = run(d, {"Items": [0], "ToleratedFailurePercentage": 100.1})
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'MapState' (entered at the event id #2). "
                        "ToleratedFailurePercentage must be between 0 and 100.")
    assert types(ex) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "ExecutionFailed"]


def test_tolerated_failure_count_path_not_an_integer():
    # conformance: test_map_state_tolerated_failure_count_path__tolerated_failure_count_value0
    d = machine({"MapState": {"Type": "Map", "ItemsPath": "$.Items", "MaxConcurrency": 1,
                              "ItemProcessor": processor({"H": {"Type": "Pass", "End": True}}, mode="DISTRIBUTED"),
                              "ToleratedFailureCountPath": "$.ToleratedFailureCount", "End": True}})
    ex = run(d, {"Items": [0], "ToleratedFailureCount": {}})
    assert ex.cause == ("An error occurred while executing the state 'MapState' (entered at the event id #2). "
                        "The ToleratedFailureCountPath field refers to value \"{}\" which is not a valid integer: "
                        "$.ToleratedFailureCount")


# ---------------------------------------------------------------------------- JSONata

def test_jsonata_items_item_selector_and_output():
    d = machine({"M": {"Type": "Map", "Items": "{% $states.input.xs %}",
                       "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}",
                                        "v": "{% $states.context.Map.Item.Value * 10 %}"},
                       "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}),
                       "Output": {"results": "{% $states.result %}", "n": "{% $count($states.result) %}"},
                       "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {"xs": [1, 2]})
    assert ex.output == {"results": [{"i": 0, "v": 10}, {"i": 1, "v": 20}], "n": 2}


def test_jsonata_items_literal_array():
    d = machine({"M": {"Type": "Map", "Items": [1, "b", None], "ItemProcessor": processor({"P": {"Type": "Pass",
                                                                                                  "End": True}}),
                       "End": True}}, QueryLanguage="JSONata")
    assert run(d, {}).output == [1, "b", None]


def test_jsonata_items_not_an_array():
    # conformance: test_map_state_items_eval_jsonata_fail__number
    d = machine({"M": {"Type": "Map", "MaxConcurrency": 1, "Items": "{% 1 %}",
                       "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}), "End": True}},
                QueryLanguage="JSONata")
    ex = run(d, {})
    cause = ("An error occurred while executing the state 'M' (entered at the event id #2). The JSONata expression "
             "'1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was "
             "'number' for value: 1")
    assert (ex.error, ex.cause) == ("States.QueryEvaluationError", cause)
    assert types(ex) == ["ExecutionStarted", "MapStateEntered", "EvaluationFailed", "MapStateFailed", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 0, 3, 4]
    assert details(event(ex, "EvaluationFailed")) == {"error": "States.QueryEvaluationError", "cause": cause,
                                                      "location": "Items", "state": "M"}


def test_jsonata_map_input_not_an_array():
    # conformance: test_map_state_items_input_types__number
    d = machine({"Start": {"Type": "Pass", "Output": "{% $states.input.items %}", "Next": "M"},
                 "M": {"Type": "Map", "MaxConcurrency": 1,
                       "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}), "End": True}},
                QueryLanguage="JSONata")
    ex = run(d, {"items": 1})
    assert ex.error == "States.QueryEvaluationError"
    assert ex.cause == ("An error occurred while executing the state 'M' (entered at the event id #4). "
                        "Map state input must be an array but was: 1")
    assert types(ex)[-3:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]
    assert event(ex, "EvaluationFailed")["previousEventId"] == 3


def test_map_iteration_input_is_recorded_as_json_text():
    ex = run(map_state(MaxConcurrency=1), ["s", 1])
    entered = events_of(ex, "PassStateEntered")
    assert [details(e)["input"] for e in entered] == ['"s"', "1"]
    assert parsed(details(event(ex, "MapStateExited"))["output"]) == ["s", 1]


def test_map_inside_a_task_pipeline():
    d = machine({
        "Load": {"Type": "Task", "Resource": lambda_arn("load"), "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": processor({"Sq": {"Type": "Task", "Resource": lambda_arn("sq"),
                                                                "End": True}}), "End": True},
    })
    ex = run(d, {}, functions={"load": lambda e, c: [1, 2, 3], "sq": lambda e, c: e * e})
    assert ex.output == [1, 4, 9]
    assert len(events_of(ex, "LambdaFunctionSucceeded")) == 4


def test_a_failed_iteration_abandons_the_running_ones():
    proc = processor({
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "F"}], "Default": "W"},
        "F": {"Type": "Fail", "Error": "E"},
        "W": {"Type": "Wait", "Seconds": 100000, "End": True},
    })
    ex = run(map_state(proc), [2, 1], virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "E"
    assert "WaitStateExited" not in types(ex)
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] < 100


def test_runtime_error_in_an_iteration_is_not_caught_by_the_map():
    d = machine({
        "M": {"Type": "Map", "ItemProcessor": processor({"B": {"Type": "Pass", "InputPath": "$.missing",
                                                                "End": True}}),
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "End": True},
        "Done": {"Type": "Pass", "End": True},
    })
    ex = run(d, [{}])
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"


def test_jsonata_iteration_input_is_the_item():
    d = machine({"M": {"Type": "Map", "Items": "{% $states.input.xs %}",
                       "ItemProcessor": processor({"P": {"Type": "Pass",
                                                         "Output": {"item": "{% $states.input %}",
                                                                    "outer": "{% $exists($states.input.xs) %}"},
                                                         "End": True}}),
                       "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {"xs": [{"k": 1}]})
    assert ex.output == [{"item": {"k": 1}, "outer": False}]


# ---------------------------------------------------------------------------- ItemReader, ResultWriter

def test_flatten_splices_the_arrays_the_iterations_return():
    ex = run(distributed(ItemsPath="$.xs", ResultWriter={"WriterConfig": {"Transformation": "FLATTEN",
                                                                          "OutputType": "JSON"}}),
             {"xs": [[1, 2], [], [[3]], 4, {"a": [5]}]})
    assert ex.status == "SUCCEEDED"
    assert ex.output == [1, 2, [3], 4, {"a": [5]}]  # one level, as an array's items; other results as they are


def test_compact_is_the_outputs_as_they_are():
    ex = run(distributed(ResultWriter={"WriterConfig": {"Transformation": "COMPACT"}}), [[1, 2], 3])
    assert ex.output == [[1, 2], 3]


def test_flatten_leaves_a_tolerated_failure_as_it_is():
    fail_odd = processor({"Odd": {"Type": "Choice", "Choices": [{"Variable": "$[0]", "NumericEquals": 1, "Next": "No"}],
                                  "Default": "Yes"},
                          "No": {"Type": "Fail", "Error": "Odd", "Cause": "one"},
                          "Yes": {"Type": "Pass", "End": True}}, "DISTRIBUTED")
    ex = run(map_state(fail_odd, ToleratedFailurePercentage=50,
                       ResultWriter={"WriterConfig": {"Transformation": "FLATTEN"}}), [[1, 9], [2, 8]])
    assert ex.status == "SUCCEEDED"
    assert ex.output == [{"Error": "Odd", "Cause": "one"}, 2, 8]


@pytest.mark.parametrize(("fields", "error", "words"), [
    ({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                     "Parameters": {"Bucket": "b", "Key": "k"}}}, "States.ItemReaderFailed", "ItemReader"),
    ({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}}},
     "States.ResultWriterFailed", "ResultWriter"),
    ({"ResultWriter": {"WriterConfig": {"Transformation": "NONE"}}}, "States.ResultWriterFailed", "NONE"),
])
def test_what_stepline_cannot_do_yet_fails_the_state_instead_of_running_another_way(fields, error, words):
    ex = run(distributed(**fields), [1, 2])
    assert ex.status == "FAILED"
    assert ex.error == error and words in ex.cause
    assert "MapStateStarted" not in types(ex)  # no iteration ran


def test_that_failure_can_be_caught():
    definition = machine({"M": {"Type": "Map", "ItemProcessor": processor({"Item": {"Type": "Pass", "End": True}},
                                                                           "DISTRIBUTED"),
                                "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                                               "Parameters": {"Bucket": "b"}},
                                "Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Fallback"}],
                                "End": True},
                          "Fallback": {"Type": "Pass", "Result": "no items", "End": True}})
    ex = run(definition, {})
    assert ex.status == "SUCCEEDED" and ex.output == "no items"
