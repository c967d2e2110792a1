"""Templates compiled once into builders.

JSONPath payload templates (``Parameters``, ``ItemSelector``, ``ResultSelector``, ``Assign``):
a key ending in ``.$`` takes a path or an intrinsic call, everything else is a literal, shared.
The builder of an object is generated Python source; it must give what the general builder
gives, errors included, for every input. JSONata templates: ``{% %}`` strings anywhere, with
AWS's ``States.QueryEvaluationError`` messages.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepline.asl import errors
from stepline.asl.diagnostics import Diagnostics
from stepline.asl.jsonata import Expression
from stepline.asl.jsonpath import Scope
from stepline.asl.templates import compile_jsonata, compile_payload, compile_value_expression, evaluate, unexpected_type

AT = "/States/P/Parameters"
SCOPE = Scope(context={"Execution": {"Name": "run-1"}, "Map": {"Item": {"Index": 2}}},
              variables={"cfg": {"a": [1, 2]}, "nothing": None})


def build(template, data, scope: Scope = SCOPE):
    diags = Diagnostics()
    builder = compile_payload(template, AT, diags)
    assert not diags.items, [d.to_json() for d in diags.items]
    return builder(data, scope)


def failure(template, data, scope: Scope = SCOPE) -> tuple[str, str | None]:
    with pytest.raises(errors.StatesError) as e:
        build(template, data, scope)
    return e.value.error, e.value.cause


# ---------------------------------------------------------------------------- JSONPath payload templates

@pytest.mark.parametrize(("template", "data", "expected"), [
    ({"a": 1, "b": [True, None], "c": {"d": "$.x"}}, {"x": 9}, {"a": 1, "b": [True, None], "c": {"d": "$.x"}}),
    ({"a.$": "$"}, {"x": 1}, {"a": {"x": 1}}),
    ({"a.$": "$"}, None, {"a": None}),
    ({"a.$": "$.x"}, {"x": None}, {"a": None}),
    ({"a.$": "$.x.y"}, {"x": {"y": [1]}}, {"a": [1]}),
    ({"a.$": "$.x[1]"}, {"x": [1, 2]}, {"a": 2}),
    ({"a.$": "$.x[*].y"}, {"x": [{"y": 1}, {}, {"y": 3}]}, {"a": [1, 3]}),
    ({"a.$": "$.x[*]"}, {}, {"a": []}),  # an indefinite path that selects nothing is []
    ({"a.$": "$$.Execution.Name"}, {}, {"a": "run-1"}),
    ({"a.$": "$$.Map.Item.Index"}, {}, {"a": 2}),
    ({"a.$": "$cfg.a[0]"}, {}, {"a": 1}),
    ({"a.$": "$nothing"}, {}, {"a": None}),
    ({"a.$": "States.Format('{}-{}', $.x, $$.Execution.Name)"}, {"x": 7}, {"a": "7-run-1"}),
    ({"a.$": "States.Array($.x, $cfg.a)"}, {"x": 7}, {"a": [7, [1, 2]]}),
    # nested objects and arrays, dynamic and literal side by side, in the template's order
    ({"z": 0, "n": {"m.$": "$.x", "k": "lit"}, "l": [1, {"v.$": "$.y"}, [{"w.$": "$"}]]},
     {"x": "X", "y": "Y"},
     {"z": 0, "n": {"m": "X", "k": "lit"}, "l": [1, {"v": "Y"}, [{"w": {"x": "X", "y": "Y"}}]]}),
    ([{"a.$": "$.x"}, "lit"], {"x": 1}, [{"a": 1}, "lit"]),
    # keys that need quoting in generated source
    ({".$": "$.x", "'\"\\\n": "q", "{k}": "{v}"}, {"x": 2}, {"": 2, "'\"\\\n": "q", "{k}": "{v}"}),
    ({"quote'key.$": "$['we\\'ird']"}, {"we'ird": 1}, {"quote'key": 1}),
])
def test_payload_template(template, data, expected):
    assert build(template, data) == expected


def test_a_field_and_its_path_form_may_not_both_be_given():
    diags = Diagnostics()
    compile_payload({"a": 1, "a.$": "$"}, AT, diags)
    assert [(d.location, d.message) for d in diags.items] == [(AT, "The field 'a' is given twice (once with '.$')")]


@pytest.mark.parametrize(("template", "data", "cause"), [
    ({"a.$": "$.x"}, {}, "The JSONPath '$.x' specified for the field 'a.$' could not be found in the input '{}'"),
    ({"a.$": "$.x"}, None, "The JSONPath '$.x' specified for the field 'a.$' could not be found in the input 'null'"),
    ({"a.$": "$.x"}, [1, "b"],
     "The JSONPath '$.x' specified for the field 'a.$' could not be found in the input '[1,\"b\"]'"),
    ({"a.$": "$.x"}, "s", "The JSONPath '$.x' specified for the field 'a.$' could not be found in the input '\"s\"'"),
    ({"a.$": "$.x.y"}, {"x": 5},
     "The JSONPath '$.x.y' specified for the field 'a.$' could not be found in the input '{\"x\":5}'"),
    ({"a.$": "$.x[3]"}, {"x": []},
     "The JSONPath '$.x[3]' specified for the field 'a.$' could not be found in the input '{\"x\":[]}'"),
    # the input is quoted as compact JSON, non-ASCII text as it is
    ({"k": {"a.$": "$.missing"}}, {"é": "ü", "n": [1.5, None]},
     "The JSONPath '$.missing' specified for the field 'a.$' could not be found in the input "
     "'{\"é\":\"ü\",\"n\":[1.5,null]}'"),
    # the first field that fails, in the template's order
    ({"a.$": "$.x", "b.$": "$.y"}, {"y": 1},
     "The JSONPath '$.x' specified for the field 'a.$' could not be found in the input '{\"y\":1}'"),
    ({"a.$": "$.x", "b.$": "$.y"}, {"x": 1},
     "The JSONPath '$.y' specified for the field 'b.$' could not be found in the input '{\"x\":1}'"),
    ({"l": [{"a.$": "$.x"}]}, {},
     "The JSONPath '$.x' specified for the field 'a.$' could not be found in the input '{}'"),
    ({"a.$": "$$.Nope"}, {"x": 1},
     "The JSONPath '$$.Nope' specified for the field 'a.$' could not be found in the input '{\"x\":1}'"),
    ({"a.$": "$undefined"}, {},
     "The JSONPath '$undefined' specified for the field 'a.$' could not be found in the input '{}'"),
])
def test_a_path_that_selects_nothing_fails_the_state(template, data, cause):
    assert failure(template, data) == (errors.RUNTIME, cause)


def test_intrinsic_failures_pass_through_unchanged():
    error, cause = failure({"a.$": "States.ArrayGetItem($.x, 5)"}, {"x": [1]})
    assert error == errors.INTRINSIC_FAILURE and "States.ArrayGetItem" in cause


def test_literals_are_shared_not_copied():
    literal = {"deep": [1, 2, 3]}
    items = ["x"]
    constant = {"a": literal}
    template = {"a": literal, "b.$": "$.v", "l": [items, {"c.$": "$"}]}
    diags = Diagnostics()
    assert compile_payload(constant, AT, diags)(None, SCOPE) is constant
    out = compile_payload(template, AT, diags)({"v": 1}, SCOPE)
    assert out["a"] is literal and out["l"][0] is items
    value = {"n": [1]}
    assert build({"x.$": "$.v"}, {"v": value})["x"] is value  # selected values are shared too


def test_builders_do_not_mutate_their_input():
    data = {"x": {"y": [1, 2]}}
    snapshot = json.dumps(data)
    build({"a.$": "$.x", "b": {"c.$": "$.x.y"}, "d.$": "States.ArrayPartition($.x.y, 1)"}, data)
    assert json.dumps(data) == snapshot


@pytest.mark.parametrize(("value", "message"), [
    (5, "The value for the field 'a.$' must be a STRING that contains a JSONPath or an intrinsic function"),
    (None, "The value for the field 'a.$' must be a STRING that contains a JSONPath or an intrinsic function"),
    ("$.a[", "The value for the field 'a.$' must be a valid JSONPath: Invalid JSONPath '$.a[': unclosed '['"),
    ("no dollar", "The value for the field 'a.$' must be a valid JSONPath: Path must start with '$': 'no dollar'"),
    ("States.Nope()", "The value for the field 'a.$' must be a valid intrinsic function: Invalid intrinsic function "
                      "'States.Nope()': unknown intrinsic function States.Nope (at position 0)"),
])
def test_invalid_path_values_are_diagnosed_where_they_are(value, message):
    diags = Diagnostics()
    compile_payload({"x": [{"a.$": value}]}, AT, diags)
    assert [(d.location, d.message) for d in diags.items] == [(f"{AT}/x[0]/a.$", message)]
    diags = Diagnostics()
    assert compile_value_expression(value, "a.$", "/here", diags) is None
    assert [d.location for d in diags.items] == ["/here"]


# ---------------------------------------------------------------------------- the generated builder

json_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False,
                                                                              width=16) | st.sampled_from(["", "s"])
names = st.sampled_from(["a", "b", "c"])
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(names, inner, max_size=3), max_leaves=10)
paths = st.sampled_from([
    "$", "$.a", "$.b", "$.a.b", "$.a.a", "$.b.c.a", "$['a']['c']", "$.a[0]", "$[0]", "$.a[-1].b",
    "$.a[*]", "$..b", "$[?(@.a)]", "$$.Execution.Name", "$$.Nope", "$cfg.a", "$cfg.b", "$nothing", "$undefined",
    "States.Array($.a)", "States.JsonToString($.b)", "States.ArrayLength($.a)",
])
templates = st.recursive(
    st.dictionaries(names, json_scalars, max_size=2)
    | st.dictionaries(names.map(lambda n: n + ".$"), paths, min_size=1, max_size=3),
    lambda inner: st.dictionaries(names | names.map(lambda n: n + "_"), inner | json_scalars, max_size=3)
    | st.lists(inner | json_scalars, max_size=3),
    max_leaves=8,
)


def slow_build(template, data, scope):
    """The general rule, written plainly: paths evaluated one by one, literals as they are."""
    if type(template) is dict:
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = compile_value_expression(value, key, AT, Diagnostics())(data, scope)
            else:
                out[key] = slow_build(value, data, scope)
        return out
    if type(template) is list:
        return [slow_build(v, data, scope) for v in template]
    return template


def outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except errors.StatesError as e:
        return "error", (e.error, e.cause)


@settings(max_examples=400, deadline=None)
@given(template=templates, data=json_values)
def test_generated_builder_matches_the_general_rule(template, data):
    diags = Diagnostics()
    builder = compile_payload(template, AT, diags)
    if diags.errors:  # a key given twice after its '.$' is dropped: nothing to run
        return
    assert outcome(builder, data, SCOPE) == outcome(slow_build, template, data, SCOPE)


@pytest.mark.parametrize("data", [
    {"a": {"b": 1}}, {"a": {}}, {"a": None}, {"a": "text"}, {"a": [1]}, {"a": 5}, {}, [], [{"a": 1}], "text", 7,
    None, True,
])
def test_generated_builder_on_every_shape_of_input(data):
    """Names only (the subscript fast path) next to an index path and a literal."""
    template = {"x.$": "$.a.b", "y.$": "$.a", "z.$": "$", "w": 1, "v.$": "$['a']"}
    assert outcome(build, template, data) == outcome(slow_build, template, data, SCOPE)


# ---------------------------------------------------------------------------- JSONata templates

def jsonata(template, bindings=None, now=0.0, field="Output"):
    diags = Diagnostics()
    builder = compile_jsonata(template, field, diags, f"/States/P/{field}")
    assert not diags.items, [d.to_json() for d in diags.items]
    return builder(bindings if bindings is not None else {"states": {"input": {}}}, now)


def jsonata_failure(template, bindings=None, field="Output") -> tuple[str, str | None, str | None]:
    with pytest.raises(errors.QueryEvaluationError) as e:
        jsonata(template, bindings, field=field)
    return e.value.error, e.value.cause, e.value.location


STATES = {"states": {"input": {"n": 2, "s": "x", "z": None, "l": [1, None]}, "context": {"Execution": {"Name": "r"}}},
          "v": {"k": None}}


@pytest.mark.parametrize(("template", "expected"), [
    ("{% $states.input.n + 1 %}", 3),
    ("{%$states.input.s%}", "x"),
    ("{% $states.input.z %}", None),  # null stays null
    ("{% $states.input.l %}", [1, None]),
    ("{% $v %}", {"k": None}),
    ("{% $states.context.Execution.Name %}", "r"),
    ({"a": "{% $states.input.n %}", "b": ["{% $states.input.s %}", "lit", 3], "c": {"d": "{% null %}"}},
     {"a": 2, "b": ["x", "lit", 3], "c": {"d": None}}),
    # only a string that starts with '{%' and ends with '%}' is an expression
    (" {% 1 %}", " {% 1 %}"),
    ("{% 1 %} ", "{% 1 %} "),
    ("{% 1", "{% 1"),
    ("%}", "%}"),
    ("plain {% 1 %} text", "plain {% 1 %} text"),
    ({"lit": "$states.input"}, {"lit": "$states.input"}),
    (5, 5),
    (None, None),
])
def test_jsonata_template(template, expected):
    assert jsonata(template, STATES) == expected


def test_jsonata_template_without_expressions_is_shared():
    template = {"a": [1, {"b": "text"}]}
    assert jsonata(template) is template
    out = jsonata({"lit": template, "e": "{% 1 %}"})
    assert out["lit"] is template


@pytest.mark.parametrize(("template", "field", "cause", "location"), [
    ("{% $states.input.nope %}", "Output",
     "The JSONata expression '$states.input.nope' specified for the field 'Output' returned nothing (undefined).",
     "Output"),
    ({"result": "{% $nope %}"}, "Output",
     "The JSONata expression '$nope' specified for the field 'Output/result' returned nothing (undefined).",
     "Output/result"),
    ({"a": {"b": "{% $nope %}"}}, "Arguments",
     "The JSONata expression '$nope' specified for the field 'Arguments/a/b' returned nothing (undefined).",
     "Arguments/a/b"),
    ("{% $error('boom') %}", "Output",
     "The JSONata expression '$error('boom')' specified for the field 'Output' threw an error during evaluation. "
     "D3137: boom", "Output"),
    ({"FunctionResult": "{% $randomSeeded(1) %}"}, "Output",
     "The JSONata expression '$randomSeeded(1)' specified for the field 'Output/FunctionResult' threw an error "
     "during evaluation. T1006: Attempted to invoke a non-function", "Output/FunctionResult"),
    ("{% 'a' + 1 %}", "Output",
     "The JSONata expression ''a' + 1' specified for the field 'Output' threw an error during evaluation. "
     'T2001: The left side of the "+" operator must evaluate to a number', "Output"),
    ("{% $fn := function($x){$x} %}", "Items",
     "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an unsupported "
     "result type.", "Items"),
    ("{% {'f': $sum} %}", "Output",
     "The JSONata expression '{'f': $sum}' specified for the field 'Output' returned an unsupported result type.",
     "Output"),
])
def test_jsonata_failures_carry_aws_messages(template, field, cause, location):
    assert jsonata_failure(template, STATES, field) == (errors.QUERY_EVALUATION_ERROR, cause, location)


def test_evaluate_checks_one_expression():
    assert evaluate(Expression("{% $x * 2 %}"), {"x": 21}, None, "Output") == 42
    with pytest.raises(errors.QueryEvaluationError) as e:
        evaluate(Expression("{% $y %}"), {"x": 21}, None, "TimeoutSeconds")
    assert e.value.location == "TimeoutSeconds"
    assert e.value.cause == ("The JSONata expression '$y' specified for the field 'TimeoutSeconds' returned nothing "
                             "(undefined).")


def test_jsonata_expressions_read_the_clock_they_are_given():
    assert jsonata("{% $millis() %}", now=1700000000.25) == 1700000000250
    assert jsonata({"t": ["{% $now() %}"]}, now=0.0) == {"t": ["1970-01-01T00:00:00.000Z"]}


@pytest.mark.parametrize(("template", "location", "message"), [
    ("{% 1 + %}", "/States/P/Output",
     "Unexpected end of expression"),
    ({"a": ["{% 1 %}", "{% 1 + %}"]}, "/States/P/Output/a/1",
     "Unexpected end of expression"),
    ("{%  %}", "/States/P/Output",
     "The JSONata expression is empty"),
])
def test_invalid_jsonata_is_diagnosed_where_it_is(template, location, message):
    diags = Diagnostics()
    compile_jsonata(template, "Output", diags, "/States/P/Output")
    assert [(d.location, d.message) for d in diags.items] == [(location, message)]


@pytest.mark.parametrize(("value", "shown"), [
    ("string", "Expected 'array', but was 'string' for value: \"string\""),
    (True, "Expected 'array', but was 'boolean' for value: true"),
    (1, "Expected 'array', but was 'number' for value: 1"),
    (None, "Expected 'array', but was 'null' for value: null"),
    ({"a": 1}, "Expected 'array', but was 'object' for value: {\"a\":1}"),
])
def test_unexpected_type_message(value, shown):
    e = unexpected_type("$ItemsVar", "Items", "array", value)
    assert e.error == errors.QUERY_EVALUATION_ERROR and e.location == "Items"
    assert e.cause == f"The JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected " \
                      f"result type. {shown}"
