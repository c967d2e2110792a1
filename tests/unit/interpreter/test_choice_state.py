"""Choice states as a whole: rule order, Default, no match, I/O, Assign, JSONata Conditions.

(The operators themselves are covered in tests/unit/asl/test_choice.py.)
Ground truth: conformance ``test_assign_in_choice_state__CORRECT`` / ``__INCORRECT``,
``BASE_REFERENCE_IN_CHOICE``, ``context_object ... test_variable`` and
``outputdecl ... test_output_in_choice__CONDITION_TRUE``.
"""

from __future__ import annotations

import pytest

from .helpers import assigned, details, event, machine, parsed, run, types


def choice(choices, default="D", **fields):
    """A Choice state "C" whose targets are Pass states recording where execution went."""
    states = {"C": {"Type": "Choice", "Choices": choices, **fields}}
    if default is not None:
        states["C"]["Default"] = default
    targets = [r["Next"] for r in choices] + ([default] if default else [])
    for t in targets:
        states[t] = {"Type": "Pass", "Result": t, "ResultPath": "$.went", "End": True}
    return machine(states)


RULES = [
    {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "A"},
    {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "B"},
]


@pytest.mark.parametrize(("n", "went"), [(11, "A"), (7, "B"), (1, "D")])
def test_first_matching_rule_wins_else_default(n, went):
    ex = run(choice(RULES), {"n": n})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"n": n, "went": went}


def test_choice_records_entered_and_exited_then_the_chosen_state():
    ex = run(choice(RULES), {"n": 7})
    assert types(ex) == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered",
                         "PassStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5]
    assert details(ex.history[2]) == {"name": "C", "output": '{"n":7}', "outputDetails": {"truncated": False}}
    assert details(ex.history[3])["name"] == "B"


def test_no_match_without_default_fails_with_no_choice_matched():
    ex = run(choice(RULES, default=None), {"n": 1})
    assert ex.status == "FAILED"
    assert ex.error == "States.NoChoiceMatched"
    assert types(ex) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]
    assert ex.history[-1]["previousEventId"] == 2


def test_no_choice_matched_is_catchable_by_an_enclosing_parallel():
    d = machine({
        "Par": {"Type": "Parallel", "Branches": [machine({
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "X"}]},
            "X": {"Type": "Succeed"},
        })], "Catch": [{"ErrorEquals": ["States.NoChoiceMatched"], "ResultPath": "$.err", "Next": "Done"}],
            "End": True},
        "Done": {"Type": "Pass", "End": True},
    })
    ex = run(d, {"n": 2})
    assert ex.status == "SUCCEEDED"
    assert ex.output["err"]["Error"] == "States.NoChoiceMatched"
    assert ex.output["n"] == 2


def test_combinators_and_or_not():
    rules = [
        {"And": [{"Variable": "$.a", "IsPresent": True},
                 {"Or": [{"Variable": "$.a", "StringEquals": "x"},
                         {"Not": {"Variable": "$.a", "IsString": True}}]}],
         "Next": "A"},
    ]
    assert run(choice(rules), {"a": "x"}).output["went"] == "A"
    assert run(choice(rules), {"a": 1}).output["went"] == "A"
    assert run(choice(rules), {"a": "y"}).output["went"] == "D"
    assert run(choice(rules), {}).output["went"] == "D"


def test_rules_can_read_the_context_object():
    # conformance: context_object test_variable
    rules = [{"Variable": "$$.Execution.Input.input-value", "NumericLessThanEquals": 0, "Next": "A"}]
    assert run(choice(rules), {"input-value": 0}).output == {"input-value": 0, "went": "A"}


def test_rules_can_compare_variables():
    # conformance: BASE_REFERENCE_IN_CHOICE
    d = machine({
        "Setup": {"Type": "Pass", "Assign": {"guess": "g", "answer": "a"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$guess", "StringEqualsPath": "$answer", "Next": "Right"}],
                  "Default": "Wrong"},
        "Right": {"Type": "Pass", "Result": {"state": "CORRECT"}, "End": True},
        "Wrong": {"Type": "Pass", "Assign": {"guess.$": "$answer"}, "Result": {"state": "WRONG"}, "Next": "Check"},
    })
    ex = run(d, {})
    assert ex.output == {"state": "CORRECT"}
    assert [details(e)["name"] for e in ex.history if e["type"] == "ChoiceStateEntered"] == ["Check", "Check"]


def test_input_path_filters_what_rules_see_and_the_output():
    d = choice([{"Variable": "$.n", "NumericEquals": 1, "Next": "A"}], InputPath="$.inner")
    ex = run(d, {"inner": {"n": 1}, "outer": True})
    assert ex.output == {"n": 1, "went": "A"}


def test_output_path_shapes_the_choice_output():
    d = choice([{"Variable": "$.n", "NumericEquals": 1, "Next": "A"}], OutputPath="$.keep")
    ex = run(d, {"n": 1, "keep": {"k": True}})
    assert ex.output == {"k": True, "went": "A"}


def test_a_variable_that_selects_nothing_is_a_runtime_error():
    # only IsPresent may look at a missing field; any other operator fails the execution
    ex = run(choice([{"Variable": "$.missing", "StringEquals": "x", "Next": "A"}]), {"n": 1})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'C' (entered at the event id #2). "
                        "Invalid path '$.missing' : No results for path: $['missing']")
    assert types(ex) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]


