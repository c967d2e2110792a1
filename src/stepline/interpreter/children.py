"""The children of a Parallel or Map state: what happens as each one starts, succeeds or fails,
and how the parent state ends (:mod:`.parallel` and :mod:`.map_state` start them).

When the last child finishes, the parent state completes with the list of outputs in order;
when one fails (beyond the tolerated failures of a Map), the others are abandoned and the
parent state fails. A Distributed Map's children are child workflow executions: each writes
its own history (a :class:`ChildLog`), from ``ExecutionStarted`` to its end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..asl import errors
from ..asl.errors import StatesError
from ..asl.values import JSON, size_in_bytes
from . import history
from .frames import DONE, RUNNING, START, ChildLog, Execution, Frame, Group
from .history import append

if TYPE_CHECKING:  # pragma: no cover
    from .core import Interpreter


class Children:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    def started(self, child: Frame, now: float) -> None:
        """An inline Map's iteration starts (MapIterationStarted, after the previous one's)."""
        group = child.group
        if group is None or group.kind != "map" or group.distributed:
            return
        st = group.parent.program.states[group.parent.state]
        append(child, history.MAP_ITERATION_STARTED, now, {"name": st.name, "index": child.index}, prev=group.cursor)

    def succeeded(self, child: Frame, output: JSON, now: float) -> Any:
        group = child.group
        assert group is not None
        if group.closed:
            return None
        if type(child.log) is ChildLog:
            child_ended(child, history.EXECUTION_SUCCEEDED, "SUCCEEDED", {"output": output}, now)
        group.results[child.index] = output
        group.result_size += child.size + 1
        group.done.add(child.index)
        del group.active[child.index]
        group.running -= 1
        group.finished += 1
        parent = group.parent
        st: Any = parent.program.states[parent.state]
        interp = self.interpreter
        if group.kind == "map":
            if not group.distributed:
                group.cursor = child.last
                append(parent, history.MAP_ITERATION_SUCCEEDED, now, {"name": st.name, "index": child.index},
                       prev=child.last)
            return interp.maps.progress(parent, st, group, now)
        if group.finished < group.total:
            return None
        parent.last = child.last
        return interp.parallel.done(parent, st, group, now)

    def failed(self, child: Frame, error: str | None, cause: str | None, now: float, *,
               terminal: bool = False) -> Any:
        group = child.group
        assert group is not None
        if group.closed:
            return None
        if type(child.log) is ChildLog:
            child_ended(child, history.EXECUTION_FAILED, "FAILED", {"error": error, "cause": cause}, now)
        del group.active[child.index]
        group.stopped[child.index] = child
        group.running -= 1
        group.finished += 1
        parent = group.parent
        st: Any = parent.program.states[parent.state]
        failed_state = child.program.states[child.state]
        if group.kind == "parallel" and failed_state.type != "Fail":
            # the branch's state did not exit: AWS records it as aborted (after its failure event)
            append(child, history.aborted_type(failed_state.type), now, aside=True)
        if group.kind == "map":
            if not group.distributed:
                append(parent, history.MAP_ITERATION_FAILED, now, {"name": st.name, "index": child.index},
                       prev=child.last, aside=True)
                group.cursor = child.last
            group.failures += 1
            if not terminal and self.tolerated(group):
                group.results[child.index] = output = _error_output(error, cause)
                group.result_size += size_in_bytes(output) + 1
                return self.interpreter.maps.progress(parent, st, group, now)
            if not terminal and (group.tolerated_count is not None or group.tolerated_percentage is not None):
                error, cause = errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, \
                    "The specified tolerated failure threshold was exceeded"
            # (a distributed child counts its own events: the run fails after its MapRunStarted)
            failed_event, prev = history.MAP_FAILED, group.cursor if group.distributed else child.last
        else:
            failed_event, prev = history.PARALLEL_FAILED, child.last
        self.close(group, now)
        parent.last = prev

        if group.distributed:
            group.outcome, group.ended_at = "FAILED", now

        def give_up() -> None:
            if group.distributed:
                append(parent, history.MAP_RUN_FAILED, now, {"error": error, "cause": cause})
            append(parent, failed_event, now)

        parent.task = None
        interp = self.interpreter
        if terminal:
            give_up()
            return as_parent(parent, interp.frame_failed(parent, error, cause, now, terminal=True))
        return as_parent(parent, interp.handle_error(parent, st, error, cause, now, give_up))

    def tolerated(self, group: Group) -> bool:
        """Whether a Map's failures so far are within what it tolerates."""
        if group.tolerated_count is not None and group.failures <= group.tolerated_count:
            return True
        if group.tolerated_percentage is not None and group.total:
            return group.failures * 100.0 / group.total <= group.tolerated_percentage
        return False

    def close(self, group: Group, now: float) -> None:
        """The group failed: abandon the children still running, recording that they were."""
        group.closed = True
        parent = group.parent
        name = parent.program.states[parent.state].name
        for index, child in sorted(group.active.items()):
            if child.phase != DONE and child.phase != START:
                append(child, history.aborted_type(child.program.states[child.state].type), now)
                if group.kind == "map" and not group.distributed:
                    append(child, history.MAP_ITERATION_ABORTED, now, {"name": name, "index": index}, aside=True)
            if type(child.log) is ChildLog:
                child_ended(child, history.EXECUTION_ABORTED, "ABORTED", {}, now)
            child.phase = DONE
            child.task = None
            group.stopped[index] = child
        group.active.clear()

    def resume(self, parent: Frame, st: Any, group: Group, now: float) -> Any:
        """The group is done: the parent state completes with its children's results."""
        result = group.results
        if group.kind == "map" and st.flatten_results:
            result = _flattened(result, group.done)
        interp = self.interpreter
        try:
            outcome = interp.complete(parent, st, result, now, group.result_size)
        except StatesError as e:
            outcome = interp.state_failed(parent, st, e, now)
        return as_parent(parent, outcome)


