"""Parallel and Map states: start child frames, gather what they return, decide the outcome.

A Parallel state starts one frame per branch; a Map state one frame per item, at most
``MaxConcurrency`` at a time (0: all). Children read their parent's variables but assign
their own (a distributed Map's children see none). When the last child finishes, the
parent state completes with the list of outputs in order; when one fails (beyond the
tolerated failures of a Map), the others are abandoned and the parent state fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..asl import errors
from .. import arns
from ..asl.errors import StatesError
from ..asl.jsonpath import PathNotFound
from ..asl.model import MapState, ParallelState
from ..asl.templates import unexpected_type
from ..asl.values import JSON, dumps, size_in_bytes
from . import io
from . import history as ev
from .frames import DONE, RUNNING, START, WAITING, ChildLog, Execution, Frame, Group, Spawn

if TYPE_CHECKING:  # pragma: no cover
    from .core import Interpreter


class FanOut:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    # ------------------------------------------------------------------ Parallel

    def run_parallel(self, frame: Frame, st: ParallelState, now: float) -> Any:
        data = frame.data
        if st.jsonata:
            branch_input = st.arguments(io.bindings(frame, data, now), now) if st.arguments is not None else data
        else:
            effective = io.input_path(frame, st, data)
            branch_input = st.parameters(effective, frame) if st.parameters is not None else effective
        log = frame.log
        log.append(("ParallelStateStarted", frame.last, now, None))
        frame.last = len(log)
        n = len(st.branches)
        group = Group(kind="parallel", parent=frame, total=n, results=[None] * n, running=n, cursor=frame.last)
        size = size_in_bytes(branch_input)
        children = [Frame(frame.execution, branch, branch_input, outer=frame, group=group, index=i, log=log,
                          last=frame.last, size=size) for i, branch in enumerate(st.branches)]
        if frame.redrive is not None:  # a redrive: keep what succeeded, go on from where the rest stopped
            children = self._redriven(frame, group, children)
        group.active = {c.index: c for c in children}
        frame.child_group = group
        frame.phase = WAITING
        if not children:
            return self._parallel_done(frame, st, group, now)
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
                resumed.group, resumed.outer = group, None if group.distributed else frame
                resumed.last = frame.last
                out.append(resumed)
            else:
                out.append(child)
        return out

    def _parallel_done(self, parent: Frame, st: Any, group: Group, now: float) -> Any:
        group.closed = True
        parent.log.append(("ParallelStateSucceeded", parent.last, now, None))
        return self._resume(parent, st, group, now)

    # ------------------------------------------------------------------ Map

    def run_map(self, frame: Frame, st: MapState, now: float) -> Any:
        if st.unsupported is not None:
            raise StatesError(*st.unsupported)
        data = frame.data
        bindings = io.bindings(frame, data, now) if st.jsonata else None
        # AWS's order, as its histories show: items and MaxConcurrency are read before
        # MapStateStarted is recorded, the tolerated failure settings after it.
        items, selector_input = self._items(frame, st, data, bindings, now)
        limit = self._max_concurrency(frame, st, selector_input, bindings, now)
        log = frame.log
        n = len(items)
        log.append(("MapStateStarted", frame.last, now, {"length": n}))
        frame.last = len(log)
        count, pct = self._tolerated_failures(frame, st, selector_input, bindings, now)
        distributed = st.mode == "DISTRIBUTED"
        sizes = None
        if st.item_batcher is not None:
            items, sizes = self._batches(frame, st, items, selector_input, bindings, now)
            n = len(items)
        group = Group(kind="map", parent=frame, total=n, results=[None] * n, items=items, limit=limit or 0,
                      tolerated_count=count, tolerated_percentage=pct, cursor=frame.last, distributed=distributed)
        group.selector_input = selector_input
        group.item_sizes = sizes
        if distributed:
            ex = frame.execution
            before = frame.redrive
            if before is not None and before.map_run_arn is not None:  # the same Map Run, redriven
                group.map_run_arn, group.started_at = before.map_run_arn, before.started_at
                log.append(("MapRunRedriven", frame.last, now, {"mapRunArn": group.map_run_arn,
                                                                "redriveCount": ex.redrive_count}))
            else:
                ex.map_runs += 1
                group.map_run_arn = arns.map_run(ex.region, ex.account, ex.state_machine_name, st.label or st.name,
                                                 ex.new_id())
                log.append(("MapRunStarted", frame.last, now, {"mapRunArn": group.map_run_arn}))
                group.started_at = now
            if ex.map_run_groups is None:
                ex.map_run_groups = {}
            ex.map_run_groups[group.map_run_arn] = group
            frame.last = group.cursor = len(log)
        frame.child_group = group
        frame.phase = WAITING
        if frame.redrive is not None:
            self._redrive_map(frame, group)
        todo = n - group.finished
        if todo == 0:
            return self._map_succeeded(frame, st, group, now)
        batch = todo if not group.limit else min(group.limit, todo)
        return Spawn([self._map_child(frame, st, group, now) for _ in range(batch)])

    def _redrive_map(self, frame: Frame, group: Group) -> None:
        """A redriven Map keeps the results of the iterations that succeeded and runs the rest:
        failed or aborted ones from where they stopped, the others from the start."""
        old = frame.redrive
        assert old is not None
        frame.redrive = None
        for i in old.done:
            if i < group.total:
                group.results[i] = old.results[i]
                group.result_size += size_in_bytes(old.results[i]) + 1
                group.done.add(i)
                group.finished += 1
        group.pending = [i for i in range(group.total - 1, -1, -1) if i not in group.done]
        group.stopped = {i: f for i, f in old.stopped.items() if i < group.total}  # resumed by _map_child

    def _items(self, frame: Frame, st: MapState, data: JSON, bindings: dict | None, now: float) -> tuple[list, JSON]:
        """The items to iterate over, and what ItemSelector sees as the state input."""
        if bindings is not None:
            if st.items is None:
                if type(data) is not list:
                    raise errors.QueryEvaluationError(f"Map state input must be an array but was: {dumps(data)}")
                return data, data
            items = st.items(bindings, now)
            if type(items) is not list:
                raise unexpected_type(st.items_text or "", "Items", "array", items)
            return items, data
        effective = io.input_path(frame, st, data)
        if st.items_path is None:
            items = effective
        else:
            try:
                items = st.items_path(effective, frame)
            except PathNotFound as e:
                raise StatesError(errors.RUNTIME, f"Invalid path '{st.items_path_text}' : {e}") from None
        if type(items) is not list:
            raise StatesError(errors.RUNTIME, f"Map state input must be an array but was: {dumps(items)}"
                              if st.items_path is None else
                              f"The ItemsPath field '{st.items_path_text}' must point to an array, but it points "
                              f"to: {dumps(items)}")
        return items, effective

    def _max_concurrency(self, frame: Frame, st: MapState, effective: JSON, bindings: dict | None,
                         now: float) -> int | None:
        if bindings is not None:
            limit = self._jsonata_int(st.max_concurrency_expr, bindings, now, "MaxConcurrency", st.max_concurrency)
        elif st.max_concurrency_path is not None:
            limit = _path_int(st, st.max_concurrency_path, effective, frame, "MaxConcurrencyPath")
        else:
            limit = st.max_concurrency
        if limit is not None and limit < 0:
            raise StatesError(errors.RUNTIME, "MaxConcurrency cannot be negative.")
        return limit

    def _tolerated_failures(self, frame: Frame, st: MapState, effective: JSON, bindings: dict | None,
                            now: float) -> tuple[int | None, float | None]:
        if bindings is not None:
            count = self._jsonata_int(st.tolerated_failure_count_expr, bindings, now, "ToleratedFailureCount",
                                      st.tolerated_failure_count)
            pct = self._jsonata_pct(st, bindings, now)
        else:
            count = st.tolerated_failure_count
            if st.tolerated_failure_count_path is not None:
                count = _path_int(st, st.tolerated_failure_count_path, effective, frame, "ToleratedFailureCountPath")
            pct = st.tolerated_failure_percentage
            if st.tolerated_failure_percentage_path is not None:
                pct = _path_float(st, st.tolerated_failure_percentage_path, effective, frame,
                                  "ToleratedFailurePercentagePath")
        if count is not None and count < 0:
            raise StatesError(errors.RUNTIME, "ToleratedFailureCount cannot be negative.")
        if pct is not None and not 0 <= pct <= 100:
            raise StatesError(errors.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.")
        return count, pct

    def update_map_run(self, group: Group, now: float, *, max_concurrency: int | None = None,
                       tolerated_percentage: float | None = None, tolerated_count: int | None = None) -> Any:
        """UpdateMapRun: new limits for a running Distributed Map; starts the iterations a higher
        concurrency allows now (a Spawn), or None."""
        if group.closed:
            return None
        if tolerated_percentage is not None:
            group.tolerated_percentage = tolerated_percentage
        if tolerated_count is not None:
            group.tolerated_count = tolerated_count
        if max_concurrency is None:
            return None
        group.limit = max_concurrency
        parent = group.parent
        st: Any = parent.program.states[parent.state]
        children = []
        while (not group.limit or group.running < group.limit) and (
                group.next_index < group.total if group.pending is None else group.pending):
            children.append(self._map_child(parent, st, group, now))
        return Spawn(children) if children else None

    def _map_child(self, frame: Frame, st: MapState, group: Group, now: float) -> Frame:
        if group.pending is not None:
            i = group.pending.pop()
            resumed = group.stopped.pop(i, None)
            if resumed is not None:  # redriven: on from the state where it stopped
                resumed.group, resumed.outer = group, None if group.distributed else frame
                resumed.last = group.cursor
                log = resumed.log
                if type(log) is ChildLog:  # a child execution, redriven with its parent
                    log.redrives, log.redriven, log.status = log.redrives + 1, now, RUNNING
                    log.output = log.error = log.cause = log.stopped = None
                    log.append((ev.EXECUTION_REDRIVEN, len(log), now, {"redriveCount": log.redrives}))
                    resumed.last = len(log)
                group.running += 1
                group.active[i] = resumed
                return resumed
        else:
            i = group.next_index
            group.next_index += 1
        group.running += 1
        item = group.items[i]  # type: ignore[index]
        if group.item_sizes is not None:  # a batch, built already
            size = group.item_sizes[i]
        else:
            item = self._select(frame, st, group, i, item, now)
            g = st.item_growth
            size = g.a + g.b * frame.size if g is not None else size_in_bytes(item)
        if group.distributed:
            ex = frame.execution
            log = _child_log(ex, group, item, now) if ex.records_children and st.execution_type != "EXPRESS" else []
            child = Frame(frame.execution, st.processor, item, group=group, index=i, log=log, last=0, size=size)
        else:
            child = Frame(frame.execution, st.processor, item, outer=frame, group=group, index=i, log=frame.log,
                          size=size)
        group.active[i] = child
        return child

    def _select(self, frame: Frame, st: MapState, group: Group, index: int, item: JSON, now: float) -> JSON:
        """Apply ItemSelector (or the legacy Parameters) to one item, with $$.Map.Item set."""
        if st.item_selector is None:
            return item
        frame.map_item = (index, item)
        frame._ctx = None
        try:
            if st.jsonata:
                return st.item_selector(io.bindings(frame, frame.data, now), now)
            return st.item_selector(group.selector_input, frame)
        finally:
            frame.map_item = None
            frame._ctx = None

    def _batches(self, frame: Frame, st: MapState, items: list, selector_input: JSON, bindings: dict | None,
                 now: float) -> tuple[list, list]:
        """ItemBatcher: the iterations' inputs, ``{"BatchInput"?, "Items": [...]}``, and their sizes.
        A batch holds at most MaxItemsPerBatch items and at most MaxInputBytesPerBatch bytes."""
        b = st.item_batcher
        assert b is not None
        if bindings is not None:
            max_items = self._jsonata_int(b.max_items_per_batch_expr, bindings, now, "MaxItemsPerBatch",
                                          b.max_items_per_batch)
            max_bytes = self._jsonata_int(b.max_input_bytes_per_batch_expr, bindings, now, "MaxInputBytesPerBatch",
                                          b.max_input_bytes_per_batch)
            batch_input = b.batch_input(bindings, now) if b.batch_input is not None else None
        else:
            max_items = b.max_items_per_batch if b.max_items_per_batch_path is None else _path_int(
                st, b.max_items_per_batch_path, selector_input, frame, "MaxItemsPerBatchPath")
            max_bytes = b.max_input_bytes_per_batch if b.max_input_bytes_per_batch_path is None else _path_int(
                st, b.max_input_bytes_per_batch_path, selector_input, frame, "MaxInputBytesPerBatchPath")
            batch_input = b.batch_input(selector_input, frame) if b.batch_input is not None else None
        if max_items is not None and max_items <= 0 or max_bytes is not None and not 0 < max_bytes <= 262144:
            raise StatesError(errors.RUNTIME, "MaxItemsPerBatch must be positive and MaxInputBytesPerBatch between 1 "
                                              "and 262144.")
        group = Group(kind="map", parent=frame, total=0, results=[], selector_input=selector_input)
        head = {"BatchInput": batch_input} if batch_input is not None else {}
        base = size_in_bytes({**head, "Items": []})
        batches: list = []
        sizes: list = []
        current: list = []
        size = base
        for i, item in enumerate(items):
            selected = self._select(frame, st, group, i, item, now)
            item_size = size_in_bytes(selected) + (1 if current else 0)
            if current and (max_items is not None and len(current) >= max_items
                            or max_bytes is not None and size + item_size > max_bytes):
                batches.append({**head, "Items": current})
                sizes.append(size)
                current, size, item_size = [], base, item_size - 1
            if max_bytes is not None and base + item_size > max_bytes:
                raise StatesError(errors.RUNTIME, f"The item at index {i} is larger than MaxInputBytesPerBatch "
                                                  f"({max_bytes} bytes) allows.")
            current.append(selected)
            size += item_size
        if current:
            batches.append({**head, "Items": current})
            sizes.append(size)
        return batches, sizes

    def _jsonata_int(self, expr: Any, bindings: dict, now: float, field: str, default: int | None) -> int | None:
        return default if expr is None else io.jsonata_number(expr, bindings, now, field, integer=True)

    def _jsonata_pct(self, st: MapState, bindings: dict, now: float) -> float | None:
        if st.tolerated_failure_percentage_expr is None:
            return st.tolerated_failure_percentage
        return io.jsonata_number(st.tolerated_failure_percentage_expr, bindings, now, "ToleratedFailurePercentage",
                                 integer=False)

    # ------------------------------------------------------------------ children report back

    def child_started(self, child: Frame, now: float) -> None:
        group = child.group
        if group is None or group.kind != "map" or group.distributed:
            return
        log = child.log
        st = group.parent.program.states[group.parent.state]
        log.append(("MapIterationStarted", group.cursor, now, {"name": st.name, "index": child.index}))
        child.last = len(log)

    def child_succeeded(self, child: Frame, output: JSON, now: float) -> Any:
        group = child.group
        assert group is not None
        if group.closed:
            return None
        if type(child.log) is ChildLog:
            _child_ended(child, ev.EXECUTION_SUCCEEDED, "SUCCEEDED", {"output": output}, now)
        group.results[child.index] = output
        group.result_size += child.size + 1
        group.done.add(child.index)
        del group.active[child.index]
        group.running -= 1
        group.finished += 1
        parent = group.parent
        st: Any = parent.program.states[parent.state]
        if group.kind == "map":
            if not group.distributed:
                log = parent.log
                log.append(("MapIterationSucceeded", child.last, now, {"name": st.name, "index": child.index}))
                group.cursor = child.last
                parent.last = len(log)
            return self._map_progress(parent, st, group, now)
        if group.finished < group.total:
            return None
        parent.last = child.last
        return self._parallel_done(parent, st, group, now)

    def child_failed(self, child: Frame, error: str | None, cause: str | None, now: float, *,
                     terminal: bool = False) -> Any:
        group = child.group
        assert group is not None
        if group.closed:
            return None
        if type(child.log) is ChildLog:
            _child_ended(child, ev.EXECUTION_FAILED, "FAILED", {"error": error, "cause": cause}, now)
        del group.active[child.index]
        group.stopped[child.index] = child
        group.running -= 1
        group.finished += 1
        parent = group.parent
        st: Any = parent.program.states[parent.state]
        log = parent.log
        failed_state = child.program.states[child.state]
        if group.kind == "parallel" and failed_state.type != "Fail":
            # the branch's state did not exit: AWS records it as aborted (after its failure event)
            log.append((failed_state.type + "StateAborted", child.last, now, None))
        if group.kind == "map":
            if not group.distributed:
                log.append(("MapIterationFailed", child.last, now, {"name": st.name, "index": child.index}))
                group.cursor = child.last
            group.failures += 1
            if not terminal and self._tolerated(group):
                group.results[child.index] = failed = _error_output(error, cause)
                group.result_size += size_in_bytes(failed) + 1
                return self._map_progress(parent, st, group, now)
            if not terminal and (group.tolerated_count is not None or group.tolerated_percentage is not None):
                error, cause = errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, \
                    "The specified tolerated failure threshold was exceeded"
            # (a distributed child counts its own events: the run fails after its MapRunStarted)
            failed_type, prev = "MapStateFailed", group.cursor if group.distributed else child.last
        else:
            failed_type, prev = "ParallelStateFailed", child.last
        self._close(group, now)
        parent.last = prev

        if group.distributed:
            group.outcome, group.ended_at = "FAILED", now

        def give_up() -> None:
            if group.distributed:
                log.append(("MapRunFailed", parent.last, now, {"error": error, "cause": cause}))
                parent.last = len(log)
            log.append((failed_type, parent.last, now, None))
            parent.last = len(log)

        parent.task = None
        if terminal:
            give_up()
            return self._as_parent(parent, self.interpreter.frame_failed(parent, error, cause, now, terminal=True))
        outcome = self.interpreter.handle_error(parent, st, error, cause, now, give_up)
        return self._as_parent(parent, outcome)

    # ------------------------------------------------------------------ helpers

    def _map_progress(self, parent: Frame, st: MapState, group: Group, now: float) -> Any:
        if group.next_index < group.total if group.pending is None else group.pending:
            return Spawn([self._map_child(parent, st, group, now)])
        if group.finished < group.total:
            return None
        return self._map_succeeded(parent, st, group, now)

    def _map_succeeded(self, parent: Frame, st: MapState, group: Group, now: float) -> Any:
        group.closed = True
        log = parent.log
        if group.distributed:
            log.append(("MapRunSucceeded", group.cursor, now, None))
            parent.last = len(log)
            group.outcome, group.ended_at = "SUCCEEDED", now
        # *StateExited follows what *StateSucceeded follows (parent.last stays put) ...
        log.append(("MapStateSucceeded", parent.last, now, None))
        if group.distributed:
            # ... but a Distributed Map's follows its MapRunStarted: so AWS has recorded it since
            # late 2024 (every recording from November 2024 on; earlier ones, MapRunSucceeded)
            parent.last = group.cursor
        return self._resume(parent, st, group, now)

    def _resume(self, parent: Frame, st: Any, group: Group, now: float) -> Any:
        result = group.results
        if group.kind == "map" and st.flatten_results:
            result = _flattened(result, group.done)
        interpreter = self.interpreter
        try:
            outcome = interpreter.complete(parent, st, result, now, group.result_size)
        except StatesError as e:
            outcome = interpreter.state_failed(parent, st, e, now)
        return self._as_parent(parent, outcome)

    def _as_parent(self, parent: Frame, outcome: Any) -> Any:
        """Outcomes refer to the parent frame: 'moved on' means advance the parent next."""
        from .core import NEXT
        return parent if outcome is NEXT else outcome

    def _tolerated(self, group: Group) -> bool:
        if group.tolerated_count is not None and group.failures <= group.tolerated_count:
            return True
        if group.tolerated_percentage is not None and group.total:
            return group.failures * 100.0 / group.total <= group.tolerated_percentage
        return False

    def _close(self, group: Group, now: float) -> None:
        """The group failed: abandon the children still running, recording that they were."""
        group.closed = True
        parent = group.parent
        name = parent.program.states[parent.state].name
        for index, child in sorted(group.active.items()):
            if child.phase != DONE and child.phase != START:
                log = child.log
                log.append((child.program.states[child.state].type + "StateAborted", child.last, now, None))
                child.last = len(log)
                if group.kind == "map" and not group.distributed:
                    log.append(("MapIterationAborted", child.last, now, {"name": name, "index": index}))
            if type(child.log) is ChildLog:
                _child_ended(child, ev.EXECUTION_ABORTED, "ABORTED", {}, now)
            child.phase = DONE
            child.task = None
            group.stopped[index] = child
        group.active.clear()


def abort_children(execution: Execution, now: float) -> None:
    """The execution ended: the Distributed Map children it still runs end ABORTED."""
    for group in (execution.map_run_groups or {}).values():
        for child in group.active.values():
            if type(child.log) is ChildLog:
                _child_ended(child, ev.EXECUTION_ABORTED, "ABORTED", {}, now)


def _child_log(ex: Execution, group: Group, item: JSON, now: float) -> ChildLog:
    """A Distributed Map child's own history, begun."""
    assert group.map_run_arn is not None
    log = ChildLog(group.map_run_arn, ex.new_id(), now, item)
    log.append((ev.EXECUTION_STARTED, 0, now, {"input": item, "roleArn": ex.role_arn}))
    return log


