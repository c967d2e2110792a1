"""The durable engine writes each event's details as JSON text directly (fast, once per value);
the text must be exactly what rendering the AWS shape and encoding it gives
(``dumps(render_details(details))``), for every kind of event: checked on the events of all
the recorded conformance executions and of the benchmark workflows."""

from __future__ import annotations

import json
import pathlib

import pytest

from stepline.asl import parser
from stepline.asl.values import dumps
from stepline.bench.durable import WORKFLOWS, echo
from stepline.engine.durable import _details_text, _Texts
from stepline.engine.local import LocalRunner, new_execution
from stepline.integrations import Functions, Integrations
from stepline.interpreter.events import RawJson, render_details

CASES = pathlib.Path(__file__).parent.parent / "conformance" / "cases"


def check_events(events: list) -> int:
    text = _Texts()  # one per execution, as one commit shares it
    checked = 0
    for _, _, _, details in events:
        if details is not None:
            assert _details_text(details, text) == dumps(render_details(details)), details
            checked += 1
    return checked


def run(definition: str, input_text: str, functions: Functions) -> list:
    machine = parser.parse(definition)
    execution = new_execution(machine, json.loads(input_text), input_text=input_text)
    LocalRunner(execution, Integrations(functions), virtual_time=True).run()
    return execution.events


def test_the_details_of_every_recorded_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPLINE_ACCOUNT", "111111111111")
    cases = sorted(p for p in CASES.iterdir() if (p / "definition.json").is_file())
    assert len(cases) > 100
    types: set[str] = set()
    for case in cases:
        meta = json.loads((case / "meta.json").read_text())
        functions = Functions()
        if meta.get("functions"):
            functions.load(str(case / meta["functions"]))
        events = run((case / "definition.json").read_text(), (case / "input.json").read_text(), functions)
        check_events(events)
        types.update(e[0] for e in events)
    assert {"ExecutionStarted", "PassStateEntered", "TaskScheduled", "MapIterationStarted",
            "ExecutionFailed"} <= types


@pytest.mark.parametrize("name", ["pass-chain-100", "parallel-fanout", "task-echo", "choice-loop-1000"])
def test_the_details_of_the_benchmark_workflows(name: str) -> None:
    meta = json.loads((WORKFLOWS / f"{name}.meta.json").read_text())
    events = run((WORKFLOWS / f"{name}.asl.json").read_text(), json.dumps(meta["input"]),
                 Functions({"bench-echo": echo}))
    assert check_events(events) >= len(events) - 2  # all but ParallelStateStarted/Succeeded have details


def test_odd_details() -> None:
    assert check_events([
        ("ExecutionStarted", 0, 0.0, {"input": RawJson('{"a":  1}'), "roleArn": "r"}),
        ("PassStateExited", 1, 0.0, {"name": "é\"\\", "output": RawJson("[1]")}),
        ("PassStateExited", 1, 0.0, {"output": {"x": "\u2028"}, "name": "out of order"}),
        ("PassStateExited", 1, 0.0, {"name": "A", "output": None, "assignedVariables": {"v": [1, {"w": None}]}}),
        ("TaskScheduled", 1, 0.0, {"resource": "r", "parameters": {"p": "q"}, "timeoutInSeconds": None}),
        ("ExecutionFailed", 1, 0.0, {"error": "E", "cause": None}),
    ]) == 6
