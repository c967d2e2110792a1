"""Running the state under test, once, through a plain interpreter, and answering what it did."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

from ... import arns
from ...asl import errors as asl_errors
from ...asl.errors import StatesError
from ...asl.map_fields import writer_and_reader
from ...asl.model import DISCARD, MapState, ParallelState, Program, State, StateMachine
from ...asl.values import JSON, dumps, parse_json, size_in_bytes
from ...ids import new_uuid
from ...integrations import Integrations, TaskFailure
from ...interpreter import Execution, Frame, Interpreter
from ...interpreter.core import Observer
from ...interpreter.frames import FAILED, Sleep, Spawn, TaskCall
from ...interpreter.start import Start
from ..errors import ServiceError as ApiError
from .request import (
    INFO,
    MACHINE_NAME,
    MAX_SECONDS,
    TRACE,
    Request,
    context_object,
    json_object,
    reader_items,
    validation,
)


class HttpTrace:
    """The raw HTTP exchange of an HTTP Task, filled in by the HTTP integration at TRACE."""

    __slots__ = ("request", "response", "reveal_secrets")

    def __init__(self, reveal_secrets: bool = False) -> None:
        self.reveal_secrets = reveal_secrets
        self.request: dict | None = None   # protocol, method, url, headers, body
        self.response: dict | None = None  # protocol, statusCode, statusMessage, headers, body



class Probe(Observer):
    """What the interpreter is seen to do with the tested state: it stops once the state is
    left, noting how it went."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.exited = False
        self.output: JSON = None
        self.next_state: str | None = None
        self.error: str | None = None
        self.cause: str | None = None
        self.handled = False

    def on_exit(self, frame: Frame, st: State, output: JSON, next_state: str | None) -> bool:
        self.exited, self.output, self.next_state = True, output, next_state
        return True  # TestState runs one state: the frame stops where it arrives

    def on_error(self, frame: Frame, st: State, error: str | None, cause: str | None) -> int | None:
        self.handled, self.error, self.cause = True, error, cause
        # "the number of retry attempts that have occurred for the state's Retry that applies":
        # only the first matching retrier is consulted, so all may say so
        return self.run.req.retry_count

    def on_result(self, frame: Frame, st: State, result: JSON, size: int) -> tuple[JSON, int]:
        if isinstance(st, (MapState, ParallelState)):
            result = self.run.fanout_result(frame, st, self.run.now)
            size = size_in_bytes(result)
        self.run.rec.setdefault("result", result)
        return result, size


