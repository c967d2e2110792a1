"""Parallel states: branch outputs in order, history, I/O, failure, Catch and Retry.

Ground truth: conformance ``test_parallel_state*`` (``ParallelStateExited`` follows the last
branch event, like ``ParallelStateSucceeded``), ``test_parallel_state_catch`` and
``test_parallel_state_retry`` (a retry records a new ``ParallelStateStarted``, no new entry).
"""

from __future__ import annotations

import json

from .helpers import details, event, events_of, lambda_arn, machine, parsed, run, state_output, types


def branch(states: dict) -> dict:
    return machine(states)


def parallel(branches, **fields):
    return machine({"Par": {"Type": "Parallel", "Branches": branches, "End": True, **fields}})


def test_outputs_are_in_branch_order_whatever_finishes_first():
    slow_first = [
        branch({"W": {"Type": "Wait", "Seconds": 30, "Next": "A"},
                "A": {"Type": "Pass", "Result": "first", "End": True}}),
        branch({"B": {"Type": "Pass", "Result": "second", "End": True}}),
        branch({"W3": {"Type": "Wait", "Seconds": 10, "Next": "C"},
                "C": {"Type": "Pass", "Result": "third", "End": True}}),
    ]
    ex = run(parallel(slow_first), {}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == ["first", "second", "third"]


def test_each_branch_gets_the_state_input():
    ex = run(parallel([branch({"A": {"Type": "Pass", "End": True}}),
                       branch({"B": {"Type": "Pass", "Result": 1, "ResultPath": "$.b", "End": True}})]), {"x": 1})
    assert ex.output == [{"x": 1}, {"x": 1, "b": 1}]


def test_single_branch_history_and_links():
    ex = run(parallel([branch({"B1": {"Type": "Pass", "End": True}})]), {"v": 1})
    assert types(ex) == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "PassStateEntered",
                         "PassStateExited", "ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 5, 7]
    assert details(event(ex, "ParallelStateStarted")) == {}
    assert details(event(ex, "ParallelStateSucceeded")) == {}
    assert state_output(ex, "Par") == [{"v": 1}]


def test_every_branch_starts_after_parallel_state_started():
    ex = run(parallel([branch({"A": {"Type": "Pass", "End": True}}), branch({"B": {"Type": "Pass", "End": True}}),
                       branch({"C": {"Type": "Pass", "End": True}})]), {})
    started = event(ex, "ParallelStateStarted")["id"]
    firsts = [e for e in events_of(ex, "PassStateEntered")]
    assert len(firsts) == 3
    assert all(e["previousEventId"] == started for e in firsts)
    exited = event(ex, "ParallelStateExited")
    succeeded = event(ex, "ParallelStateSucceeded")
    assert exited["previousEventId"] == succeeded["previousEventId"]
    assert succeeded["id"] < exited["id"]
    assert by_type_before(ex, "ParallelStateSucceeded") == 6


def by_type_before(ex, t):
    """How many branch events come before the first event of type t."""
    idx = next(i for i, e in enumerate(ex.history) if e["type"] == t)
    return sum(1 for e in ex.history[:idx] if e["type"] in ("PassStateEntered", "PassStateExited"))


def test_parameters_result_selector_result_path_output_path():
    d = parallel([branch({"A": {"Type": "Pass", "End": True}}), branch({"B": {"Type": "Pass", "End": True}})],
                 Parameters={"v.$": "$.value", "ctx.$": "$$.State.Name"},
                 ResultSelector={"first.$": "$[0].v", "both.$": "$[*].ctx"},
                 ResultPath="$.res", OutputPath="$.res")
    ex = run(d, {"value": 5})
    assert ex.output == {"first": 5, "both": ["Par", "Par"]}


def test_null_result_path_keeps_the_input():
    ex = run(parallel([branch({"A": {"Type": "Pass", "Result": 1, "End": True}})], ResultPath=None), {"in": 1})
    assert ex.output == {"in": 1}


def test_nested_parallel():
    inner = {"Inner": {"Type": "Parallel", "End": True,
                       "Branches": [branch({"Leaf": {"Type": "Pass", "End": True}})]}}
    ex = run(parallel([branch(inner)]), [[1, 2, 3], [4, 5, 6]])
    assert ex.output == [[[[1, 2, 3], [4, 5, 6]]]]
    assert types(ex).count("ParallelStateStarted") == 2
    assert types(ex).count("ParallelStateExited") == 2


def test_a_failing_branch_fails_the_parallel_state():
    d = parallel([branch({"Ok": {"Type": "Pass", "End": True}}),
                  branch({"Bad": {"Type": "Fail", "Error": "BranchError", "Cause": "branch cause"}})])
    ex = run(d, {})
    assert ex.status == "FAILED"
    assert (ex.error, ex.cause) == ("BranchError", "branch cause")
    assert "ParallelStateFailed" in types(ex)
    assert types(ex)[-2:] == ["ParallelStateFailed", "ExecutionFailed"]
    assert "ParallelStateSucceeded" not in types(ex)
    assert "ParallelStateExited" not in types(ex)
    failed = event(ex, "ParallelStateFailed")
    assert by_id_type(ex, failed["previousEventId"]) == "FailStateEntered"


def by_id_type(ex, event_id):
    return ex.history[event_id - 1]["type"]


def test_a_failing_branch_does_not_wait_for_the_others():
    d = parallel([branch({"Long": {"Type": "Wait", "Seconds": 100000, "End": True}}),
                  branch({"Bad": {"Type": "Fail", "Error": "E"}})])
    ex = run(d, {}, virtual_time=True)
    assert ex.status == "FAILED"
    assert ex.error == "E"
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] < 100
    assert "WaitStateExited" not in types(ex)


