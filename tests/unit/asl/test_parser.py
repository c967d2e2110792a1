"""Validation of definitions: every structural mistake is a diagnostic, never an exception.

Each table row is one rule: a definition with one mistake, the AWS code it gets, where it is
reported and a word of the message that names the offending field or value. Wording and
locations follow what AWS's ``ValidateStateMachineDefinition`` answers where that is known
(``Field 'X' is not supported`` at the state, ``Missing 'Next' target: X``,
``State "X" is not reachable.``, array indexes written ``Choices[0]``).

The last tests hold the validator to the 555 definitions AWS accepted (tests/conformance) and
feed it random JSON and random mutations of those definitions.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stepline
from stepline import DefinitionError, Diagnostic, StateMachine

from ..places import places

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"
END = {"Type": "Pass", "End": True}
TASK = {"Type": "Task", "Resource": LAMBDA, "End": True}
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}

SCHEMA = "SCHEMA_VALIDATION_FAILED"
TARGET = "MISSING_TRANSITION_TARGET"
JSONATA_CODE = "INVALID_JSONATA_EXPRESSION"


# ---------------------------------------------------------------------------- helpers

def machine(states: dict, **top: Any) -> dict:
    """A definition starting at its first state."""
    return {"StartAt": next(iter(states)), "States": states, **top}


def one(state: dict, **top: Any) -> dict:
    """A definition whose only state is ``A``."""
    return machine({"A": state}, **top)


def jsonata(state: dict) -> dict:
    return one(state, QueryLanguage="JSONata")


def task(**fields: Any) -> dict:
    return {**TASK, **fields}


def catching(catcher: dict, **fields: Any) -> dict:
    """A Task ``T`` whose catcher goes to ``H``."""
    return machine({"T": task(Catch=[catcher], **fields), "H": END})


def retrying(*retriers: dict) -> dict:
    return machine({"T": task(Retry=list(retriers))})


def then(state: dict, nxt: str) -> dict:
    """``state`` going on to ``nxt`` instead of ending."""
    return {**{k: v for k, v in state.items() if k != "End"}, "Next": nxt}


def map_state(config: dict | None = None, inner: dict | None = None, name: str = "P", **fields: Any) -> dict:
    processor: dict = {"StartAt": name, "States": {name: inner or END}}
    if config is not None:
        processor["ProcessorConfig"] = config
    return {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}


def parallel(*branches: dict, **fields: Any) -> dict:
    return {"Type": "Parallel", "Branches": list(branches), "End": True, **fields}


def branch(**states: dict) -> dict:
    return {"StartAt": next(iter(states)), "States": states}


def choice(*rules: dict, **fields: Any) -> dict:
    """A machine whose Choice state ``C`` may go to ``Yes`` or ``No``."""
    return machine({"C": {"Type": "Choice", "Choices": list(rules), **fields},
                    "Yes": {"Type": "Succeed"}, "No": {"Type": "Succeed"}})


def jchoice(*rules: dict) -> dict:
    """A JSONata machine whose Choice state ``A`` goes to ``B``."""
    return machine({"A": {"Type": "Choice", "Choices": list(rules), "Default": "B"}, "B": END}, QueryLanguage="JSONata")


def describe(found: list[Diagnostic]) -> list[tuple]:
    return [(d.severity, d.code, d.location, d.message) for d in found]


def check(definition: Any, code: str, location: str | None, *words: str, severity: str = "ERROR") -> None:
    """``definition`` gets a ``code`` diagnostic at ``location`` whose message has ``words``;
    an error also makes ``parse`` raise DefinitionError carrying it."""
    found = stepline.validate(definition)
    here = [d for d in found if d.code == code and d.location == location and d.severity == severity]
    assert here, f"no {severity} {code} at {location}; found {describe(found)}"
    assert any(all(w in d.message for w in words) for d in here), (words, describe(here))
    if severity == "ERROR":
        with pytest.raises(DefinitionError) as raised:
            stepline.parse(definition)
        assert [d for d in raised.value.diagnostics if d in here]
        assert raised.value.diagnostics == [d for d in found if d.severity == "ERROR"]


def errors_of(definition: Any) -> list[Diagnostic]:
    return [d for d in stepline.validate(definition) if d.severity == "ERROR"]


def valid(definition: Any) -> None:
    assert errors_of(definition) == []
    assert isinstance(stepline.parse(definition), StateMachine)


def rows(table: list[tuple]) -> list:
    return [pytest.param(*row[1:], id=row[0]) for row in table]


# ---------------------------------------------------------------------------- fields

UNKNOWN_FIELDS = [
    ("top level", one(END, Foo=1), "/", "Foo"),
    ("top level typo", {"StartAt": "A", "States": {"A": END}, "Coment": "x"}, "/", "Coment"),
    ("in a state", one({**END, "Foo": 1}), "/States/A", "Foo"),
    ("TimeoutSeconds on Pass", one({**END, "TimeoutSeconds": 5}), "/States/A", "TimeoutSeconds"),
    ("TimeoutSeconds on Parallel", one(parallel(branch(B=END), TimeoutSeconds=5)), "/States/A", "TimeoutSeconds"),
    ("TimeoutSeconds on Map", one(map_state(TimeoutSeconds=5)), "/States/A", "TimeoutSeconds"),
    ("Catch on Pass", one({**END, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}]}), "/States/A", "Catch"),
    ("Retry on Wait", one({"Type": "Wait", "Seconds": 1, "End": True, "Retry": []}), "/States/A", "Retry"),
    ("Next on Choice", choice({"Variable": "$.x", "IsNull": True, "Next": "Yes"}, Next="No"), "/States/C", "Next"),
    ("End on Succeed", one({"Type": "Succeed", "End": True}), "/States/A", "End"),
    ("Assign on Fail", one({"Type": "Fail", "Assign": {"x": 1}}), "/States/A", "Assign"),
    ("InputPath on Fail", one({"Type": "Fail", "InputPath": "$"}), "/States/A", "InputPath"),
    ("in a retrier", retrying({"ErrorEquals": ["X"], "Interval": 1}), "/States/T/Retry[0]", "Interval"),
    ("in a catcher", catching({"ErrorEquals": ["X"], "Next": "H", "Foo": 1}), "/States/T/Catch[0]", "Foo"),
    ("in ItemProcessor", one(map_state(inner=None) | {"ItemProcessor": {**branch(P=END), "Foo": 1}}),
     "/States/A/ItemProcessor", "Foo"),
    ("QueryLanguage in ItemProcessor",
     one(map_state() | {"ItemProcessor": {**branch(P=END), "QueryLanguage": "JSONPath"}}),
     "/States/A/ItemProcessor", "QueryLanguage"),
    ("in Iterator", one({"Type": "Map", "Iterator": {**branch(P=END), "Bar": 2}, "End": True}),
     "/States/A/Iterator", "Bar"),
    ("in ProcessorConfig", one(map_state({"Mode": "INLINE", "Speed": "fast"})),
     "/States/A/ItemProcessor/ProcessorConfig", "Speed"),
    ("in a branch", one(parallel({**branch(B=END), "Foo": 1})), "/States/A/Branches[0]", "Foo"),
    ("in ItemBatcher", one(map_state(DISTRIBUTED, ItemBatcher={"MaxItemsPerBatch": 2, "Size": 1})),
     "/States/A/ItemBatcher", "Size"),
    ("in a nested state", one(parallel(branch(B={**END, "Foo": 1}))), "/States/A/Branches[0]/States/B", "Foo"),
]


@pytest.mark.parametrize(("definition", "location", "field"), rows(UNKNOWN_FIELDS))
def test_unknown_fields_are_not_supported(definition: dict, location: str, field: str) -> None:
    check(definition, SCHEMA, location, f"Field '{field}' is not supported")


REQUIRED_FIELDS = [
    ("StartAt", {"States": {"A": END}}, "/", "StartAt"),
    ("States", {"StartAt": "A"}, "/", "States"),
    ("StartAt and States", {"Comment": "nothing"}, "/", "StartAt, States"),
    ("Type", one({"End": True}), "/States/A", "Type"),
    ("Next or End", one({"Type": "Pass"}), "/States/A", "Next, End"),
    ("Next or End of a Task", one({"Type": "Task", "Resource": LAMBDA}), "/States/A", "Next, End"),
    ("Resource", one({"Type": "Task", "End": True}), "/States/A", "Resource"),
    ("Choices", one({"Type": "Choice", "Default": "A"}), "/States/A", "Choices"),
    ("Branches", one({"Type": "Parallel", "End": True}), "/States/A", "Branches"),
    ("ItemProcessor", one({"Type": "Map", "End": True}), "/States/A", "ItemProcessor"),
    ("ErrorEquals of a retrier", retrying({"MaxAttempts": 1}), "/States/T/Retry[0]", "ErrorEquals"),
    ("ErrorEquals of a catcher", catching({"Next": "H"}), "/States/T/Catch[0]", "ErrorEquals"),
    ("Next of a catcher", catching({"ErrorEquals": ["States.ALL"]}), "/States/T/Catch[0]", "Next"),
    ("Next of a choice rule", choice({"Variable": "$.x", "IsNull": True}, Default="Yes"), "/States/C/Choices[0]",
     "Next"),
    ("Condition of a JSONata rule", jchoice({"Next": "B"}), "/States/A/Choices[0]", "Condition"),
    ("StartAt of a branch", one(parallel({"States": {"B": END}})), "/States/A/Branches[0]", "StartAt"),
    ("States of an ItemProcessor", one(map_state() | {"ItemProcessor": {"StartAt": "P"}}), "/States/A/ItemProcessor",
     "States"),
    ("Resource of an ItemReader", one(map_state(DISTRIBUTED, ItemReader={"ReaderConfig": {"InputType": "JSON"}})),
     "/States/A/ItemReader", "Resource"),
    ("ExecutionType of a DISTRIBUTED Map", one(map_state({"Mode": "DISTRIBUTED"})),
     "/States/A/ItemProcessor/ProcessorConfig", "ExecutionType"),
]


@pytest.mark.parametrize(("definition", "location", "fields"), rows(REQUIRED_FIELDS))
def test_missing_required_fields(definition: dict, location: str, fields: str) -> None:
    check(definition, SCHEMA, location, "required", fields)


# ---------------------------------------------------------------------------- transitions

DANGLING = [
    ("Next", machine({"A": {"Type": "Pass", "Next": "Nowhere"}, "B": END}), "/States/A/Next", "Nowhere"),
    ("StartAt", {"StartAt": "Nowhere", "States": {"A": END}}, "/StartAt", "Nowhere"),
    ("a choice rule", choice({"Variable": "$.x", "IsNull": True, "Next": "Nowhere"}, Default="Yes"),
     "/States/C/Choices[0]/Next", "Nowhere"),
    ("a later choice rule", choice({"Variable": "$.x", "IsNull": True, "Next": "Yes"},
                                   {"Not": {"Variable": "$.x", "IsNull": True}, "Next": "Nowhere"}, Default="No"),
     "/States/C/Choices[1]/Next", "Nowhere"),
    ("a choice rule that does not compile", choice({"Variable": "bad", "IsNull": True, "Next": "Nowhere"},
                                                   Default="Yes"), "/States/C/Choices[0]/Next", "Nowhere"),
    ("a JSONata rule", jchoice({"Condition": True, "Next": "Nowhere"}), "/States/A/Choices[0]/Next", "Nowhere"),
    ("Default", choice({"Variable": "$.x", "IsNull": True, "Next": "Yes"}, Default="Nowhere"), "/States/C/Default",
     "Nowhere"),
    ("a catcher", catching({"ErrorEquals": ["States.ALL"], "Next": "Nowhere"}), "/States/T/Catch[0]/Next", "Nowhere"),
    ("a state that does not compile", machine({"A": {"Type": "Task", "Resource": "bad", "Next": "Nowhere"}, "B": END}),
     "/States/A/Next", "Nowhere"),
    ("inside a branch", one(parallel(branch(B={"Type": "Pass", "Next": "Nowhere"}, C=END))),
     "/States/A/Branches[0]/States/B/Next", "Nowhere"),
    ("out of a branch", machine({"A": then(parallel(branch(B={"Type": "Pass", "Next": "Z"}, C=END)), "Z"), "Z": END}),
     "/States/A/Branches[0]/States/B/Next", "Z"),
    ("out of a Map", machine({"A": then(map_state(inner={"Type": "Pass", "Next": "Z"}), "Z"), "Z": END}),
     "/States/A/ItemProcessor/States/P/Next", "Z"),
    ("into a branch", machine({"A": then(parallel(branch(B=END)), "B")}), "/States/A/Next", "B"),
]


@pytest.mark.parametrize(("definition", "location", "target"), rows(DANGLING))
def test_transitions_to_nowhere(definition: dict, location: str, target: str) -> None:
    check(definition, TARGET, location, f"Missing 'Next' target: {target}")


UNREACHABLE = [
    ("a state", machine({"A": END, "B": END}), "/States/B", "B"),
    ("a chain", machine({"A": END, "B": {"Type": "Pass", "Next": "C"}, "C": END}), "/States/C", "C"),
    ("a loop",
     machine({"A": {"Type": "Succeed"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Pass", "Next": "B"}}),
     "/States/B", "B"),
    ("inside a branch", one(parallel(branch(B=END, C=END))), "/States/A/Branches[0]/States/C", "C"),
    ("inside a Map", one(map_state() | {"ItemProcessor": branch(P=END, Q={"Type": "Fail"})}),
     "/States/A/ItemProcessor/States/Q", "Q"),
]


@pytest.mark.parametrize(("definition", "location", "name"), rows(UNREACHABLE))
def test_unreachable_states(definition: dict, location: str, name: str) -> None:
    check(definition, TARGET, location, f'State "{name}" is not reachable.')


def test_states_reached_by_catchers_choice_rules_and_default_are_reachable() -> None:
    valid(machine({
        "T": then(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]), "C"),
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Rule"}], "Default": "Other"},
        "Rule": END, "Other": END, "Caught": {"Type": "Fail"},
    }))


def test_next_and_end_together() -> None:
    check(machine({"A": {"Type": "Pass", "Next": "B", "End": True}, "B": END}), SCHEMA, "/States/A",
          "There should only be one of the following fields: [Next, End]")


@pytest.mark.parametrize("end", [False, "true", 1, None])
def test_end_must_be_true(end: Any) -> None:
    check(one({"Type": "Pass", "End": end}), SCHEMA, "/States/A/End", "'End' must be true", json.dumps(end))


def test_end_false_with_next_is_still_an_error() -> None:
    check(machine({"A": {"Type": "Pass", "Next": "B", "End": False}, "B": END}), SCHEMA, "/States/A/End", "false")


def test_no_terminal_state_has_no_location_and_suppresses_reachability() -> None:
    loop = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"},
            "Lost": {"Type": "Pass", "Next": "A"}}
    found = stepline.validate(machine(loop))
    assert describe(found) == [("ERROR", "MISSING_END_STATE", None, "Workflow has no terminal state")]
    check(machine(loop), "MISSING_END_STATE", None, "terminal")


def test_no_terminal_state_comes_with_the_missing_target_that_caused_it() -> None:
    found = stepline.validate(one({"Type": "Pass", "Next": "NOPE"}))
    assert [(d.code, d.location) for d in found] == [(TARGET, "/States/A/Next"), ("MISSING_END_STATE", None)]


def test_no_terminal_state_inside_a_branch_points_at_the_branch() -> None:
    check(one(parallel(branch(B={"Type": "Pass", "Next": "B"}))), "MISSING_END_STATE", "/States/A/Branches[0]",
          "terminal")


def test_terminal_states_are_succeed_fail_and_end() -> None:
    valid(one({"Type": "Succeed"}))
    valid(one({"Type": "Fail", "Error": "E"}))
    valid(machine({"A": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Wait", "Seconds": 0, "End": True}}))


@pytest.mark.parametrize("choices", [[], {}, "x", None])
def test_a_choice_state_needs_rules(choices: Any) -> None:
    check(one({"Type": "Choice", "Choices": choices, "Default": "A"}), SCHEMA, "/States/A/Choices", "'Choices'",
          "non-empty")


# ---------------------------------------------------------------------------- paths

BAD_PATHS = [
    ("InputPath", one({**END, "InputPath": "$.a b"}), "/States/A/InputPath", "'InputPath'", "$.a b"),
    ("InputPath not a string", one({**END, "InputPath": 5}), "/States/A/InputPath", "'InputPath'", "5"),
    ("OutputPath", one({**END, "OutputPath": "a.b"}), "/States/A/OutputPath", "'OutputPath'", "a.b"),
    ("OutputPath of a Choice", choice({"Variable": "$.x", "IsNull": True, "Next": "Yes"}, Default="No",
                                      OutputPath="$["), "/States/C/OutputPath", "'OutputPath'", "$["),
    ("ResultPath syntax", one({**END, "ResultPath": "$."}), "/States/A/ResultPath", "'ResultPath'", "$."),
    ("ResultPath not a reference", one({**END, "ResultPath": "$.a[*]"}), "/States/A/ResultPath", "Reference Path",
     "$.a[*]"),
    ("ResultPath deep scan", one(task(ResultPath="$..a")), "/States/A/ResultPath", "Reference Path", "$..a"),
    ("ResultPath into the context", one({**END, "ResultPath": "$$.Execution"}), "/States/A/ResultPath",
     "Reference Path", "$$.Execution"),
    ("ResultPath into a variable", one({**END, "ResultPath": "$var.x"}), "/States/A/ResultPath", "Reference Path",
     "$var.x"),
    ("ResultPath of a catcher", catching({"ErrorEquals": ["States.ALL"], "Next": "H", "ResultPath": "$.e[?(@.a)]"}),
     "/States/T/Catch[0]/ResultPath", "Reference Path", "$.e[?(@.a)]"),
    ("ItemsPath", one(map_state(ItemsPath="$.[")), "/States/A/ItemsPath", "'ItemsPath'", "$.["),
    ("ItemsPath not a reference", one(map_state(ItemsPath="$.items[*]")), "/States/A/ItemsPath", "Reference Path",
     "$.items[*]"),
    ("SecondsPath", one({"Type": "Wait", "SecondsPath": "$..", "End": True}), "/States/A/SecondsPath", "'SecondsPath'",
     "$.."),
    ("TimestampPath", one({"Type": "Wait", "TimestampPath": 7, "End": True}), "/States/A/TimestampPath",
     "'TimestampPath'", "7"),
    ("TimeoutSecondsPath", one(task(TimeoutSecondsPath="timeout")), "/States/A/TimeoutSecondsPath",
     "'TimeoutSecondsPath'", "timeout"),
    ("HeartbeatSecondsPath", one(task(HeartbeatSecondsPath="$.a[")), "/States/A/HeartbeatSecondsPath",
     "'HeartbeatSecondsPath'", "$.a["),
    ("MaxConcurrencyPath from the context", one(map_state(MaxConcurrencyPath="$$.Execution.Input.n")),
     "/States/A/MaxConcurrencyPath", "Reference Path", "$$.Execution.Input.n"),
    ("ToleratedFailurePercentagePath", one(map_state(DISTRIBUTED, ToleratedFailurePercentagePath="$.p[*]")),
     "/States/A/ToleratedFailurePercentagePath", "Reference Path", "$.p[*]"),
    ("ToleratedFailureCountPath", one(map_state(DISTRIBUTED, ToleratedFailureCountPath="count")),
     "/States/A/ToleratedFailureCountPath", "'ToleratedFailureCountPath'", "count"),
    ("MaxItemsPerBatchPath", one(map_state(DISTRIBUTED, ItemBatcher={"MaxItemsPerBatchPath": "$$.Map"})),
     "/States/A/ItemBatcher/MaxItemsPerBatchPath", "Reference Path", "$$.Map"),
    ("MaxItemsPath", one(map_state(DISTRIBUTED, ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                                                            "ReaderConfig": {"MaxItemsPath": "$.n b"}})),
     "/States/A/ItemReader/ReaderConfig/MaxItemsPath", "'MaxItemsPath'", "$.n b"),
    ("ErrorPath", one({"Type": "Fail", "ErrorPath": "$.a b"}), "/States/A/ErrorPath", "'ErrorPath'", "$.a b"),
    ("CausePath", one({"Type": "Fail", "CausePath": "cause"}), "/States/A/CausePath", "'CausePath'", "cause"),
    (".$ in Parameters", one({**END, "Parameters": {"a.$": "$.x y"}}), "/States/A/Parameters/a.$", "'a.$'", "$.x y"),
    (".$ nested in Parameters", one(task(Parameters={"o": {"p": [{"a.$": "x"}]}})),
     "/States/A/Parameters/o/p[0]/a.$", "'a.$'", "x"),
    (".$ not a string", one({**END, "Parameters": {"a.$": 3}}), "/States/A/Parameters/a.$", "'a.$'", "STRING"),
    (".$ in ResultSelector", one(task(ResultSelector={"r.$": "$.["})), "/States/A/ResultSelector/r.$", "'r.$'", "$.["),
    (".$ in ItemSelector", one(map_state(ItemSelector={"v.$": "$$.Map.Item.Value["})),
     "/States/A/ItemSelector/v.$", "'v.$'", "$$.Map.Item.Value["),
    (".$ in Assign", one({**END, "Assign": {"v.$": "$.a..."}}), "/States/A/Assign/v.$", "'v.$'", "$.a..."),
    (".$ in a catcher's Assign", catching({"ErrorEquals": ["States.ALL"], "Next": "H", "Assign": {"e.$": "$.["}}),
     "/States/T/Catch[0]/Assign/e.$", "'e.$'", "$.["),
    ("Variable of a choice rule", choice({"Variable": "$.a b", "StringEquals": "x", "Next": "Yes"}, Default="No"),
     "/States/C/Choices[0]/Variable", "'Variable'", "$.a b"),
    ("a ...Path operator", choice({"Variable": "$.a", "StringEqualsPath": "b", "Next": "Yes"}, Default="No"),
     "/States/C/Choices[0]/StringEqualsPath", "'StringEqualsPath'", "b"),
]


@pytest.mark.parametrize(("definition", "location", "field", "value"), rows(BAD_PATHS))
def test_bad_jsonpath(definition: dict, location: str, field: str, value: str) -> None:
    check(definition, SCHEMA, location, field, value)


@pytest.mark.parametrize("path", ["$", "$.a", "$.a.b[0]", "$['a b']", "$.a[1].c", "$$.Execution.Input", "$var.x",
                                  "$.items[?(@.n > 1)]", "$.a[*].b"])
def test_good_input_paths(path: str) -> None:
    valid(one({**END, "InputPath": path, "OutputPath": path}))


@pytest.mark.parametrize("path", ["$", "$.a", "$.a.b[0]", "$['a b'].c", None])
def test_good_result_paths(path: str | None) -> None:
    valid(one({**END, "ResultPath": path}))


# ---------------------------------------------------------------------------- JSONata and intrinsics

BAD_JSONATA = [
    ("Output", jsonata({**END, "Output": "{% 1 + %}"}), "/States/A/Output", "1 +"),
    ("nested Output", jsonata({**END, "Output": {"x": {"y": "{% $states.input. %}"}}}), "/States/A/Output/x/y",
     "$states.input."),
    ("Arguments", jsonata(task(Arguments={"FunctionName": "{% 'a' & %}"})), "/States/A/Arguments/FunctionName",
     "'a' &"),
    ("Assign", jsonata({**END, "Assign": {"v": "{% [1, 2 %}"}}), "/States/A/Assign/v", "[1, 2"),
    ("Condition", jchoice({"Condition": "{% $x = %}", "Next": "B"}), "/States/A/Choices[0]/Condition", "$x ="),
    ("a rule's Output", jchoice({"Condition": True, "Next": "B", "Output": {"o": "{% . %}"}}),
     "/States/A/Choices[0]/Output/o", "."),
    ("Items", jsonata(map_state(Items="{% $states.input.( %}")), "/States/A/Items", "$states.input.("),
    ("Seconds", jsonata({"Type": "Wait", "Seconds": "{% 1 * %}", "End": True}), "/States/A/Seconds", "1 *"),
    ("Timestamp", jsonata({"Type": "Wait", "Timestamp": "{% ) %}", "End": True}), "/States/A/Timestamp", ")"),
    ("TimeoutSeconds", jsonata(task(TimeoutSeconds="{% { %}")), "/States/A/TimeoutSeconds", "{"),
    ("MaxConcurrency", jsonata(map_state(MaxConcurrency="{% 2 + %}")), "/States/A/MaxConcurrency", "2 +"),
    ("Error", jsonata({"Type": "Fail", "Error": "{% 'E' & %}"}), "/States/A/Error", "'E' &"),
    ("a catcher's Output", jsonata(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A", "Output": "{% ] %}"}])),
     "/States/A/Catch[0]/Output", "]"),
    ("empty expression", jsonata({**END, "Output": "{%   %}"}), "/States/A/Output", "empty"),
]


@pytest.mark.parametrize(("definition", "location", "text"), rows(BAD_JSONATA))
def test_bad_jsonata(definition: dict, location: str, text: str) -> None:
    """Refused where the expression is, with the parser's message alone, as AWS words it
    ("INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/Main/Output")."""
    check(definition, JSONATA_CODE, location)
    message = next(d.message for d in stepline.validate(definition) if d.location == location)
    assert text.strip() and message and not re.match(r"[STD]\d{4}: ", message)


def test_good_jsonata_validates() -> None:
    valid(jsonata({**END, "Output": {"a": "{% $states.input.a %}", "b": "{% $partition([1,2,3], 2) %}", "c": "text"},
                   "Assign": {"v": "{% $uuid() %}"}}))


BAD_INTRINSICS = [
    ("unclosed", one({**END, "Parameters": {"a.$": "States.Format('{}', $.x"}}), "/States/A/Parameters/a.$",
     "States.Format('{}', $.x"),
    ("unknown function", one({**END, "Parameters": {"a.$": "States.Nope()"}}), "/States/A/Parameters/a.$",
     "States.Nope"),
    ("wrong arity", one(task(Parameters={"a.$": "States.UUID(1)"})), "/States/A/Parameters/a.$", "States.UUID(1)"),
    ("text after the call", one({**END, "Parameters": {"a.$": "States.UUID() x"}}), "/States/A/Parameters/a.$",
     "States.UUID() x"),
    ("bad path argument", one({**END, "Parameters": {"a.$": "States.Array($.a b)"}}), "/States/A/Parameters/a.$",
     "States.Array($.a b)"),
    ("in ResultSelector", one(task(ResultSelector={"n.$": "States.MathAdd(1)"})), "/States/A/ResultSelector/n.$",
     "States.MathAdd(1)"),
    ("in Assign", one({**END, "Assign": {"n.$": "States.ArrayLength("}}), "/States/A/Assign/n.$",
     "States.ArrayLength("),
    ("in ErrorPath", one({"Type": "Fail", "ErrorPath": "States.Format("}), "/States/A/ErrorPath", "States.Format("),
    ("nested too deep", one({**END, "Parameters": {"a.$": "States.Array(" * 11 + ")" * 11}}),
     "/States/A/Parameters/a.$", "States.Array("),
]


@pytest.mark.parametrize(("definition", "location", "text"), rows(BAD_INTRINSICS))
def test_bad_intrinsic_functions(definition: dict, location: str, text: str) -> None:
    check(definition, SCHEMA, location, text)


# ---------------------------------------------------------------------------- query languages

WRONG_LANGUAGE = [
    ("Parameters in JSONata", jsonata({**END, "Parameters": {}}), "/States/A", "JSONata", "Parameters"),
    ("InputPath in JSONata", jsonata({**END, "InputPath": "$"}), "/States/A", "JSONata", "InputPath"),
    ("ResultPath in JSONata", jsonata(task(ResultPath="$.r")), "/States/A", "JSONata", "ResultPath"),
    ("ResultSelector in JSONata", jsonata(task(ResultSelector={})), "/States/A", "JSONata", "ResultSelector"),
    ("OutputPath in JSONata", jsonata({"Type": "Succeed", "OutputPath": "$"}), "/States/A", "JSONata", "OutputPath"),
    ("ItemsPath in JSONata", jsonata(map_state(ItemsPath="$.a")), "/States/A", "JSONata", "ItemsPath"),
    ("SecondsPath in JSONata", jsonata({"Type": "Wait", "SecondsPath": "$.s", "End": True}), "/States/A", "JSONata",
     "SecondsPath"),
    ("TimeoutSecondsPath in JSONata", jsonata(task(TimeoutSecondsPath="$.t")), "/States/A", "JSONata",
     "TimeoutSecondsPath"),
    ("MaxConcurrencyPath in JSONata", jsonata(map_state(MaxConcurrencyPath="$.m")), "/States/A", "JSONata",
     "MaxConcurrencyPath"),
    ("ErrorPath in JSONata", jsonata({"Type": "Fail", "ErrorPath": "$.e"}), "/States/A", "JSONata", "ErrorPath"),
    ("Result in JSONata", jsonata({**END, "Result": 1}), "/States/A", "JSONata", "Result"),
    ("a state set to JSONata", one({**END, "QueryLanguage": "JSONata", "Parameters": {}}), "/States/A", "JSONata",
     "Parameters"),
    ("ResultPath in a JSONata catcher", jsonata(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A",
                                                             "ResultPath": "$.e"}])),
     "/States/A/Catch[0]", "JSONata", "ResultPath"),
    ("Variable in a JSONata rule", jchoice({"Variable": "$.x", "Condition": True, "Next": "B"}), "/States/A/Choices[0]",
     "JSONata", "Variable"),
    ("an operator in a JSONata rule", jchoice({"Condition": True, "IsNull": True, "Next": "B"}), "/States/A/Choices[0]",
     "JSONata", "IsNull"),
    ("MaxItemsPerBatchPath in JSONata", jsonata(map_state(DISTRIBUTED, ItemBatcher={"MaxItemsPerBatchPath": "$.n"})),
     "/States/A/ItemBatcher", "JSONata", "MaxItemsPerBatchPath"),
    ("Arguments in JSONPath", one(task(Arguments={})), "/States/A", "JSONPath", "Arguments"),
    ("Output in JSONPath", one({**END, "Output": "{% 1 %}"}), "/States/A", "JSONPath", "Output"),
    ("Items in JSONPath", one(map_state(Items=[1, 2])), "/States/A", "JSONPath", "Items"),
    ("a state set to JSONPath", one({**END, "QueryLanguage": "JSONPath", "Output": {}}), "/States/A", "JSONPath",
     "Output"),
    ("Output in a JSONPath catcher", catching({"ErrorEquals": ["States.ALL"], "Next": "H", "Output": {}}),
     "/States/T/Catch[0]", "JSONPath", "Output"),
    ("Condition in a JSONPath rule", choice({"Condition": "{% true %}", "Next": "Yes"}, Default="No"),
     "/States/C/Choices[0]", "JSONPath", "Condition"),
    ("Arguments of a JSONPath ItemReader", one(map_state(DISTRIBUTED, ItemReader={
        "Resource": "arn:aws:states:::s3:getObject", "Arguments": {}})),
     "/States/A/ItemReader", "JSONPath", "Arguments"),
]


@pytest.mark.parametrize(("definition", "location", "language", "field"), rows(WRONG_LANGUAGE))
def test_fields_of_the_other_query_language(definition: dict, location: str, language: str, field: str) -> None:
    check(definition, SCHEMA, location,
          f"The QueryLanguage is set to '{language}', but field '{field}' is only supported")


def test_a_jsonpath_state_under_a_jsonata_machine() -> None:
    check(jsonata({**END, "QueryLanguage": "JSONPath"}), SCHEMA, "/States/A",
          "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")


def test_a_jsonata_state_under_a_jsonpath_machine_is_fine() -> None:
    valid(machine({"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %}", "Next": "B"},
                   "B": {"Type": "Pass", "InputPath": "$", "End": True}}))


def test_nested_states_inherit_the_machines_language_not_their_parents() -> None:
    # AWS: a Map or Parallel declaring JSONata does not make the states inside it JSONata
    check(one(map_state(inner={**END, "Output": "{% 1 %}"}) | {"QueryLanguage": "JSONata"}), SCHEMA,
          "/States/A/ItemProcessor/States/P", "field 'Output' is only supported for the 'JSONata'")
    check(one(parallel(branch(B={**END, "Output": "{% 1 %}"})) | {"QueryLanguage": "JSONata"}), SCHEMA,
          "/States/A/Branches[0]/States/B", "field 'Output'")
    valid(jsonata(map_state(inner={**END, "Output": "{% $states.input %}"})))


@pytest.mark.parametrize(("where", "definition", "location"), [
    ("top level", one(END, QueryLanguage="JSONPATH"), "/QueryLanguage"),
    ("state", one({**END, "QueryLanguage": "YAML"}), "/States/A/QueryLanguage"),
    ("not a string", one({**END, "QueryLanguage": ["JSONata"]}), "/States/A/QueryLanguage"),
])
def test_query_language_values(where: str, definition: dict, location: str) -> None:
    check(definition, SCHEMA, location, "'QueryLanguage'", "JSONPath, JSONata")


# ---------------------------------------------------------------------------- names

def test_state_names_up_to_80_characters() -> None:
    valid(one({"Type": "Succeed"}) | {"StartAt": "n" * 80, "States": {"n" * 80: {"Type": "Succeed"}}})
    long = "n" * 81
    check({"StartAt": long, "States": {long: {"Type": "Succeed"}}}, "INVALID_STATE_NAME", f"/States/{long}",
          "80", "n" * 50)


@pytest.mark.parametrize("name", ["a\u0000b", "tab\there", "line\n", "del\u007f", "c1\u0085"])
def test_state_names_with_control_characters(name: str) -> None:
    check({"StartAt": name, "States": {name: {"Type": "Succeed"}}}, "INVALID_STATE_NAME", f"/States/{name}",
          "control characters", json.dumps(name))


def test_empty_state_name() -> None:
    check({"StartAt": "", "States": {"": {"Type": "Succeed"}}}, "INVALID_STATE_NAME", "/States/", "1 to 80")


def test_state_names_with_spaces_and_punctuation_are_fine() -> None:
    valid({"StartAt": "Get the order #1 (EU)", "States": {"Get the order #1 (EU)": {"Type": "Succeed"}}})


def test_a_slash_in_a_state_name_is_escaped_in_locations() -> None:
    check(machine({"a/b": {"Type": "Pass", "Next": "x"}, "x~": END}), TARGET, "/States/a~1b/Next", "x")


DUPLICATES = [
    ("JSON text", '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}, '
                  '"A": {"Type": "Succeed"}}}', "/States/A", "A"),
    ("JSON text, in a branch", json.dumps(one(parallel(branch(X=END)))).replace(
        '{"X": {"Type": "Pass", "End": true}}', '{"X": {"Type": "Pass", "End": true}, "X": {"Type": "Succeed"}}'),
     "/States/A/Branches[0]/States/X", "X"),
    ("across branches", one(parallel(branch(W=END), branch(W=END))), "/States/A/Branches[1]/States/W", "W"),
    ("a Map's state and a top-level state", machine({"A": then(map_state(), "P"), "P": END}), "/States/P", "P"),
]


@pytest.mark.parametrize(("definition", "location", "name"), rows(DUPLICATES))
def test_duplicate_state_names(definition: Any, location: str, name: str) -> None:
    check(definition, "DUPLICATE_STATE_NAME", location, f"Duplicate State name: {name}")


def test_a_duplicate_field_in_json_text() -> None:
    check('{"StartAt": "A", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}', "INVALID_JSON_DESCRIPTION",
          "/StartAt", "'StartAt'")


# ---------------------------------------------------------------------------- Retry and Catch

BAD_RETRIERS = [
    ("BackoffRate < 1", {"ErrorEquals": ["X"], "BackoffRate": 0.5}, "BackoffRate", "0.5"),
    ("BackoffRate not a number", {"ErrorEquals": ["X"], "BackoffRate": True}, "BackoffRate", "true"),
    ("MaxAttempts < 0", {"ErrorEquals": ["X"], "MaxAttempts": -1}, "MaxAttempts", "-1"),
    ("MaxAttempts not an integer", {"ErrorEquals": ["X"], "MaxAttempts": 1.5}, "MaxAttempts", "1.5"),
    ("IntervalSeconds 0", {"ErrorEquals": ["X"], "IntervalSeconds": 0}, "IntervalSeconds", "0"),
    ("IntervalSeconds too big", {"ErrorEquals": ["X"], "IntervalSeconds": 100000000}, "IntervalSeconds", "100000000"),
    ("MaxDelaySeconds 0", {"ErrorEquals": ["X"], "MaxDelaySeconds": 0}, "MaxDelaySeconds", "0"),
    ("JitterStrategy", {"ErrorEquals": ["X"], "JitterStrategy": "HALF"}, "JitterStrategy", "HALF"),
    ("ErrorEquals empty", {"ErrorEquals": []}, "ErrorEquals", "[]"),
    ("ErrorEquals not strings", {"ErrorEquals": [1]}, "ErrorEquals", "[1]"),
]


@pytest.mark.parametrize(("retrier", "field", "value"), rows(BAD_RETRIERS))
def test_bad_retrier_values(retrier: dict, field: str, value: str) -> None:
    check(retrying(retrier), SCHEMA, f"/States/T/Retry[0]/{field}", f"'{field}'", value)


def test_good_retrier_values() -> None:
    valid(retrying({"ErrorEquals": ["States.Timeout", "Custom.Error"], "IntervalSeconds": 1, "MaxAttempts": 0,
                    "BackoffRate": 1, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"},
                   {"ErrorEquals": ["States.ALL"], "BackoffRate": 1.5, "JitterStrategy": "NONE"}))


ERROR_NAMES = [
    ("States.ALL not alone in a retrier", retrying({"ErrorEquals": ["States.ALL", "X"]}),
     "/States/T/Retry[0]/ErrorEquals", "alone"),
    ("States.ALL not in the last retrier", retrying({"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}),
     "/States/T/Retry[0]/ErrorEquals", "last"),
    ("States.ALL not alone in a catcher", catching({"ErrorEquals": ["X", "States.ALL"], "Next": "H"}),
     "/States/T/Catch[0]/ErrorEquals", "alone"),
    ("States.ALL not in the last catcher", machine({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "H"},
                                                                     {"ErrorEquals": ["X"], "Next": "H"}]), "H": END}),
     "/States/T/Catch[0]/ErrorEquals", "last"),
]


@pytest.mark.parametrize(("definition", "location", "word"), rows(ERROR_NAMES))
def test_error_names(definition: dict, location: str, word: str) -> None:
    check(definition, SCHEMA, location, word)


def test_every_predefined_error_name_is_accepted() -> None:
    names = ["States.BranchFailed", "States.DataLimitExceeded", "States.ExceedToleratedFailureThreshold",
             "States.HeartbeatTimeout", "States.Http.Socket", "States.IntrinsicFailure", "States.ItemReaderFailed",
             "States.NoChoiceMatched", "States.ParameterPathFailure", "States.Permissions",
             "States.QueryEvaluationError", "States.ResultPathMatchFailure", "States.ResultWriterFailed",
             "States.Runtime", "States.TaskFailed", "States.Timeout"]
    valid(machine({"T": task(Retry=[{"ErrorEquals": names}], Catch=[{"ErrorEquals": names, "Next": "H"}]), "H": END}))


def test_error_names_of_its_own_beginning_with_states_are_accepted() -> None:
    # AWS deploys definitions that retry and catch such names (aws-samples: States.QuorumMet)
    names = ["States.QuorumMet", "States.Nope"]
    valid(machine({"T": task(Retry=[{"ErrorEquals": names}], Catch=[{"ErrorEquals": names, "Next": "H"}]), "H": END}))


# ---------------------------------------------------------------------------- Wait and Task

WAITS = [
    ("none", {"Type": "Wait", "End": True}, "/States/A", "Seconds, Timestamp, SecondsPath, TimestampPath"),
    ("Seconds and Timestamp", {"Type": "Wait", "Seconds": 1, "Timestamp": "2024-01-01T00:00:00Z", "End": True},
     "/States/A", "[Seconds, Timestamp]"),
    ("SecondsPath and TimestampPath", {"Type": "Wait", "SecondsPath": "$.s", "TimestampPath": "$.t", "End": True},
     "/States/A", "[SecondsPath, TimestampPath]"),
    ("invalid Timestamp", {"Type": "Wait", "Timestamp": "2016-13-45T00:00:00Z", "End": True}, "/States/A/Timestamp",
     "2016-13-45T00:00:00Z"),
    ("Timestamp without a zone", {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00", "End": True},
     "/States/A/Timestamp", "2016-03-14T01:59:00"),
    ("Timestamp not a timestamp", {"Type": "Wait", "Timestamp": "tomorrow", "End": True}, "/States/A/Timestamp",
     "tomorrow"),
    ("negative Seconds", {"Type": "Wait", "Seconds": -1, "End": True}, "/States/A/Seconds", "-1"),
    ("Seconds as a string", {"Type": "Wait", "Seconds": "10", "End": True}, "/States/A/Seconds", '"10"'),
]


@pytest.mark.parametrize(("state", "location", "word"), rows(WAITS))
def test_wait_states(state: dict, location: str, word: str) -> None:
    check(one(state), SCHEMA, location, word)


def test_a_jsonata_wait_needs_seconds_or_timestamp() -> None:
    check(jsonata({"Type": "Wait", "End": True}), SCHEMA, "/States/A", "[Seconds, Timestamp]")


@pytest.mark.parametrize(("timeout", "heartbeat"), [(10, 10), (10, 20)])
def test_heartbeat_must_be_shorter_than_timeout(timeout: int, heartbeat: int) -> None:
    check(one(task(TimeoutSeconds=timeout, HeartbeatSeconds=heartbeat)), SCHEMA, "/States/A/HeartbeatSeconds",
          "'HeartbeatSeconds'", str(heartbeat), "'TimeoutSeconds'")
    valid(one(task(TimeoutSeconds=heartbeat + 1, HeartbeatSeconds=heartbeat)))


@pytest.mark.parametrize(("fields", "location", "word"), [
    ({"TimeoutSeconds": 0}, "/States/A/TimeoutSeconds", "'TimeoutSeconds'"),
    ({"HeartbeatSeconds": -5}, "/States/A/HeartbeatSeconds", "'HeartbeatSeconds'"),
    ({"TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"}, "/States/A", "[TimeoutSeconds, TimeoutSecondsPath]"),
    ({"Credentials": "role"}, "/States/A/Credentials", "'Credentials'"),
])
def test_task_fields(fields: dict, location: str, word: str) -> None:
    check(one(task(**fields)), SCHEMA, location, word)


def test_fail_fields() -> None:
    check(one({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}), SCHEMA, "/States/A", "[Error, ErrorPath]")
    check(one({"Type": "Fail", "Cause": 5}), SCHEMA, "/States/A/Cause", "'Cause'", "5")


# ---------------------------------------------------------------------------- Map

@pytest.mark.parametrize(("field", "value"), [
    ("ItemReader", {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}}),
    ("ItemBatcher", {"MaxItemsPerBatch": 10}),
    ("ResultWriter", {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}}),
    ("Label", "batch"),
])
def test_distributed_only_fields_on_an_inline_map(field: str, value: Any) -> None:
    check(one(map_state(**{field: value})), SCHEMA, f"/States/A/{field}", f"'{field}'", "DISTRIBUTED")
    check(one(map_state({"Mode": "INLINE"}, **{field: value})), SCHEMA, f"/States/A/{field}", f"'{field}'")
    valid(one(map_state(DISTRIBUTED, **{field: value})))


MAPS = [
    ("ItemSelector and Parameters", map_state(ItemSelector={}, Parameters={}), SCHEMA, "/States/A",
     "[ItemSelector, Parameters]"),
    ("ItemProcessor and Iterator", map_state() | {"Iterator": branch(P=END)}, SCHEMA, "/States/A",
     "[ItemProcessor, Iterator]"),
    ("negative MaxConcurrency", map_state(MaxConcurrency=-1), SCHEMA, "/States/A/MaxConcurrency", "-1"),
    ("MaxConcurrency and its path", map_state(MaxConcurrency=1, MaxConcurrencyPath="$.m"), SCHEMA, "/States/A",
     "[MaxConcurrency, MaxConcurrencyPath]"),
    ("ToleratedFailurePercentage > 100", map_state(DISTRIBUTED, ToleratedFailurePercentage=101), SCHEMA,
     "/States/A/ToleratedFailurePercentage", "101"),
    ("negative ToleratedFailureCount", map_state(DISTRIBUTED, ToleratedFailureCount=-2), SCHEMA,
     "/States/A/ToleratedFailureCount", "-2"),
    ("Label too long", map_state(DISTRIBUTED, Label="L" * 41), "INVALID_LABEL_NAME", "/States/A/Label", "L" * 41),
    ("Label with a space", map_state(DISTRIBUTED, Label="my batch"), "INVALID_LABEL_NAME", "/States/A/Label",
     "my batch"),
    ("Label with a colon", map_state(DISTRIBUTED, Label="a:b"), "INVALID_LABEL_NAME", "/States/A/Label", "a:b"),
    ("bad Mode", map_state({"Mode": "PARALLEL"}), SCHEMA, "/States/A/ItemProcessor/ProcessorConfig/Mode", "PARALLEL"),
    ("bad ExecutionType", map_state({"Mode": "DISTRIBUTED", "ExecutionType": "FAST"}), SCHEMA,
     "/States/A/ItemProcessor/ProcessorConfig/ExecutionType", "FAST"),
    ("ExecutionType on an INLINE Map", map_state({"Mode": "INLINE", "ExecutionType": "EXPRESS"}), SCHEMA,
     "/States/A/ItemProcessor/ProcessorConfig/ExecutionType", "DISTRIBUTED"),
    ("ItemReader resource", map_state(DISTRIBUTED, ItemReader={"Resource": "s3"}), "INVALID_RESOURCE",
     "/States/A/ItemReader/Resource", "s3"),
    ("negative MaxItemsPerBatch", map_state(DISTRIBUTED, ItemBatcher={"MaxItemsPerBatch": -1}), SCHEMA,
     "/States/A/ItemBatcher/MaxItemsPerBatch", "-1"),
    ("JSONata Items not a list", map_state(Items={"a": 1}, QueryLanguage="JSONata"), SCHEMA, "/States/A/Items",
     "'Items'"),
]


@pytest.mark.parametrize(("state", "code", "location", "word"), rows(MAPS))
def test_map_fields(state: dict, code: str, location: str, word: str) -> None:
    check(one(state), code, location, word)


def test_labels_are_unique() -> None:
    check(machine({"A": then(map_state(DISTRIBUTED, Label="batch"), "B"),
                   "B": map_state(DISTRIBUTED, name="Q", Label="batch")}), "DUPLICATE_LABEL_NAME", "/States/B/Label",
          "batch")


def test_inline_map_with_tolerated_failures_is_accepted() -> None:
    # AWS accepted such definitions (tests/conformance, evaluate_jsonata cases)
    valid(one(map_state(ToleratedFailurePercentage=50, ToleratedFailureCount=1)))


# ---------------------------------------------------------------------------- Assign

VARIABLES = [
    ("starts with a digit", {"1x": 1}, "/States/A/Assign/1x", "'1x'"),
    ("dash", {"a-b": 1}, "/States/A/Assign/a-b", "'a-b'"),
    ("empty", {"": 1}, "/States/A/Assign/", "''"),
    ("dotted", {"a.b": 1}, "/States/A/Assign/a.b", "'a.b'"),
    ("reserved states", {"states": 1}, "/States/A/Assign/states", "'states'"),
    ("reserved states by path", {"states.$": "$.x"}, "/States/A/Assign/states.$", "'states'"),
    ("invalid by path", {"9lives.$": "$.x"}, "/States/A/Assign/9lives.$", "'9lives'"),
    ("too long", {"v" * 81: 1}, "/States/A/Assign/" + "v" * 81, "v" * 81),
]


@pytest.mark.parametrize(("assign", "location", "name"), rows(VARIABLES))
def test_invalid_variable_names(assign: dict, location: str, name: str) -> None:
    check(one({**END, "Assign": assign}), SCHEMA, location, name)


def test_invalid_variable_names_in_jsonata_rules_and_catchers() -> None:
    check(jsonata({**END, "Assign": {"states": "{% 1 %}"}}), SCHEMA, "/States/A/Assign/states", "'states'")
    check(catching({"ErrorEquals": ["States.ALL"], "Next": "H", "Assign": {"e-1": 1}}), SCHEMA,
          "/States/T/Catch[0]/Assign/e-1", "'e-1'")
    check(choice({"Variable": "$.x", "IsNull": True, "Next": "Yes", "Assign": {"0": 1}}, Default="No"), SCHEMA,
          "/States/C/Choices[0]/Assign/0", "'0'")


def test_assign_must_be_an_object() -> None:
    check(one({**END, "Assign": ["x"]}), SCHEMA, "/States/A/Assign", "'Assign'", '["x"]')


# ---------------------------------------------------------------------------- resources

@pytest.mark.parametrize("arn", [
    "arn:aws:lambda:us-east-1:123:function:f",           # account too short
    "arn:aws:lambda:us-east-1:123456789012:f",           # no "function:"
    "lambda",
    "",
    "arn:aws:states:::lambda",                           # no action
    "arn:aws:states:::a:b:c:d",
    "arn:aws:states:us-east-1:123456789012:activity:",   # no activity name
    "arn:aws:s3:::bucket",
])
def test_invalid_resources(arn: str) -> None:
    check(one(task(Resource=arn)), "INVALID_RESOURCE", "/States/A/Resource", arn or "provided")


def test_a_resource_that_is_not_a_string() -> None:
    check(one(task(Resource=["arn"])), "INVALID_RESOURCE", "/States/A/Resource", "'Resource'", '["arn"]')


@pytest.mark.parametrize("arn", [
    LAMBDA, LAMBDA + ":prod", "arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "arn:aws:states:::states:startExecution.sync:2", "arn:aws:states:::aws-sdk:s3:listBuckets",
    "arn:aws:states:::http:invoke", "arn:aws:states:us-east-1:123456789012:activity:worker",
    "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
])
def test_valid_resources(arn: str) -> None:
    valid(one(task(Resource=arn)))


# ---------------------------------------------------------------------------- the definition as a whole

NOT_DEFINITIONS = [
    ("empty text", "", "MISSING_DESCRIPTION", None, "empty"),
    ("blank text", "  \n\t ", "MISSING_DESCRIPTION", None, "empty"),
    ("empty bytes", b"", "MISSING_DESCRIPTION", None, "empty"),
    ("None", None, "MISSING_DESCRIPTION", None, "null"),
    ("JSON null", "null", "MISSING_DESCRIPTION", None, "null"),
    ("invalid JSON", '{"StartAt": "A",', "INVALID_JSON_DESCRIPTION", None, "not valid JSON"),
    ("single quotes", "{'StartAt': 'A'}", "INVALID_JSON_DESCRIPTION", None, "not valid JSON"),
    ("NaN", '{"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": NaN, "End": true}}}',
     "INVALID_JSON_DESCRIPTION", None, "NaN"),
    ("trailing text", '{"StartAt": "A"} x', "INVALID_JSON_DESCRIPTION", None, "not valid JSON"),
    ("invalid UTF-8", b'{"StartAt": "\xff"}', "INVALID_JSON_DESCRIPTION", None, "UTF-8"),
    ("too deep to read", "[" * 100_000, "INVALID_JSON_DESCRIPTION", None, "nested too deeply"),
    ("an array", [], SCHEMA, "/", "JSON object"),
    ("an array as text", "[1, 2]", SCHEMA, "/", "[1, 2]"),
    ("a number", 42, SCHEMA, "/", "42"),
    ("a string as text", '"StartAt"', SCHEMA, "/", "StartAt"),
    ("a non-string key", {1: "x", "StartAt": "A"}, "INVALID_JSON_DESCRIPTION", "/", "1"),
    ("a Python value", one({**END, "Result": {1, 2}}), "INVALID_JSON_DESCRIPTION", "/States/A/Result", "set"),
    ("an infinite float", one({"Type": "Wait", "Seconds": float("inf"), "End": True}), "INVALID_JSON_DESCRIPTION",
     "/States/A/Seconds", "inf"),
]


@pytest.mark.parametrize(("definition", "code", "location", "word"), rows(NOT_DEFINITIONS))
def test_input_that_is_not_a_definition(definition: Any, code: str, location: str | None, word: str) -> None:
    check(definition, code, location, word)


def test_a_definition_that_contains_itself() -> None:
    definition = one({**END, "Result": {}})
    definition["States"]["A"]["Result"]["again"] = definition
    check(definition, "INVALID_JSON_DESCRIPTION", "/States/A/Result/again", "contains itself")


def test_shared_python_values_are_fine() -> None:
    shared = {"Type": "Pass", "End": True}
    check(machine({"A": shared, "B": shared}), TARGET, "/States/B", "not reachable")


def test_dict_subclasses_are_read_as_json_objects() -> None:
    from collections import OrderedDict

    definition = OrderedDict(StartAt="A", States={"A": OrderedDict(
        Type="Pass", Parameters=OrderedDict({"a.$": "$.x", "b": "literal"}), End=True)})
    state = stepline.parse(definition).states["A"]
    assert state.parameters({"x": 5}, None) == {"a": 5, "b": "literal"}


def test_bad_top_level_values() -> None:
    check(one(END, TimeoutSeconds=0), SCHEMA, "/TimeoutSeconds", "'TimeoutSeconds'", "0")
    check(one(END, Version="2.0"), SCHEMA, "/Version", "'Version'", "2.0")
    check(one(END, Comment=5), SCHEMA, "/Comment", "'Comment'", "5")
    check(one(END) | {"StartAt": 3}, SCHEMA, "/StartAt", "'StartAt'", "3")
    check({"StartAt": "A", "States": {}}, SCHEMA, "/States", "'States'")
    check({"StartAt": "A", "States": ["A"]}, SCHEMA, "/States", "'States'")
    check(one("Pass"), SCHEMA, "/States/A", "state 'A'", "Pass")
    check(one({"Type": "Sleep", "End": True}), SCHEMA, "/States/A/Type", "'Type'", "Sleep")


def nested(levels: int, kind: str) -> dict:
    """Parallel (or Map) states ``levels`` deep; the state at depth i is called ``N<i>``."""
    state: dict = END
    for i in reversed(range(1, levels + 1)):
        state = parallel(branch(**{f"N{i}": state})) if kind == "Parallel" else map_state(inner=state, name=f"N{i}")
    return one(state)


@pytest.mark.parametrize(("kind", "field"), [("Parallel", "/Branches[0]"), ("Map", "/ItemProcessor")])
def test_deeply_nested_parallel_and_map_states(kind: str, field: str) -> None:
    valid(nested(40, kind))
    location = "/States/A" + "".join(f"{field}/States/N{i}" for i in range(1, 41)) + field
    check(nested(41, kind), "TOO_DEEPLY_NESTED", location, "too deeply nested")


def test_a_definition_too_deep_to_compile_is_a_diagnostic() -> None:
    deep: Any = "$.x"
    for _ in range(5000):
        deep = {"a": deep}
    check(one({**END, "Parameters": {"p": deep, "q.$": "$"}}), "TOO_DEEPLY_NESTED", None, "nested too deeply")


def test_every_mistake_is_reported_at_once() -> None:
    definition = machine({
        "A": {"Type": "Pass", "Next": "Nowhere", "Foo": 1},
        "B": {"Type": "Task", "Resource": "bad", "End": True, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0}]},
        "C": {"Type": "Wait", "End": True},
    })
    found = {(d.code, d.location) for d in errors_of(definition)}
    assert found >= {(TARGET, "/States/A/Next"), (SCHEMA, "/States/A"), ("INVALID_RESOURCE", "/States/B/Resource"),
                     (SCHEMA, "/States/B/Retry[0]/BackoffRate"), (SCHEMA, "/States/C"), (TARGET, "/States/B"),
                     (TARGET, "/States/C")}


def test_errors_come_before_warnings() -> None:
    found = stepline.validate(one({**END, "Parameters": {"a": "$.x"}, "InputPath": "bad"}))
    assert [d.severity for d in found] == ["ERROR", "WARNING"]


# ---------------------------------------------------------------------------- warnings

WARNINGS = [
    ("NO_DOLLAR in Parameters", one({**END, "Parameters": {"a": "$.x"}}), "NO_DOLLAR", "/States/A/Parameters/a", "'a'"),
    ("NO_DOLLAR nested", one(task(Parameters={"o": {"b": "States.UUID()"}})), "NO_DOLLAR",
     "/States/A/Parameters/o/b", "'b'"),
    ("NO_DOLLAR in ResultSelector", one(task(ResultSelector={"r": "$$.Execution.Id"})), "NO_DOLLAR",
     "/States/A/ResultSelector/r", "'r'"),
    ("NO_DOLLAR in ItemSelector", one(map_state(ItemSelector={"v": "$.item"})), "NO_DOLLAR",
     "/States/A/ItemSelector/v", "'v'"),
    ("NO_DOLLAR in Assign", one({**END, "Assign": {"v": "$.item"}}), "NO_DOLLAR", "/States/A/Assign/v", "'v'"),
    ("NO_PATH for Error", one({"Type": "Fail", "Error": "$.error"}), "NO_PATH", "/States/A/Error", "ErrorPath"),
    ("NO_PATH for Cause", one({"Type": "Fail", "Cause": "$.cause"}), "NO_PATH", "/States/A/Cause", "CausePath"),
    ("PASS_RESULT_IS_STATIC", one({**END, "Result": {"a.$": "$.x"}}), "PASS_RESULT_IS_STATIC", "/States/A/Result",
     "static"),
    ("PASS_RESULT_IS_STATIC nested", one({**END, "Result": {"l": [{"a.$": "$.x"}]}}), "PASS_RESULT_IS_STATIC",
     "/States/A/Result", "'.$'"),
]


@pytest.mark.parametrize(("definition", "code", "location", "word"), rows(WARNINGS))
def test_warnings_do_not_make_a_definition_invalid(definition: dict, code: str, location: str, word: str) -> None:
    check(definition, code, location, word, severity="WARNING")
    valid(definition)


def test_no_warning_for_ordinary_strings() -> None:
    definition = one(task(Parameters={"a": "price in $", "b": "$", "c.$": "$.x"}))
    assert [d for d in stepline.validate(definition) if d.location == "/States/A/Parameters/a"] == []


# ---------------------------------------------------------------------------- what AWS accepted

CASES = sorted((Path(__file__).resolve().parents[2] / "conformance" / "cases").glob("*/definition.json"))


def test_the_conformance_definitions_are_there() -> None:
    assert len(CASES) >= 555


@pytest.mark.parametrize("path", CASES, ids=[p.parent.name[:90] for p in CASES])
def test_definitions_aws_accepted_are_valid(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = stepline.validate(text)
    assert [d for d in found if d.severity == "ERROR"] == [], describe(found)
    assert isinstance(stepline.parse(text), StateMachine)


# ---------------------------------------------------------------------------- never an exception

FIELD_NAMES = sorted({"Type", "Next", "End", "Comment", "StartAt", "States", "QueryLanguage", "Resource", "Parameters",
                      "Arguments", "Output", "Assign", "InputPath", "OutputPath", "ResultPath", "ResultSelector",
                      "Result", "Retry", "Catch", "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                      "JitterStrategy", "MaxDelaySeconds", "Choices", "Default", "Variable", "And", "Or", "Not",
                      "Condition", "StringEquals", "NumericLessThanPath", "IsPresent", "Seconds", "Timestamp",
                      "SecondsPath", "TimestampPath", "TimeoutSeconds", "HeartbeatSeconds", "TimeoutSecondsPath",
                      "Credentials", "Error", "Cause", "ErrorPath", "CausePath", "Branches", "ItemProcessor",
                      "Iterator", "ProcessorConfig", "Mode", "ExecutionType", "ItemsPath", "Items", "ItemSelector",
                      "ItemReader", "ReaderConfig", "MaxItems", "ItemBatcher", "MaxItemsPerBatch", "ResultWriter",
                      "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailurePercentage", "Label", "Version",
                      "a.$", "x"})
TRICKY = ["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "JSONata", "JSONPath", "INLINE",
          "DISTRIBUTED", "STANDARD", "FULL", "A", "B", "$", "$.a", "$.a[*]", "$$.Map.Item.Value", "$v", "$.",
          "{% $states.input %}", "{% ( %}", "{% %}", "{%", "States.ALL", "States.Nope", "States.Format('{}', $.a)",
          "States.Format(", LAMBDA, "arn:aws:states:::lambda:invoke", "2016-03-14T01:59:00Z", "", True, False, 0, -1,
          1, 1.5, 10 ** 12, None, [], {}]

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
random_json = st.recursive(scalars, lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(), c, max_size=5),
                           max_leaves=30)
asl_values = st.recursive(
    st.sampled_from(TRICKY) | scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=3), c,
                                                        max_size=6),
    max_leaves=40)
asl_machines = st.fixed_dictionaries(
    {"StartAt": st.sampled_from(["A", "B", "C"]),
     "States": st.dictionaries(st.sampled_from(["A", "B", "C"]), asl_values, max_size=3)},
    optional={"QueryLanguage": st.sampled_from(["JSONata", "JSONPath", "x"]), "Comment": asl_values,
              "TimeoutSeconds": asl_values})


def assert_only_diagnostics(definition: Any) -> None:
    """validate returns well-formed diagnostics and parse agrees with it; nothing else escapes."""
    found = stepline.validate(definition)
    assert isinstance(found, list)
    for d in found:
        assert isinstance(d, Diagnostic) and d.severity in ("ERROR", "WARNING")
        assert d.code.isupper() and d.message and isinstance(d.message, str)
        assert d.location is None or d.location.startswith("/")
        assert not d.message.startswith("Internal error"), d  # a bug caught by validate's last resort
        json.dumps(d.to_json())
    failed = [d for d in found if d.severity == "ERROR"]
    try:
        result = stepline.parse(definition)
    except DefinitionError as e:
        assert failed and e.diagnostics == failed
    else:
        assert not failed and isinstance(result, StateMachine)


def mutate(data: st.DataObject, definition: Any) -> Any:
    """Delete or rename a key, or replace a value (with one of another type), somewhere."""
    definition = copy.deepcopy(definition)
    for _ in range(data.draw(st.integers(1, 4))):
        found = places(definition)
        if not found:
            break
        parent, key = data.draw(st.sampled_from(found))
        op = data.draw(st.sampled_from(["delete", "rename", "replace", "wrap", "stringify"]))
        if op == "delete":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=4))] = parent.pop(key)
        elif op == "wrap":
            parent[key] = [parent[key]]
        elif op == "stringify":
            parent[key] = json.dumps(parent[key])
        else:
            parent[key] = data.draw(asl_values)
    return definition


DEFINITIONS = [json.loads(p.read_text(encoding="utf-8")) for p in CASES]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(random_json)
def test_random_json_gives_only_diagnostics(value: Any) -> None:
    assert_only_diagnostics(value)
    assert_only_diagnostics(json.dumps(value))


@FUZZ
@given(st.text() | st.binary())
def test_random_text_gives_only_diagnostics(text: str | bytes) -> None:
    assert_only_diagnostics(text)


@FUZZ
@given(asl_machines)
def test_random_asl_shaped_json_gives_only_diagnostics(definition: dict) -> None:
    assert_only_diagnostics(definition)
    assert stepline.validate(json.dumps(definition)) == stepline.validate(definition)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_accepted_definitions_give_only_diagnostics(data: st.DataObject) -> None:
    definition = mutate(data, data.draw(st.sampled_from(DEFINITIONS)))
    assert_only_diagnostics(definition)
    assert stepline.validate(json.dumps(definition)) == stepline.validate(definition)


@pytest.mark.parametrize(("writer", "location", "words"), [
    ({}, "/States/A/ResultWriter", ("WriterConfig", "Resource")),
    ({"WriterConfig": {"Transformation": "FLAT"}}, "/States/A/ResultWriter/WriterConfig/Transformation",
     ("NONE, COMPACT, FLATTEN", '"FLAT"')),
    ({"WriterConfig": {"OutputType": "CSV"}}, "/States/A/ResultWriter/WriterConfig/OutputType", ("JSON, JSONL",)),
    ({"WriterConfig": {"Transform": "NONE"}}, "/States/A/ResultWriter/WriterConfig", ("Transform",)),
    ({"WriterConfig": "FLATTEN"}, "/States/A/ResultWriter/WriterConfig", ("OBJECT",)),
])
def test_a_result_writer_needs_a_valid_writer_config_or_a_resource(writer: dict, location: str,
                                                                   words: tuple) -> None:
    check(one(map_state(DISTRIBUTED, ResultWriter=writer)), SCHEMA, location, *words)


@pytest.mark.parametrize("config", [{"Transformation": t, "OutputType": o}
                                    for t in ("NONE", "COMPACT", "FLATTEN") for o in ("JSON", "JSONL")])
def test_every_writer_config_aws_documents_is_valid(config: dict) -> None:
    assert isinstance(stepline.parse(one(map_state(DISTRIBUTED, ResultWriter={"WriterConfig": config}))), StateMachine)


@pytest.mark.parametrize(("expression", "names"), [
    ("phone", ["phone"]),
    ("phone.number", ["phone"]),
    ("a + $states.input.b", ["a"]),
    ("$exists(a) ? b : a", ["a", "b"]),
    ("[a, {'k': c}]", ["a", "c"]),
    ("($v := a; $v)", ["a"]),
    ("`my field`", ["my field"]),
])
def test_a_name_read_at_the_top_level_is_refused(expression: str, names: list) -> None:
    """Step Functions gives a JSONata expression no context item: AWS refuses a definition that
    reads one (measured on AWS, floci-io/floci#2670), once per name."""
    found = [d for d in stepline.validate(jsonata({**END, "Output": {"v": f"{{% {expression} %}}"}}))
             if d.severity == "ERROR"]
    assert [(d.code, d.message, d.location) for d in found] == [
        ("UNSUPPORTED_JSONATA_EXPRESSION", f"Reference to '{n}' at the top level is not supported.",
         "/States/A/Output/v") for n in names]


@pytest.mark.parametrize("expression", [
    "$states.input.phone", "$states.input.items[price > 1].name", "$states.input.(a + b)",
    "$states.input.items.{'k': name}", "$map($states.input.items, function($v){ $v.name })", "$x.y", "$",
    "'phone'", "$count($states.input.items[type = 'x'])",
])
def test_names_read_from_something_else_are_fine(expression: str) -> None:
    valid(jsonata({**END, "Output": {"v": f"{{% {expression} %}}"}}))


def test_errorOutput_is_a_catchers_alone() -> None:
    """AWS refuses $states.errorOutput outside a catcher's Output and Assign:
    "UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.errorOutput' does not exist." (sst#6110)."""
    outside = jsonata(task(Arguments={"e": "{% $states.errorOutput %}"}))
    assert [(d.code, d.message, d.location) for d in errors_of(outside)] == [
        ("UNSUPPORTED_JSONATA_EXPRESSION", "Field '$states.errorOutput' does not exist.", "/States/A/Arguments/e")]
    inside = catching({"ErrorEquals": ["States.ALL"], "Next": "H", "Output": {"c": "{% $states.errorOutput.Cause %}"},
                       "Assign": {"e": "{% $states.errorOutput %}"}})
    valid({**inside, "QueryLanguage": "JSONata"})