def as_parent(parent: Frame, outcome: Any) -> Any:
    """Outcomes refer to the parent frame: 'moved on' means advance the parent next."""
    from .core import NEXT
    return parent if outcome is NEXT else outcome


def abort_children(execution: Execution, now: float) -> None:
    """The execution ended: the Distributed Map children it still runs end ABORTED."""
    for group in (execution.map_run_groups or {}).values():
        for child in group.active.values():
            if type(child.log) is ChildLog:
                child_ended(child, history.EXECUTION_ABORTED, "ABORTED", {}, now)


def child_log(ex: Execution, group: Group, item: JSON, now: float) -> ChildLog:
    """A Distributed Map child's own history, begun (ExecutionStarted follows no event)."""
    assert group.map_run_arn is not None
    log = ChildLog(group.map_run_arn, ex.new_id(), now, item)
    log.append((history.EXECUTION_STARTED, 0, now, {"input": item, "roleArn": ex.role_arn}))
    return log


def child_ended(child: Frame, event_type: str, status: str, details: dict[str, Any] | None, now: float) -> None:
    log = child.log
    assert type(log) is ChildLog
    if log.status != RUNNING:
        return
    # an abort follows no other event and has its details, empty, as StopExecution's does on AWS
    log.append((event_type, child.last if status != "ABORTED" else 0, now, details))
    log.status, log.stopped = status, now
    if details is not None:
        log.output, log.error, log.cause = details.get("output"), details.get("error"), details.get("cause")
    ex = child.execution
    if ex.ended_children is None:
        ex.ended_children = []
    ex.ended_children.append(log)


def map_run(group: Group, execution: Execution) -> dict[str, Any]:
    """A Distributed Map run as DescribeMapRun describes it (counts of items; each item is
    one child execution, so the execution counts are the same)."""
    succeeded = len(group.done)
    failed = group.failures
    aborted = max(0, len(group.stopped) - failed)
    running = group.running
    total = group.total
    status = group.outcome or ("RUNNING" if execution.status == RUNNING else "ABORTED")
    if status == "ABORTED":
        aborted += running
        running = 0
    counts = {"pending": max(0, total - succeeded - failed - aborted - running), "running": running,
              "succeeded": succeeded, "failed": failed, "timedOut": 0, "aborted": aborted, "total": total,
              "resultsWritten": succeeded + failed if group.outcome else 0, "failuresNotRedrivable": 0,
              "pendingRedrive": 0}
    out: dict[str, Any] = {"mapRunArn": group.map_run_arn, "executionArn": execution.arn, "status": status,
                           "startDate": group.started_at, "maxConcurrency": group.limit,
                           "toleratedFailurePercentage": float(group.tolerated_percentage or 0.0),
                           "toleratedFailureCount": group.tolerated_count or 0, "itemCounts": counts,
                           "executionCounts": dict(counts), "redriveCount": execution.redrive_count}
    ended = group.ended_at if group.outcome else execution.stop_time if status == "ABORTED" else None
    if ended is not None:
        out["stopDate"] = ended
    if execution.redrive_time is not None:
        out["redriveDate"] = execution.redrive_time
    return out


def _error_output(error: str | None, cause: str | None) -> dict[str, JSON]:
    out: dict[str, JSON] = {"Error": error}
    if cause is not None:
        out["Cause"] = cause
    return out


def _flattened(results: list[JSON], succeeded: set[int]) -> list[JSON]:
    """ResultWriter's FLATTEN: the arrays that iterations returned, spliced into the results
    (a failed iteration's error output stays as it is)."""
    out: list[JSON] = []
    for i, result in enumerate(results):
        if type(result) is list and i in succeeded:
            out.extend(result)
        else:
            out.append(result)
    return out
