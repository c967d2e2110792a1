"""`stepline validate` as users and scripts call it: the installed console script in a real
process, ValidateStateMachineDefinition-shaped JSON on stdout, exit 0 (valid) or 1 (invalid).

A definition that cannot be read at all (a missing file) is a bad call: exit 2 with the reason
on stderr, as for ``stepline run``. Never a traceback.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

#: ``[project.scripts] stepline = "stepline.cli:main"``, installed beside the interpreter
STEPLINE = pathlib.Path(sys.executable).parent / "stepline"
VALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
DIAGNOSTIC_KEYS = {"severity", "code", "message", "location"}


def stepline(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(STEPLINE), *args], capture_output=True, input=stdin, timeout=60,
                          text=not isinstance(stdin, bytes))


@pytest.fixture
def write(tmp_path: pathlib.Path):
    def write(definition: dict | str | bytes, name: str = "machine.asl.json") -> str:
        path = tmp_path / name
        if isinstance(definition, bytes):
            path.write_bytes(definition)
        else:
            path.write_text(definition if isinstance(definition, str) else json.dumps(definition), encoding="utf-8")
        return str(path)
    return write


def output(proc: subprocess.CompletedProcess) -> dict:
    """The one JSON document on stdout, checked for the API's shape."""
    assert "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"result", "diagnostics"}
    assert out["result"] in ("OK", "FAIL")
    for d in out["diagnostics"]:
        assert {"severity", "code", "message"} <= set(d) <= DIAGNOSTIC_KEYS
        assert d["severity"] in ("ERROR", "WARNING")
    return out


def test_the_console_script_is_installed() -> None:
    assert STEPLINE.exists(), "pip install -e . installs the stepline command beside python"


def test_a_valid_definition_is_ok_and_exits_0(write) -> None:
    proc = stepline("validate", write(VALID))
    assert proc.returncode == 0, proc.stderr
    assert output(proc) == {"result": "OK", "diagnostics": []}
    assert proc.stderr == ""


def test_warnings_alone_are_ok_and_exit_0(write) -> None:
    proc = stepline("validate", write({"StartAt": "A", "States": {"A": {
        "Type": "Pass", "Parameters": {"id": "$.id"}, "Result": {"x.$": "$.x"}, "End": True}}}))
    assert proc.returncode == 0
    out = output(proc)
    assert out["result"] == "OK"
    assert sorted((d["severity"], d["code"], d["location"]) for d in out["diagnostics"]) == [
        ("WARNING", "NO_DOLLAR", "/States/A/Parameters/id"),
        ("WARNING", "PASS_RESULT_IS_STATIC", "/States/A/Result"),
    ]


def test_an_invalid_definition_fails_and_exits_1(write) -> None:
    proc = stepline("validate", write({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"},
                                                                   "B": {"Type": "Succeed"}}}))
    assert proc.returncode == 1
    out = output(proc)
    assert out["result"] == "FAIL"
    assert {"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET", "message": "Missing 'Next' target: Nowhere",
            "location": "/States/A/Next"} in out["diagnostics"]
    assert {"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET", "message": 'State "B" is not reachable.',
            "location": "/States/B"} in out["diagnostics"]


def test_errors_are_listed_before_warnings(write) -> None:
    proc = stepline("validate", write({"StartAt": "A", "States": {"A": {
        "Type": "Pass", "Parameters": {"id": "$.id"}, "Foo": 1, "End": True}}}))
    assert proc.returncode == 1
    assert [d["severity"] for d in output(proc)["diagnostics"]] == ["ERROR", "WARNING"]


def test_a_diagnostic_without_a_location_has_no_location_key(write) -> None:
    proc = stepline("validate", write({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}))
    assert proc.returncode == 1
    assert output(proc)["diagnostics"] == [
        {"severity": "ERROR", "code": "MISSING_END_STATE", "message": "Workflow has no terminal state"}]


@pytest.mark.parametrize(("text", "code"), [
    ('{"StartAt": "A", "States": {', "INVALID_JSON_DESCRIPTION"),
    ("not json at all", "INVALID_JSON_DESCRIPTION"),
    ("", "MISSING_DESCRIPTION"),
    ("   \n", "MISSING_DESCRIPTION"),
    ("null", "MISSING_DESCRIPTION"),
    ("[1, 2, 3]", "SCHEMA_VALIDATION_FAILED"),
    ("[" * 100_000, "INVALID_JSON_DESCRIPTION"),
])
def test_text_that_is_not_a_definition_is_a_diagnostic_not_a_crash(write, text: str, code: str) -> None:
    proc = stepline("validate", write(text))
    assert proc.returncode == 1, proc.stderr
    out = output(proc)
    assert out["result"] == "FAIL"
    assert [d["code"] for d in out["diagnostics"]] == [code]


def test_duplicate_state_names_in_the_file(write) -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Fail"}}}'
    proc = stepline("validate", write(text))
    assert proc.returncode == 1
    assert output(proc)["diagnostics"] == [{"severity": "ERROR", "code": "DUPLICATE_STATE_NAME",
                                            "message": "Duplicate State name: A", "location": "/States/A"}]


def test_a_missing_file_is_a_bad_call_exit_2(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nope.json"
    proc = stepline("validate", str(missing))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("stepline: cannot read definition")
    assert str(missing) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_directory_is_a_bad_call_exit_2(tmp_path: pathlib.Path) -> None:
    proc = stepline("validate", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "cannot read definition" in proc.stderr and "Traceback" not in proc.stderr


def test_no_definition_argument_is_a_usage_error() -> None:
    proc = stepline("validate")
    assert proc.returncode == 2
    assert "usage: stepline validate" in proc.stderr


def test_stdin_with_dash() -> None:
    ok = stepline("validate", "-", stdin=json.dumps(VALID))
    assert ok.returncode == 0, ok.stderr
    assert output(ok) == {"result": "OK", "diagnostics": []}
    bad = stepline("validate", "-", stdin='{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}')
    assert bad.returncode == 1
    assert output(bad)["diagnostics"] == [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED",
                                           "message": "These fields are required: [Resource]", "location": "/States/A"}]


def test_empty_stdin() -> None:
    proc = stepline("validate", "-", stdin="")
    assert proc.returncode == 1
    assert [d["code"] for d in output(proc)["diagnostics"]] == ["MISSING_DESCRIPTION"]


def test_the_output_is_one_json_document_on_one_line(write) -> None:
    proc = stepline("validate", write({"StartAt": "A", "States": {"A": {"Type": "Wait", "End": True, "X": 1}}}))
    assert proc.returncode == 1
    assert proc.stdout.count("\n") == 1 and proc.stdout.endswith("\n")
    assert len(output(proc)["diagnostics"]) == 2


def test_the_same_diagnostics_as_the_python_api(write) -> None:
    import stepline as api

    definition = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {}, "Output": "{% 1 + %}", "Next": "B"},
        "B": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
              "Label": "x y", "End": True}}}
    proc = stepline("validate", write(definition))
    assert proc.returncode == 1
    assert output(proc)["diagnostics"] == [d.to_json() for d in api.validate(definition)]
