"""A definition with a mistake in it never makes ``stepline.run`` raise: every recorded
definition, mutated so that it still parses (values replaced by paths, JSONata, intrinsic
calls or values of the wrong type; fields deleted or turned into strings), runs to a final
status with the AWS runtime error where one applies. Hypothesis shrinks what breaks it."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import stepline
from stepline import DefinitionError

from ..places import places

CASES = Path(__file__).resolve().parents[2] / "conformance" / "cases"
# (the timeout cases' functions sleep for real: they would only make this slow)
RUNNABLE = sorted(c for c in CASES.iterdir() if (c / "definition.json").is_file() and "timeout" not in c.name)
VALUES = [None, 0, -1, 1.5, "", "x", "$", "$.a", "$.missing", "$$.Execution.Id", "States.Format('{}', $.a)",
          "States.ArrayGetItem($.a, 5)", [], {}, [1, "a"], {"a": 1}, True, "{% $states.input %}", "{% 1/0 %}",
          "{% $nope %}", "{% $states.input.a.b %}", 10**20, "2024-01-01T00:00:00Z", "not a date"]
_modules: dict[Path, ModuleType] = {}


def functions(case: Path) -> ModuleType | None:
    meta = json.loads((case / "meta.json").read_text())
    if not meta.get("functions"):
        return None
    path = case / meta["functions"]
    if path not in _modules:
        spec = importlib.util.spec_from_file_location(f"fuzzed_{case.name[-8:]}", path)
        assert spec is not None and spec.loader is not None
        _modules[path] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return _modules[path]


def mutate(data: st.DataObject, definition: Any) -> Any:
    for _ in range(data.draw(st.integers(1, 3))):
        found = places(definition)
        if not found:
            break
        parent, key = data.draw(st.sampled_from(found))
        op = data.draw(st.sampled_from(["replace", "replace", "delete", "stringify"]))
        if op == "delete" and isinstance(parent, dict):
            del parent[key]
        elif op == "stringify":
            parent[key] = json.dumps(parent[key])
        else:
            parent[key] = copy.deepcopy(data.draw(st.sampled_from(VALUES)))
    return definition


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_mutated_definitions_that_parse_run_to_a_final_status(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(RUNNABLE))
    definition = mutate(data, json.loads((case / "definition.json").read_text()))
    try:
        machine = stepline.parse(definition)
    except DefinitionError:
        assume(False)
        return
    given_input = json.loads((case / "input.json").read_text())
    execution = stepline.run(machine, data.draw(st.sampled_from([given_input, *VALUES[:6]])),
                             functions=functions(case), virtual_time=True)
    assert execution.status in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
    json.dumps(execution.history)  # and its history renders
