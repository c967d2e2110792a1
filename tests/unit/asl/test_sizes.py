"""Output size bounds: the interpreter trusts them to skip measuring outputs, so each must
really be an upper bound. The property test at the end runs random Pass states on random
inputs with ``stepline.run`` and checks every real output against the bound.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stepline
from stepline.asl import sizes
from stepline.asl.jsonpath import compile_getter
from stepline.asl.model import DISCARD
from stepline.asl.sizes import Growth
from stepline.asl.values import size_in_bytes


def getter(text: str):
    return compile_getter(text)


# ---------------------------------------------------------------------------- templates

@pytest.mark.parametrize(("template", "expected"), [
    ({"a": 1}, Growth(7, 0)),
    ({"a.$": "$"}, Growth(size_in_bytes({"a": ""}), 1)),
    ({"a.$": "$.x", "b.$": "$.y[0]"}, Growth(size_in_bytes({"a": "", "b": ""}), 2)),
    # an indefinite path lists parts of its input: two more bytes for the brackets
    ({"a.$": "$.x[*]"}, Growth(size_in_bytes({"a": "xx"}), 1)),
    ({"a.$": "$[?(@.k)]"}, Growth(size_in_bytes({"a": "xx"}), 1)),
    ({"a.$": "States.UUID()"}, Growth(size_in_bytes({"a": "x" * 38}), 0)),
    ({"a.$": "States.MathAdd($.x, 1)"}, Growth(size_in_bytes({"a": "x" * 12}), 0)),
    ({"a.$": "$$.Map.Item.Index"}, Growth(size_in_bytes({"a": "x" * 11}), 0)),
    ({"l": [{"a.$": "$"}, {"b.$": "$"}]}, Growth(size_in_bytes({"l": [{"a": ""}, {"b": ""}]}), 2)),
    # what the input does not bound
    ({"a.$": "$$.Execution.Input"}, None),
    ({"a.$": "$var"}, None),
    ({"a.$": "$var.x"}, None),
    ({"a.$": "$..x"}, None),  # a deep scan can list a value and the values inside it
    ({"a.$": "$[0,0,0]"}, None),  # a union can list the same value again
    ({"a.$": "$['x','x'].y"}, None),
    ({"a.$": "States.Format('{}', $.x)"}, None),
    ({"a.$": "States.Array($, $)"}, None),
    ({"a.$": "States.MathRandom(0, $.x)"}, Growth(size_in_bytes({"a": "x" * 11}), 0)),  # a 32-bit integer
    ({"a.$": 5}, None),
])
def test_template(template, expected):
    assert sizes.template(template, item_is_input=False) == expected


def test_the_map_item_counts_as_input_only_in_an_item_selector():
    template = {"v.$": "$$.Map.Item.Value", "w.$": "$$.Map.Item.Value.x"}
    assert sizes.template(template) == Growth(size_in_bytes({"v": "", "w": ""}), 2)
    assert sizes.template(template, item_is_input=False) is None


# ---------------------------------------------------------------------------- ResultPath, InputPath, OutputPath

@pytest.mark.parametrize(("keys", "expected"), [
    (DISCARD, (0, 1, 0)),
    ((), (0, 0, 1)),
    (("a",), (size_in_bytes("a") + 4 + 2, 1, 1)),
    (("a", 0, "b"), (size_in_bytes("a") + size_in_bytes("b") + 8 + 2, 1, 1)),
    # a name's bytes as JSON: UTF-8, and escapes for quotes and control characters
    (("ünï",), (size_in_bytes("ünï") + 4 + 2, 1, 1)),
    (("\u0001\"",), (len('"\\u0001\\""') + 4 + 2, 1, 1)),
])
def test_result_path(keys, expected):
    assert sizes.result_path(keys) == expected


@pytest.mark.parametrize(("key", "input"), [
    ("ünïcødé", {}),
    ("\u0001\u0002\u0003", {}),
    ('"\\"', {"x": 1}),
])
def test_result_path_bound_holds_for_names_that_need_escaping(key, input):
    a, b, c = sizes.result_path((key, "inner"))
    result = 1
    output = {**input, key: {"inner": result}}
    assert size_in_bytes(output) <= a + b * size_in_bytes(input) + c * size_in_bytes(result)


@pytest.mark.parametrize(("input_path", "output_path", "expected"), [
    (None, None, Growth(0, 1)),
    (getter("$.a"), getter("$.b"), Growth(0, 1)),
    (DISCARD, None, Growth(2, 0)),
    (None, DISCARD, Growth(2, 0)),
    (getter("$.a[*]"), None, Growth(2, 1)),
    (None, getter("$[?(@.a)]"), Growth(2, 1)),
    (getter("$.a[*]"), getter("$.b[*]"), Growth(4, 1)),
    (getter("$..a"), None, None),
    (None, getter("$[0,0]"), None),
    (getter("$$.Execution.Input"), None, None),
    (None, getter("$v"), None),
])
def test_passthrough(input_path, output_path, expected):
    assert sizes.passthrough(input_path, output_path) == expected


@pytest.mark.parametrize(("kwargs", "expected"), [
    # no Parameters, no Result: the effective input is the result
    ({}, Growth(0, 1)),
    ({"result_keys": DISCARD}, Growth(0, 1)),
    ({"result_keys": ("r",)}, Growth(size_in_bytes("r") + 6, 2)),
    ({"has_result": True, "result": {"k": "v"}}, Growth(9, 0)),
    ({"has_result": True, "result": [1], "result_keys": ("r",)}, Growth(size_in_bytes("r") + 6 + 3, 1)),
    ({"has_parameters": True, "parameters": {"a.$": "$"}}, Growth(size_in_bytes({"a": ""}), 1)),
    ({"has_parameters": True, "parameters": {"a.$": "$"}, "input_path": DISCARD}, Growth(size_in_bytes({"a": ""}) + 2)),
    ({"has_parameters": True, "parameters": {"a.$": "$", "b.$": "$"}, "input_path": getter("$.x[*]")},
     Growth(size_in_bytes({"a": "", "b": ""}) + 4, 2)),
    ({"input_path": getter("$.x[*]")}, Growth(2, 1)),
    # Parameters and Result together: a bound for either, whichever wins
    ({"has_parameters": True, "parameters": {"a.$": "$"}, "has_result": True, "result": "x" * 20},
     Growth(22, 1)),
    ({"output_path": getter("$.x[*]")}, Growth(2, 1)),
    ({"output_path": DISCARD, "result_keys": ("r",)}, Growth(2)),
    ({"input_path": getter("$$.Execution.Input")}, None),
    ({"input_path": getter("$v")}, None),
    ({"output_path": getter("$..x")}, None),
    ({"has_parameters": True, "parameters": {"a.$": "$$.Map.Item.Value"}}, None),
])
def test_pass_state(kwargs, expected):
    args = {"has_result": False, "result": None, "parameters": None, "has_parameters": False, "result_keys": (),
            "input_path": None, "output_path": None, **kwargs}
    assert sizes.pass_state(**args) == expected


@pytest.mark.parametrize(("selector", "keys", "output_path", "expected"), [
    (None, (), None, Growth(0, 0, 1)),
    (None, DISCARD, None, Growth(0, 1, 0)),
    (None, ("r",), None, Growth(size_in_bytes("r") + 6, 1, 1)),
    ({"a.$": "$.x"}, (), None, Growth(size_in_bytes({"a": ""}), 0, 1)),
    ({"a.$": "$.x"}, (), getter("$[*]"), Growth(size_in_bytes({"a": ""}) + 2, 0, 1)),
    ({"a.$": "$$.Execution.Input"}, (), None, None),
    (None, (), getter("$v"), None),
    (None, (), DISCARD, Growth(2)),
])
def test_with_result(selector, keys, output_path, expected):
    assert sizes.with_result(selector, keys, output_path) == expected


@pytest.mark.parametrize(("value", "size"), [
    ({"a": 1}, 7),
    ("é", 4),
    ("😀", 6),
    ("\u0001", 8),
    ("\ud800", 5),  # a lone surrogate (JSON text may escape one) counts as passed through, no crash
    ({"k": ["\ud800x", None]}, len('{"k":["x",null]}') + 3),
])
def test_size_in_bytes_is_the_utf8_size_of_compact_json(value, size):
    assert size_in_bytes(value) == size


def test_an_input_with_a_lone_surrogate_runs():
    execution = stepline.run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, {"a": "\ud800"})
    assert execution.status == "SUCCEEDED" and execution.output == {"a": "\ud800"}


# ---------------------------------------------------------------------------- the property

names = st.sampled_from(["a", "b", "items", "ünï", 'q"t', "\u0001", "n"])
texts = st.text(alphabet=st.sampled_from("ab\"\\\u0000\u001fé€😀 "), max_size=6)
scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | texts
           | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(names, inner, max_size=4), max_leaves=25)
inputs = st.one_of(
    st.fixed_dictionaries({}, optional={
        "a": json_values, "b": json_values, "ünï": json_values,
        "items": st.lists(json_values, max_size=5),
        "n": st.one_of(st.integers(1, 10**30), st.floats(2, 1e300)),
        "s": texts,
    }),
    json_values,
)

PATHS = [
    "$", "$.a", "$.a.b", "$.items[0]", "$.items[-1].a", "$['ünï']", "$.*", "$.items[*]", "$.items[1:]",
    "$.items[*].a", "$[?(@.a)]", "$.items[?(@.a)]", "$.a[?(@ == 1)]", "$['a','b']", "$..a", "$..*",
    "$.items[0,0,0]", "$['a','a']", "$$.Execution.Input", "$$.Execution.Input.a", "$$.Execution.Name", "$v",
    "$v.a", "$$.Map.Item.Value",
]
INTRINSICS = [
    "States.UUID()", "States.MathAdd(1, 2)", "States.MathRandom(1, $.n)", "States.Hash($.s, 'SHA-512')",
    "States.ArrayLength($.items)", "States.ArrayContains($.items, 1)", "States.Format('{}!', $.a)",
    "States.JsonToString($)", "States.Array($, $)", "States.ArrayPartition($.items, 1)",
]
path_fields = st.sampled_from(PATHS)
templates = st.recursive(
    st.dictionaries(names, scalars, max_size=3)
    | st.dictionaries(names.map(lambda n: n + ".$"), st.sampled_from(PATHS + INTRINSICS), min_size=1, max_size=3),
    lambda inner: st.dictionaries(names, inner | scalars, max_size=3) | st.lists(inner, max_size=3),
    max_leaves=8,
).filter(lambda t: isinstance(t, dict))
result_paths = st.sampled_from(["$", "$.a", "$.r", "$.a.r", "$.new.deeper", "$['ünï']['ø']", "$['\u0001\"']",
                                "$.items[0]", "$['q\"t'].x"])

@st.composite
def pass_states(draw) -> dict:
    state: dict = {"Type": "Pass", "End": True}
    for field, values in (("InputPath", path_fields), ("OutputPath", path_fields), ("ResultPath", result_paths)):
        choice = draw(st.sampled_from(["absent", "null", "path"]))
        if choice == "null":
            state[field] = None
        elif choice == "path":
            state[field] = draw(values)
    if draw(st.booleans()):
        state["Parameters"] = draw(templates)
    if draw(st.booleans()):
        state["Result"] = draw(json_values)
    return state


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(state=pass_states(), data=inputs)
def test_pass_state_outputs_stay_within_their_bound(state, data):
    definition = {"StartAt": "Setup", "States": {
        "Setup": {"Type": "Pass", "Assign": {"v.$": "$"}, "Next": "P"},  # $v holds the input too
        "P": state,
    }}
    growth = stepline.parse(definition).states["P"].growth
    execution = stepline.run(definition, data)
    if growth is None or execution.status != "SUCCEEDED":
        return  # no bound claimed (the output is measured), or nothing came out
    bound = growth.a + growth.b * size_in_bytes(data)
    assert size_in_bytes(execution.output) <= bound, (growth, execution.output)


@settings(max_examples=200, deadline=None)
@given(data=inputs, path=st.sampled_from([p for p in PATHS if not p.startswith(("$$", "$v"))]))
def test_succeed_state_outputs_stay_within_their_bound(data, path):
    definition = {"StartAt": "S", "States": {"S": {"Type": "Succeed", "InputPath": path, "OutputPath": "$"}}}
    growth = stepline.parse(definition).states["S"].growth
    execution = stepline.run(definition, data)
    if growth is None or execution.status != "SUCCEEDED":
        return
    assert size_in_bytes(execution.output) <= growth.a + growth.b * size_in_bytes(data)


SHRINK = {"Type": "Pass", "Result": {}, "Next": "P"}  # P's input is then {}, 2 bytes


@pytest.mark.parametrize(("before", "state", "data"), [
    # each output passed the bound claimed for it before these were fixed
    (None, {"InputPath": "$..a"}, {"a": {"a": {"a": {"a": 1}}}}),
    (None, {"OutputPath": "$..*"}, [[None]]),
    (None, {"InputPath": "$.items[0,0,0]"}, {"items": ["x" * 50]}),
    (SHRINK, {"InputPath": "$$.Execution.Input"}, {"a": "x" * 50}),
    (None, {"ResultPath": "$['\u0001\u0001\u0001']"}, {}),
    (None, {"ResultPath": "$['üüüüüüüüüüüü']['øøøøøøøø']"}, {}),
    (None, {"InputPath": "$.a[*]"}, 5),
])
def test_known_shapes_stay_within_their_bound(before, state, data):
    states = {"P": {"Type": "Pass", "End": True, **state}}
    if before is not None:
        states["Before"] = before
    definition = {"StartAt": "P" if before is None else "Before", "States": states}
    growth = stepline.parse(definition).states["P"].growth
    execution = stepline.run(definition, data)
    assert execution.status == "SUCCEEDED"
    if growth is not None:
        p_input = next(event["stateEnteredEventDetails"]["input"] for event in execution.history
                       if event["type"] == "PassStateEntered" and event["stateEnteredEventDetails"]["name"] == "P")
        p_input = json.loads(p_input)
        assert size_in_bytes(execution.output) <= growth.a + growth.b * size_in_bytes(p_input)
