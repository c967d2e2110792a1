"""The Map state: one child frame per item, at most ``MaxConcurrency`` at a time (0: all); a
Distributed Map's children are child workflow executions of a Map Run (see :mod:`.children`
for how they end). Its fields are read by the reader of its query language: :class:`JsonPathMap`
or :class:`JsonataMap`, chosen by the state's language, set when the definition was loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import arns
from ..asl import errors
from ..asl.errors import StatesError
from ..asl.jsonpath import PathNotFound
from ..asl.model import MapState
from ..asl.templates import unexpected_type
from ..asl.values import JSON, dumps, size_in_bytes
from . import history, io
from .children import child_log
from .frames import RUNNING, WAITING, ChildLog, Frame, Group, Spawn
from .history import append

if TYPE_CHECKING:  # pragma: no cover
    from .core import Interpreter


class JsonPathMap:
    """How a JSONPath Map reads its items and settings (from its effective input)."""

    def prepare(self, frame: Frame, st: MapState, now: float) -> tuple[list[JSON], JSON]:
        """The items, and what ItemSelector (and the settings' paths) read as ``$``."""
        effective = io.input_path(frame, st, frame.data)
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

    def max_concurrency(self, frame: Frame, st: MapState, effective: JSON, now: float) -> int | None:
        if st.max_concurrency_path is not None:
            return _path_int(st, st.max_concurrency_path, effective, frame, "MaxConcurrencyPath")
        return st.max_concurrency

    def tolerated(self, frame: Frame, st: MapState, effective: JSON, now: float) -> tuple[int | None, float | None]:
        count = st.tolerated_failure_count
        if st.tolerated_failure_count_path is not None:
            count = _path_int(st, st.tolerated_failure_count_path, effective, frame, "ToleratedFailureCountPath")
        pct = st.tolerated_failure_percentage
        if st.tolerated_failure_percentage_path is not None:
            pct = _path_float(st, st.tolerated_failure_percentage_path, effective, frame,
                              "ToleratedFailurePercentagePath")
        return count, pct

    def batching(self, frame: Frame, st: MapState, effective: JSON, now: float) -> tuple[int | None, int | None, JSON]:
        """ItemBatcher's MaxItemsPerBatch, MaxInputBytesPerBatch and BatchInput."""
        b = st.item_batcher
        assert b is not None
        max_items = b.max_items_per_batch if b.max_items_per_batch_path is None else _path_int(
            st, b.max_items_per_batch_path, effective, frame, "MaxItemsPerBatchPath")
        max_bytes = b.max_input_bytes_per_batch if b.max_input_bytes_per_batch_path is None else _path_int(
            st, b.max_input_bytes_per_batch_path, effective, frame, "MaxInputBytesPerBatchPath")
        return max_items, max_bytes, b.batch_input(effective, frame) if b.batch_input is not None else None

    def select(self, frame: Frame, st: MapState, selector_input: JSON, now: float) -> JSON:
        return st.item_selector(selector_input, frame)  # type: ignore[misc]


class JsonataMap:
    """How a JSONata Map reads its items and settings (its expressions, over ``$states``)."""

    def prepare(self, frame: Frame, st: MapState, now: float) -> tuple[list[JSON], JSON]:
        data = frame.data
        if st.items is None:
            if type(data) is not list:
                raise errors.QueryEvaluationError(f"Map state input must be an array but was: {dumps(data)}")
            return data, data
        items = st.items(io.bindings(frame, data, now), now)
        if type(items) is not list:
            raise unexpected_type(st.items_text or "", "Items", "array", items)
        return items, data

    def max_concurrency(self, frame: Frame, st: MapState, data: JSON, now: float) -> int | None:
        return _number(st.max_concurrency_expr, frame, data, now, "MaxConcurrency", st.max_concurrency)

    def tolerated(self, frame: Frame, st: MapState, data: JSON, now: float) -> tuple[int | None, float | None]:
        count = _number(st.tolerated_failure_count_expr, frame, data, now, "ToleratedFailureCount",
                        st.tolerated_failure_count)
        pct = st.tolerated_failure_percentage if st.tolerated_failure_percentage_expr is None else \
            io.jsonata_number(st.tolerated_failure_percentage_expr, io.bindings(frame, data, now), now,
                              "ToleratedFailurePercentage", integer=False)
        return count, pct

    def batching(self, frame: Frame, st: MapState, data: JSON, now: float) -> tuple[int | None, int | None, JSON]:
        b = st.item_batcher
        assert b is not None
        max_items = _number(b.max_items_per_batch_expr, frame, data, now, "MaxItemsPerBatch", b.max_items_per_batch)
        max_bytes = _number(b.max_input_bytes_per_batch_expr, frame, data, now, "MaxInputBytesPerBatch",
                            b.max_input_bytes_per_batch)
        return max_items, max_bytes, b.batch_input(io.bindings(frame, data, now), now) \
            if b.batch_input is not None else None

    def select(self, frame: Frame, st: MapState, selector_input: JSON, now: float) -> JSON:
        return st.item_selector(io.bindings(frame, frame.data, now), now)  # type: ignore[misc]


class MapStates:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self._jsonpath = JsonPathMap()
        self._jsonata = JsonataMap()

    def run(self, frame: Frame, st: MapState, now: float) -> Any:
        """A JSONPath Map state."""
        return self._run(frame, st, now, self._jsonpath)

    def run_jsonata(self, frame: Frame, st: MapState, now: float) -> Any:
        """A JSONata Map state."""
        return self._run(frame, st, now, self._jsonata)

    def reader(self, st: MapState) -> JsonPathMap | JsonataMap:
        return self._jsonata if st.jsonata else self._jsonpath

    def _run(self, frame: Frame, st: MapState, now: float, reader: JsonPathMap | JsonataMap) -> Any:
        if st.unsupported is not None:
            raise StatesError(*st.unsupported)
        # AWS's order, as its histories show: items and MaxConcurrency are read before
        # MapStateStarted is recorded, the tolerated failure settings after it.
        items, selector_input = reader.prepare(frame, st, now)
        limit = reader.max_concurrency(frame, st, selector_input, now)
        if limit is not None and limit < 0:
            raise StatesError(errors.RUNTIME, "MaxConcurrency cannot be negative.")
        n = len(items)
        append(frame, history.MAP_STARTED, now, {"length": n})
        count, pct = reader.tolerated(frame, st, selector_input, now)
        if count is not None and count < 0:
            raise StatesError(errors.RUNTIME, "ToleratedFailureCount cannot be negative.")
        if pct is not None and not 0 <= pct <= 100:
            raise StatesError(errors.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.")
        distributed = st.mode == "DISTRIBUTED"
        sizes = None
        if st.item_batcher is not None:
            items, sizes = self._batches(frame, st, items, selector_input, now, reader)
            n = len(items)
        group = Group(kind="map", parent=frame, total=n, results=[None] * n, items=items, limit=limit or 0,
                      tolerated_count=count, tolerated_percentage=pct, cursor=frame.last, distributed=distributed)
        group.selector_input = selector_input
        group.item_sizes = sizes
        if distributed:
            self._map_run(frame, st, group, now)
        frame.child_group = group
        frame.phase = WAITING
        if frame.redrive is not None:
            self._redrive(frame, group)
        todo = n - group.finished
        if todo == 0:
            return self.succeeded(frame, st, group, now)
        batch = todo if not group.limit else min(group.limit, todo)
        return Spawn([self._child(frame, st, group, now) for _ in range(batch)])

    def _map_run(self, frame: Frame, st: MapState, group: Group, now: float) -> None:
        """A Distributed Map's run: a new one (MapRunStarted), or the same one redriven."""
        ex = frame.execution
        before = frame.redrive
        if before is not None and before.map_run_arn is not None:  # the same Map Run, redriven
            group.map_run_arn, group.started_at = before.map_run_arn, before.started_at
            append(frame, history.MAP_RUN_REDRIVEN, now, {"mapRunArn": group.map_run_arn,
                                                          "redriveCount": ex.redrive_count})
        else:
            ex.map_runs += 1
            group.map_run_arn = arns.map_run(ex.region, ex.account, ex.state_machine_name, st.label or st.name,
                                             ex.new_id())
            append(frame, history.MAP_RUN_STARTED, now, {"mapRunArn": group.map_run_arn})
            group.started_at = now
        if ex.map_run_groups is None:
            ex.map_run_groups = {}
        ex.map_run_groups[group.map_run_arn] = group
        group.cursor = frame.last

    def _redrive(self, frame: Frame, group: Group) -> None:
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
        group.stopped = {i: f for i, f in old.stopped.items() if i < group.total}  # resumed by _child

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
            children.append(self._child(parent, st, group, now))
        return Spawn(children) if children else None

    def _child(self, frame: Frame, st: MapState, group: Group, now: float) -> Frame:
        """The next iteration's frame (one a redrive goes on with, or a new one)."""
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
                    append(resumed, history.EXECUTION_REDRIVEN, now, {"redriveCount": log.redrives}, prev=len(log))
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
            item = self.select_item(frame, st, group, i, item, now)
            g = st.item_growth
            size = g.a + g.b * frame.size if g is not None else size_in_bytes(item)
        if group.distributed:
            ex = frame.execution
            log = child_log(ex, group, item, now) if ex.records_children and st.execution_type != "EXPRESS" else []
            child = Frame(frame.execution, st.processor, item, group=group, index=i, log=log, last=0, size=size)
        else:
            child = Frame(frame.execution, st.processor, item, outer=frame, group=group, index=i, log=frame.log,
                          size=size)
        group.active[i] = child
        return child

    def select_item(self, frame: Frame, st: MapState, group: Group, index: int, item: JSON, now: float) -> JSON:
        """Apply ItemSelector (or the legacy Parameters) to one item, with $$.Map.Item set."""
        if st.item_selector is None:
            return item
        frame.map_item = (index, item)
        frame._ctx = None
        try:
            return self.reader(st).select(frame, st, group.selector_input, now)
        finally:
            frame.map_item = None
            frame._ctx = None

    def _batches(self, frame: Frame, st: MapState, items: list[JSON], selector_input: JSON, now: float,
                 reader: JsonPathMap | JsonataMap) -> tuple[list[JSON], list[int]]:
        """ItemBatcher: the iterations' inputs, ``{"BatchInput"?, "Items": [...]}``, and their sizes.
        A batch holds at most MaxItemsPerBatch items and at most MaxInputBytesPerBatch bytes."""
        max_items, max_bytes, batch_input = reader.batching(frame, st, selector_input, now)
        if max_items is not None and max_items <= 0 or max_bytes is not None and not 0 < max_bytes <= 262144:
            raise StatesError(errors.RUNTIME, "MaxItemsPerBatch must be positive and MaxInputBytesPerBatch between 1 "
                                              "and 262144.")
        group = Group(kind="map", parent=frame, total=0, results=[], selector_input=selector_input)
        head = {"BatchInput": batch_input} if batch_input is not None else {}
        base = size_in_bytes({**head, "Items": []})
        batches: list[JSON] = []
        sizes: list[int] = []
        current: list[JSON] = []
        size = base
        for i, item in enumerate(items):
            selected = self.select_item(frame, st, group, i, item, now)
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

    def progress(self, parent: Frame, st: MapState, group: Group, now: float) -> Any:
        """An iteration ended and the Map goes on: the next iteration, or the Map's end."""
        if group.next_index < group.total if group.pending is None else group.pending:
            return Spawn([self._child(parent, st, group, now)])
        if group.finished < group.total:
            return None
        return self.succeeded(parent, st, group, now)

    def succeeded(self, parent: Frame, st: MapState, group: Group, now: float) -> Any:
        group.closed = True
        if group.distributed:
            append(parent, history.MAP_RUN_SUCCEEDED, now, prev=group.cursor)
            group.outcome, group.ended_at = "SUCCEEDED", now
        # *StateExited follows what *StateSucceeded follows (parent.last stays put) ...
        append(parent, history.MAP_SUCCEEDED, now, aside=True)
        if group.distributed:
            # ... but a Distributed Map's follows its MapRunStarted: so AWS has recorded it since
            # late 2024 (every recording from November 2024 on; earlier ones, MapRunSucceeded)
            parent.last = group.cursor
        return self.interpreter.children.resume(parent, st, group, now)


def _number(expr: Any, frame: Frame, data: JSON, now: float, field: str, default: int | None) -> int | None:
    """A JSONata integer setting (its literal when it has no expression)."""
    return default if expr is None else io.jsonata_number(expr, io.bindings(frame, data, now), now, field,
                                                          integer=True)


def _java_value(value: JSON) -> str:
    return value if isinstance(value, str) else dumps(value)


def _path_int(st: MapState, getter: Any, data: JSON, frame: Frame, field: str) -> int:
    return int(_path_number(st, getter, data, frame, field, integer=True))


def _path_float(st: MapState, getter: Any, data: JSON, frame: Frame, field: str) -> float:
    return _path_number(st, getter, data, frame, field, integer=False)


def _path_number(st: MapState, getter: Any, data: JSON, frame: Frame, field: str, *, integer: bool) -> int | float:
    """The number a ``...Path`` field selects: a JSON number (whole, for an ``integer``) or a
    string holding one; else States.Runtime in AWS's words."""
    value = _path(getter, data, frame, field)
    read: Callable[[str], int | float] = int if integer else float
    if isinstance(value, str):
        try:
            return read(value.strip())
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and (not integer or float(value).is_integer()):
        return int(value) if integer else float(value)
    kind = "integer" if integer else "float"
    raise StatesError(errors.RUNTIME, f"The {field} field refers to value \"{_java_value(value)}\" which is not a "
                                      f"valid {kind}: {st.path_texts.get(field, '')}")


def _path(getter: Any, data: JSON, frame: Frame, field: str) -> JSON:
    try:
        return getter(data, frame)
    except PathNotFound as e:
        raise StatesError(errors.RUNTIME, f"Invalid path for {field}: {e}") from None
