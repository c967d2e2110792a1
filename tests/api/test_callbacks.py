"""Callbacks (.waitForTaskToken) and activities through the API: tokens, heartbeats, timeouts,
workers in other processes, and tokens that outlive the server that handed them out."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import ACCOUNT, Running, wait_for
from .test_executions import finished
from .test_state_machines import create, error_of

tokens: queue.Queue = queue.Queue()


def hand_out(event: Any, context: Any) -> Any:
    """A function that passes its callback token on (as a real one would: to a queue, a person)."""
    tokens.put(event["token"])
    return {"queued": True}


def callback_machine(**task: Any) -> dict:
    return {"StartAt": "Wait for it", "States": {"Wait for it": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "hand_out", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
        "End": True, **task}}}


@pytest.fixture(scope="module", autouse=True)
def _register(server: Running) -> None:
    server.functions.add("hand_out", hand_out)


def next_token() -> str:
    return tokens.get(timeout=10)


def types(sfn: Any, arn: str) -> list[str]:
    return [e["type"] for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]


def test_send_task_success_resumes_the_execution(sfn: Any) -> None:
    sm = create(sfn, callback_machine())["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 7}')["executionArn"]
    token = next_token()
    wait_for(lambda: "TaskSubmitted" in types(sfn, arn))
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"approved": True}
    assert types(sfn, arn) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                               "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    # single use: the task is over
    assert error_of(sfn.send_task_success, taskToken=token, output="{}")[0] == "TaskTimedOut"


def test_send_task_failure_fails_the_task_and_catch_sees_it(sfn: Any) -> None:
    definition = callback_machine(Catch=[{"ErrorEquals": ["Rejected"], "Next": "Handled"}])
    definition["States"]["Wait for it"].pop("End")
    definition["States"]["Wait for it"]["Next"] = "Done"
    definition["States"]["Done"] = {"Type": "Succeed"}
    definition["States"]["Handled"] = {"Type": "Pass", "End": True}
    sm = create(sfn, definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 1}')["executionArn"]
    sfn.send_task_failure(taskToken=next_token(), error="Rejected", cause="by a person")
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"Error": "Rejected", "Cause": "by a person"}


def test_heartbeats_keep_a_task_alive_and_their_absence_times_it_out(sfn: Any) -> None:
    sm = create(sfn, callback_machine(HeartbeatSeconds=1))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 2}')["executionArn"]
    token = next_token()
    for _ in range(4):  # two seconds of heartbeats every half second: longer than HeartbeatSeconds
        time.sleep(0.5)
        sfn.send_task_heartbeat(taskToken=token)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    done = finished(sfn, arn)  # then silence
    assert (done["status"], done["error"]) == ("FAILED", "States.HeartbeatTimeout")
    assert error_of(sfn.send_task_heartbeat, taskToken=token)[0] == "TaskTimedOut"


def test_timeout_seconds_times_out_a_callback(sfn: Any) -> None:
    sm = create(sfn, callback_machine(TimeoutSeconds=1))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 3}')["executionArn"]
    token = next_token()
    done = finished(sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.Timeout")
    assert error_of(sfn.send_task_success, taskToken=token, output="{}")[0] == "TaskTimedOut"


def test_bad_tokens_and_outputs(sfn: Any) -> None:
    assert error_of(sfn.send_task_success, taskToken="not-a-token", output="{}")[0] == "InvalidToken"
    from stepline import ids
    stranger = ids.new_token(f"arn:aws:states:us-east-1:{ACCOUNT}:execution:none:none")
    assert error_of(sfn.send_task_success, taskToken=stranger, output="{}")[0] == "TaskDoesNotExist"
    sm = create(sfn, callback_machine())["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 4}')["executionArn"]
    token = next_token()
    wait_for(lambda: "TaskSubmitted" in types(sfn, arn))
    assert error_of(sfn.send_task_success, taskToken=token, output="{nope")[0] == "InvalidOutput"
    forged = ids.new_token(arn)  # the right execution, but not the token it handed out
    assert error_of(sfn.send_task_success, taskToken=forged, output="{}")[0] == "TaskTimedOut"
    sfn.stop_execution(executionArn=arn)
    assert error_of(sfn.send_task_success, taskToken=token, output="{}")[0] == "TaskTimedOut"


# ------------------------------------------------------------------ activities

WORKER = textwrap.dedent('''
    import sys
    from stepline import ActivityWorker

    def double(task):
        if task.get("fail"):
            raise ValueError("asked to fail")
        return {"doubled": task["n"] * 2}

    served = ActivityWorker(sys.argv[1], double, endpoint_url=sys.argv[2], heartbeat_seconds=0.2).run(max_tasks=2)
    print(served)
''')


def activity_machine(activity_arn: str, **task: Any) -> dict:
    return {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity_arn, "End": True, **task}}}


def test_an_activity_served_by_a_worker_in_another_process(sfn: Any, server: Running, tmp_path: Path) -> None:
    activity = sfn.create_activity(name="doubler")["activityArn"]
    sm = create(sfn, activity_machine(activity, HeartbeatSeconds=5))["stateMachineArn"]
    ok = sfn.start_execution(stateMachineArn=sm, input='{"n": 21}')["executionArn"]
    bad = sfn.start_execution(stateMachineArn=sm, input='{"n": 1, "fail": true}')["executionArn"]
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "PATH": "/usr/bin:/bin"}
    worker = subprocess.run([sys.executable, str(script), activity, server.url], capture_output=True, text=True,
                            timeout=60, env=env)
    assert worker.returncode == 0, worker.stderr
    assert worker.stdout.strip() == "2"
    done = finished(sfn, ok)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"doubled": 42}
    history = sfn.get_execution_history(executionArn=ok)["events"]
    assert [e["type"] for e in history] == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                            "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                            "ExecutionSucceeded"]
    assert history[3]["activityStartedEventDetails"]["workerName"]
    failed = finished(sfn, bad)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "ValueError", "asked to fail")


def test_get_activity_task_long_polls_and_answers_empty(sfn: Any, server: Running) -> None:
    activity = sfn.create_activity(name="idle")["activityArn"]
    server.service.tasks.max_poll_seconds = 1.0
    try:
        started = time.monotonic()
        assert "taskToken" not in sfn.get_activity_task(activityArn=activity, workerName="w")
        assert time.monotonic() - started >= 0.9
    finally:
        server.service.tasks.max_poll_seconds = 60.0
    missing = activity.replace(":idle", ":missing")
    assert error_of(sfn.get_activity_task, activityArn=missing)[0] == "ActivityDoesNotExist"


def test_an_activity_nobody_takes_times_out_and_a_silent_worker_misses_its_heartbeat(sfn: Any) -> None:
    activity = sfn.create_activity(name="unserved")["activityArn"]
    sm = create(sfn, activity_machine(activity, TimeoutSeconds=1))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    done = finished(sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.Timeout")
    sm = create(sfn, activity_machine(activity, HeartbeatSeconds=1))["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    task = wait_for(lambda: sfn.get_activity_task(activityArn=activity, workerName="silent").get("taskToken"))
    done = finished(sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.HeartbeatTimeout")
    assert error_of(sfn.send_task_success, taskToken=task, output="{}")[0] == "TaskTimedOut"


def test_a_token_outlives_the_server_that_handed_it_out(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'restart.db'}"
    first = Running(db)
    first.functions.add("hand_out", hand_out)
    try:
        sfn = first.client()
        sm = create(sfn, callback_machine())["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=sm, input='{"n": 5}')["executionArn"]
        token = next_token()
        wait_for(lambda: "TaskSubmitted" in types(sfn, arn))
    finally:
        first.stop()  # graceful: the lease is released
    second = Running(db)
    try:
        sfn = second.client()
        sfn.send_task_success(taskToken=token, output='{"after": "restart"}')
        done = finished(sfn, arn)
        assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"after": "restart"}
        assert types(sfn, arn).count("TaskSubmitted") == 1  # the request was not sent again
    finally:
        second.stop()