class Run:
    def __init__(self, req: Request, machine: StateMachine, program: Program, st: State, in_map: bool,
                 integrations: Integrations, region: str, account: str) -> None:
        self.req = req
        self.integrations = integrations
        self.rec: dict[str, Any] = {}
        self.input_text = req.input_text if req.input_text is not None else "{}"
        try:
            self.input = parse_json(self.input_text)
        except ValueError as e:
            raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{e}'") from None
        variables = json_object(req.variables_text, "variables")
        context = context_object(req.context_text)
        items = reader_items(st, req.reader_data) \
            if isinstance(st, MapState) and req.reader_data is not None else None
        self.original = st
        self.state = probed = _probed(st, self.rec, items)
        self.probe = probe = Probe(self)
        self.interp = interp = Interpreter(observer=probe)
        now = self.now = time.time()
        name = new_uuid()
        start = Start(state_machine_arn=arns.state_machine(region, account, MACHINE_NAME),
                      state_machine_name=MACHINE_NAME, name=name,
                      arn=arns.test_state_execution(region, account, MACHINE_NAME, name),
                      input=self.input, input_text=self.input_text,
                      role_arn=req.role_arn, region=region, account=account,
                      input_size=size_in_bytes(self.input))
        ex = self.execution = Execution(machine, start, now, new_id=new_uuid)
        interp.start(ex, now)  # ExecutionStarted: the state is entered as event #2, as a first state is
        frame = self.frame = Frame(ex, dataclasses.replace(program, states={**program.states, st.name: probed}),
                                   self.input, last=len(ex.events), size=ex.input_size or 0)
        ex.root = frame
        frame.state = st.name
        ex.given_context = context
        if in_map and context is None:
            # "TestState automatically populates ... $$.Map.Item.Index = 0, $$.Map.Item.Value =
            # your input value" for a state within a Map
            frame.map_item = (0, self.input)
        if variables:
            frame.assign(variables)
        self.group: Any = None
        self.trace: HttpTrace | None = None

    # -- the run

    def response(self) -> dict:
        interp, probe, frame, st, now = self.interp, self.probe, self.frame, self.state, self.now
        outcome = interp.advance(frame, now)
        while True:
            if isinstance(outcome, TaskCall):
                outcome = self._task(outcome)
            elif isinstance(outcome, Sleep) and st.type == "Wait" and not probe.handled:
                outcome = interp.timer_fired(frame, now)  # a Wait state does not wait
            elif isinstance(outcome, Spawn):  # Map or Parallel: its iterations or branches do not run
                try:
                    outcome = interp.complete(frame, st, None, now, 0)
                except StatesError as e:
                    outcome = interp.state_failed(frame, st, e, now)
                outcome = interp.continue_after(frame, outcome, now)
            else:
                break
        ex = self.execution
        out: dict[str, Any] = {}
        if ex.status == FAILED:
            out["status"] = "FAILED"
            _put(out, "error", ex.error)
            _put(out, "cause", ex.cause)
        elif type(outcome) is Sleep:
            out["status"] = "RETRIABLE"
            _put(out, "error", probe.error)
            _put(out, "cause", probe.cause)
        elif probe.exited:
            out["status"] = "CAUGHT_ERROR" if probe.handled else "SUCCEEDED"
            out["output"] = self.input_text if probe.output is self.input else dumps(probe.output)
            _put(out, "nextState", probe.next_state)
            if probe.handled:
                _put(out, "error", probe.error)
                _put(out, "cause", probe.cause)
        else:  # pragma: no cover - every path above ends the state one way or another
            raise RuntimeError(f"TestState: the state {st.name!r} neither finished nor failed ({outcome!r})")
        if self.req.level != INFO:
            data = self._inspection(outcome)
            if data:
                out["inspectionData"] = data
        return out

    def _task(self, call: TaskCall) -> Any:
        req, interp, now = self.req, self.interp, self.now
        if req.mock:
            if req.has_error_output:
                return interp.task_failed(call, req.mock_error or "", req.mock_cause, now)
            return interp.task_succeeded(call, req.mock_result, now)
        extra: dict[str, Any] = {}
        if req.level == TRACE:
            self.trace = extra["http_trace"] = HttpTrace(req.reveal_secrets)
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["done"] = self.integrations.invoke(call.resource, call.input, timeout=call.timeout,
                                                       token=call.token, **extra)
            except TaskFailure as e:
                box["failed"] = e
            except BaseException as e:  # noqa: BLE001 - as the engine does: a broken integration fails the task
                box["failed"] = TaskFailure(asl_errors.TASK_FAILED, f"{type(e).__name__}: {e}")

        worker = threading.Thread(target=work, daemon=True, name="stepline-teststate")
        worker.start()
        worker.join(min(call.timeout, MAX_SECONDS) if call.timeout else MAX_SECONDS)
        if worker.is_alive():
            return interp.task_timed_out(call, now)
        if "failed" in box:
            return interp.task_failed(call, box["failed"].error, box["failed"].cause, now)
        result, size = box["done"]
        return interp.task_succeeded(call, result, now, size=size)

    def fanout_result(self, frame: Frame, st: MapState | ParallelState, now: float) -> JSON:
        """A mocked Map or Parallel: its result is the mock's ("the mocked result must
        represent the output of the entire Map state"), or it fails with the mocked error or,
        for a Map, when ``mapIterationFailureCount`` failures exceed what it tolerates."""
        req = self.req
        group: Any = frame.child_group
        self.group = group
        if isinstance(st, MapState):
            maps = self.interp.maps
            # the items as selected, shown only where something selects them (an ItemSelector, a
            # reader, a batcher: the docs' Map example; AWS's answers show none otherwise)
            selects = st.item_selector is not None or st.item_reader is not None or st.item_batcher is not None
            if st.item_batcher is not None:
                selected = [item for batch in group.items for item in batch["Items"]]
            elif selects:  # every item's ItemSelector, also those MaxConcurrency had not started yet
                selected = [maps.select_item(frame, st, group, i, item, now) for i, item in enumerate(group.items)]
            else:
                selected = group.items
            if selects:
                self.rec["afterItemSelector"] = selected
            failures = req.iteration_failures
            if failures:
                if failures > len(selected):
                    raise validation(f"stateConfiguration.mapIterationFailureCount ({failures}) cannot exceed the "
                                      f"number of items ({len(selected)})")
                group.failures = failures
                # (a Map that sets no tolerance has no threshold to exceed: AWS answers its mock)
                bounded = group.tolerated_count is not None or group.tolerated_percentage is not None
                if bounded and not self.interp.children.tolerated(group):
                    if req.has_error_output:
                        raise StatesError(req.mock_error or "", req.mock_cause, in_state=False)
                    raise StatesError(asl_errors.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                      "The specified tolerated failure threshold was exceeded", in_state=False)
        if req.has_error_output:
            raise StatesError(req.mock_error or "", req.mock_cause, in_state=False)
        return req.mock_result

    # -- what it did

    def _inspection(self, outcome: Any) -> dict:
        """``inspectionData`` at DEBUG/TRACE: the values of the processing steps the state went
        through, up to where it failed (docs: "DEBUG ... shows the intermediate data
        processing results up to the point of failure"). Steps the state does not define
        show their input unchanged, as the docs' Pass example shows afterResultSelector."""
        st, probe = self.original, self.probe
        rec = dict(self.rec)
        processing = st.type in ("Pass", "Task", "Map", "Parallel")
        if st.jsonata:
            if st.type in ("Task", "Parallel") and getattr(st, "arguments", None) is None:
                rec.setdefault("afterArguments", self.input)
        elif st.type == "Fail":
            rec.setdefault("afterInputPath", self.input)  # (a Fail state has no InputPath: its input)
        else:
            if st.input_path is None or st.input_path is DISCARD:
                rec.setdefault("afterInputPath", self.input if st.input_path is None else {})
            if "afterInputPath" in rec:
                if st.type in ("Pass", "Task", "Parallel") and getattr(st, "parameters", None) is None:
                    rec.setdefault("afterParameters", rec["afterInputPath"])
                if st.type == "Map" and getattr(st, "items_path", None) is None:
                    rec.setdefault("afterItemsPath", rec["afterInputPath"])
            if st.type == "Pass" and "afterParameters" in rec:
                rec.setdefault("afterResultSelector", st.result if st.has_result else rec["afterParameters"])  # type: ignore[attr-defined]
            if processing and "result" in rec and getattr(st, "result_selector", None) is None:
                rec.setdefault("afterResultSelector", rec["result"])
            if processing and probe.exited and not probe.handled and st.output_path is None:
                rec.setdefault("afterResultPath", probe.output)
        # what AWS's answers leave out (recorded): a Pass state with a Result shows that result,
        # not its InputPath and Parameters; a mocked Map or Parallel shows no result (the mock
        # stands after ResultSelector); a mocked Parallel none of its input steps
        if st.type == "Pass" and getattr(st, "has_result", False):
            rec["result"] = st.result  # type: ignore[attr-defined]
            rec.pop("afterInputPath", None)
            rec.pop("afterParameters", None)
        if st.type in ("Map", "Parallel") and self.req.mock:
            rec.pop("result", None)
            if isinstance(st, ParallelState):
                for key in ("afterInputPath", "afterParameters", "afterArguments"):
                    rec.pop(key, None)
        data: dict[str, Any] = {"input": self.input_text}
        for key in ("afterArguments", "afterInputPath", "afterParameters", "afterItemsPath", "afterItemSelector"):
            if key in rec:
                data[key] = dumps(rec[key])
        group = self.group
        if isinstance(st, MapState) and group is not None:
            if st.item_batcher is not None:
                data["afterItemBatcher"] = dumps(group.items)
            data["maxConcurrency"] = group.limit
            _put(data, "toleratedFailureCount", group.tolerated_count)
            if group.tolerated_percentage is not None:  # (a float, as AWS writes it: 1.0)
                data["toleratedFailurePercentage"] = float(group.tolerated_percentage)
        for key in ("result", "afterResultSelector", "afterResultPath"):
            if key in rec:
                data[key] = dumps(rec[key])
        trace = self.trace
        if trace is not None:
            _put(data, "request", _strings(trace.request))
            _put(data, "response", _strings(trace.response))
        variables = self.frame.visible_variables()
        if variables:
            data["variables"] = dumps(variables)
        details = self._error_details(outcome)
        if details:
            data["errorDetails"] = details
        return data

    def _error_details(self, outcome: Any) -> dict:
        """Which retrier retries (and after how long) or which catcher catches: the first
        whose ErrorEquals matches, as for an execution."""
        probe, st = self.probe, self.original
        if not probe.handled:
            return {}
        if type(outcome) is Sleep:
            for i, r in enumerate(getattr(st, "retry", ())):
                if asl_errors.error_matches(probe.error, r.error_equals):
                    # docs example: IntervalSeconds 2, BackoffRate 2.0, retrierRetryCount 1 -> 4
                    return {"retryIndex": i, "retryBackoffIntervalSeconds": int(outcome.until - self.now)}
        elif probe.exited:
            for i, c in enumerate(getattr(st, "catch", ())):
                if asl_errors.error_matches(probe.error, c.error_equals):
                    return {"catchIndex": i}
        for i, r in enumerate(getattr(st, "retry", ())):  # a retrier that matched, its attempts spent
            if asl_errors.error_matches(probe.error, r.error_equals):
                return {"retryIndex": i}
        return {}


