"""Wait states: Seconds, Timestamp, SecondsPath, TimestampPath (and the JSONata forms).

Under ``virtual_time=True`` the clock jumps to the end of each wait, so the history's
timestamps show the wait exactly as AWS would record it, without real sleeping.
Ground truth for the error messages: conformance ``base_test_wait ... -1.5``,
``test_wait_timestamp_path__INVALID_*`` / ``__NO_Z``, ``test_wait_timestamp_jsonata__INVALID_*``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from .helpers import details, event, machine, parsed, run, types


def wait(**fields):
    return machine({"W": {"Type": "Wait", "End": True, **fields}})


def waited(ex, n: int = 0) -> float:
    """Seconds between the n-th WaitStateEntered and the WaitStateExited that follows it."""
    return event(ex, "WaitStateExited", n)["timestamp"] - event(ex, "WaitStateEntered", n)["timestamp"]


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_wait_seconds_advances_virtual_time_by_the_wait():
    started = time.time()
    ex = run(wait(Seconds=3600), {"x": 1}, virtual_time=True)
    assert time.time() - started < 30  # no real hour went by
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"x": 1}
    assert 3600 <= waited(ex) < 3601
    assert types(ex) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3]
    assert ex.stop_time - ex.start_time >= 3600


def test_wait_zero_seconds():
    ex = run(wait(Seconds=0), {}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert 0 <= waited(ex) < 1


def test_consecutive_waits_add_up():
    d = machine({
        "W1": {"Type": "Wait", "Seconds": 10, "Next": "W2"},
        "W2": {"Type": "Wait", "Seconds": 20, "End": True},
    })
    ex = run(d, {}, virtual_time=True)
    assert 10 <= waited(ex, 0) < 11
    assert 20 <= waited(ex, 1) < 21
    assert 30 <= ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] < 31


def test_wait_seconds_path():
    ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {"waitSeconds": 42}}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert 42 <= waited(ex) < 43


def test_wait_seconds_path_zero():
    # conformance: base_test_wait__..._seconds_path__0
    ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {"waitSeconds": 0}}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"input": {"waitSeconds": 0}}


def test_wait_seconds_path_with_a_fraction_is_a_runtime_error():
    # conformance: base_test_wait__..._seconds_path__-1.5
    ex = run(wait(SecondsPath="$.input.waitSeconds"), {"input": {"waitSeconds": -1.5}}, virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                        "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == -1.5")
    assert types(ex) == ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]
    assert ex.history[-1]["previousEventId"] == 2


def test_wait_seconds_path_negative_integer_is_a_runtime_error():
    ex = run(wait(SecondsPath="$.s"), {"s": -5}, virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert "$.s" in ex.cause


def test_wait_seconds_path_to_a_string_is_a_runtime_error():
    ex = run(wait(SecondsPath="$.s"), {"s": "ten"}, virtual_time=True)
    assert ex.error == "States.Runtime"
    assert ex.cause.startswith("An error occurred while executing the state 'W' (entered at the event id #2). ")


def test_wait_seconds_path_missing_is_a_runtime_error():
    ex = run(wait(SecondsPath="$.nope"), {}, virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert "$.nope" in ex.cause


def test_wait_timestamp_in_the_future_waits_until_then():
    target = int(time.time()) + 7200
    ex = run(wait(Timestamp=iso(target)), {}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    exited = event(ex, "WaitStateExited")["timestamp"]
    assert target <= exited < target + 1


def test_wait_timestamp_in_the_past_does_not_wait():
    # conformance: test_wait_timestamp__NANOSECONDS (a 2016 timestamp)
    ex = run(wait(Timestamp="2016-03-05T21:29:29.243167252Z"), {}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert 0 <= waited(ex) < 1


def test_wait_timestamp_path_with_an_offset():
    target = int(time.time()) + 3600
    local = datetime.fromtimestamp(target, timezone(timedelta(hours=2))).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    ex = run(wait(TimestampPath="$.t"), {"t": local}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert target <= event(ex, "WaitStateExited")["timestamp"] < target + 1


def test_wait_timestamp_path_in_the_past():
    # conformance: test_wait_timestamp_path__SECONDS
    ex = run(wait(TimestampPath="$.TimestampValue"), {"TimestampValue": "2016-03-14T01:59:00Z"}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"TimestampValue": "2016-03-14T01:59:00Z"}


@pytest.mark.parametrize("value", ["2016-13-05T21:29:29Z", "2016-12-05T25:29:29Z", "05-12-2016T21:29:29Z",
                                   "2016-12-05T21:29:29"])
def test_wait_timestamp_path_invalid_is_a_runtime_error(value):
    # conformance: test_wait_timestamp_path__INVALID_DATE / INVALID_TIME / INVALID_ISO / NO_Z
    ex = run(wait(TimestampPath="$.TimestampValue"), {"TimestampValue": value}, virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'W' (entered at the event id #2). "
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                        f"format string: $.TimestampValue == {value}")
    assert types(ex) == ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]


def test_wait_timestamp_path_to_a_number_is_a_runtime_error():
    ex = run(wait(TimestampPath="$.t"), {"t": 12}, virtual_time=True)
    assert ex.error == "States.Runtime"
    assert "$.t" in ex.cause


def test_wait_reads_variables():
    # conformance: BASE_REFERENCE_IN_WAIT
    d = machine({
        "Start": {"Type": "Pass", "Assign": {"waitTime": 5, "startAt": "2024-11-06T09:42:03Z"}, "Next": "S"},
        "S": {"Type": "Wait", "SecondsPath": "$waitTime", "Next": "T"},
        "T": {"Type": "Wait", "TimestampPath": "$startAt", "End": True},
    })
    ex = run(d, {}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert 5 <= waited(ex, 0) < 6
    assert 0 <= waited(ex, 1) < 1


def test_wait_applies_input_path_and_output_path():
    ex = run(wait(Seconds=1, InputPath="$.a", OutputPath="$.b"), {"a": {"b": 7}, "c": 0}, virtual_time=True)
    assert ex.output == 7
    assert parsed(details(event(ex, "WaitStateEntered"))["input"]) == {"a": {"b": 7}, "c": 0}


def test_next_state_entered_time_reflects_the_wait():
    d = machine({
        "W": {"Type": "Wait", "Seconds": 600, "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime",
                                             "started.$": "$$.Execution.StartTime"}, "End": True},
    })
    ex = run(d, {}, virtual_time=True)
    parse = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()  # noqa: E731
    gap = parse(ex.output["entered"]) - parse(ex.output["started"])
    assert 600 <= gap < 601


def test_parallel_branches_wait_concurrently():
    d = machine({"Par": {"Type": "Parallel", "End": True, "Branches": [
        machine({"W10": {"Type": "Wait", "Seconds": 10, "End": True}}),
        machine({"W20": {"Type": "Wait", "Seconds": 20, "End": True}}),
    ]}})
    ex = run(d, {"v": 1}, virtual_time=True)
    assert ex.output == [{"v": 1}, {"v": 1}]
    total = ex.history[-1]["timestamp"] - ex.history[0]["timestamp"]
    assert 20 <= total < 21


# ---------------------------------------------------------------------------- JSONata

def test_jsonata_seconds_expression():
    # conformance: test_wait_seconds_jsonata
    d = machine({"W": {"Type": "Wait", "Seconds": "{% $states.input.waitSeconds %}", "End": True}},
                QueryLanguage="JSONata")
    ex = run(d, {"waitSeconds": 90}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"waitSeconds": 90}
    assert 90 <= waited(ex) < 91


@pytest.mark.parametrize("value", ["2016-13-05T21:29:29Z", "2016-12-05T25:29:29Z", "05-12-2016T21:29:29Z"])
def test_jsonata_invalid_timestamp_is_a_query_evaluation_error(value):
    # conformance: test_wait_timestamp_jsonata__INVALID_*
    d = machine({"W": {"Type": "Wait", "Timestamp": "{% $states.input.TimestampValue %}", "End": True}},
                QueryLanguage="JSONata")
    ex = run(d, {"TimestampValue": value}, virtual_time=True)
    cause = ("An error occurred while executing the state 'W' (entered at the event id #2). The Timestamp field "
             f"cannot be parsed as an ISO-8601 extended offset date-time format string: {value}")
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.QueryEvaluationError", cause)
    assert types(ex) == ["ExecutionStarted", "WaitStateEntered", "EvaluationFailed", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3]
    assert details(ex.history[2]) == {"error": "States.QueryEvaluationError", "cause": cause, "location": "Timestamp",
                                      "state": "W"}


def test_jsonata_timestamp_in_the_future():
    target = int(time.time()) + 120
    d = machine({"W": {"Type": "Wait", "Timestamp": "{% $states.input.t %}", "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {"t": iso(target)}, virtual_time=True)
    assert target <= event(ex, "WaitStateExited")["timestamp"] < target + 1


def test_jsonata_negative_seconds_is_a_query_evaluation_error():
    d = machine({"W": {"Type": "Wait", "Seconds": "{% -1 %}", "End": True}}, QueryLanguage="JSONata")
    ex = run(d, {}, virtual_time=True)
    assert ex.error == "States.QueryEvaluationError"
    assert details(event(ex, "EvaluationFailed"))["location"] == "Seconds"


def test_jsonata_wait_output_and_assign():
    d = machine({
        "W": {"Type": "Wait", "Seconds": 1, "Output": {"o": "{% $states.input.a %}"}, "Assign": {"v": 3},
              "Next": "P"},
        "P": {"Type": "Pass", "Output": "{% $v %}", "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {"a": "x"}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert parsed(details(event(ex, "WaitStateExited"))["output"]) == {"o": "x"}
    assert ex.output == 3
