"""Every execution recorded against real AWS Step Functions, run through ``stepline run``.

The cases (``cases/``, see ``cases/NOTICE``) hold a definition, an input and what AWS
returned: status, output, error, cause and, for about half of them, the whole history.
``compare.py`` is the shared conformance checker; its matching rules (placeholders, ARN
tokens, JSON inside strings) decide. The recordings were made in account 111111111111, so
the executions run as that account (``STEPLINE_ACCOUNT``).

A handful of recordings cannot be matched by any implementation, because the recording
itself normalised a value in a way its placeholders do not cover; they are listed in
``UNMATCHABLE`` with the reason and run as strict xfails, so one that starts passing is
reported too.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from stepline.asl import parser
from stepline.cli import run_once

from . import compare

HERE = pathlib.Path(__file__).parent
CASES = pathlib.Path(os.environ.get("STEPLINE_CONFORMANCE_CASES", HERE / "cases"))

_PARALLEL_IDS = ("the recording replaced the ids of events inside Parallel branches with [0] and reordered them")
_BEFORE_LINK_CHANGE = ("recorded before AWS changed what a Distributed Map's MapStateExited links to: every recording "
                       "up to July 2024 links it to MapRunSucceeded, every one from November 2024 on to MapRunStarted; "
                       "stepline follows AWS as it is now")

UNMATCHABLE = {
    "context_object_test_context_object__TestSnfBase__test_result_selector__64ff5110":
        "Lambda's Content-Length header counts the bytes of the recorded (real, longer) function name",
    "assign_test_assign_base__TestAssignBase__test_base_parallel_cases__BASE_SCOPE_PARALLEL__952a97ff": _PARALLEL_IDS,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_parallel_state__PARALLEL_STATE_PARAMETERS__78fb4eac":
        _PARALLEL_IDS,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_parallel_state__PARALLEL_STATE__265b5211": _PARALLEL_IDS,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_parallel_state_nested__0a47583a": _PARALLEL_IDS,
    "states_variables_test_error_output__TestStateVariablesTemplate__test_parallel_catch_error__PARALLEL_CATCH_ERROR_OUTPUT_WITH_RETRY__061f3b06":
        _PARALLEL_IDS,
    "states_variables_test_error_output__TestStateVariablesTemplate__test_parallel_catch_error__PARALLEL_CATCH_ERROR_VARIABLE_SAMPLING__1d00deee":
        _PARALLEL_IDS,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_config_distributed_item_selector__31c7778a":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_config_distributed_reentrant__f5f31dfe":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_config_distributed_reentrant_lambda__94da6f07":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_config_inline_item_selector__c682f690":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_label__cb2108e2": _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_legacy_config_distributed_item_selector__f80d61bf":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_tolerated_failure_percentage_path__0__9cd32fb5":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_tolerated_failure_percentage_path__100__cc2b7be2":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_tolerated_failure_percentage_path__1__4719ad90":
        _BEFORE_LINK_CHANGE,
    "scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_tolerated_failure_values__percentage_literal__919746ea":
        _BEFORE_LINK_CHANGE,
}


def recorded_cases() -> list:
    if not CASES.is_dir():
        raise RuntimeError(f"conformance cases not found at {CASES}")
    params = []
    for case in sorted(p for p in CASES.iterdir() if (p / "expected.json").is_file()):
        expected = json.loads((case / "expected.json").read_text())
        if expected.get("status") not in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"):
            continue  # recorded while still running: nothing final to compare
        marks = [pytest.mark.xfail(reason=UNMATCHABLE[case.name], strict=True)] if case.name in UNMATCHABLE else []
        params.append(pytest.param(case, id=case.name[:120], marks=marks))
    return params


@pytest.fixture(autouse=True)
def recorded_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPLINE_ACCOUNT", "111111111111")


@pytest.mark.parametrize("case", recorded_cases())
def test_recorded_execution(case: pathlib.Path) -> None:
    meta = json.loads((case / "meta.json").read_text())
    machine = parser.parse((case / "definition.json").read_text())
    functions = [str(case / meta["functions"])] if meta.get("functions") else []
    got = run_once(machine, (case / "input.json").read_text(), functions=functions, history=True, virtual_time=True)
    assert_conforms(case, json.loads(json.dumps(got)))  # exactly what `stepline run` prints


def assert_conforms(case: pathlib.Path, got: dict) -> None:
    """``got`` (status, output, error, cause, history) is what AWS recorded for ``case``."""
    expected = json.loads((case / "expected.json").read_text())
    for key in ("status", "error", "cause"):
        assert compare.match(expected.get(key), got[key]), f"{key}: expected {expected.get(key)!r}, got {got[key]!r}"
    if expected["status"] == "SUCCEEDED":
        assert compare.match(expected["output"], got["output"]), (
            f"output: expected {expected['output']!r}, got {got['output']!r}")
    if expected.get("history") is not None:
        difference = compare.first_difference(expected["history"], got["history"])
        assert difference is None, difference


def test_unmatchable_list_names_real_cases() -> None:
    names = {p.name for p in CASES.iterdir()}
    assert set(UNMATCHABLE) <= names