def _probed(st: State, rec: dict, reader_items: list | None) -> State:
    """The state with its compiled steps wrapped to note what each produced (its input, for
    OutputPath: that is the value after ResultPath)."""
    changes: dict[str, Any] = {}

    def result_of(fn: Callable, key: str) -> Callable:
        def wrapped(a: Any, b: Any) -> Any:
            value = fn(a, b)
            rec.setdefault(key, value)
            return value
        return wrapped

    def input_of(fn: Callable, key: str) -> Callable:
        def wrapped(a: Any, b: Any) -> Any:
            rec.setdefault(key, a)
            return fn(a, b)
        return wrapped

    if callable(st.input_path):
        changes["input_path"] = result_of(st.input_path, "afterInputPath")
    for field, key in (("parameters", "afterParameters"), ("arguments", "afterArguments"),
                       ("result_selector", "afterResultSelector"), ("items_path", "afterItemsPath")):
        fn = getattr(st, field, None)
        if fn is not None:
            changes[field] = result_of(fn, key)
    if st.type in ("Pass", "Task", "Map", "Parallel") and st.output_path is not None:
        getter = st.output_path if callable(st.output_path) else lambda data, scope: {}
        changes["output_path"] = input_of(getter, "afterResultPath")
    if reader_items is not None and isinstance(st, MapState):
        # the items are given: only what the ResultWriter cannot do is left to fail on
        changes["unsupported"] = writer_and_reader(None, st.result_writer).get("unsupported")
        if st.jsonata:
            changes["items"] = lambda bindings, now: reader_items
        else:
            changes["items_path"] = result_of(lambda data, scope: reader_items, "afterItemsPath")
    return dataclasses.replace(st, **changes) if changes else st  # type: ignore[type-var]


def _put(out: dict, key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _strings(part: dict | None) -> dict | None:
    """An HTTP request or response as the API shapes it: string members only."""
    if not part:
        return None
    return {k: v if isinstance(v, str) else dumps(v) for k, v in part.items() if v is not None}
