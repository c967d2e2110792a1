"""Run one execution in this process, in memory, to the end: ``stepline.run`` and ``stepline run``.

The loop keeps a queue of ready frames, a heap of timers (Wait states, retry backoff, task
timeouts, the execution's own timeout) and the tasks running on threads. Tasks without a
timeout run inline, which keeps a short Task as cheap as a function call; tasks with a
timeout run on a daemon thread so the timeout can fire while they run.

With ``virtual_time`` the clock jumps to the next timer whenever nothing is running, so
waits and backoffs take no real time while timestamps and ``$$`` values advance as if they
had; while a task really runs, time passes as it really does.
"""

from __future__ import annotations

import gc
import heapq
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from .. import arns, config, ids
from ..asl import parser
from ..asl.model import StateMachine
from ..asl.values import JSON, size_in_bytes
from ..integrations import Integrations
from ..integrations.functions import Functions, registered
from ..interpreter import Execution, Interpreter
from ..interpreter.core import HISTORY_LIMIT
from ..interpreter.frames import FINISHED, RUNNING, Sleep, Spawn, TaskCall
from ..interpreter.start import Start
from .tasks import NOT_MOCKED, call_task, mocked_answer

_interpreter = Interpreter()
HISTORY_STEP = 20_000  # this close to the history limit, transitions are advanced a few at a time


class Clock:
    """Real time, or virtual time that can jump ahead when nothing is running."""

    def __init__(self, virtual: bool, real: Callable[[], float] = time.time) -> None:
        self.virtual = virtual
        self.real = real
        self.offset = 0.0
        self.last = 0.0

    def now(self) -> float:
        """Never earlier than it last said: a history's timestamps do not go backwards when the
        system clock is stepped back (an NTP correction in a VM)."""
        t = self.real() + self.offset
        if t < self.last:
            return self.last
        self.last = t
        return t

    def jump_to(self, t: float) -> None:
        gap = t - self.now()
        if gap > 0:
            self.offset += gap


_REAL_TIME = Clock(False)  # real time holds no state of its own: one serves every runner


