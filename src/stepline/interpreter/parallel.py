"""The Parallel state: one child frame per branch, all started at once; the state completes
with the branches' outputs in order, or fails with the first branch that fails (see
:mod:`.children`). Branches read their parent's variables but assign their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..asl.model import ParallelState
from ..asl.values import JSON, size_in_bytes
from . import history, io
from .frames import WAITING, Frame, Group, Spawn
from .history import append

if TYPE_CHECKING:  # pragma: no cover
    from .core import Interpreter


class ParallelStates:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    def run(self, frame: Frame, st: ParallelState, now: float) -> Any:
        """A JSONPath Parallel state: its branches' input after InputPath and Parameters."""
        effective = io.input_path(frame, st, frame.data)
        return self._start(frame, st, st.parameters(effective, frame) if st.parameters is not None else effective,
                           now)

    def run_jsonata(self, frame: Frame, st: ParallelState, now: float) -> Any:
        """A JSONata Parallel state: its branches' input is its Arguments (or its input)."""
        data = frame.data
        return self._start(frame, st, st.arguments(io.bindings(frame, data, now), now)
                           if st.arguments is not None else data, now)

    def _start(self, frame: Frame, st: ParallelState, branch_input: JSON, now: float) -> Any:
        append(frame, history.PARALLEL_STARTED, now)
        n = len(st.branches)
        group = Group(kind="parallel", parent=frame, total=n, results=[None] * n, running=n, cursor=frame.last)
        size = size_in_bytes(branch_input)
        children = [Frame(frame.execution, branch, branch_input, outer=frame, group=group, index=i, log=frame.log,
                          last=frame.last, size=size) for i, branch in enumerate(st.branches)]
        if frame.redrive is not None:  # a redrive: keep what succeeded, go on from where the rest stopped
            children = self._redriven(frame, group, children)
        group.active = {c.index: c for c in children}
        frame.child_group = group
        frame.phase = WAITING
        if not children:
            return self.done(frame, st, group, now)
        return Spawn(children)

    def _redriven(self, frame: Frame, group: Group, fresh: list[Frame]) -> list[Frame]:
        """The children a redrive runs: none of those that succeeded (their results are kept),
        the failed or aborted ones from the state where they stopped, the rest anew."""
        old = frame.redrive
        assert old is not None
        frame.redrive = None
        out = []
        for child in fresh:
            i = child.index
            if i in old.done:
                group.results[i] = old.results[i]
                group.done.add(i)
                group.finished += 1
                group.running -= 1
            elif i in old.stopped:
                resumed = old.stopped[i]
                resumed.group, resumed.outer = group, frame
                resumed.last = frame.last
                out.append(resumed)
            else:
                out.append(child)
        return out

    def done(self, parent: Frame, st: Any, group: Group, now: float) -> Any:
        """Every branch succeeded (ParallelStateSucceeded; the state's exit follows what it follows)."""
        group.closed = True
        append(parent, history.PARALLEL_SUCCEEDED, now, aside=True)
        return self.interpreter.children.resume(parent, st, group, now)
