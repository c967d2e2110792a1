"""The context object: ``$$`` in JSONPath, ``$states.context`` in JSONata.

AWS docs (input-output-contextobject) and conformance ``test_lambda_invoke_with_retry_extended_input``
(``"$$"`` passed whole): ``Execution`` {Id, Input, Name, RoleArn, StartTime}, ``State``
{EnteredTime, Name, RetryCount}, ``StateMachine`` {Id, Name}; times are ISO-8601 with
milliseconds and a ``Z``; ``Map.Item`` {Index, Value} exists in a Map's ItemSelector.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .helpers import ACCOUNT, REGION, details, event, lambda_arn, machine, run

ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def epoch(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def whole_context(ex_input=None, **run_kw):
    d = machine({"S": {"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "End": True}})
    return run(d, ex_input if ex_input is not None else {"in": 1}, **run_kw)


def test_the_whole_context_object():
    ex = whole_context()
    ctx = ex.output["ctx"]
    assert set(ctx) == {"Execution", "State", "StateMachine"}
    assert set(ctx["Execution"]) == {"Id", "Input", "Name", "RoleArn", "StartTime"}
    assert set(ctx["State"]) == {"EnteredTime", "Name", "RetryCount"}
    assert set(ctx["StateMachine"]) == {"Id", "Name"}


def test_execution_fields():
    ex = whole_context({"in": [1, 2]})
    e = ex.output["ctx"]["Execution"]
    assert e["Id"] == ex.arn
    assert e["Id"] == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{ex.state_machine_name}:{ex.name}"
    assert e["Name"] == ex.name
    assert e["Input"] == {"in": [1, 2]}
    assert e["RoleArn"] == details(ex.history[0])["roleArn"]
    assert ISO_MS.fullmatch(e["StartTime"])
    assert abs(epoch(e["StartTime"]) - ex.start_time) < 0.001
    assert abs(epoch(e["StartTime"]) - ex.history[0]["timestamp"]) < 0.002


def test_execution_name_can_be_given():
    ex = whole_context(name="my-execution")
    assert ex.output["ctx"]["Execution"]["Name"] == "my-execution"
    assert ex.output["ctx"]["Execution"]["Id"].endswith(":my-execution")


def test_an_execution_that_never_read_its_name_has_one_made_when_asked():
    first = run(machine({"P": {"Type": "Pass", "End": True}}))
    second = run(machine({"P": {"Type": "Pass", "End": True}}))
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first.name)
    assert first.name == first.name and first.name != second.name
    assert first.arn == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{first.state_machine_name}:{first.name}"


def test_state_machine_fields():
    ex = whole_context()
    sm = ex.output["ctx"]["StateMachine"]
    assert sm["Id"] == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{sm['Name']}"
    assert ex.arn.split(":")[-2] == sm["Name"]


def test_state_fields():
    ex = whole_context()
    st = ex.output["ctx"]["State"]
    assert st["Name"] == "S"
    assert st["RetryCount"] == 0
    assert ISO_MS.fullmatch(st["EnteredTime"])
    assert abs(epoch(st["EnteredTime"]) - event(ex, "PassStateEntered")["timestamp"]) < 0.002


def test_execution_input_stays_the_original_input():
    d = machine({
        "A": {"Type": "Pass", "Result": {"changed": True}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"orig.$": "$$.Execution.Input", "now.$": "$"}, "End": True},
    })
    ex = run(d, {"original": 1})
    assert ex.output == {"orig": {"original": 1}, "now": {"changed": True}}


def test_state_name_and_entered_time_change_per_state():
    d = machine({
        "First": {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name", "t.$": "$$.State.EnteredTime"},
                  "ResultPath": "$.first", "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 90, "Next": "Second"},
        "Second": {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name", "t.$": "$$.State.EnteredTime"},
                   "ResultPath": "$.second", "End": True},
    })
    ex = run(d, {}, virtual_time=True)
    assert ex.output["first"]["name"] == "First"
    assert ex.output["second"]["name"] == "Second"
    assert 90 <= epoch(ex.output["second"]["t"]) - epoch(ex.output["first"]["t"]) < 91


def test_entered_time_does_not_change_across_retries():
    calls = []

    def flaky(event, context):
        calls.append(event)
        if len(calls) < 3:
            raise ValueError("again")
        return event

    d = machine({"T": {"Type": "Task", "Resource": lambda_arn("flaky"),
                       "Parameters": {"t.$": "$$.State.EnteredTime", "n.$": "$$.State.RetryCount"},
                       "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30}], "End": True}})
    ex = run(d, {}, functions={"flaky": flaky}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert [c["n"] for c in calls] == [0, 1, 2]
    assert len({c["t"] for c in calls}) == 1


def test_map_item_index_and_value_in_item_selector():
    d = machine({"M": {"Type": "Map", "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value",
                                                       "state.$": "$$.State.Name"},
                       "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                                         "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}})
    ex = run(d, [{"a": 1}, "b"])
    assert ex.output == [{"i": 0, "v": {"a": 1}, "state": "M"}, {"i": 1, "v": "b", "state": "M"}]


def test_state_name_inside_a_map_iteration_is_the_inner_state():
    d = machine({"M": {"Type": "Map", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Inner",
        "States": {"Inner": {"Type": "Pass", "Parameters": {"n.$": "$$.State.Name",
                                                            "exec.$": "$$.Execution.Name"}, "End": True}}},
        "End": True}})
    ex = run(d, [1])
    assert ex.output == [{"n": "Inner", "exec": ex.name}]


def test_context_in_intrinsics():
    # conformance: test_context_json_path
    d = machine({"S": {"Type": "Pass", "Parameters": {
        "r.$": "States.Format('name={} sm={}', $$.Execution.Name, $$.StateMachine.Name)"}, "End": True}})
    ex = run(d, {})
    assert ex.output == {"r": f"name={ex.name} sm={ex.state_machine_name}"}


def test_jsonata_states_context():
    d = machine({"S": {"Type": "Pass", "Output": "{% $states.context %}", "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {"x": 1})
    ctx = ex.output
    assert ctx["Execution"]["Id"] == ex.arn
    assert ctx["Execution"]["Input"] == {"x": 1}
    assert ctx["State"]["Name"] == "S"
    assert ctx["State"]["RetryCount"] == 0
    assert ctx["StateMachine"]["Name"] == ex.state_machine_name
    assert ISO_MS.fullmatch(ctx["State"]["EnteredTime"])


def test_context_as_choice_variable_and_output_path():
    # conformance: context_object test_variable and test_output_path
    d = machine({
        "C": {"Type": "Choice", "Choices": [{"Variable": "$$.Execution.Input.input-value",
                                             "NumericLessThanEquals": 0, "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Pass", "OutputPath": "$$.Execution.Input", "End": True},
        "No": {"Type": "Pass", "Result": "no", "End": True},
    })
    assert run(d, {"input-value": 0}).output == {"input-value": 0}
    assert run(d, {"input-value": 1}).output == "no"


def test_map_item_in_nested_item_selectors():
    inner_proc = {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    d = machine({"M": {"Type": "Map", "ItemSelector": {"outer.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                       "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "N", "States": {
                           "N": {"Type": "Map", "ItemsPath": "$.v", "ItemProcessor": inner_proc, "End": True,
                                 "ItemSelector": {"o.$": "$.outer", "i.$": "$$.Map.Item.Index",
                                                  "x.$": "$$.Map.Item.Value"}}}},
                       "End": True}})
    ex = run(d, [["a", "b"], ["c"]])
    assert ex.output == [[{"o": 0, "i": 0, "x": "a"}, {"o": 0, "i": 1, "x": "b"}], [{"o": 1, "i": 0, "x": "c"}]]
