"""The interpreter: advances frames state by state, without I/O and without reading the clock.

The engine calls :meth:`Interpreter.advance` with a frame and the current time; the frame runs
through as many states as it can (Pass, Choice, Succeed, Fail need nothing from outside) and
stops at the first thing the engine must do: run a task (:class:`TaskCall`), wake it later
(:class:`Sleep`), start child frames (:class:`Spawn`), or nothing more (``FINISHED``, or
``None`` when the frame waits for its siblings). The engine reports back through
``task_succeeded`` / ``task_failed`` / ``task_timed_out`` / ``timer_fired``, which continue the
frame the same way.

Every transition appends its history events to the execution's event list, exactly as AWS
records them, including ``previousEventId`` (each frame remembers its last event).

A state is evaluated by the handler its ``handler`` names (its type and query language, chosen
when the definition was loaded): :mod:`.simple_states`, :mod:`.tasks`, :mod:`.parallel` and
:mod:`.map_state`; :mod:`.children` follows the children of Parallel and Map states. An
:class:`Observer`, when given, sees each state leave, fail and get its result, and may stop a
frame there (TestState runs one state this way).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from .. import ids
from ..asl import errors
from ..asl.errors import StatesError
from ..asl.model import Catcher, State
from ..asl.values import JSON, size_in_bytes
from . import history, io
from .children import Children, abort_children
from .frames import (
    ABORTED,
    ACT,
    DONE,
    ENTER,
    FAILED,
    FINISHED,
    RUNNING,
    START,
    SUCCEEDED,
    TIMED_OUT,
    WAITING,
    Execution,
    Frame,
    Request,
    Sleep,
    Spawn,
    TaskCall,
)
from .history import append
from .map_state import MapStates
from .parallel import ParallelStates
from .simple_states import SimpleStates
from .tasks import Tasks

PAYLOAD_LIMIT = 262144  # 256 KiB, AWS's quota for state input and output
HISTORY_LIMIT = 25_000  # events of a Standard execution, AWS's quota

logger = logging.getLogger("stepline.interpreter")


class Observer:
    """What a driver may see of the interpreter's work, and change (the defaults change nothing)."""

    def on_exit(self, frame: Frame, st: State, output: JSON, next_state: str | None) -> bool:
        """``st`` was left with ``output`` for ``next_state`` (None: the frame ends): whether
        ``frame`` stops where it arrives (it goes no further)."""
        return False

    def on_error(self, frame: Frame, st: State, error: str | None, cause: str | None) -> int | None:
        """``st`` failed and its Retry and Catch are consulted: the attempts its first matching
        retrier is to take as made already (None: as counted)."""
        return None

    def on_result(self, frame: Frame, st: State, result: JSON, size: int) -> tuple[JSON, int]:
        """A Task, Parallel or Map state has its result (and its size), to use instead."""
        return result, size


