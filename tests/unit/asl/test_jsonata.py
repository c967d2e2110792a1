"""JSONata expressions as Step Functions evaluates them (on jsonata-python).

What Step Functions adds to JSONata and takes away: ``{% %}`` delimiters; JSON null kept
apart from undefined in inputs, variables and results; the functions ``$partition``,
``$range``, ``$hash``, ``$random``, ``$uuid`` and ``$parse``; ``$eval`` refused; ``$now``
and ``$millis`` read the interpreter's clock. Rows marked ``# AWS`` were recorded on AWS
(tests/conformance cases).
"""

from __future__ import annotations

import copy
import re
import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepline.asl.jsonata import (
    UNDEFINED,
    Expression,
    JsonataEvaluationError,
    JsonataSyntaxError,
    UnsupportedResult,
    expression_text,
    from_jsonata,
    is_expression,
    js_number,
    to_jsonata,
)

NOW = 1700000000.5  # 2023-11-14T22:13:20.500Z


def ev(source: str, bindings: dict | None = None, now: float | None = NOW):
    return Expression(source).evaluate(bindings or {}, now)


def error_of(source: str, bindings: dict | None = None) -> str:
    with pytest.raises(JsonataEvaluationError) as e:
        ev(source, bindings)
    return str(e.value)


# ---------------------------------------------------------------------------- delimiters

@pytest.mark.parametrize(("value", "expected"), [
    ("{% 1 %}", True),
    ("{%1%}", True),
    ("{%\n$x\n%}", True),
    ("{%%}", True),  # an expression, if an empty one (refused when compiled)
    (" {% 1 %}", False),  # no spaces around the delimiters
    ("{% 1 %} ", False),
    ("{% 1", False),
    ("1 %}", False),
    ("{%}", False),
    ("{ % 1 % }", False),
    ("text", False),
    (None, False),
    (1, False),
    (["{% 1 %}"], False),
])
def test_is_expression(value, expected):
    assert is_expression(value) is expected


@pytest.mark.parametrize(("value", "expected"), [
    ("{% $states.input %}", "$states.input"),
    ("{%$x%}", "$x"),
    ("{%\n  $a\n  & $b\n%}", "$a\n  & $b"),
    ("not delimited", "not delimited"),
])
def test_expression_text_is_what_aws_quotes(value, expected):
    assert expression_text(value) == expected


@pytest.mark.parametrize(("source", "message"), [
    ("{% %}", "The JSONata expression is empty"),
    # the parser's message without its code, values in quotes: as AWS words it when it refuses a
    # definition (measured on AWS, floci-io/floci#2745)
    ("{% 1 + %}", "Unexpected end of expression"),
    ("{% ) %}", 'The symbol ")" cannot be used as a unary operator'),
    ("{% a[1,2) %}", 'Expected "]", got ","'),
    ('{% "unterminated %}', "String literal must be terminated by a matching quote"),
    ("{% $x := %}", "Unexpected end of expression"),
])
def test_invalid_expressions_are_refused_when_compiled(source, message):
    with pytest.raises(JsonataSyntaxError) as e:
        Expression(source)
    assert str(e.value) == message


@pytest.mark.parametrize(("source", "message"), [
    # jsonata-js's wording, as AWS gives it (measured on AWS, floci-io/floci#2668, #2783)
    ('{% $abs("x") %}', 'T0410: Argument 1 of function "abs" does not match function signature'),
    ('{% $sum(["a"]) %}', 'T0412: Argument 1 of function "sum" must be an array of "numbers"'),
    ('{% "a" + 1 %}', 'T2001: The left side of the "+" operator must evaluate to a number'),
    # Step Functions' own functions refuse extra arguments the same way, not with Python's words
    ("{% $uuid(1) %}", 'T0410: Argument 1 of function "uuid" does not match function signature'),
    ("{% $partition([1], 1, 2) %}", 'T0410: Argument 3 of function "partition" does not match function signature'),
])
def test_evaluation_errors_are_worded_as_jsonata_js_words_them(source, message):
    with pytest.raises(JsonataEvaluationError) as e:
        Expression(source).evaluate({})
    assert str(e.value) == message


