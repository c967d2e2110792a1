"""Intrinsic functions: parsing once, each function's results and argument checks.

Rows marked ``# AWS`` were recorded from real executions (tests/conformance cases);
rows marked ``# docs`` are examples from the AWS intrinsic-functions page.
"""

from __future__ import annotations

import re
import uuid

import pytest

from stepline.asl import errors, intrinsics
from stepline.asl.intrinsics import IntrinsicSyntaxError, compile_intrinsic, is_intrinsic
from stepline.asl.jsonpath import PathNotFound, Scope

SCOPE = Scope(
    context={
        "Execution": {"Id": "arn:exec", "Name": "run-1", "Input": {"csv": "a,b,,c"}},
        "StateMachine": {"Id": "arn:sm", "Name": "orders-eu-prod"},
        "Map": {"Item": {"Index": 2, "Value": "Pikachu"}},
    },
    variables={"template": "It's {}!", "count": 41, "cfg": {"sizes": [10, 20, 30]}},
)


def run(text: str, data=None, scope: Scope = SCOPE):
    return compile_intrinsic(text)(data, scope)


def assert_json(value) -> None:
    """Only JSON types, never tuples or other Python values."""
    if isinstance(value, dict):
        assert all(type(k) is str for k in value)
        for v in value.values():
            assert_json(v)
    elif isinstance(value, list):
        for v in value:
            assert_json(v)
    else:
        assert value is None or type(value) in (str, int, float, bool)


# ---------------------------------------------------------------------------- recognising

@pytest.mark.parametrize(("text", "expected"), [
    ("States.Format('x')", True),
    ("States.UUID()", True),
    ("States.Array ($.a)", True),
    ("States.Nope()", True),  # looks like one; compile_intrinsic rejects the name
    ("$.a", False),
    ("States.Format", False),
    ("States.", False),
    (" States.UUID()", False),
    ("states.UUID()", False),
    ("plain text", False),
    (42, False),
])
def test_is_intrinsic(text, expected):
    assert is_intrinsic(text) is expected


# ---------------------------------------------------------------------------- results