class Interpreter:
    """Evaluates states. One instance serves any number of executions. ``new_token`` and ``rng``
    make its task tokens and retry jitter; an execution brings its own ids. What a definition
    asks for itself (``States.UUID``, JSONata's ``$uuid()`` and ``$random()``, an unseeded
    ``States.MathRandom``) is random as on AWS, not injected."""

    def __init__(self, *, payload_limit: int = PAYLOAD_LIMIT,
                 new_token: Callable[[str], str] | None = None,
                 rng: random.Random | None = None, transitions_per_advance: int = 2000,
                 observer: Observer | None = None) -> None:
        self.payload_limit = payload_limit
        #: an advance hands control back after this many states (a Spawn of the same frame)
        self.transitions_per_advance = transitions_per_advance
        self.new_token = new_token or ids.new_token
        self.rng = rng or random.Random()
        self.observer = observer
        self.tasks = Tasks(self)
        self.children = Children(self)
        self.parallel = ParallelStates(self)
        self.maps = MapStates(self)
        self._handlers: dict[str, Callable[[Frame, Any, float], Any]] = {
            **SimpleStates(self).handlers(),
            "Task": self.tasks.run, "Task:JSONata": self.tasks.run_jsonata,
            "Parallel": self.parallel.run, "Parallel:JSONata": self.parallel.run_jsonata,
            "Map": self.maps.run, "Map:JSONata": self.maps.run_jsonata,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self, execution: Execution, now: float) -> Frame:
        """Record ``ExecutionStarted`` and make the root frame (advance it next)."""
        start = execution.start
        text, value, size = start.input_text, start.input, start.input_size
        details = {"input": history.RawJson(text) if text is not None else value, "roleArn": start.role_arn}
        execution.events.append((history.EXECUTION_STARTED, 0, now, details))  # (the first: it follows none)
        if size is None:
            size = (len(text) if text.isascii() else len(text.encode())) if text is not None else size_in_bytes(value)
        root = Frame(execution, execution.machine.program, value, size=size)
        execution.root = root
        return root

    def advance(self, frame: Frame, now: float, budget: int | None = None) -> Request:
        """Run ``frame`` until it needs the engine, or for ``budget`` transitions at most
        (default ``transitions_per_advance``). Returns a request, FINISHED or None.

        This loop is the per-transition path of every execution: it is written flat on purpose."""
        if frame.execution.status != RUNNING:
            return None
        handlers = self._handlers
        if budget is None:
            budget = self.transitions_per_advance
        while True:
            phase = frame.phase
            if phase == DONE:
                return None
            st = frame.program.states[frame.state]
            budget -= 1
            if budget < 0:  # let the engine commit, check limits, serve others; then go on
                return Spawn([frame])
            if phase == ENTER or phase == START:  # enter the state (history.append inlined: once per transition)
                if phase == START:
                    self.children.started(frame, now)
                log = frame.log
                frame.entered_prev = prev = frame.last
                log.append((st.entered, prev, now, (st.name, frame.data)))  # (history.state_event, inlined)
                frame.last = frame.entered_id = len(log)
                frame.entered_at = now
                frame.phase = ACT
                if frame.retry_count:
                    frame.attempts = None
                    frame.retry_count = 0
                frame._ctx = None
            try:
                outcome = handlers[st.handler](frame, st, now)
            except StatesError as e:
                outcome = self.state_failed(frame, st, e, now)
            except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as e:
                outcome = self._internal_error(frame, st, e, now)
            if outcome is _NEXT:
                continue
            if type(outcome) is Frame:  # a finished child handed control back to its parent
                frame = outcome
                continue
            request: Request = outcome  # neither of those: what the engine is to do
            return request

    # ------------------------------------------------------------------ leaving a state

    def exit(self, frame: Frame, st: State, output: JSON, assigned: dict[str, JSON] | None, now: float, *,
             next_state: str | None = None, terminal: bool = False, result_size: int = 0) -> Any:
        """Record ``*StateExited``, apply variables, move to the next state or finish the frame."""
        g = st.growth
        size = g.a + g.b * frame.size + g.c * result_size if g is not None else -1
        if size < 0 or size > self.payload_limit:  # no bound, or not a small enough one: measure
            size = size_in_bytes(output)
            if size > self.payload_limit:
                return self.frame_failed(frame, errors.DATA_LIMIT_EXCEEDED,
                                         f"The state/task '{st.name}' returned a result with a size exceeding the "
                                         "maximum number of bytes service limit.", now, terminal=True)
        frame.size = size
        if assigned:
            details: Any = {"name": st.name, "output": output, "assignedVariables": assigned}
            frame.assign(assigned)
        else:
            details = (st.name, output)  # (history.state_event, inlined)
        log = frame.log  # (history.append, inlined: once per transition)
        log.append((st.exited, frame.last, now, details))
        frame.last = len(log)
        target = next_state or st.next
        stop = self.observer is not None and self.observer.on_exit(frame, st, output,
                                                                    None if terminal else target)
        if terminal or target is None:
            frame.data = output
            return self.frame_succeeded(frame, output, now)
        frame.state = target
        frame.data = output
        frame.phase = DONE if stop else ENTER
        return _NEXT

    def complete(self, frame: Frame, st: Any, result: JSON, now: float, result_size: int) -> Any:
        """A Task, Parallel or Map state has its result: shape the output and leave the state."""
        if self.observer is not None:
            result, result_size = self.observer.on_result(frame, st, result, result_size)
        data = frame.data
        if st.jsonata:  # (the one place that asks: a result is shaped after the state's own handler ran)
            bindings = io.bindings(frame, data, now, result=result)
            output = st.output(bindings, now) if st.output is not None else result
            assigned = st.assign(bindings, now) if st.assign is not None else None
        else:
            selected = st.result_selector(result, frame) if st.result_selector is not None else result
            assigned = st.assign(selected, frame) if st.assign is not None else None
            output = selected if st.result_path == () else io.result_path(st, data, selected, None)
            if st.output_path is not None:
                output = io.output_path(frame, st, output)
        frame.task = None
        return self.exit(frame, st, output, assigned, now, result_size=result_size)

    def frame_succeeded(self, frame: Frame, output: JSON, now: float) -> Any:
        frame.phase = DONE
        if frame.group is not None:
            return self.children.succeeded(frame, output, now)
        ex = frame.execution
        append(frame, history.EXECUTION_SUCCEEDED, now, {"output": output})
        ex.status, ex.output, ex.stop_time = SUCCEEDED, output, now
        return FINISHED

    def frame_failed(self, frame: Frame, error: str | None, cause: str | None, now: float, *,
                     terminal: bool = False) -> Any:
        """The frame ends in failure. ``terminal`` failures (States.Runtime, a state output over
        the payload limit) also fail every enclosing Parallel/Map: nothing may catch them."""
        frame.phase = DONE
        if frame.group is not None:
            return self.children.failed(frame, error, cause, now, terminal=terminal or error == errors.RUNTIME)
        ex = frame.execution
        append(frame, history.EXECUTION_FAILED, now, {"error": error, "cause": cause})
        ex.status, ex.error, ex.cause, ex.stop_time = FAILED, error, cause, now
        if ex.map_run_groups:
            abort_children(ex, now)
        return FINISHED

    def _internal_error(self, frame: Frame, st: State, e: BaseException, now: float) -> Any:
        """A Python error escaped a state: a stepline bug or a value no check anticipated. The
        execution fails with States.Runtime (never a traceback for the caller), and the
        traceback goes to the log for whoever maintains stepline."""
        logger.exception("internal error in state %r of %s", st.name, frame.execution.arn)
        return self.state_failed(frame, st, StatesError(errors.RUNTIME, f"Internal error: {type(e).__name__}: {e}"),
                                 now)

    # ------------------------------------------------------------------ errors: Retry and Catch

    def state_failed(self, frame: Frame, st: State, e: StatesError, now: float) -> Any:
        """An evaluation error inside a state: AWS's cause prefix, EvaluationFailed, then handling."""
        cause = e.cause
        if e.in_state:
            cause = (f"An error occurred while executing the state '{st.name}' (entered at the event id "
                     f"#{frame.entered_id}). {cause}" if cause else cause)
        if e.error == errors.QUERY_EVALUATION_ERROR:
            # AWS links EvaluationFailed to what preceded the state's entry, except for a Wait
            # state, whose Seconds/Timestamp are evaluated after its entry was recorded.
            prev = frame.entered_id if st.type == "Wait" or not frame.entered_id else frame.entered_prev
            details = {"error": e.error, "cause": cause, "location": e.location, "state": st.name}
            append(frame, history.EVALUATION_FAILED, now, details, prev=prev)
        if e.error == errors.RUNTIME or not e.in_state and e.error == errors.DATA_LIMIT_EXCEEDED:
            return self.frame_failed(frame, e.error, cause, now, terminal=True)
        if st.type in ("Map", "Parallel") and frame.child_group is None:
            append(frame, history.failed_type(st.type), now)  # failed before any child started
        return self.handle_error(frame, st, e.error, cause, now)

    def handle_error(self, frame: Frame, st: State, error: str | None, cause: str | None, now: float,
                     give_up: Callable[[], None] | None = None) -> Any:
        """Retry, catch, or fail the frame, in that order (first matching retrier/catcher).

        ``give_up`` runs once it is clear the state will not be retried (Parallel and Map
        record their *StateFailed event then)."""
        if error == errors.RUNTIME:
            if give_up is not None:
                give_up()
            return self.frame_failed(frame, error, cause, now, terminal=True)
        retriers = getattr(st, "retry", ())
        if self.observer is not None:
            made = self.observer.on_error(frame, st, error, cause)
            if made is not None and retriers:
                frame.attempts = [made] * len(retriers)
        for i, r in enumerate(retriers):
            if errors.error_matches(error, r.error_equals):
                attempts = frame.attempts or [0] * len(retriers)
                frame.attempts = attempts
                if attempts[i] < r.max_attempts:
                    delay = r.interval_seconds * r.backoff_rate ** attempts[i]
                    if r.max_delay_seconds is not None:
                        delay = min(delay, r.max_delay_seconds)
                    if r.jitter == "FULL":
                        delay = self.rng.uniform(0, delay)
                    attempts[i] += 1
                    frame.retry_count += 1
                    frame._ctx = None
                    frame.phase = WAITING
                    frame.task = None
                    frame.child_group = None
                    frame.until = now + delay
                    return Sleep(frame, now + delay)
                break
        if give_up is not None:
            give_up()
        for c in getattr(st, "catch", ()):
            if errors.error_matches(error, c.error_equals):
                return self._catch(frame, st, c, error, cause, now)
        return self.frame_failed(frame, error, cause, now)

    def _catch(self, frame: Frame, st: State, c: Catcher, error: str | None, cause: str | None, now: float) -> Any:
        error_output = {"Error": error, "Cause": cause if cause is not None else ""}
        data = frame.data
        try:
            if st.jsonata:  # (a catcher is of its state's language: the one other place that asks)
                bindings = io.bindings(frame, data, now, error_output=error_output)
                output = c.output(bindings, now) if c.output is not None else error_output
                assigned = c.assign(bindings, now) if c.assign is not None else None
            else:
                assigned = c.assign(error_output, frame) if c.assign is not None else None
                output = io.result_path_for(c.result_path, data, error_output, c.result_path_text)
        except StatesError as e:
            # the catcher itself cannot be applied: the state fails for good (no second chance
            # through the same catchers, which would loop)
            frame.task = None
            cause = e.cause
            if e.in_state and cause:
                cause = (f"An error occurred while executing the state '{st.name}' (entered at the event id "
                         f"#{frame.entered_id}). {cause}")
            return self.frame_failed(frame, e.error, cause, now, terminal=e.error == errors.RUNTIME)
        frame.task = None
        return self.exit(frame, st, output, assigned, now, next_state=c.next)

    # ------------------------------------------------------------------ reports from the engine

    def timer_fired(self, frame: Frame, now: float) -> Any:
        """A Wait finished or a retry backoff elapsed."""
        if frame.phase != WAITING or frame.execution.status != RUNNING:
            return None
        st = frame.program.states[frame.state]
        if st.type != "Wait":
            frame.phase = ACT  # retry: do the state's work again
        return self.advance(frame, now)

    def task_succeeded(self, call: TaskCall, result: JSON, now: float, *, size: int | None = None) -> Any:
        """The task returned ``result``; ``size``, when given, bounds its size as JSON."""
        return self.tasks.succeeded(call, result, now, size)

    def task_failed(self, call: TaskCall, error: str | None, cause: str | None, now: float) -> Any:
        return self.tasks.failed(call, error, cause, now)

    def task_timed_out(self, call: TaskCall, now: float, *, heartbeat: bool = False) -> Any:
        return self.tasks.timed_out(call, now, heartbeat=heartbeat)

    def continue_after(self, frame: Frame, outcome: Any, now: float) -> Any:
        """Turn a handler's outcome into a request, advancing further when it says so."""
        if outcome is _NEXT:
            return self.advance(frame, now)
        if type(outcome) is Frame:
            return self.advance(outcome, now)
        return outcome

    # ------------------------------------------------------------------ stopping from outside

    def stop(self, execution: Execution, error: str | None, cause: str | None, now: float) -> None:
        """StopExecution: ABORTED, with ExecutionAborted as the last event. As AWS records it, the
        event follows no other (previousEventId 0) and its details are there even when empty."""
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        self._close(execution, history.EXECUTION_ABORTED, ABORTED, details, error, cause, now, prev=0)

    def redrive(self, execution: Execution, now: float) -> Frame:
        """RedriveExecution: ``execution`` (restored from its redrive snapshot) runs again from
        the states where it stopped. Records ExecutionRedriven; returns the frame to advance."""
        root = execution.root
        if root is None:
            raise ValueError("nothing to redrive: the execution has no saved state")
        execution.redrive_count += 1
        execution.redrive_time = now
        execution.status, execution.output, execution.error, execution.cause = RUNNING, None, None, None
        execution.stop_time = None
        execution._ctx_execution = None  # $$.Execution.RedriveCount/RedriveTime change
        append(root, history.EXECUTION_REDRIVEN, now, {"redriveCount": execution.redrive_count},
               prev=len(execution.events))
        root.phase = ENTER
        return root

    def history_full(self, execution: Execution, limit: int, now: float) -> bool:
        """Fail ``execution`` (States.Runtime) if its history reached ``limit`` events while it
        runs, or went past it; True if it did. As AWS records it (measured, floci-io/floci#2734),
        the failure is event number ``limit`` itself and follows event ``limit - 1``: what was
        recorded beyond that (since the engine last looked, never stored) did not happen."""
        events = execution.events
        if len(events) < limit or len(events) == limit and execution.status != RUNNING:
            return False
        del events[limit - 1:]
        execution.status, execution.output, execution.error, execution.cause = RUNNING, None, None, None
        self.fail(execution, errors.RUNTIME,
                  f"The execution reached the maximum number of history events ({limit}).", now)
        return True

    def fail(self, execution: Execution, error: str, cause: str | None, now: float) -> None:
        """Fail the execution from outside its states (e.g. its history grew past the limit)."""
        details = {"error": error} if cause is None else {"error": error, "cause": cause}
        self._close(execution, history.EXECUTION_FAILED, FAILED, details, error, cause, now,
                    prev=len(execution.events))

    def time_out(self, execution: Execution, now: float) -> None:
        """The execution's TimeoutSeconds elapsed. As AWS records it: ExecutionTimedOut follows
        no other event (previousEventId 0) and holds the error alone (DescribeExecution shows
        neither error nor cause: see :func:`stepline.engine.durable.described_failure`)."""
        self._close(execution, history.EXECUTION_TIMED_OUT, TIMED_OUT, {"error": errors.TIMEOUT}, errors.TIMEOUT, None,
                    now, prev=0)

    def _close(self, execution: Execution, event_type: str, status: str, details: dict[str, Any], error: str | None,
               cause: str | None, now: float, *, prev: int) -> None:
        if execution.status != RUNNING:
            return
        execution.events.append((event_type, prev, now, details))
        execution.status, execution.error, execution.cause, execution.stop_time = status, error, cause, now
        if execution.map_run_groups:
            abort_children(execution, now)


class _Next:
    """Outcome of a state handler: the frame moved to its next state; keep going."""

    __slots__ = ()


_NEXT = _Next()
NEXT = _NEXT
