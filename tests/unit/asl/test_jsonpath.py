"""JSONPath as Step Functions evaluates it: Jayway's semantics and messages, compiled once.

Definite paths (names and indexes) select one value or raise ``PathNotFound`` with Jayway's
message; indefinite paths (wildcards, slices, unions, filters, deep scans) select a list.
``$`` reads the input, ``$$`` the context object, ``$name`` a workflow variable. ``set_path``
applies a ResultPath by copying only what lies on the path.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepline.asl.jsonpath import (
    PathNotFound,
    PathSyntaxError,
    Reference,
    Scope,
    compile_getter,
    compile_path,
    compile_reference,
    is_variable_path,
    normalized,
    set_path,
)

NOT_AN_OBJECT = ("Expected to find an object with property {prop} in path {path} but found '{found}'. This is not "
                 "a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.")

STORE = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "isbn": "0-553-21311-3", "price": 8.99},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}


def get(path: str, data):
    return compile_path(path).get(data)


def not_an_object(prop: str, path: str, found: str) -> str:
    return NOT_AN_OBJECT.format(prop=prop, path=path, found=found)


# ---------------------------------------------------------------------------- definite paths

@pytest.mark.parametrize(("path", "data", "expected"), [
    ("$", {"a": 1}, {"a": 1}),
    ("$", None, None),
    ("$", "text", "text"),
    ("$.a", {"a": 1}, 1),
    ("$.a", {"a": None}, None),  # a present null is a value, not a miss
    ("$.a.b", {"a": {"b": [1, 2]}}, [1, 2]),
    ("$.a.b.c", {"a": {"b": {"c": False}}}, False),
    ("$['a']", {"a": 1}, 1),
    ('$["a"]', {"a": 1}, 1),
    ("$['a b']", {"a b": 1}, 1),
    ("$['a.b']", {"a.b": 1, "a": {"b": 2}}, 1),  # a quoted name is one name
    ("$['it\\'s']", {"it's": 1}, 1),
    ("$['a\\\\b']", {"a\\b": 1}, 1),  # an escaped backslash in a name
    ('$["say \\"hi\\""]', {'say "hi"': 1}, 1),  # escaped double quotes
    ("$.a[0]", {"a": ["x", "y"]}, "x"),
    ("$.a[1]", {"a": ["x", "y"]}, "y"),
    ("$.a[-1]", {"a": ["x", "y"]}, "y"),  # Jayway counts a negative index from the end
    ("$[0][1]", [[1, 2]], 2),
    ("$.a[0].b", {"a": [{"b": "deep"}]}, "deep"),
    ("$.store.book[2].isbn", STORE, "0-553-21311-3"),
    ("$.ünï", {"ünï": "code"}, "code"),
    ("$.a-b", {"a-b": 1}, 1),
    ("$.$ref", {"$ref": 1}, 1),
    # a dot before brackets is read as the brackets alone, as Jayway reads it (AWS deploys these)
    ("$.[0]", [7, 8], 7),
    ("$.Snapshots.[0].State", {"Snapshots": [{"State": "completed"}]}, "completed"),
    ("$.['a b']", {"a b": 1}, 1),
])
def test_definite_path_selects_one_value(path, data, expected):
    compiled = compile_path(path)
    assert compiled.definite
    assert compiled.get(data) == expected


@pytest.mark.parametrize(("path", "data", "message"), [
    # a name missing from an object: "No results" as the last step, "Missing property" before
    ("$.a", {}, "No results for path: $['a']"),
    ("$.a.b", {"a": {}}, "No results for path: $['a']['b']"),
    ("$.a.b", {}, "Missing property in path $['a']"),
    ("$.a.b.c", {"a": {}}, "Missing property in path $['a']['b']"),
    ("$.a[0]", {}, "Missing property in path $['a']"),
    # a name applied to what is not an object fails, last step or not, null included
    ("$.a", None, not_an_object("['a']", "$", "null")),
    ("$.a", "text", not_an_object("['a']", "$", "java.lang.String")),
    ("$.a", [1], not_an_object("['a']", "$", "java.util.ArrayList")),
    ("$.a.b", {"a": None}, not_an_object("['b']", "$['a']", "null")),
    ("$.a.b", {"a": 5}, not_an_object("['b']", "$['a']", "java.lang.Integer")),
    ("$.a.b", {"a": 2 ** 40}, not_an_object("['b']", "$['a']", "java.lang.Long")),
    ("$.a.b", {"a": 2 ** 70}, not_an_object("['b']", "$['a']", "java.math.BigInteger")),
    ("$.a.b", {"a": 1.5}, not_an_object("['b']", "$['a']", "java.lang.Double")),
    ("$.a.b", {"a": True}, not_an_object("['b']", "$['a']", "java.lang.Boolean")),
    ("$.a.b.c", {"a": {"b": "s"}}, not_an_object("['c']", "$['a']['b']", "java.lang.String")),
    # an index applied to null, to what is not an array, or past the end
    ("$.a[0]", {"a": None}, "The path $['a'] is null"),
    ("$[0]", {"a": 1}, "Filter: [0] can only be applied to arrays. Current context is: {a=1}"),
    ("$.a[0]", {"a": "abc"}, "Filter: [0] can only be applied to arrays. Current context is: abc"),
    ("$.a[0].b", {"a": {"x": [1, None, 2.5e10, True]}},
     "Filter: [0]['b'] can only be applied to arrays. Current context is: {x=[1, null, 2.5E10, true]}"),
    ("$.a[2]", {"a": [1, 2]}, "Index out of bounds when evaluating path $['a'][2]"),
    ("$.a[-3]", {"a": [1, 2]}, "Index out of bounds when evaluating path $['a'][-3]"),
    ("$.a[5].b", {"a": []}, "Index out of bounds when evaluating path $['a'][5]"),
])
def test_definite_path_that_selects_nothing(path, data, message):
    with pytest.raises(PathNotFound) as e:
        get(path, data)
    assert str(e.value) == message


@pytest.mark.parametrize(("text", "root", "message"), [
    ("$$.Execution.Nope", "context", "No results for path: $['Execution']['Nope']"),
    ("$cfg.nope", "variable", "No results for path: $cfg['nope']"),
    ("$cfg.nope.deeper", "variable", "Missing property in path $cfg['nope']"),
])
def test_messages_name_the_root_they_start_from(text, root, message):
    scope = Scope(context={"Execution": {}}, variables={"cfg": {}})
    assert compile_reference(text).root == root
    with pytest.raises(PathNotFound) as e:
        compile_getter(text)(None, scope)
    assert str(e.value) == message


# ---------------------------------------------------------------------------- indefinite paths

@pytest.mark.parametrize(("path", "data", "expected"), [
    # wildcards
    ("$.*", {"a": 1, "b": [2]}, [1, [2]]),
    ("$[*]", [1, 2], [1, 2]),
    ("$.a[*]", {}, []),  # nothing to select is an empty list, not an error (as on AWS)
    ("$.a[*]", {"a": "text"}, []),
    ("$[*]", 5, []),
    ("$.store.book[*].author", STORE, ["Nigel Rees", "Evelyn Waugh", "Herman Melville"]),
    ("$.store.book[*].isbn", STORE, ["0-553-21311-3"]),
    ("$.*.*", {"a": {"x": 1}, "b": [2, 3], "c": 4}, [1, 2, 3]),
    # slices
    ("$[1:]", [1, 2, 3], [2, 3]),
    ("$[:2]", [1, 2, 3], [1, 2]),
    ("$[-2:]", [1, 2, 3], [2, 3]),
    ("$[0:1]", [1, 2, 3], [1]),
    ("$[5:]", [1, 2, 3], []),
    ("$[1:]", {"a": 1}, []),
    # unions
    ("$[0,2]", [1, 2, 3], [1, 3]),
    ("$[0,5]", [1, 2, 3], [1]),
    ("$['a','b'].c", {"a": {"c": 1}, "b": {"c": 2}}, [1, 2]),
    # several names in the last brackets make one object (Jayway's "merge")
    ("$[*]['a','b']", [{"a": 1, "b": 2, "c": 3}, 5, {"b": 1}], [{"a": 1, "b": 2}, {"b": 1}]),
    # deep scan: every match, containers before what they contain, in document order
    ("$..a", {"a": 1, "b": {"a": 2, "c": [{"a": 3}]}}, [1, 2, 3]),
    ("$..a", {"a": {"a": {"a": 1}}}, [{"a": {"a": 1}}, {"a": 1}, 1]),
    ("$..author", STORE, ["Nigel Rees", "Evelyn Waugh", "Herman Melville"]),
    ("$..*", {"a": {"b": 1}, "c": [2]}, [{"b": 1}, [2], 1, 2]),
    ("$..[0]", {"a": [1, [2, 3]], "b": [[4]]}, [1, 2, [4], 4]),
    ("$..nope", STORE, []),
    ("$..a", 5, []),
    ("$.store..price", STORE, [8.95, 12.99, 8.99, 19.95]),
    ("$.[*].['bucket', 'key']", [{"bucket": "b", "key": "k", "size": 1}], [{"bucket": "b", "key": "k"}]),
    ("$.[?(@.OU > 0)]", [{"OU": 2}, {"OU": 0}, {"OU": 1}], [{"OU": 2}, {"OU": 1}]),
])
def test_indefinite_path_selects_a_list(path, data, expected):
    compiled = compile_path(path)
    assert not compiled.definite
    assert compiled.get(data) == expected


def test_several_names_at_the_end_of_a_definite_path_make_one_object():
    assert get("$['a','b']", {"a": 1, "b": 2, "c": 3}) == {"a": 1, "b": 2}
    assert get("$['a','b']", {"a": 1, "c": 3}) == {"a": 1}  # missing names are left out
    assert get("$.x['b','a']", {"x": {"a": 1, "b": 2}}) == {"b": 2, "a": 1}
    with pytest.raises(PathNotFound, match=r"^Missing property in path \$\['x'\]$"):
        get("$.x['a','b']", {})
    with pytest.raises(PathNotFound) as e:
        get("$.x['a','b']", {"x": 5})
    assert str(e.value) == not_an_object("['a','b']", "$['x']", "java.lang.Integer")


# ---------------------------------------------------------------------------- filters

ITEMS = [
    {"id": 1, "name": "a", "tags": ["x"], "price": 5},
    {"id": 2, "name": "b", "tags": [], "price": 15.5},
    {"id": 3, "name": "c", "tags": ["x", "y"], "price": None},
    {"id": "3", "name": "AbC"},
    {"id": True},
]


@pytest.mark.parametrize(("flt", "ids"), [
    # equality: numbers by value, but never a boolean for a number nor a string for a number
    ("@.id == 1", [1]),
    ("@.id == 1.0", [1]),
    ("@.id == '3'", ["3"]),
    ("@.id == true", [True]),
    ("@.id != 1", [2, 3, "3", True]),
    ("@.price == null", [3]),
    ("@.tags == []", [2]),
    ("@.tags == ['x']", [1]),
    # ordering: numbers with numbers, strings with strings; null and missing never order
    ("@.price > 10", [2]),
    ("@.price <= 5", [1]),
    ("@.price < 100", [1, 2]),
    ("@.name >= 'b'", [2, 3]),
    ("@.id < 3", [1, 2]),
    # existence: a present null counts as present
    ("@.price", [1, 2, 3]),
    ("!@.price", ["3", True]),
    # combinations
    ("@.id > 1 && @.price > 1", [2]),
    ("@.id == 1 || @.name == 'c'", [1, 3]),
    ("(@.id == 1 || @.id == 2) && @.price > 10", [2]),
    # regular expressions match the whole string
    ("@.name =~ /[a-c]/", [1, 2, 3]),
    ("@.name =~ /abc/i", ["3"]),
    ("@.name =~ /b/", [2]),
    # word operators
    ("@.id in [1, '3']", [1, "3"]),
    ("@.id nin [1, 2, 3, '3']", [True]),
    ("@.tags subsetof ['x', 'y', 'z']", [1, 2, 3]),
    ("@.tags anyof ['y']", [3]),
    ("@.tags noneof ['x']", [2]),
    ("@.tags size 2", [3]),
    ("@.name size 3", ["3"]),
    ("@.tags empty true", [2]),
    ("@.tags empty false", [1, 3]),
    # '$' inside a filter is the document the path runs on
    ("@.id == $[1].id", [2]),
])
def test_filter(flt, ids):
    assert [x["id"] for x in get(f"$[?({flt})]", ITEMS)] == ids


@pytest.mark.parametrize(("path", "data", "expected"), [
    # Jayway tests an object itself, not its members
    ("$[?(@.x == 1)]", {"x": 1}, [{"x": 1}]),
    ("$[?(@.x == 2)]", {"x": 1}, []),
    ("$.a[?(@.x)]", {"a": {"x": None}}, [{"x": None}]),
    ("$[?(@.x)]", 5, []),
    ("$.store.book[?(@.price < 10)].author", STORE, ["Nigel Rees", "Herman Melville"]),
    ("$.store.book[?(@.isbn)].price", STORE, [8.99]),
    ("$.store.book[?(@.price > $.expensive)].author", STORE, ["Evelyn Waugh"]),
    ("$[?(@ == 1)]", [1, True, 1.0, "1"], [1, 1.0]),
    ("$[?(@[0] == 1)]", [[1], [2], 1], [[1]]),
    # a deep scan tests every object it walks, the root included, and no bare scalar
    ("$..[?(@.x == 1)]", {"x": 1, "k": [{"x": 1}, {"x": 2, "y": {"x": 1}}], "s": [1]},
     [{"x": 1, "k": [{"x": 1}, {"x": 2, "y": {"x": 1}}], "s": [1]}, {"x": 1}, {"x": 1}]),
    ("$..[?(@.price > 15)]", STORE, [{"color": "red", "price": 19.95}]),
])
def test_filter_on_objects_and_in_deep_scans(path, data, expected):
    assert get(path, data) == expected


# ---------------------------------------------------------------------------- syntax

@pytest.mark.parametrize("text", [
    "a",             # no root
    "",
    "$.",            # a dot with no name
    "$..",
    "$[]",
    "$[",            # unclosed
    "$['a'",
    "$.a b",
    "$.a.length()",  # functions are not supported
    "$[1:2:3:4]",
    "$[a]",          # an unquoted name in brackets
    "$[?(@.a ==)]",
    "$[?(@.a == 1]",
    "$[?(@.a = 1)]",
    "$[?@.a]",
    "$[?(@.a in [x])]",
    "$[?(@.a =~ /a(/)]",  # a regular expression that does not compile
    "$[?($$.a == 1)]",
])
def test_invalid_paths_are_refused_when_compiled(text):
    with pytest.raises(PathSyntaxError):
        compile_reference(text)


def test_compile_path_only_takes_the_input_root():
    with pytest.raises(PathSyntaxError):
        compile_path("$$.Execution")
    with pytest.raises(PathSyntaxError):
        compile_path(42)  # type: ignore[arg-type]
    assert compile_path("$.a").text == "$.a"


@pytest.mark.parametrize(("text", "root", "variable", "definite", "keys", "repeats"), [
    ("$", "input", None, True, (), False),
    ("$.a[0]", "input", None, True, ("a", 0), False),
    ("$$", "context", None, True, (), False),
    ("$$.Map.Item.Value", "context", None, True, ("Map", "Item", "Value"), False),
    ("$cfg", "variable", "cfg", True, (), False),
    ("$cfg.sizes[1]", "variable", "cfg", True, ("sizes", 1), False),
    ("$_x1['a']", "variable", "_x1", True, ("a",), False),
    ("$.a[*].b", "input", None, False, None, False),
    ("$[?(@.a)]", "input", None, False, None, False),
    ("$['a','b']", "input", None, False, None, False),
    ("$[0,1]", "input", None, False, None, True),
    ("$['a','b'].c", "input", None, False, None, True),
    ("$..a", "input", None, False, None, True),
])
def test_references(text, root, variable, definite, keys, repeats):
    ref = compile_reference(text)
    assert isinstance(ref, Reference)
    assert (ref.root, ref.variable, ref.path.definite, ref.path.keys, ref.path.repeats) == (
        root, variable, definite, keys, repeats)


@pytest.mark.parametrize(("text", "expected"), [
    ("$var", True), ("$var.a", True), ("$_", True), ("$", False), ("$.a", False), ("$$.a", False),
    ("$[0]", False), ("$1a", False), (None, False),
])
def test_is_variable_path(text, expected):
    assert is_variable_path(text) is expected


@pytest.mark.parametrize(("keys", "root", "expected"), [
    ((), "$", "$"),
    (("a", 0, "b"), "$", "$['a'][0]['b']"),
    (("a",), "$cfg", "$cfg['a']"),
    ((-1,), "", "[-1]"),
])
def test_normalized(keys, root, expected):
    assert normalized(keys, root) == expected


# ---------------------------------------------------------------------------- getters with roots

SCOPE = Scope(context={"Execution": {"Name": "run-1"}, "Map": {"Item": {"Index": 3}}},
              variables={"cfg": {"sizes": [10, 20]}, "nothing": None})


@pytest.mark.parametrize(("text", "data", "expected"), [
    ("$", {"a": 1}, {"a": 1}),
    ("$.a", {"a": 1}, 1),
    ("$$", None, SCOPE.context),
    ("$$.Execution.Name", None, "run-1"),
    ("$$.Map.Item.Index", None, 3),
    ("$cfg.sizes[1]", None, 20),
    ("$cfg.sizes[*]", None, [10, 20]),
    ("$nothing", None, None),
])
def test_getter_reads_input_context_or_variable(text, data, expected):
    assert compile_getter(text)(data, SCOPE) == expected


def test_getter_of_an_undefined_variable_fails_and_carries_its_reference():
    getter = compile_getter("$missing.a")
    assert getter.reference.variable == "missing"
    with pytest.raises(PathNotFound, match=r"^Variable '\$missing' is not defined$"):
        getter({}, SCOPE)


def test_scope_defaults():
    scope = Scope()
    assert (scope.context, scope.variables) == ({}, {})


# ---------------------------------------------------------------------------- set_path (ResultPath)

@pytest.mark.parametrize(("data", "keys", "value", "expected"), [
    ({"a": 1}, (), "r", "r"),
    ({"a": 1}, ("b",), "r", {"a": 1, "b": "r"}),
    ({"a": 1}, ("a",), "r", {"a": "r"}),
    ({"a": {"x": 1}}, ("a", "y"), "r", {"a": {"x": 1, "y": "r"}}),
    ({}, ("a", "b", "c"), "r", {"a": {"b": {"c": "r"}}}),  # missing objects are created
    ({"a": [1, {"x": 1}]}, ("a", 1, "x"), "r", {"a": [1, {"x": "r"}]}),
    ({"a": [1, 2]}, ("a", -1), "r", {"a": [1, "r"]}),
    ({"a": None}, ("a",), None, {"a": None}),
])
def test_set_path(data, keys, value, expected):
    assert set_path(data, keys, value) == expected


@pytest.mark.parametrize(("data", "keys"), [
    ("text", ("a",)),
    ([1], ("a",)),
    (None, ("a",)),
    ({"a": 5}, ("a", "b")),
    ({"a": [1]}, ("a", 1)),
    ({"a": {}}, ("a", 0)),
])
def test_set_path_through_a_value_that_cannot_hold_it_fails(data, keys):
    with pytest.raises(PathNotFound):
        set_path(data, keys, "r")


def test_set_path_copies_only_what_lies_on_the_path():
    untouched = {"big": list(range(10))}
    inner = {"x": 1}
    data = {"keep": untouched, "a": {"inner": inner, "b": {"old": True}}}
    out = set_path(data, ("a", "b", "new"), "r")
    assert data == {"keep": untouched, "a": {"inner": inner, "b": {"old": True}}}  # not mutated
    assert out["keep"] is untouched and out["a"]["inner"] is inner  # shared, not copied
    assert out["a"] is not data["a"] and out["a"]["b"] == {"old": True, "new": "r"}


# ---------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "b", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
    max_leaves=12,
)
steps = st.lists(st.sampled_from(["a", "b", 0, 1, -1]), max_size=4)


def _reference_walk(data, keys):
    """What a definite path selects, the slow obvious way: (found, value)."""
    value = data
    for k in keys:
        if isinstance(k, str) and type(value) is dict and k in value:
            value = value[k]
        elif isinstance(k, int) and type(value) is list and -len(value) <= k < len(value):
            value = value[k]
        else:
            return False, None
    return True, value


def _text(keys) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


@settings(max_examples=300, deadline=None)
@given(data=json_values, keys=steps)
def test_definite_getters_agree_with_a_plain_walk(data, keys):
    """The one-name and two-name fast getters behave as the general one does."""
    found, value = _reference_walk(data, keys)
    path = compile_path(_text(keys))
    if found:
        assert path.get(data) == value
    else:
        with pytest.raises(PathNotFound):
            path.get(data)


def _preorder(value):
    yield value
    children = value.values() if type(value) is dict else value if type(value) is list else ()
    for child in children:
        yield from _preorder(child)


@settings(max_examples=300, deadline=None)
@given(data=json_values, name=st.sampled_from(["a", "b", "c"]))
def test_deep_scan_finds_every_member_of_that_name_in_document_order(data, name):
    expected = [node[name] for node in _preorder(data) if type(node) is dict and name in node]
    assert compile_path(f"$..{name}").get(data) == expected
    assert compile_path(f"$..['{name}']").get(data) == expected
