"""stepline's JSONata against jsonata 2.0.6, the version Step Functions documents, run by Node.

AWS evaluates JSONata as jsonata-js does: its error messages are jsonata-js's word for word
(``T0410: Argument 1 of function "abs" does not match function signature``, measured on AWS,
floci-io/floci#2736), which jsonata-python (stepline's engine) does not always give, nor always
its results (``5.5 % 2``, ``$string(1e20)``). Each expression of ``jsonata_corpus.txt`` is
evaluated by both with the same input bound as ``$x``: the same value, the same undefined, or
the same error code and message. Where they still differ the case is a strict xfail naming why.

Node.js and npm must be installed (``.ci/run`` installs ``tests/js`` with ``npm ci``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stepline.asl.jsonata import UNDEFINED, Expression, JsonataEvaluationError, JsonataSyntaxError, UnsupportedResult
from tests.node import JS, node_with

HERE = Path(__file__).resolve().parent
NOW = 1700000000.0

INPUT = {"n": 5, "s": "abc", "arr": [1, 2, 3], "strs": ["b", "a", "cb"], "mixed": [1, "a"], "obj": {"a": 1, "b": 2},
         "objs": [{"o": {"z": 1}}, {"o": {"z": 2}}], "single": [{"a": 1}], "nested": {"a": [{"b": 1}, {"b": [2, 3]}]},
         "neg": -7, "frac": 0.1, "empty": [],
         "people": [{"name": "Ann", "age": 34, "dept": "a"}, {"name": "Bob", "age": 28, "dept": "b"},
                    {"name": "Cid", "age": 41, "dept": "a"}]}

EXPRESSIONS = [line for line in (HERE / "jsonata_corpus.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]

#: where stepline still answers otherwise, and why
DIFFERENT = {
    '$split("😀é", "")': "JavaScript splits an astral character into its UTF-16 halves",
    '$base64encode("héllo")': "jsonata-js in Node encodes Latin-1; what AWS's runtime does is not known",
    "12345678901234567890": "a JavaScript number is a double; Python keeps the integer exact",
}


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    node = node_with("jsonata")
    done = subprocess.run([node, str(JS / "jsonata_eval.mjs")], cwd=JS, capture_output=True, text=True, timeout=120,
                          input=json.dumps({"input": INPUT, "expressions": EXPRESSIONS}))
    assert done.returncode == 0, done.stderr
    return dict(zip(EXPRESSIONS, json.loads(done.stdout), strict=True))  # one result per expression


def stepline_result(text: str) -> dict:
    try:
        value = Expression(text).evaluate({"x": INPUT}, NOW)
    except JsonataSyntaxError as e:
        return {"err": "syntax", "msg": str(e)}
    except JsonataEvaluationError as e:
        code, _, message = str(e).partition(": ")
        return {"err": code, "msg": message}
    except UnsupportedResult:
        return {"fn": True}
    return {"ok": "__undefined__" if value is UNDEFINED else json.loads(json.dumps(value))}


@pytest.mark.parametrize("text", [pytest.param(t, marks=[pytest.mark.xfail(reason=DIFFERENT[t], strict=True)])
                                  if t in DIFFERENT else t for t in EXPRESSIONS])
def test_stepline_evaluates_as_jsonata_2_0_6(text: str, reference: dict) -> None:
    expected, got = reference[text], stepline_result(text)
    if expected.get("err") and got.get("err") == "syntax":  # jsonata-js parses when it evaluates
        assert got["msg"] == expected["msg"]
        return
    assert got == expected


def test_the_corpus_lists_only_real_differences() -> None:
    assert set(DIFFERENT) <= set(EXPRESSIONS)
