"""Running a task: what both drivers (the in-process runner and the durable engine) do with a
:class:`~stepline.interpreter.frames.TaskCall` once the interpreter asks for one.

A call runs its integration and reports a :data:`Completion`; a callback (``.waitForTaskToken``)
or an activity task is answered at once by a mock test case when one covers it, as Step
Functions Local does (the token is made, the mocked response is the result).
"""

from __future__ import annotations

from typing import Any

from ..integrations import Integrations, TaskFailure, task_context
from ..interpreter import Interpreter
from ..interpreter.frames import TaskCall

#: what a call came to: (True, (result, size bound | None)) or (False, TaskFailure)
Completion = tuple[bool, Any]

NOT_MOCKED = object()  # what mocked_answer returns for a task the mocks let through


def call_task(integrations: Integrations, call: TaskCall) -> Completion:
    """Run the task's integration to its end (on the caller's thread)."""
    try:
        return True, integrations.invoke(call.resource, call.input, timeout=call.timeout, token=call.token,
                                         context=task_context(call))
    except TaskFailure as e:
        return False, e
    except BaseException as e:  # noqa: BLE001 - an integration's bug fails the task, not the driver
        return False, TaskFailure("States.TaskFailed", f"{type(e).__name__}: {e}")


def mocked_answer(integrations: Integrations, interpreter: Interpreter, call: TaskCall, now: float) -> Any:
    """A callback or activity task answered by the mock interceptor: what the interpreter asks
    next, or NOT_MOCKED when the interceptor lets the task through (or there is none)."""
    interceptor = integrations.interceptor
    if interceptor is None:
        return NOT_MOCKED
    try:
        mocked, result = interceptor(call.resource, call.input, token=call.token, **task_context(call))
    except TaskFailure as e:
        return interpreter.task_failed(call, e.error, e.cause, now)
    if not mocked:
        return NOT_MOCKED
    if call.resource.kind == "activity":
        interpreter.tasks.started(call, None, now)  # as a worker taking it would (ActivityStarted)
    return interpreter.task_succeeded(call, result, now)


def waits_for_child(call: TaskCall) -> bool:
    """A ``states:startExecution.sync`` task: answered when the child ends (like a callback)."""
    r = call.resource
    return r.kind == "service" and r.service == "states" and r.pattern in ("sync", "sync:2")


def hands_out_token(call: TaskCall) -> bool:
    """A task whose token goes out for SendTask* to answer: a callback or an activity task."""
    return call.resource.kind == "activity" or call.resource.pattern == "waitForTaskToken"