def test_is_present_guards_a_missing_field():
    rules = [{"And": [{"Variable": "$.maybe", "IsPresent": True}, {"Variable": "$.maybe", "StringEquals": "x"}],
              "Next": "A"}]
    assert run(choice(rules), {}).output == {"went": "D"}
    assert run(choice(rules), {"maybe": "x"}).output == {"maybe": "x", "went": "A"}


# ---------------------------------------------------------------------------- Assign

ASSIGN_RULES = [
    {"Variable": "$.input_value", "IsPresent": False, "Assign": {"status": "UNKNOWN"}, "Next": "FinalState"},
    {"Variable": "$.input_value", "NumericEquals": 42, "Assign": {"status": "CORRECT"}, "Next": "FinalState"},
]


def assign_machine():
    return machine({
        "CheckInputState": {"Type": "Choice", "Choices": ASSIGN_RULES,
                            "Assign": {"status": "INCORRECT", "guess.$": "$.input_value"}, "Default": "FinalState"},
        "FinalState": {"Type": "Pass", "Parameters": {"result.$": "$status"}, "End": True},
    })


def test_state_assign_applies_when_default_is_taken():
    # conformance: test_assign_in_choice_state__INCORRECT
    ex = run(assign_machine(), {"input_value": "0"})
    assert ex.output == {"result": "INCORRECT"}
    assert assigned(ex, "CheckInputState") == {"status": '"INCORRECT"', "guess": '"0"'}


def test_rule_assign_applies_on_top_of_the_state_assign_when_its_rule_matches():
    # AWS docs (Choice state): a rule's Assign applies when that rule matches; the state-level
    # Assign applies whichever rule matches.
    ex = run(assign_machine(), {"input_value": 42})
    assert ex.output == {"result": "CORRECT"}
    assert assigned(ex, "CheckInputState") == {"status": '"CORRECT"', "guess": "42"}


def test_state_assign_is_evaluated_even_when_a_rule_matches():
    # the first rule matches (no input_value), but the state-level Assign still reads
    # $.input_value, which is missing: a States.Runtime error
    ex = run(assign_machine(), {})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert "$.input_value" in ex.cause
    assert types(ex) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]


def test_rule_assign_and_state_assign_are_merged():
    d = choice([{"Variable": "$.n", "NumericEquals": 1, "Assign": {"status": "RULE"}, "Next": "A"}],
               Assign={"status": "STATE", "other": 1})
    ex = run(d, {"n": 1})
    assert ex.output["went"] == "A"
    assert assigned(ex, "C") == {"status": '"RULE"', "other": "1"}


def test_assign_in_choice_does_not_change_the_output():
    ex = run(assign_machine(), {"input_value": 42})
    assert parsed(details(event(ex, "ChoiceStateExited"))["output"]) == {"input_value": 42}


# ---------------------------------------------------------------------------- JSONata

def jsonata_choice(choices, **fields):
    return machine({
        "C": {"Type": "Choice", "Choices": choices, "Default": "D", **fields},
        "A": {"Type": "Pass", "End": True},
        "D": {"Type": "Pass", "End": True},
    }, QueryLanguage="JSONata")


def test_jsonata_condition_and_rule_output():
    # conformance: test_output_in_choice__CONDITION_TRUE
    d = jsonata_choice([{"Condition": "{% $states.input.condition %}", "Next": "A",
                         "Output": "Condition Output block"}],
                       Output="Default Output block")
    ex = run(d, {"condition": True})
    assert ex.output == "Condition Output block"
    assert details(event(ex, "PassStateEntered"))["name"] == "A"


def test_jsonata_default_uses_the_state_output():
    d = jsonata_choice([{"Condition": "{% $states.input.condition %}", "Next": "A", "Output": "rule"}],
                       Output="Default Output block")
    ex = run(d, {"condition": False})
    assert ex.output == "Default Output block"
    assert details(event(ex, "PassStateEntered"))["name"] == "D"


def test_jsonata_rule_assign_and_state_assign():
    d = jsonata_choice([{"Condition": "{% $states.input.n > 1 %}", "Next": "A", "Assign": {"picked": "rule"}}],
                       Assign={"picked": "default"})
    big = run(d, {"n": 5})
    small = run(d, {"n": 0})
    assert parsed(assigned(big, "C")["picked"]) == "rule"
    assert parsed(assigned(small, "C")["picked"]) == "default"


def test_jsonata_condition_must_be_boolean():
    d = jsonata_choice([{"Condition": "{% $states.input.n %}", "Next": "A"}])
    ex = run(d, {"n": 1})
    assert ex.status == "FAILED"
    assert ex.error == "States.QueryEvaluationError"
    assert types(ex) == ["ExecutionStarted", "ChoiceStateEntered", "EvaluationFailed", "ExecutionFailed"]
    assert details(event(ex, "EvaluationFailed"))["location"] == "Condition"
    assert ex.cause.startswith("An error occurred while executing the state 'C' (entered at the event id #2). ")


def test_jsonata_no_match_without_default_fails():
    d = machine({"C": {"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "A"}]},
                 "A": {"Type": "Pass", "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {})
    assert ex.error == "States.NoChoiceMatched"
    assert types(ex) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]