@pytest.mark.parametrize("source", ["{% $eval('1 + 1') %}", "{% $eval ('1') %}", "{% ($e := $eval; $e('1')) %}"])
def test_eval_is_not_there_when_it_runs(source):
    """AWS accepts a definition that calls $eval; the call fails (measured: floci-io/floci#2737)."""
    expression = Expression(source)  # compiles
    with pytest.raises(JsonataEvaluationError) as e:
        expression.evaluate({})
    assert str(e.value) == "T1006: Attempted to invoke a non-function"


@pytest.mark.parametrize(("source", "expected"), [
    ("{% '$eval(1)' %}", "$eval(1)"),  # in a string, $eval is text
    ("{% /* $eval('1') */ 2 %}", 2),
    ("{% $evaluation := 3 %}", 3),  # another name that starts alike
    ("{% $exists($eval) %}", False),  # not there: undefined, as any unknown name
])
def test_eval_in_strings_and_comments_or_longer_names_is_fine(source, expected):
    assert ev(source) == expected


# ---------------------------------------------------------------------------- null is not undefined

@pytest.mark.parametrize(("source", "bindings", "expected"), [
    ("{% null %}", {}, None),
    ("{% $x %}", {"x": None}, None),
    ("{% $x.a %}", {"x": {"a": None}}, None),
    ("{% $x %}", {"x": [None, {"a": None}, [None]]}, [None, {"a": None}, [None]]),
    ("{% $x[1] %}", {"x": [1, None]}, None),
    ("{% $x.a %}", {"x": [{"a": None}, {"a": 1}]}, [None, 1]),
    ("{% [null, 1] %}", {}, [None, 1]),
    ("{% {'a': null} %}", {}, {"a": None}),
    ("{% $x = null %}", {"x": None}, True),
    ("{% $exists($x) %}", {"x": None}, True),
    ("{% $type($x) %}", {"x": None}, "null"),
    ("{% $count($x) %}", {"x": [None, None]}, 2),
    ("{% $string($x) %}", {"x": {"a": None}}, '{"a":null}'),
    ("{% $merge([$x, {'b': null}]) %}", {"x": {"a": None}}, {"a": None, "b": None}),
    ("{% $states.input %}", {"states": {"input": None}}, None),
    # undefined inside a constructed object or array is left out, as JSONata does
    ("{% {'a': $nope, 'b': 1} %}", {}, {"b": 1}),
    ("{% [$nope, 1] %}", {}, [1]),
    ("{% $exists($nope) %}", {}, False),
])
def test_null_stays_null(source, bindings, expected):
    assert ev(source, bindings) == expected


@pytest.mark.parametrize("source", [
    "{% $nope %}", "{% $x.missing %}", "{% $x[5] %}", "{% $filter([1], function($v){$v > 5}) %}",
])
def test_undefined_results(source):
    assert ev(source, {"x": [1, {"a": 1}]}) is UNDEFINED


@pytest.mark.parametrize("source", ["{% function($x){$x} %}", "{% $sum %}", "{% [1, $sum] %}", "{% {'f': $sum} %}",
                                    "{% $lookup({'f': $sum}, 'f') %}"])
def test_functions_are_not_results(source):
    with pytest.raises(UnsupportedResult):
        ev(source)


@settings(max_examples=300, deadline=None)
@given(value=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=20))
def test_any_json_value_comes_back_as_it_went_in(value):
    snapshot = copy.deepcopy(value)
    assert ev("{% $x %}", {"x": value}) == value
    assert ev("{% $states.input %}", {"states": {"input": value}}) == value
    assert value == snapshot  # bindings are not mutated


def test_conversion_copies_only_containers_that_hold_null():
    shared = {"a": [1, 2], "b": {"c": "d"}}
    assert to_jsonata(shared) is shared
    mixed = {"keep": shared, "n": [None]}
    converted = to_jsonata(mixed)
    assert converted is not mixed and converted["keep"] is shared
    assert mixed == {"keep": shared, "n": [None]}
    assert from_jsonata(converted) == mixed


# ---------------------------------------------------------------------------- the functions Step Functions adds