RESULTS = [
    # States.Format
    ("States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"}, "Hello, my name is Arnav."),  # docs
    ("States.Format($.template, $.name)", {"name": "Arnav", "template": "Hi {}."}, "Hi Arnav."),  # docs
    ("States.Format('Formatting argument {}.', $.v)", {"v": None}, "Formatting argument null."),  # AWS
    ("States.Format('Formatting argument {}.', $.v)", {"v": 1}, "Formatting argument 1."),  # AWS
    ("States.Format('Formatting argument {}.', $.v)", {"v": 1.1}, "Formatting argument 1.1."),  # AWS
    ("States.Format('Formatting argument {}.', $.v)", {"v": " "}, "Formatting argument  ."),  # AWS
    ("States.Format('fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)", None,
     "fst=run-1 and snd={Id=arn:sm, Name=orders-eu-prod}."),  # AWS (objects render as Java maps)
    ("States.Format('{} {} {}', true, false, -7)", None, "true false -7"),
    ("States.Format('{}', $.v)", {"v": [1, "a", None]}, "[1, a, null]"),
    ("States.Format('{}|{}|{}', 1.0, 0.001, 12345678.9)", None, "1.0|0.001|1.23456789E7"),
    ("States.Format('{}|{}', 0.0001, -2.5e-10)", None, "1.0E-4|-2.5E-10"),
    ("States.Format('no placeholders')", None, "no placeholders"),
    ("States.Format('{}{}', 'a', 'b')", None, "ab"),
    ("States.Format('{} stays', '{}')", None, "{} stays"),
    ("States.Format('{ } {x} {}', 1)", None, "{ } {x} 1"),
    # States.StringToJson / States.JsonToString
    ("States.StringToJson($.s)", {"s": "{\"foo\": \"bar\"}"}, {"foo": "bar"}),  # docs
    ("States.StringToJson($.s)", {"s": ""}, None),  # AWS
    ("States.StringToJson($.s)", {"s": "1"}, 1),  # AWS
    ("States.StringToJson($.s)", {"s": "1.1"}, 1.1),  # AWS
    ("States.StringToJson($.s)", {"s": "true"}, True),  # AWS
    ("States.StringToJson($.s)", {"s": "[1, 2, \"HelloWorld\"]"}, [1, 2, "HelloWorld"]),  # AWS
    ("States.JsonToString($.j)", {"j": {"name": "Foo", "year": 2020}}, "{\"name\":\"Foo\",\"year\":2020}"),  # docs
    ("States.JsonToString($.j)", {"j": {"test": "object"}}, "{\"test\":\"object\"}"),  # AWS
    ("States.JsonToString($.j)", {"j": ["é", None, True, 1.5, 1e20]}, "[\"é\",null,true,1.5,1.0E20]"),
    ("States.JsonToString($.j)", {"j": "a\"b"}, "\"a\\\"b\""),
    # States.Array
    ("States.Array()", None, []),  # AWS
    ("States.Array('Foo', 2020, $.j, null)", {"j": {"r": "x"}}, ["Foo", 2020, {"r": "x"}, None]),  # docs
    ("States.Array($.a, $.b)", {"a": None, "b": ""}, [None, ""]),  # AWS
    ("States.Array(-1, 2.5, 3e2, true)", None, [-1, 2.5, 300.0, True]),
    # States.ArrayPartition
    ("States.ArrayPartition($.a, 4)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),  # docs
    ("States.ArrayPartition($.a, $.n)", {"a": [], "n": 1}, []),  # AWS
    ("States.ArrayPartition($.a, $.n)", {"a": [0, 1, 2], "n": 5}, [[0, 1, 2]]),  # AWS
    ("States.ArrayPartition($.a, $.n)", {"a": [0, 1, 2], "n": 2}, [[0, 1], [2]]),  # AWS
    ("States.ArrayPartition($.a, 2.0)", {"a": [0, 1, 2]}, [[0, 1], [2]]),
    # States.ArrayContains
    ("States.ArrayContains($.a, $.v)", {"a": [1, 2, 3, 4, 5], "v": 5}, True),  # docs
    ("States.ArrayContains($.a, $.v)", {"a": [], "v": None}, False),  # AWS
    ("States.ArrayContains($.a, $.v)", {"a": [[1, 2, 3], 2], "v": [1, 2, 3]}, True),  # AWS
    ("States.ArrayContains($.a, $.v)", {"a": [{"1": 2, "2": []}], "v": []}, False),  # AWS
    ("States.ArrayContains($.a, $.v)", {"a": [{"1": 2, "2": []}], "v": {"2": [], "1": 2}}, True),  # AWS
    ("States.ArrayContains($.a, $.v)", {"a": [True, False], "v": True}, True),  # AWS
    ("States.ArrayContains($.a, 1)", {"a": [True]}, False),
    ("States.ArrayContains($.a, true)", {"a": [1]}, False),
    ("States.ArrayContains($.a, 'null')", {"a": [None]}, False),
    ("States.ArrayContains($.a, null)", {"a": [None]}, True),
    # States.ArrayRange
    ("States.ArrayRange(1, 9, 2)", None, [1, 3, 5, 7, 9]),  # docs
    ("States.ArrayRange(0, 9, 3)", None, [0, 3, 6, 9]),  # AWS
    ("States.ArrayRange(0, 10, 3)", None, [0, 3, 6, 9]),  # AWS
    ("States.ArrayRange(1, 9, 9)", None, [1]),  # AWS
    ("States.ArrayRange(0, 3, 1)", None, [0, 1, 2, 3]),  # AWS
    ("States.ArrayRange(10, 1, -3)", None, [10, 7, 4, 1]),
    ("States.ArrayRange(5, 5, 1)", None, [5]),
    ("States.ArrayRange(1, 0, 1)", None, []),
    ("States.ArrayRange(0.6, 2.5, 1)", None, [1, 2, 3]),
    ("States.ArrayRange(1, 1000, 1)", None, list(range(1, 1001))),
    # States.ArrayGetItem / ArrayLength / ArrayUnique
    ("States.ArrayGetItem($.a, $.i)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "i": 5}, 6),  # docs
    ("States.ArrayGetItem($.a, 0)", {"a": [{"k": 1}]}, {"k": 1}),
    ("States.ArrayLength($.a)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, 9),  # AWS
    ("States.ArrayLength($.a)", {"a": []}, 0),
    ("States.ArrayUnique($.a)", {"a": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4]),  # docs
    ("States.ArrayUnique($.a)", {"a": [3, 1, 3, 2, 1]}, [3, 1, 2]),
    ("States.ArrayUnique($.a)", {"a": [1, True, 1.0, "1", None, None]}, [1, True, "1", None]),
    ("States.ArrayUnique($.a)", {"a": [{"x": [1]}, {"x": [1]}, {"x": [2]}]}, [{"x": [1]}, {"x": [2]}]),
    # States.Base64Encode / Base64Decode
    ("States.Base64Encode($.s)", {"s": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),  # docs
    ("States.Base64Encode($.s)", {"s": ""}, ""),  # AWS
    ("States.Base64Encode('héllo')", None, "aMOpbGxv"),
    ("States.Base64Decode($.s)", {"s": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),  # AWS
    ("States.Base64Decode('aMOpbGxv')", None, "héllo"),
    # States.Hash
    ("States.Hash($.d, $.a)", {"d": "input data", "a": "MD5"}, "812f45842bc6d66ee14572ce20db8e86"),  # AWS
    ("States.Hash($.d, $.a)", {"d": "input data", "a": "SHA-1"}, "aaff4a450a104cd177d28d18d74485e8cae074b7"),  # AWS
    ("States.Hash('input data', 'SHA-256')", None,
     "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),  # AWS
    ("States.Hash('input data', 'SHA-384')", None,
     "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"),  # AWS
    ("States.Hash('', 'SHA-512')", None,
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
    # States.JsonMerge
    ("States.JsonMerge($.j1, $.j2, false)",
     {"j1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "j2": {"a": {"a3": 1}, "c": 3}},
     {"a": {"a3": 1}, "b": 2, "c": 3}),  # docs
    ("States.JsonMerge(States.StringToJson('{\"lit\": \"false\"}'), $$.Execution.Input, false)", None,
     {"lit": "false", "csv": "a,b,,c"}),  # AWS (shape)
    # States.MathAdd
    ("States.MathAdd($.v, $.step)", {"v": 111, "step": -1}, 110),  # docs
    ("States.MathAdd($.a, $.b)", {"a": 1.5, "b": 0}, 2),  # AWS
    ("States.MathAdd($.a, $.b)", {"a": 2.5, "b": 0}, 3),  # AWS
    ("States.MathAdd($.a, $.b)", {"a": 0.5, "b": 0}, 1),  # AWS
    ("States.MathAdd($.a, $.b)", {"a": -0.5, "b": 0.5}, 1),  # AWS
    ("States.MathAdd($.a, $.b)", {"a": 1.49, "b": 1.5}, 3),  # AWS
    ("States.MathAdd($.a, $.b)", {"a": -1.5, "b": -1.51}, -3),  # AWS
    ("States.MathAdd($.a, $.b)", {"a": -1.51, "b": 0}, -2),  # AWS
    ("States.MathAdd(2147483647, -2147483648)", None, -1),
    # States.StringSplit
    ("States.StringSplit($.s, $.d)", {"s": "1,2,3,4,5", "d": ","}, ["1", "2", "3", "4", "5"]),  # docs
    ("States.StringSplit($.s, $.d)", {"s": " ", "d": ","}, [" "]),  # AWS
    ("States.StringSplit($.s, $.d)", {"s": "split on T and \nnew line", "d": "T\n"},
     ["split on ", " and ", "new line"]),  # AWS
    ("States.StringSplit('Hello\nWorld', '\n')", None, ["Hello", "World"]),  # AWS
    ("States.StringSplit($$.Execution.Input.csv, ',')", None, ["a", "b", "c"]),  # AWS (empties dropped)
    ("States.StringSplit(',,', ',')", None, []),
    ("States.StringSplit('a.b[c]', '.[]')", None, ["a", "b", "c"]),
    ("States.StringSplit('abc', '')", None, ["abc"]),
]


@pytest.mark.parametrize(("text", "data", "expected"), RESULTS)
def test_result(text, data, expected):
    result = run(text, data)
    assert result == expected
    assert type(result) is type(expected)
    assert_json(result)


@pytest.mark.parametrize("text", [
    "States.MathAdd(1.5, 1)",
    "States.ArrayLength($.a)",
    "States.ArrayGetItem(States.ArrayRange(1.4, 3, 1), 1)",
    "States.ArrayGetItem($.a, 0)",
    "States.MathRandom(1, 5)",
])
def test_integer_results_are_python_ints(text):
    assert type(run(text, {"a": [7]})) is int


# ---------------------------------------------------------------------------- literals, paths, nesting

@pytest.mark.parametrize(("text", "expected"), [
    (r"States.Format('it\'s')", "it's"),
    (r"States.Format('\{\}')", "{}"),
    (r"States.Format('\{}')", "{}"),
    (r"States.Format('{\}')", "{}"),
    (r"States.Format('back\\slash')", "back\\slash"),
    (r"States.Format('\\{}', 'x')", "\\x"),
    (r"States.Array('a,b', 'c)d', ' (e) ')", ["a,b", "c)d", " (e) "]),
    ("States.Array( 1 ,\t2 ,\n3 )", [1, 2, 3]),
    ("States.Array(0, -0, 12, -3.25, 1e3, 2E-2)", [0, 0, 12, -3.25, 1000.0, 0.02]),
    ("States.Array(true, false, null)", [True, False, None]),
])
def test_literals(text, expected):
    assert run(text) == expected


@pytest.mark.parametrize(("text", "data", "expected"), [
    ("States.Array($)", {"a": 1}, [{"a": 1}]),
    ("States.Array($.a.b[1])", {"a": {"b": [0, "one"]}}, ["one"]),
    ("States.Array($['odd, key'])", {"odd, key": 5}, [5]),
    ("States.Array($.items[?(@.n > 1)].n)", {"items": [{"n": 1}, {"n": 2}, {"n": 3}]}, [[2, 3]]),
    ("States.Array($.items[*])", {}, [[]]),
    ("States.Array($$.Execution.Id, $$.Map.Item.Index)", None, ["arn:exec", 2]),
    ("States.Array($count, $cfg.sizes[2])", None, [41, 30]),
    ("States.Format($template, $$.Map.Item.Value)", None, "It's Pikachu!"),  # AWS (variables)
    ("States.MathAdd($count, 1)", None, 42),
])
def test_paths(text, data, expected):
    assert run(text, data) == expected


def test_paths_are_read_at_each_evaluation():
    fn = compile_intrinsic("States.Format('{}-{}', $.a, $v)")
    assert fn({"a": 1}, Scope(variables={"v": "x"})) == "1-x"
    assert fn({"a": 2}, Scope(variables={"v": "y"})) == "2-y"


@pytest.mark.parametrize(("text", "data"), [
    ("States.Array($.missing)", {}),
    ("States.Format('{}', $.a.b)", {"a": 1}),
    ("States.Array($$.Execution.Nope)", None),
    ("States.Array($undefined)", None),
    ("States.MathAdd(States.ArrayLength($.nope), 1)", {}),
])
def test_missing_paths_raise_path_not_found(text, data):
    with pytest.raises(PathNotFound):
        run(text, data)


def test_nested_calls():  # the docs' nine-deep example (plus a third value), and an AWS-recorded one
    arn = "arn:aws:imagebuilder:us-east-1:1:image/my-recipe/1.2.3/4"
    text = ("States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
            "States.StringSplit($.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit("
            "States.ArrayGetItem(States.StringSplit($.Arn, '/'), 2), '.'), 1), 'x')")
    assert run(text, {"Arn": arn}) == "1.2.x"
    suffix = ("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd("
              "States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))")
    assert run(suffix) == "prod"


def nested(depth: int) -> str:
    return "States.Array(" * depth + "1" + ")" * depth


def test_ten_levels_of_nesting_are_allowed_not_eleven():
    assert run(nested(10)) == [[[[[[[[[[1]]]]]]]]]]
    with pytest.raises(IntrinsicSyntaxError, match="nested more than 10 levels"):
        compile_intrinsic(nested(11))


def test_results_are_fresh_values():
    fn = compile_intrinsic("States.Array(1, 2)")
    first = fn(None, SCOPE)
    first.append(3)
    assert fn(None, SCOPE) == [1, 2]


def test_compiled_once(monkeypatch):
    fn = compile_intrinsic("States.Format('{} {}', $.a, States.MathAdd($.b, 1))")

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed at run time")
    monkeypatch.setattr(intrinsics._Parser, "__init__", no_parsing)
    monkeypatch.setattr(intrinsics, "compile_getter", no_parsing)
    assert fn({"a": "x", "b": 1}, SCOPE) == "x 2"


# ---------------------------------------------------------------------------- random values

def test_math_random_stays_in_range():
    fn = compile_intrinsic("States.MathRandom($.start, $.end)")
    seen = {fn({"start": 1, "end": 4}, SCOPE) for _ in range(300)}
    assert seen == {1, 2, 3}


def test_math_random_with_a_seed_repeats():
    values = {run("States.MathRandom(1, 1000000, 42)") for _ in range(3)}
    assert len(values) == 1 and 1 <= values.pop() < 1000000


def test_math_random_rounds_its_bounds():
    # start -5.4 -> -5, end -3.6 -> -4: the only value in [-5, -4) is -5
    assert run("States.MathRandom(-5.4, -3.6)") == -5


def test_uuid_is_a_fresh_version_4_uuid():
    fn = compile_intrinsic("States.UUID()")
    first, second = fn(None, SCOPE), fn(None, SCOPE)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert uuid.UUID(first).version == 4
    assert first != second


# ---------------------------------------------------------------------------- argument checks at run time

FAILURES = [
    # States.Format
    ("States.Format('{} and {}', 1)", None, "2 placeholder(s) {} but 1 value(s)"),
    ("States.Format('{}', 1, 2)", None, "1 placeholder(s) {} but 2 value(s)"),
    ("States.Format('none', 1)", None, "0 placeholder(s) {} but 1 value(s)"),
    ("States.Format($.t, 1)", {"t": "{} {}"}, "2 placeholder(s) {} but 1 value(s)"),
    ("States.Format($.t)", {"t": 5}, "template (first argument) must be a string"),
    ("States.Format(1)", None, "template (first argument) must be a string"),
    # States.StringToJson
    ("States.StringToJson($.s)", {"s": {"a": 1}}, "first argument must be a string"),
    ("States.StringToJson($.s)", {"s": "{bad"}, "not valid JSON"),
    ("States.StringToJson($.s)", {"s": "NaN"}, "not valid JSON"),
    ("States.StringToJson($.s)", {"s": "1 2"}, "not valid JSON"),
    # arrays
    ("States.ArrayPartition($.a, 2)", {"a": "abc"}, "first argument must be an array"),
    ("States.ArrayPartition($.a, 0)", {"a": [1]}, "chunk size must be a positive integer"),
    ("States.ArrayPartition($.a, -1)", {"a": [1]}, "chunk size must be a positive integer"),
    ("States.ArrayPartition($.a, 1.5)", {"a": [1]}, "chunk size must be an integer"),
    ("States.ArrayPartition($.a, '2')", {"a": [1]}, "chunk size must be an integer"),
    ("States.ArrayContains($.a, 1)", {"a": {"x": 1}}, "first argument must be an array"),
    ("States.ArrayRange(1, 10, 0)", None, "step must not be 0"),
    ("States.ArrayRange(1, 10, 0.4)", None, "step must not be 0"),
    ("States.ArrayRange(0, 1000, 1)", None, "1001 items, more than 1000"),
    ("States.ArrayRange(0, 100000000, 1)", None, "more than 1000"),
    ("States.ArrayRange('1', 10, 1)", None, "start must be an integer"),
    ("States.ArrayRange(1, null, 1)", None, "end must be an integer"),
    ("States.ArrayRange(1, 2, true)", None, "step must be an integer"),
    ("States.ArrayGetItem($.a, 3)", {"a": [1, 2, 3]}, "index 3 is out of bounds"),
    ("States.ArrayGetItem($.a, -1)", {"a": [1, 2, 3]}, "index -1 is out of bounds"),
    ("States.ArrayGetItem($.a, 0.5)", {"a": [1]}, "index must be an integer"),
    ("States.ArrayGetItem($.a, 0)", {"a": "abc"}, "first argument must be an array"),
    ("States.ArrayLength($.a)", {"a": "abc"}, "first argument must be an array"),
    ("States.ArrayLength($.a)", {"a": None}, "first argument must be an array"),
    ("States.ArrayUnique($.a)", {"a": {"k": 1}}, "first argument must be an array"),
    # encoding and hashing
    ("States.Base64Encode($.s)", {"s": 12}, "first argument must be a string"),
    ("States.Base64Encode($.s)", {"s": "x" * 10_001}, "at most 10000 characters"),
    ("States.Base64Decode($.s)", {"s": "x" * 10_001}, "at most 10000 characters"),
    ("States.Base64Decode($.s)", {"s": ["YQ=="]}, "first argument must be a string"),
    ("States.Base64Decode('abc')", None, "not valid Base64"),
    ("States.Base64Decode('/w==')", None, "not valid Base64"),  # byte 0xFF is not UTF-8
    ("States.Base64Decode('w6k')", None, "not valid Base64"),
    ("States.Hash($.d, 'MD5')", {"d": "x" * 10_001}, "at most 10000 characters"),
    ("States.Hash($.d, 'MD5')", {"d": {"a": 1}}, "first argument must be a string"),
    ("States.Hash('x', 'SHA-3')", None, "algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
    ("States.Hash('x', 'sha-256')", None, "algorithm must be one of"),
    ("States.Hash('x', $.alg)", {"alg": ["MD5"]}, "algorithm must be one of"),
    # States.JsonMerge
    ("States.JsonMerge($.a, $.b, true)", {"a": {}, "b": {}}, "only shallow merge is supported"),
    ("States.JsonMerge($.a, $.b, 'false')", {"a": {}, "b": {}}, "third argument must be a boolean"),
    ("States.JsonMerge($.a, $.b, false)", {"a": [], "b": {}}, "first two arguments must be JSON objects"),
    ("States.JsonMerge($.a, $.b, false)", {"a": {}, "b": "x"}, "first two arguments must be JSON objects"),
    # math
    ("States.MathAdd($.a, 1)", {"a": "1"}, "must be an integer"),
    ("States.MathAdd(1, null)", None, "must be an integer"),
    ("States.MathAdd(2147483648, 1)", None, "between -2147483648 and 2147483647"),
    ("States.MathAdd(1, -2147483649)", None, "between -2147483648 and 2147483647"),
    ("States.MathRandom(5, 5)", None, "start (5) must be less than the end (5)"),
    ("States.MathRandom(9, 2)", None, "start (9) must be less than the end (2)"),
    ("States.MathRandom('1', 2)", None, "start must be an integer"),
    ("States.MathRandom(1, 2, 'seed')", None, "seed must be an integer"),
    # States.StringSplit
    ("States.StringSplit($.s, ',')", {"s": 12}, "first argument must be a string"),
    ("States.StringSplit('a,b', $.d)", {"d": 44}, "delimiter (second argument) must be a string"),
]


@pytest.mark.parametrize(("text", "data", "message"), FAILURES)
def test_intrinsic_failure(text, data, message):
    fn = compile_intrinsic(text)  # argument values are checked when evaluated
    with pytest.raises(errors.StatesError) as caught:
        fn(data, SCOPE)
    name = text[:text.index("(")]
    assert caught.value.error == errors.INTRINSIC_FAILURE
    assert caught.value.cause.startswith(f"Invalid arguments in {name}: ")
    assert message in caught.value.cause


# ---------------------------------------------------------------------------- syntax errors when compiling

SYNTAX_ERRORS = [
    ("$.a", "Not an intrinsic function call"),
    ("States.Nope(1)", "unknown intrinsic function States.Nope"),
    ("States.MathSubtract(1, 2)", "unknown intrinsic function"),
    ("States.Array(States.Nope())", "unknown intrinsic function States.Nope"),
    ("States.Format()", "States.Format takes at least 1 argument(s), got 0"),
    ("States.UUID(1)", "States.UUID takes 0 argument(s), got 1"),
    ("States.StringToJson('a', 'b')", "takes 1 argument(s), got 2"),
    ("States.JsonToString()", "takes 1 argument(s), got 0"),
    ("States.ArrayPartition($.a)", "takes 2 argument(s), got 1"),
    ("States.ArrayContains($.a)", "takes 2 argument(s)"),
    ("States.ArrayRange(1, 2)", "takes 3 argument(s), got 2"),
    ("States.ArrayGetItem($.a, 1, 2)", "takes 2 argument(s), got 3"),
    ("States.ArrayLength()", "takes 1 argument(s)"),
    ("States.ArrayUnique($.a, $.b)", "takes 1 argument(s)"),
    ("States.Base64Encode()", "takes 1 argument(s)"),
    ("States.Base64Decode('a', 'b')", "takes 1 argument(s)"),
    ("States.Hash('a')", "takes 2 argument(s)"),
    ("States.JsonMerge($.a, $.b)", "takes 3 argument(s), got 2"),
    ("States.MathRandom(1)", "takes 2 or 3 argument(s), got 1"),
    ("States.MathRandom(1, 2, 3, 4)", "takes 2 or 3 argument(s), got 4"),
    ("States.MathAdd(1, 2, 3)", "takes 2 argument(s), got 3"),
    ("States.StringSplit('a')", "takes 2 argument(s)"),
    ("States.Array(1", "missing ')'"),
    ("States.Array(1, ", "missing ')'"),
    ("States.Array(States.Array(1)", "missing ')'"),
    ("States.Array(1))", "unexpected ')' after the call"),
    ("States.Array(1) x", "unexpected 'x' after the call"),
    ("States.Array(1)States.Array(2)", "after the call"),
    ("States.Array(1 2)", "expected ',' or ')'"),
    ("States.Array(1,,2)", "expected an argument"),
    ("States.Array(1,)", "expected an argument"),
    ("States.Array(,)", "expected an argument"),
    ("States.Format('abc)", "unterminated string literal"),
    ("States.Format('it's')", "expected ',' or ')'"),
    (r"States.Format('a\nb')", "backslash must be followed by"),
    (r"States.Format('a\')", "unterminated string literal"),  # \' is an escaped quote
    ("States.Array(True)", "invalid literal 'True'"),
    ("States.Array(nul)", "invalid literal 'nul'"),
    ("States.Array(1abc)", "invalid literal '1abc'"),
    ("States.Array(1.)", "invalid literal '1.'"),
    ("States.Array(--1)", "invalid literal '--1'"),
    ("States.Array(1e999)", "number out of range"),
    ("States.Array(\"x\")", "invalid literal"),
    ("States.Array($.a[)", "Invalid JSONPath"),
    ("States.Array($.a.)", "Invalid JSONPath"),
    ("States.Array($.a.b())", "Invalid JSONPath"),
]


@pytest.mark.parametrize(("text", "message"), SYNTAX_ERRORS)
def test_syntax_error(text, message):
    with pytest.raises(IntrinsicSyntaxError) as caught:
        compile_intrinsic(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_syntax_error_names_the_text_and_position():
    with pytest.raises(IntrinsicSyntaxError) as caught:
        compile_intrinsic("States.Array(1 2)")
    assert str(caught.value) == (
        "Invalid intrinsic function 'States.Array(1 2)': expected ',' or ')' but found '2' (at position 15)")