def test_catch_on_parallel():
    # conformance: test_parallel_state_catch
    d = machine({
        "ParallelState": {"Type": "Parallel", "Branches": [branch({"Branch1": {"Type": "Fail", "Error": "FailureType",
                                                                               "Cause": "Cause description"}})],
                          "Catch": [{"ErrorEquals": ["FailureType"], "Next": "FinalCaught"}], "Next": "Final"},
        "FinalCaught": {"Type": "Pass", "End": True},
        "Final": {"Type": "Pass", "End": True},
    })
    ex = run(d, {})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"Error": "FailureType", "Cause": "Cause description"}
    assert types(ex) == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "FailStateEntered",
                         "ParallelStateFailed", "ParallelStateExited", "PassStateEntered", "PassStateExited",
                         "ExecutionSucceeded"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 6, 7, 8]
    assert details(event(ex, "PassStateEntered"))["name"] == "FinalCaught"


def test_catch_result_path_on_parallel():
    d = machine({
        "P": {"Type": "Parallel", "Branches": [branch({"F": {"Type": "Fail", "Error": "E", "Cause": "C"}})],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"}], "End": True},
        "Done": {"Type": "Pass", "End": True},
    })
    ex = run(d, {"in": 1})
    assert ex.output == {"in": 1, "err": {"Error": "E", "Cause": "C"}}


def test_retry_on_parallel():
    # conformance: test_parallel_state_retry
    d = machine({
        "ParallelState": {"Type": "Parallel", "Branches": [branch({"Branch1": {"Type": "Fail", "Error": "FailureType",
                                                                               "Cause": "Cause description"}})],
                          "Retry": [{"ErrorEquals": ["FailureType"], "MaxAttempts": 2}], "Next": "Final"},
        "Final": {"Type": "Pass", "End": True},
    })
    ex = run(d, {}, virtual_time=True)
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "FailureType", "Cause description")
    assert types(ex) == ["ExecutionStarted", "ParallelStateEntered",
                         "ParallelStateStarted", "FailStateEntered",
                         "ParallelStateStarted", "FailStateEntered",
                         "ParallelStateStarted", "FailStateEntered",
                         "ParallelStateFailed", "ExecutionFailed"]
    assert [e["previousEventId"] for e in ex.history] == [0, 0, 2, 3, 4, 5, 6, 7, 8, 9]
    started = events_of(ex, "ParallelStateStarted")
    # default backoff: 1 s then 2 s between attempts
    gaps = [started[i + 1]["timestamp"] - started[i]["timestamp"] for i in range(2)]
    assert 1 <= gaps[0] < 1.5 and 2 <= gaps[1] < 2.5


def test_retry_then_success_on_parallel():
    calls = []

    def flaky(event, context):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("once")
        return "ok"

    d = parallel([branch({"T": {"Type": "Task", "Resource": lambda_arn("flaky"), "End": True}})],
                 Retry=[{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 1}])
    ex = run(d, {}, functions={"flaky": flaky}, virtual_time=True)
    assert ex.status == "SUCCEEDED"
    assert ex.output == ["ok"]
    assert len(events_of(ex, "ParallelStateStarted")) == 2
    assert len(events_of(ex, "ParallelStateEntered")) == 1


def test_branch_task_error_is_the_parallel_error():
    def boom(event, context):
        raise KeyError("k")

    ex = run(parallel([branch({"T": {"Type": "Task", "Resource": lambda_arn("boom"), "End": True}})]), {},
             functions={"boom": boom})
    assert ex.error == "KeyError"
    assert json.loads(ex.cause)["errorType"] == "KeyError"


def test_runtime_error_in_a_branch_is_not_caught_by_the_parallel():
    d = machine({
        "P": {"Type": "Parallel", "Branches": [branch({"B": {"Type": "Pass", "InputPath": "$.missing", "End": True}})],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "End": True},
        "Done": {"Type": "Pass", "End": True},
    })
    ex = run(d, {})
    assert ex.status == "FAILED"
    assert ex.error == "States.Runtime"


def test_jsonata_parallel_arguments_output_assign():
    d = machine({
        "P": {"Type": "Parallel", "Arguments": {"n": "{% $states.input.n + 1 %}"},
              "Branches": [branch({"A": {"Type": "Pass", "Output": "{% $states.input.n * 10 %}", "End": True}}),
                           branch({"B": {"Type": "Pass", "End": True}})],
              "Output": {"results": "{% $states.result %}", "input": "{% $states.input %}"},
              "Assign": {"first": "{% $states.result[0] %}"}, "Next": "Use"},
        "Use": {"Type": "Pass", "Output": {"prev": "{% $states.input %}", "first": "{% $first %}"}, "End": True},
    }, QueryLanguage="JSONata")
    ex = run(d, {"n": 1})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"prev": {"results": [20, {"n": 2}], "input": {"n": 1}}, "first": 20}
    assert details(event(ex, "ParallelStateExited"))["assignedVariables"] == {"first": "20"}
    assert parsed(details(event(ex, "ParallelStateExited"))["output"])["results"] == [20, {"n": 2}]
