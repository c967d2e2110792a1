"""The chaos workload: state machines with every kind of waiting, and their Python functions.

Each definition comes with the output it must produce for an input ``{"id": n}`` and how many
times each state must be entered, so a run can be checked after any number of crashes.
"""

from __future__ import annotations

import json

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:{}"

FUNCTIONS = '''
import json, os, time

LOG = os.environ["CHAOS_LOG"]


def _record(name, event):
    with open(LOG, "a") as f:
        f.write(json.dumps({"fn": name, "id": event["id"]}) + "\\n")


def work(event, context):
    _record("work", event)
    time.sleep(0.02)
    return {"id": event["id"], "worked": True}


def flaky(event, context):
    """Fails the first call for each id, then succeeds (a retry must happen)."""
    with open(LOG) as f:
        seen = sum(1 for line in f if json.loads(line) == {"fn": "flaky", "id": event["id"]})
    _record("flaky", event)
    if seen == 0:
        raise RuntimeError("first attempt fails")
    return {"id": event["id"], "flaky": "ok"}
'''

WAIT = {"StartAt": "Before", "States": {
    "Before": {"Type": "Pass", "Parameters": {"id.$": "$.id", "step": 1}, "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "After"},
    "After": {"Type": "Pass", "Parameters": {"id.$": "$.id", "step": 2}, "End": True}}}

TASK = {"StartAt": "Work", "States": {
    "Work": {"Type": "Task", "Resource": LAMBDA.format("work"), "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}

RETRY = {"StartAt": "Flaky", "States": {
    "Flaky": {"Type": "Task", "Resource": LAMBDA.format("flaky"), "End": True,
              "Retry": [{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 1, "MaxAttempts": 3}]}}}

PARALLEL = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": "W1", "States": {"W1": {"Type": "Wait", "Seconds": 1, "Next": "T1"},
                                 "T1": {"Type": "Task", "Resource": LAMBDA.format("work"), "End": True}}},
    {"StartAt": "T2", "States": {"T2": {"Type": "Task", "Resource": LAMBDA.format("work"), "End": True}}},
    {"StartAt": "P3", "States": {"P3": {"Type": "Pass", "Result": "three", "End": True}}}]}}}

MAP = {"StartAt": "Items", "States": {
    "Items": {"Type": "Pass", "Parameters": {"items.$": "States.Array($.id, $.id, $.id, $.id)"}, "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": True,
             "ItemSelector": {"id.$": "$$.Map.Item.Value"},
             "ItemProcessor": {"StartAt": "MT", "States": {
                 "MT": {"Type": "Task", "Resource": LAMBDA.format("work"), "Next": "MW"},
                 "MW": {"Type": "Wait", "Seconds": 1, "End": True}}}}}}


def expected(kind: str, n: int) -> tuple[object, dict[str, int]]:
    """The output for input {"id": n}, and how many times each state is entered."""
    worked = {"id": n, "worked": True}
    if kind == "wait":
        return {"id": n, "step": 2}, {"Before": 1, "Wait": 1, "After": 1}
    if kind == "task":
        return worked, {"Work": 1, "Done": 1}
    if kind == "retry":
        return {"id": n, "flaky": "ok"}, {"Flaky": 1}
    if kind == "parallel":
        return [worked, worked, "three"], {"Fan": 1, "W1": 1, "T1": 1, "T2": 1, "P3": 1}
    if kind == "map":
        return [worked] * 4, {"Items": 1, "Each": 1, "MT": 4, "MW": 4}
    raise ValueError(kind)


DEFINITIONS = {"wait": WAIT, "task": TASK, "retry": RETRY, "parallel": PARALLEL, "map": MAP}


def definition(kind: str) -> str:
    return json.dumps(DEFINITIONS[kind])