def _child_ended(child: Frame, event_type: str, status: str, details: dict | None, now: float) -> None:
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


def _error_output(error: str | None, cause: str | None) -> dict:
    out: dict = {"Error": error}
    if cause is not None:
        out["Cause"] = cause
    return out


def _java_value(value: JSON) -> str:
    return value if isinstance(value, str) else dumps(value)


def _path_int(st: MapState, getter: Any, data: JSON, frame: Frame, field: str) -> int:
    value = _path(getter, data, frame, field)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raise StatesError(errors.RUNTIME, f"The {field} field refers to value \"{_java_value(value)}\" which is not a "
                                      f"valid integer: {st.path_texts.get(field, '')}")


def _path_float(st: MapState, getter: Any, data: JSON, frame: Frame, field: str) -> float:
    value = _path(getter, data, frame, field)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise StatesError(errors.RUNTIME, f"The {field} field refers to value \"{_java_value(value)}\" which is not a "
                                      f"valid float: {st.path_texts.get(field, '')}")


def _path(getter: Any, data: JSON, frame: Frame, field: str) -> JSON:
    try:
        return getter(data, frame)
    except PathNotFound as e:
        raise StatesError(errors.RUNTIME, f"Invalid path for {field}: {e}") from None


def map_run(group: Group, execution: Execution) -> dict:
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
    out: dict = {"mapRunArn": group.map_run_arn, "executionArn": execution.arn, "status": status,
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


def _flattened(results: list, succeeded: set) -> list:
    """ResultWriter's FLATTEN: the arrays that iterations returned, spliced into the results
    (a failed iteration's error output stays as it is)."""
    out: list = []
    for i, result in enumerate(results):
        if type(result) is list and i in succeeded:
            out.extend(result)
        else:
            out.append(result)
    return out
