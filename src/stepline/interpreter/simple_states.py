"""The states that need nothing from outside: Pass, Choice, Succeed, Fail, and Wait (which only
asks to be woken). Each has a handler per query language; which one a state gets is decided
when its definition is loaded (its ``handler``), never while it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..asl import errors
from ..asl.errors import StatesError
from ..asl.model import ChoiceState, FailState, PassState, SucceedState, WaitState
from ..asl.values import JSON
from . import io
from .frames import WAITING, Frame, Sleep

if TYPE_CHECKING:  # pragma: no cover
    from .core import Interpreter


class SimpleStates:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    def handlers(self) -> dict[str, Any]:
        """Handler by ``State.handler``."""
        return {"Pass": self.pass_, "Pass:JSONata": self.pass_jsonata,
                "Choice": self.choice, "Choice:JSONata": self.choice_jsonata,
                "Succeed": self.succeed, "Succeed:JSONata": self.succeed_jsonata,
                "Fail": self.fail, "Fail:JSONata": self.fail_jsonata,
                "Wait": self.wait, "Wait:JSONata": self.wait_jsonata}

    # ------------------------------------------------------------------ Pass

    def pass_(self, frame: Frame, st: PassState, now: float) -> Any:
        data = frame.data
        effective = data if st.input_path is None else io.input_path(frame, st, data)
        # Parameters are the virtual task's input, Result its output (AWS docs, Pass state)
        result = effective if st.parameters is None else st.parameters(effective, frame)
        if st.has_result:
            result = st.result
        assigned = st.assign(result, frame) if st.assign is not None else None
        output = result if st.result_path == () else io.result_path(st, data, result, "$")
        if st.output_path is not None:
            output = io.output_path(frame, st, output)
        return self.interpreter.exit(frame, st, output, assigned, now)

    def pass_jsonata(self, frame: Frame, st: PassState, now: float) -> Any:
        data = frame.data
        bindings = io.bindings(frame, data, now)
        output = st.output(bindings, now) if st.output is not None else data
        assigned = st.assign(bindings, now) if st.assign is not None else None
        return self.interpreter.exit(frame, st, output, assigned, now)

    # ------------------------------------------------------------------ Choice

    def choice(self, frame: Frame, st: ChoiceState, now: float) -> Any:
        """The first rule that matches decides the next state (else Default). The state's own
        Assign applies whichever way it goes, the matching rule's Assign on top of it (AWS docs,
        Choice state)."""
        data = frame.data
        effective = data if st.input_path is None else io.input_path(frame, st, data)
        for rule in st.choices:
            if rule.predicate(effective, frame):  # type: ignore[misc]
                target = rule.next
                break
        else:
            rule, target = None, st.default  # type: ignore[assignment]
            if target is None:
                raise StatesError(errors.NO_CHOICE_MATCHED, "No Matches!", in_state=False)
        assigned = _merged(st.assign and st.assign(effective, frame),
                           rule.assign(effective, frame) if rule is not None and rule.assign else None)
        output = io.output_path(frame, st, effective) if st.output_path is not None else effective
        return self.interpreter.exit(frame, st, output, assigned, now, next_state=target)

    def choice_jsonata(self, frame: Frame, st: ChoiceState, now: float) -> Any:
        """As :meth:`choice`; a rule's Output replaces the state's."""
        data = frame.data
        bindings = io.bindings(frame, data, now)
        for rule in st.choices:
            if io.condition(rule.condition(bindings, now)):  # type: ignore[misc]
                break
        else:
            rule = None
            if st.default is None:
                raise StatesError(errors.NO_CHOICE_MATCHED, f"No Matches! (state '{st.name}')", in_state=False)
        output_fn = rule.output if rule is not None and rule.output is not None else st.output
        output = output_fn(bindings, now) if output_fn is not None else data
        assigned = _merged(st.assign and st.assign(bindings, now),
                           rule.assign(bindings, now) if rule is not None and rule.assign else None)
        return self.interpreter.exit(frame, st, output, assigned, now, next_state=rule.next if rule else st.default)

    # ------------------------------------------------------------------ Succeed and Fail

    def succeed(self, frame: Frame, st: SucceedState, now: float) -> Any:
        output = io.input_path(frame, st, frame.data)
        if st.output_path is not None:
            output = io.output_path(frame, st, output)
        return self.interpreter.exit(frame, st, output, None, now, terminal=True)

    def succeed_jsonata(self, frame: Frame, st: SucceedState, now: float) -> Any:
        data = frame.data
        output = st.output(io.bindings(frame, data, now), now) if st.output is not None else data
        return self.interpreter.exit(frame, st, output, None, now, terminal=True)

    def fail(self, frame: Frame, st: FailState, now: float) -> Any:
        data = frame.data
        error = io.fail_field(st.error_path, st.error_path_text, "ErrorPath", data, frame) \
            if st.error_path is not None else st.error
        cause = io.fail_field(st.cause_path, st.cause_path_text, "CausePath", data, frame) \
            if st.cause_path is not None else st.cause
        return self.interpreter.frame_failed(frame, error, cause, now)

    def fail_jsonata(self, frame: Frame, st: FailState, now: float) -> Any:
        bindings = io.bindings(frame, frame.data, now)
        error = io.string_field(st.error_expr(bindings, now), "Error") if st.error_expr else st.error
        cause = io.string_field(st.cause_expr(bindings, now), "Cause") if st.cause_expr else st.cause
        return self.interpreter.frame_failed(frame, error, cause, now)

    # ------------------------------------------------------------------ Wait

    def wait(self, frame: Frame, st: WaitState, now: float) -> Any:
        if frame.phase != WAITING:
            return self._sleep(frame, io.wait_until(frame, st, now))
        effective = io.input_path(frame, st, frame.data)  # the timer fired
        assigned = st.assign(effective, frame) if st.assign is not None else None
        output = io.output_path(frame, st, effective) if st.output_path is not None else effective
        return self.interpreter.exit(frame, st, output, assigned, now)

    def wait_jsonata(self, frame: Frame, st: WaitState, now: float) -> Any:
        if frame.phase != WAITING:
            return self._sleep(frame, io.wait_until_jsonata(frame, st, now))
        data = frame.data  # the timer fired
        bindings = io.bindings(frame, data, now)
        output = st.output(bindings, now) if st.output is not None else data
        assigned = st.assign(bindings, now) if st.assign is not None else None
        return self.interpreter.exit(frame, st, output, assigned, now)

    def _sleep(self, frame: Frame, until: float) -> Sleep:
        frame.until = until
        frame.phase = WAITING
        return Sleep(frame, until)


def _merged(first: dict[str, JSON] | None, second: dict[str, JSON] | None) -> dict[str, JSON] | None:
    if not second:
        return first
    return {**first, **second} if first else second