@pytest.mark.parametrize(("source", "expected"), [
    # $partition(array, size)
    ("{% $partition([0, 1, 2], 1) %}", [[0], [1], [2]]),  # AWS
    ("{% $partition([0, 1, 2], 5) %}", [[0, 1, 2]]),  # AWS
    ("{% $partition([0, 1, 2, 3], 3) %}", [[0, 1, 2], [3]]),  # AWS
    ("{% $partition([0], 3) %}", [[0]]),  # AWS
    ("{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}", [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),  # docs
    ("{% $partition([], 2) %}", []),
    ("{% $partition([null, 1, null], 2) %}", [[None, 1], [None]]),
    ("{% $partition($x, 1) %}", [[None], [{"a": None}]]),
    ("{% $partition([1, 2, 3], 2.0) %}", [[1, 2], [3]]),
    # $range(start, end, step): both ends included; one value comes back unwrapped
    ("{% $range(0, 9, 3) %}", [0, 3, 6, 9]),  # AWS
    ("{% $range(0, 10, 3) %}", [0, 3, 6, 9]),  # AWS
    ("{% $range(1, 9, 9) %}", 1),  # AWS
    ("{% $range(1, 9, 2) %}", [1, 3, 5, 7, 9]),  # AWS
    ("{% $range(0, 10, 2) %}", [0, 2, 4, 6, 8, 10]),  # docs
    ("{% $range(5, 1, -2) %}", [5, 3, 1]),
    ("{% $count($range(0, 999, 1)) %}", 1000),
    # $hash(text, algorithm): lower-case hex
    ("{% $hash('abc', 'MD5') %}", "900150983cd24fb0d6963f7d28e17f72"),
    ("{% $hash('abc', 'SHA-1') %}", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ("{% $hash('abc', 'SHA-256') %}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("{% $hash('abc', 'SHA-384') %}",
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
    ("{% $hash('abc', 'SHA-512') %}",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce"
     "80e2a9ac94fa54ca49f"),
    ("{% $hash('', 'SHA-1') %}", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("{% $hash('é', 'SHA-256') %}",  # of the UTF-8 bytes
     "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"),
    # $parse(text): JSON text to a value
    ("{% $parse('-0') %}", 0),  # AWS
    ("{% $parse('true') %}", True),  # AWS
    ("{% $parse('\"HelloWorld\"') %}", "HelloWorld"),  # AWS
    ("{% $parse('{\"Arg1\": 1, \"Arg2\": []}') %}", {"Arg1": 1, "Arg2": []}),  # AWS
    ("{% $parse('null') %}", None),
    ("{% $parse('[1, null, {\"a\": null}]') %}", [1, None, {"a": None}]),
    ("{% $parse('1e2') %}", 100),
])
def test_step_functions_functions(source, expected):
    assert ev(source, {"x": [None, {"a": None}]}) == expected


@pytest.mark.parametrize(("source", "message"), [
    ("{% $partition('a', 1) %}", "The first argument of $partition must be an array"),
    ("{% $partition([1], 0) %}", "The second argument of $partition must be a positive integer"),
    ("{% $partition([1], -1) %}", "The second argument of $partition must be a positive integer"),
    ("{% $partition([1], 1.5) %}", "The second argument of $partition must be a positive integer"),
    ("{% $partition([1]) %}", "The second argument of $partition must be a positive integer"),
    ("{% $range(1, 5, 0) %}", "The step of $range must not be 0"),
    ("{% $range(0, 5, 1.5) %}", "The arguments of $range must be integers"),
    ("{% $range('0', 5, 1) %}", "The arguments of $range must be integers"),
    ("{% $range(0, 1000, 1) %}", "$range can produce at most 1000 values"),
    ("{% $hash('abc', 'sha-256') %}", "The hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
    ("{% $hash('abc') %}", "The hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
    ("{% $random('x') %}", "The seed of $random must be an integer"),
    ("{% $random(1.5) %}", "The seed of $random must be an integer"),
    ("{% $parse(1) %}", "The argument of $parse must be a string"),
    ("{% $parse(null) %}", "The argument of $parse must be a string"),
    ("{% $parse('{') %}", "The argument of $parse is not valid JSON"),
    ("{% $parse('NaN') %}", "The argument of $parse is not valid JSON"),
    ("{% $parse('Infinity') %}", "The argument of $parse is not valid JSON"),
])
def test_step_functions_functions_refuse_bad_arguments(source, message):
    assert error_of(source) == message


def test_hash_of_a_lone_surrogate_does_not_crash():
    # JSON text can escape one ("\\ud800"); Python's strict UTF-8 cannot encode it
    assert ev("{% $hash($x, 'MD5') %}", {"x": "\ud800"}) == "546d3dc8de10fbf8b448f678a47901e4"


def test_range_in_the_wrong_direction_is_undefined():
    assert ev("{% $range(1, 0, 1) %}") is UNDEFINED


def test_random():
    values = [ev("{% $random() %}") for _ in range(20)]
    assert all(isinstance(v, float) and 0 <= v < 1 for v in values)
    assert len(set(values)) > 1
    seeded = ev("{% $random(7) %}")
    assert 0 <= seeded < 1
    assert ev("{% $random(7) %}") == seeded == ev("{% $random(7.0) %}")  # a seed repeats its number
    assert ev("{% $random(8) %}") != seeded


def test_uuid_is_a_fresh_version_4_uuid():
    first, second = ev("{% $uuid() %}"), ev("{% $uuid() %}")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert uuid.UUID(first).version == 4 and first != second


# ---------------------------------------------------------------------------- the clock

@pytest.mark.parametrize(("source", "now", "expected"), [
    ("{% $now() %}", NOW, "2023-11-14T22:13:20.500Z"),
    ("{% $now() %}", 0.0, "1970-01-01T00:00:00.000Z"),
    ("{% $now() %}", 86400.999, "1970-01-02T00:00:00.999Z"),
    ("{% $now('[Y0001]-[M01]-[D01]') %}", NOW, "2023-11-14"),
    ("{% $now('[H01]:[m01]', '+0200') %}", NOW, "00:13"),
    ("{% $millis() %}", NOW, 1700000000500),
    ("{% $millis() %}", 0.001, 1),
    ("{% $fromMillis($millis()) %}", NOW, "2023-11-14T22:13:20.500Z"),
    ("{% $now() = $now() %}", NOW, True),
])
def test_now_and_millis_read_the_clock_passed_to_evaluate(source, now, expected):
    assert ev(source, now=now) == expected


def test_without_a_clock_now_is_the_wall_clock():
    before = int(time.time() * 1000)
    millis = ev("{% $millis() %}", now=None)
    assert before <= millis <= int(time.time() * 1000) + 1


def test_the_clock_does_not_leak_between_evaluations():
    expr = Expression("{% $millis() %}")
    assert expr.evaluate({}, 1.0) == 1000
    assert expr.evaluate({}, 2.0) == 2000
    assert expr.evaluate({}, None) > 1700000000000


# ---------------------------------------------------------------------------- evaluation errors

@pytest.mark.parametrize(("source", "message"), [
    ("{% $randomSeeded(1) %}", "T1006: Attempted to invoke a non-function"),  # AWS
    ("{% $error('boom') %}", "D3137: boom"),
    ("{% $assert(false, 'bad') %}", "D3141: bad"),
    ("{% 'a' + 1 %}", 'T2001: The left side of the "+" operator must evaluate to a number'),
    ("{% 1 + 'a' %}", 'T2002: The right side of the "+" operator must evaluate to a number'),
    ("{% (1e300 * 1e300) + 1 %}", "D1001: Number out of range: null"),  # an infinite operand, as jsonata-js
])
def test_evaluation_errors_carry_their_code(source, message):
    assert error_of(source) == message


@pytest.mark.parametrize(("source", "bindings", "expected"), [
    ("{% $contains('hello$world', /^hello\\$/) %}", {}, True),  # AWS
    ("{% $contains('hello$world', /^hello\\ /) %}", {}, False),  # AWS
    ("{% $merge([$states.input.part1, $states.input.part2]) %}",
     {"states": {"input": {"part1": {"hello": "world"}, "part2": {"foo": "bar"}}}},
     {"hello": "world", "foo": "bar"}),  # AWS
    ("{% $number('2') %}", {}, 2),  # AWS
    ("{% 1.0 %}", {}, 1),
    ("{% 7 / 2 %}", {}, 3.5),
    ("{% $variable := 1 %}", {}, 1),  # AWS
])
def test_plain_jsonata(source, bindings, expected):
    result = ev(source, bindings)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("source", "expected"), [
    ("{% 5.5 % 2 %}", 1.5), ("{% -5.5 % 2 %}", -1.5), ("{% 7 % 3 %}", 1), ("{% -7 % 3 %}", -1), ("{% 7.5 % -2 %}", 1.5),
])
def test_remainder_is_javascripts(source, expected):
    """jsonata-js's % (JavaScript's: the sign of the dividend, fractions kept); jsonata-python's
    truncates the remainder to an integer."""
    assert ev(source) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ('{% $number("12") %}', 12), ('{% $number("-0.5e1") %}', -5), ('{% $number("0x1F") %}', 31),
    ('{% $number("0b101") %}', 5), ("{% $number(true) %}", 1), ('{% "7" ~> $number() %}', 7),
])
def test_number_reads_what_jsonata_js_reads(source, expected):
    assert ev(source) == expected


@pytest.mark.parametrize(("source", "message"), [
    ('{% $number(" 12 ") %}', 'D3030: Unable to cast value to a number: " 12 "'),
    ('{% $number("abc") %}', 'D3030: Unable to cast value to a number: "abc"'),
    ('{% $number(".5") %}', 'D3030: Unable to cast value to a number: ".5"'),
    ("{% $number(null) %}", 'T0410: Argument 1 of function "number" does not match function signature'),
])
def test_number_refuses_what_jsonata_js_refuses(source, message):
    """jsonata-python reads " 12 " (and .5) and words "abc" in Python's words; jsonata-js, and AWS, refuse them."""
    assert error_of(source) == message


@pytest.mark.parametrize(("source", "expected"), [
    # jsonata-js's $string and &, as AWS gives them: numbers rounded to 15 significant digits and
    # written as JavaScript writes them, inside arrays and objects too (values from jsonata 2.0.6)
    ("{% $string(1e20) %}", "100000000000000000000"),
    ("{% $string(1e21) %}", "1e+21"),
    ("{% $string(1/3) %}", "0.333333333333333"),
    ("{% $string(12345678901234567) %}", "12345678901234600"),
    ("{% $string(-0.0000001) %}", "-1e-7"),
    ("{% $string(0.000001234) %}", "0.000001234"),
    ("{% $string([1/3, 1e20]) %}", "[0.333333333333333,100000000000000000000]"),
    ("{% $string({'a': 1e-7, 'b': [true, null]}) %}", '{"a":1e-7,"b":[true,null]}'),
    ("{% 'a' & 1e20 %}", "a100000000000000000000"),
    ("{% 'n=' & (0.1 + 0.2) %}", "n=0.3"),
    ("{% $string({'f': function(){1}}) %}", '{"f":""}'),
    ("{% $string({'a': [1, {'b': 'é'}]}, true) %}", '{\n  "a": [\n    1,\n    {\n      "b": "é"\n    }\n  ]\n}'),
])
def test_string_writes_numbers_as_javascript_does(source, expected):
    assert ev(source) == expected


@pytest.mark.parametrize(("number", "text"), [
    (0.0, "0"), (-0.0, "0"), (1.0, "1"), (123.456, "123.456"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1.5e-7, "1.5e-7"), (1e-6, "0.000001"), (-2.5e300, "-2.5e+300"), (0.1, "0.1"), (123456789.0, "123456789"),
])
def test_js_number_is_number_to_string(number, text):
    assert js_number(number) == text


@pytest.mark.parametrize(("source", "expected"), [
    # JavaScript's arithmetic, and AWS's JSON writer's words for what is not a finite number
    # ([1/0] answers ["Infinity"] on AWS, floci-io/floci#2737)
    ("{% [1/0] %}", ["Infinity"]), ("{% {'k': -1/0} %}", {"k": "-Infinity"}), ("{% 0/0 %}", "NaN"),
    ("{% 1e300 * 1e300 %}", "Infinity"), ("{% 1/0 > 5 %}", True),
])
def test_non_finite_numbers_are_javascripts_and_written_as_aws_writes_them(source, expected):
    assert ev(source) == expected
