"""`stepline run` as users and scripts call it: a real process, the JSON contract, exit codes."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
STEPLINE = [sys.executable, "-c", "import sys; from stepline.cli import main; sys.exit(main())"]


def stepline(*args: str, stdin: str | None = None, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*STEPLINE, *args], capture_output=True, text=True, input=stdin, timeout=60,
                          cwd=cwd or ROOT, env=dict(os.environ, STEPLINE_ACCOUNT="", STEPLINE_REGION=""))


@pytest.fixture
def machine(tmp_path: pathlib.Path):
    def write(definition: dict, name: str = "machine.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps(definition))
        return str(path)
    return write


def test_succeeded_execution_prints_the_contract_and_exits_0(machine) -> None:
    path = machine({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "$.n"}, "End": True}}})
    proc = stepline("run", path, "--input", '{"n": 7}')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"status": "SUCCEEDED", "output": {"x": 7}, "error": None, "cause": None}


def test_failed_execution_exits_1_with_error_and_cause(machine) -> None:
    path = machine({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}})
    proc = stepline("run", path)
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"status": "FAILED", "output": None, "error": "Boom", "cause": "why"}


def test_history_is_getexecutionhistory_shaped(machine) -> None:
    path = machine({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    out = json.loads(stepline("run", path, "--input", '{"a": [1, 2]}', "--history").stdout)
    types = [e["type"] for e in out["history"]]
    assert types == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    started, entered, exited, done = out["history"]
    assert [e["id"] for e in out["history"]] == [1, 2, 3, 4]
    assert [e["previousEventId"] for e in out["history"]] == [0, 0, 2, 3]
    assert json.loads(started["executionStartedEventDetails"]["input"]) == {"a": [1, 2]}
    assert entered["stateEnteredEventDetails"] == {"name": "A", "input": '{"a":[1,2]}',
                                                   "inputDetails": {"truncated": False}}
    assert exited["stateExitedEventDetails"]["output"] == '{"a":[1,2]}'
    assert done["executionSucceededEventDetails"]["outputDetails"] == {"truncated": False}
    assert all(isinstance(e["timestamp"], float) for e in out["history"])


def test_input_from_a_file_and_the_definition_from_stdin(machine, tmp_path: pathlib.Path) -> None:
    (tmp_path / "in.json").write_text('{"v": "from file"}')
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "OutputPath": "$.v", "End": True}}})
    proc = stepline("run", "-", "--input", f"@{tmp_path / 'in.json'}", stdin=definition)
    assert json.loads(proc.stdout)["output"] == "from file"


def test_functions_from_a_python_file(machine, tmp_path: pathlib.Path) -> None:
    (tmp_path / "fns.py").write_text("def double(event, context):\n    return {'n': event['n'] * 2}\n")
    path = machine({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "End": True}}})
    proc = stepline("run", path, "--input", '{"n": 21}', "--functions", str(tmp_path / "fns.py"))
    assert json.loads(proc.stdout)["output"] == {"n": 42}


def test_functions_from_a_module_name(machine, tmp_path: pathlib.Path) -> None:
    (tmp_path / "my_handlers.py").write_text("def hello(event, context):\n    return 'hi ' + event['who']\n")
    path = machine({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "hello", "Payload": {"who.$": "$.who"}}, "OutputPath": "$.Payload",
        "End": True}}})
    proc = stepline("run", path, "--input", '{"who": "ada"}', "--functions", "my_handlers", cwd=tmp_path)
    assert json.loads(proc.stdout)["output"] == "hi ada", proc.stderr


def test_virtual_time_makes_an_hour_wait_instant(machine) -> None:
    path = machine({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    proc = stepline("run", path, "--virtual-time", "--history")
    events = json.loads(proc.stdout)["history"]
    assert proc.returncode == 0
    entered = next(e for e in events if e["type"] == "WaitStateEntered")
    exited = next(e for e in events if e["type"] == "WaitStateExited")
    assert exited["timestamp"] - entered["timestamp"] == pytest.approx(3600, abs=1)


@pytest.mark.parametrize("args, message", [
    (["run", "/no/such/file.json"], "cannot read definition"),
    (["run", "{definition}", "--input", "{not json"], "not valid JSON"),
    (["run", "{definition}", "--input", '{"a": NaN, "b": 1e400}'], "not valid JSON"),
    (["run", "{definition}", "--input", "@/no/such/input.json"], "cannot read input"),
    (["run", "{definition}", "--functions", "/no/such/fns.py"], "cannot load functions"),
    (["run", "{broken}"], "MISSING_TRANSITION_TARGET"),
    (["run", "{notjson}"], "INVALID_JSON_DESCRIPTION"),
])
def test_invalid_calls_exit_2_with_a_message_and_no_traceback(machine, tmp_path, args, message) -> None:
    files = {
        "{definition}": machine({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}),
        "{broken}": machine({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}, "broken.json"),
    }
    (tmp_path / "notjson.json").write_text("{")
    files["{notjson}"] = str(tmp_path / "notjson.json")
    proc = stepline(*[files.get(a, a) for a in args])
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_an_error_raised_inside_a_loaded_module_is_a_usage_error(tmp_path: pathlib.Path, machine) -> None:
    (tmp_path / "bad.py").write_text("raise RuntimeError('import-time failure')\n")
    proc = stepline("run", machine({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}),
                    "--functions", str(tmp_path / "bad.py"))
    assert proc.returncode == 2
    assert "import-time failure" in proc.stderr and "Traceback" not in proc.stderr


def test_the_readme_example_runs(tmp_path: pathlib.Path) -> None:
    proc = stepline("run", "examples/order.asl.json", "--input", "@examples/order-input.json",
                    "--functions", "examples/order_functions.py", "--virtual-time")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output"] == {"status": "shipped", "receipt": "R-105-2", "total": 105,
                                                 "message": "Order for ada@example.com shipped"}


@pytest.mark.parametrize("lines, total", [
    ([{"sku": "book", "quantity": 1}], 30),
    ([{"sku": "book", "quantity": 1}, {"sku": "lamp", "quantity": 1}, {"sku": "book", "quantity": 3}], 165),
])
def test_the_readme_example_totals_any_number_of_lines(lines: list, total: int) -> None:
    order = json.dumps({"customer": "ada@example.com", "lines": lines})
    proc = stepline("run", "examples/order.asl.json", "--input", order, "--functions", "examples/order_functions.py",
                    "--virtual-time")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output"]["total"] == total


def test_the_readme_mock_examples_run() -> None:
    common = ("run", "examples/order.asl.json", "--input", "@examples/order-input.json", "--functions",
              "examples/order_functions.py", "--virtual-time", "--mock-config", "examples/order-mocks.json")
    declined = stepline(*common, "--test-case", "DeclinedCard")
    assert declined.returncode == 1, declined.stderr
    assert json.loads(declined.stdout)["error"] == "OrderDeclined"
    paid = stepline(*common, "--test-case", "GatewayBusyTwice", "--history")
    assert paid.returncode == 0, paid.stderr
    out = json.loads(paid.stdout)
    assert out["output"]["receipt"] == "R-mocked" and out["output"]["total"] == 105  # prices from the functions
    charges = [e["type"] for e in out["history"] if e["type"] in ("TaskFailed", "TaskSucceeded")]
    assert charges == ["TaskFailed", "TaskFailed", "TaskSucceeded"]


def test_the_installed_console_script(machine) -> None:
    script = pathlib.Path(sys.executable).parent / "stepline"
    assert script.exists(), "pip install -e . installs the `stepline` command next to the interpreter"
    path = machine({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    proc = subprocess.run([str(script), "run", path, "--input", "[1]"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["output"] == [1]


def test_history_limit_option(machine) -> None:
    path = machine({"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 100, "Next": "End"}],
                  "Default": "Count"},
        "End": {"Type": "Succeed"}}})
    limited = stepline("run", path, "--input", '{"n": 0}', "--history-limit", "50")
    assert limited.returncode == 1
    assert json.loads(limited.stdout)["cause"] == "The execution reached the maximum number of history events (50)."
    lifted = stepline("run", path, "--input", '{"n": 0}', "--history-limit", "0")
    assert lifted.returncode == 0 and json.loads(lifted.stdout)["output"] == {"n": 100}