class LocalRunner:
    """Drives one execution to its end in the calling thread."""

    def __init__(self, execution: Execution, integrations: Integrations, *, virtual_time: bool = False,
                 interpreter: Interpreter | None = None, clock: Clock | None = None,
                 time_limit: float | None = None, history_limit: int | None = HISTORY_LIMIT) -> None:
        """``time_limit`` caps the execution's duration below its definition's TimeoutSeconds
        (Express executions: five minutes); reaching either times it out. An execution whose
        history grows past ``history_limit`` events fails, as a Standard execution does on AWS
        (None: no limit)."""
        self.execution = execution
        timeout = execution.machine.timeout_seconds
        self.timeout = timeout if time_limit is None else time_limit if timeout is None else min(timeout, time_limit)
        self.integrations = integrations
        self.interpreter = interpreter or _interpreter
        self.clock = clock or (Clock(True) if virtual_time else _REAL_TIME)
        self.history_limit = history_limit
        self.ready: deque = deque()
        self.timers: list = []
        self.seq = 0
        self.inflight = 0
        self._completions: queue.SimpleQueue | None = None

    @property
    def completions(self) -> queue.SimpleQueue:
        """Results of tasks running on threads (made when the first such task starts)."""
        if self._completions is None:
            self._completions = queue.SimpleQueue()
        return self._completions

    def run(self) -> Execution:
        ex, interp, clock = self.execution, self.interpreter, self.clock
        timeout = self.timeout
        if timeout is not None:
            self._timer(ex.start_time + timeout, "execution-timeout", None)
        self.ready.append(interp.start(ex, ex.start_time))
        ready = self.ready
        limit = self.history_limit
        budget = None
        while ex.status == RUNNING:
            if limit is not None:
                room = limit - len(ex.events)
                if room <= 0 and interp.history_full(ex, limit, clock.now()):
                    break
                # near the limit, advance a few transitions at a time (each records a handful of
                # events at most), so the execution fails where the limit is, not far beyond it
                budget = None if room > HISTORY_STEP else max(1, room // 8)
            if ready:
                self._handle(self._advance(ready.popleft(), clock.now(), budget))
                continue
            self._wait_for_something()
        if limit is not None and len(ex.events) > limit:  # it ended past the limit: it failed at it
            interp.history_full(ex, limit, clock.now())
        ex.root = None  # the frames are garbage now; drop the execution <-> frame cycle
        return ex

    def _advance(self, frame: Any, now: float, budget: int | None = None) -> Any:
        """Advance a frame with Python's cyclic GC paused. Interpreting allocates many objects
        that all stay alive (history events, state data), so a collection in the middle finds
        nothing to free yet costs a full traversal: on map-10k it was a third of the run time.
        The pause covers only stepline's own code; user functions run with the GC as it was."""
        if not gc.isenabled():
            return self.interpreter.advance(frame, now, budget)
        gc.disable()
        try:
            return self.interpreter.advance(frame, now, budget)
        finally:
            gc.enable()

    # ------------------------------------------------------------------ requests

    def _handle(self, request: Any) -> None:
        while request is not None and request is not FINISHED:
            kind = type(request)
            if kind is TaskCall:
                request = self._invoke(request)
                continue
            if kind is Spawn:
                self.ready.extend(request.frames)
                return
            if kind is Sleep:
                self._timer(request.until, "wake", request.frame)
                return
            raise AssertionError(f"unknown request {request!r}")  # pragma: no cover

    def _invoke(self, call: TaskCall) -> Any:
        interp, now = self.interpreter, self.clock.now
        if call.token is not None or call.resource.kind == "activity":
            answered = mocked_answer(self.integrations, interp, call, now())
            if answered is not NOT_MOCKED:
                return answered
            return interp.task_failed(call, "States.TaskFailed", "stepline runs callbacks (.waitForTaskToken) and "
                                      "activities in `stepline server`, which can receive SendTaskSuccess; "
                                      "`stepline run` cannot (unless a mock test case answers the state)", now())
        if call.timeout is None and self.timeout is None:
            # nothing can interrupt this task: call it right here (the cheapest way)
            return self._answer(call, *call_task(self.integrations, call))
        self.inflight += 1
        if call.timeout is not None:
            self._timer(now() + call.timeout, "task-timeout", call)
        threading.Thread(target=self._run_task, args=(call, self.completions), daemon=True,
                         name="stepline-task").start()
        return None

    def _run_task(self, call: TaskCall, completions: queue.SimpleQueue) -> None:
        completions.put((call, *call_task(self.integrations, call)))

    def _complete(self, item: tuple) -> None:
        self.inflight -= 1
        self._handle(self._answer(*item))

    def _answer(self, call: TaskCall, ok: bool, value: Any) -> Any:
        if ok:
            return self.interpreter.task_succeeded(call, value[0], self.clock.now(), size=value[1])
        return self.interpreter.task_failed(call, value.error, value.cause, self.clock.now())

    # ------------------------------------------------------------------ time

    def _timer(self, when: float, kind: str, target: Any) -> None:
        self.seq += 1
        heapq.heappush(self.timers, (when, self.seq, kind, target))

    def _wait_for_something(self) -> None:
        clock = self.clock
        if not self.timers and not self.inflight:
            raise RuntimeError("execution is stuck: nothing to run and nothing to wait for")  # pragma: no cover
        if self.inflight:
            wait = None if not self.timers else max(0.0, self.timers[0][0] - clock.now())
            try:
                self._complete(self.completions.get(timeout=wait))
                return
            except queue.Empty:
                pass
        elif self.timers:
            due = self.timers[0][0]
            if clock.virtual:
                clock.jump_to(due)
            else:
                delay = due - clock.now()
                if delay > 0:
                    time.sleep(delay)
        self._fire_due()

    def _fire_due(self) -> None:
        now = self.clock.now()
        interp = self.interpreter
        while self.timers and self.timers[0][0] <= now and self.execution.status == RUNNING:
            _, _, kind, target = heapq.heappop(self.timers)
            if kind == "wake":
                self._handle(interp.timer_fired(target, now))
            elif kind == "task-timeout":
                self._handle(interp.task_timed_out(target, now))
            elif kind == "execution-timeout":
                interp.time_out(self.execution, now)


def local_start(input: JSON, *, input_text: str | None = None, name: str | None = None,
                state_machine_name: str = "stepline-run", region: str | None = None, account: str | None = None,
                input_size: int | None = None, test_case: str | None = None) -> Start:
    """The start of an execution run in this process; without ``name`` it is named by a random
    UUID when its name is first read."""
    region = region or config.region()
    account = account or config.account()
    known = _arns.get((region, account, state_machine_name))
    if known is None:
        if len(_arns) > 64:
            _arns.clear()
        known = _arns[region, account, state_machine_name] = (
            arns.execution(region, account, state_machine_name, ""),
            arns.state_machine(region, account, state_machine_name), arns.role(region, account))
    prefix, sm_arn, role_arn = known
    return Start(state_machine_arn=sm_arn, state_machine_name=state_machine_name, name=name,
                 arn=None if name is None else prefix + name, arn_prefix=prefix, input=input, input_text=input_text,
                 role_arn=role_arn, region=region, account=account, input_size=input_size, test_case=test_case)


def new_execution(machine: StateMachine, input: JSON, *, input_text: str | None = None, name: str | None = None,
                  state_machine_name: str = "stepline-run", region: str | None = None,
                  account: str | None = None, start_time: float | None = None, input_size: int | None = None,
                  test_case: str | None = None) -> Execution:
    """An execution of ``machine`` about to start in this process (see :func:`local_start`)."""
    start = local_start(input, input_text=input_text, name=name, state_machine_name=state_machine_name, region=region,
                        account=account, input_size=input_size, test_case=test_case)
    return Execution(machine, start, time.time() if start_time is None else start_time, new_id=ids.new_uuid)


#: (region, account, state machine name) -> the execution ARN's prefix, the state machine's ARN
#: and the role's ARN: the same few strings for every execution ``stepline.run`` starts
_arns: dict[tuple[str, str, str], tuple[str, str, str]] = {}


def run(definition: Any, input: JSON = None, *, functions: Any = None, virtual_time: bool = False,
        name: str | None = None, integrations: Integrations | None = None, mock_config: Any = None,
        test_case: str | None = None, state_machine_name: str | None = None,
        history_limit: int | None = HISTORY_LIMIT) -> Execution:
    """Run one execution of ``definition`` in this process and return it when it ends.

    ``definition`` is a dict, JSON text or a compiled :class:`StateMachine`; ``input`` is the
    execution input as a JSON value (default ``{}``); ``functions`` maps Lambda function names
    to callables ``(event, context)``, or is a module whose top-level functions are used.

    ``mock_config`` (a Step Functions Local ``MockConfigFile.json``: its path, its parsed
    dict, or a :class:`~stepline.integrations.mocks.Mocks`) with ``test_case`` answers the
    Task states that test case mocks from their mocked responses (see
    :mod:`stepline.integrations.mocks`). ``state_machine_name`` names the state machine (its
    ARN, ``$$.StateMachine.Name``) and so picks its test cases; by default it is the one state
    machine of the mock configuration that defines ``test_case``, else ``stepline-run``.

    The execution fails (``States.Runtime``) when its history grows past ``history_limit``
    events, 25,000 as on AWS; None lifts the limit (a Map over many items in one execution).

    Raises :class:`~stepline.asl.errors.DefinitionError` for an invalid definition and
    :class:`~stepline.integrations.mocks.MockConfigError` (a ``ValueError``) for an invalid
    mock configuration or a test case it does not define.
    """
    machine = definition if isinstance(definition, StateMachine) else parser.parse(definition)
    region, account = config.region(), config.account()
    if integrations is None:
        integrations = _integrations(functions, region, account)
    if mock_config is not None or test_case is not None:
        state_machine_name, integrations = _with_mocks(integrations, mock_config, test_case, state_machine_name)
    value = {} if input is None else input
    size = size_in_bytes(value)  # refuses what is not JSON before anything runs
    execution = new_execution(machine, value, name=name, region=region, account=account,
                              state_machine_name=state_machine_name or "stepline-run", input_size=size,
                              test_case=test_case)
    return LocalRunner(execution, integrations, virtual_time=virtual_time, history_limit=history_limit).run()


def _with_mocks(integrations: Integrations, mock_config: Any, test_case: str | None,
                state_machine_name: str | None) -> tuple[str, Integrations]:
    """The state machine name to run as, and integrations answering from the mocks (a copy:
    the caller's integrations are left as they were)."""
    import copy
    import os

    from ..integrations.mocks import Mocks
    if mock_config is None or test_case is None:
        raise ValueError("mock_config and test_case go together: the test case to run, from that mock configuration")
    if isinstance(mock_config, Mocks):
        mocks = mock_config
    elif isinstance(mock_config, (str, os.PathLike)):
        mocks = Mocks.load(mock_config)
    else:
        mocks = Mocks.from_json(mock_config)
    name = mocks.state_machine_for(test_case, state_machine_name)
    integrations = copy.copy(integrations)
    integrations.interceptor = mocks.interceptor
    return name, integrations


#: the Integrations made for the last ``functions`` mapping passed to run(), and what it was made
#: of: a loop of runs with one dict of functions builds them once
_last: tuple = ()


def _integrations(functions: Any, region: str, account: str) -> Integrations:
    global _last
    if type(functions) is dict:
        last = _last
        if last and last[0] is functions and last[1] == functions and last[2] == registered() \
                and last[3] == region and last[4] == account:
            return last[5]
        integrations = Integrations(_functions(functions), region=region, account=account)
        _last = (functions, dict(functions), dict(registered()), region, account, integrations)
        return integrations
    return Integrations(_functions(functions), region=region, account=account)


def _functions(functions: Any) -> Functions:
    if type(functions) is Functions:
        return functions
    registry = Functions()
    if functions is None:
        return registry
    if type(functions) is dict or isinstance(functions, Mapping):
        for fn_name, fn in functions.items():
            registry.add(fn_name, fn)
        return registry
    registry.add_module(functions)
    return registry
