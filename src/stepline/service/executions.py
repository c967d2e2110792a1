"""Executions: start (Standard through the durable engine, Express in memory), describe, list,
history, stop, redrive.

Standard executions are rows in the store, run by whichever engine holds them; a start is
answered once its row is committed. Express executions run in this process only, as on AWS:
no per-transition commits, at most five minutes, and no DescribeExecution or history (their
events go to the ``stepline.express`` log when the state machine's logging is on).
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .. import arns, ids
from ..arns import map_run_path
from ..asl import parser
from ..asl.model import StateMachine
from ..asl.values import JSON, JsonText, NotJson, dumps, parse_json
from ..engine.durable import Engine
from ..engine.local import LocalRunner
from ..engine.records import (
    described_failure,
    redrive_status,
)
from ..integrations import Integrations
from ..interpreter import Execution, history
from ..interpreter.start import Start
from ..store import ExecutionRecord, Signal, SignalKind, Store
from . import pages
from .arns import Arns, check_name
from .errors import ServiceError, validation
from .machines import Registry, variable_references
from .pending import ANSWER_TIMEOUT_S, Pending

logger = logging.getLogger("stepline.express")

EXPRESS_LIMIT_S = 300.0
MAP_RUN = "map-run"


@lru_cache(maxsize=256)
def _compiled(definition: str) -> StateMachine:
    """A definition compiled once (the model is immutable: executions share it)."""
    return parser.parse(definition)


def read_input(text: Any) -> tuple[str, JSON]:
    """An execution input: its JSON text (``{}`` when there is none) and what it holds, read
    once (AWS's InvalidExecutionInput when it is not JSON stepline takes)."""
    if text is None:
        return "{}", {}
    try:
        return text, parse_json(text)
    except NotJson as e:
        raise ServiceError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{e}'") from None


class Executions:
    def __init__(self, store: Store, engine: Engine, registry: Registry, integrations: Integrations, arns: Arns,
                 clock: Callable[[], float] = time.time, express_workers: int = 64) -> None:
        self.store = store
        self.engine = engine
        self.registry = registry
        self.integrations = integrations
        self.arns = arns
        self.clock = clock
        self._express_pool = concurrent.futures.ThreadPoolExecutor(express_workers,
                                                                   thread_name_prefix="stepline-express")
        #: (state machine name, test case) -> whether the mock configuration has it (None: no mocks)
        self.test_cases: Callable[[str, str], bool] | None = None

    def close(self) -> None:
        self._express_pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ lookups

    def _arn(self, text: Any) -> str:
        arn = self.arns.read(text, "execution", "express")
        if arn.kind == "express":
            raise ServiceError("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
        if len(arn.parts) != 2:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{text}'")
        return f"{self.arns.prefix}:execution:{':'.join(arn.parts)}" if self.arns.ours(arn) else str(arn)

    def record(self, text: Any) -> ExecutionRecord:
        arn = self._arn(text)
        found = self.store.get_execution(arn)
        if found is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return found

    def _pending(self, future: concurrent.futures.Future, finish: Callable[[Any], Any] = lambda r: r) -> Pending:
        return Pending(future, finish, lambda: self.engine.alive)

    def _answer(self, future: concurrent.futures.Future) -> Any:
        return self._pending(future).wait()

    # ------------------------------------------------------------------ starting

    def start_execution(self, p: dict) -> dict | Pending:
        """StartExecution: answered once the engine has committed the start (a :class:`Pending`;
        an Express execution's at once). The state machine ARN may end with ``#TestCase``: the
        execution's tasks answer from that mock test case (as Step Functions Local does)."""
        return self._start_execution(p)

    def start_child(self, p: dict, *, parent_arn: str | None = None, parent_token: str | None = None,
                    parent_wait: str | None = None) -> dict:
        """StartExecution of a child by a parent's task (``parent_*``), waiting for the answer."""
        answer = self._start_execution(p, parent_arn=parent_arn, parent_token=parent_token, parent_wait=parent_wait)
        return answer.wait() if isinstance(answer, Pending) else answer

    def _start_execution(self, p: dict, *, parent_arn: str | None = None, parent_token: str | None = None,
                         parent_wait: str | None = None) -> dict | Pending:
        target, start = self._start(p, parent_arn=parent_arn, parent_token=parent_token, parent_wait=parent_wait)
        if target["type"] == "EXPRESS":
            if parent_wait is not None:
                raise ServiceError("StateMachineTypeNotSupported", "A .sync task cannot wait for an EXPRESS "
                                                                   "state machine started with StartExecution")
            runner = self._express(target, start)
            self._express_pool.submit(self._run_express, runner, target["machine"]["loggingConfiguration"]["level"])
            return {"executionArn": runner.execution.arn, "startDate": runner.execution.start_time}
        return self._pending(self.engine.start_execution(start),
                             lambda record: {"executionArn": record.arn, "startDate": record.start_time})

    def _start(self, p: dict, *, parent_arn: str | None = None, parent_token: str | None = None,
               parent_wait: str | None = None) -> tuple[dict, Start]:
        """The state machine a start request names, and the start, checked and read once."""
        machine_arn, test_case = self._test_case(p["stateMachineArn"])
        target = self.registry.resolve(machine_arn)
        name = check_name(p["name"]) if p.get("name") is not None else ids.new_uuid()
        input_text, value = read_input(p.get("input"))
        if target["type"] == "EXPRESS":  # (each run of an Express execution has an ARN of its own)
            arn = self.arns.express_execution(target["name"], name, ids.new_uuid())
        else:
            arn = arns.execution_of(target["stateMachineArn"], target["name"], name)
        return target, Start(
            state_machine_arn=target["stateMachineArn"], state_machine_name=target["name"], name=name, arn=arn,
            input=value, input_text=input_text, role_arn=target["roleArn"], region=self.arns.region,
            account=self.arns.account, definition=target["definition"], version_arn=target["versionArn"],
            alias_arn=target["aliasArn"], trace_header=p.get("traceHeader"), test_case=test_case,
            parent_arn=parent_arn, parent_token=parent_token, parent_wait=parent_wait)

    def _test_case(self, arn: str) -> tuple[str, str | None]:
        """``…:stateMachine:NAME#TestCase`` -> (the ARN, the test case), checked against the mocks."""
        machine_arn, _, test_case = arn.partition("#")
        if not test_case:
            return machine_arn, None
        if self.test_cases is None or not self.test_cases(machine_arn.rsplit(":", 1)[-1], test_case):
            raise validation(f"Test case '{test_case}' is not in the mock configuration for '{machine_arn}'")
        return machine_arn, test_case

    def _express(self, target: dict, start: Start) -> LocalRunner:
        ex = Execution(_compiled(target["definition"]), start, self.clock(), new_id=ids.new_uuid)
        return LocalRunner(ex, self.integrations, time_limit=EXPRESS_LIMIT_S)

    def _run_express(self, runner: LocalRunner, logging_level: str) -> Execution:
        try:
            ex = runner.run()
        except Exception:  # pragma: no cover - a bug in the interpreter must not kill the pool
            logger.exception("express execution %s crashed", runner.execution.arn)
            raise
        if logging_level != "OFF" and (logging_level == "ALL" or ex.status != "SUCCEEDED"):
            for event in history.render_all(ex.events):
                logger.info("%s", json.dumps({"execution_arn": ex.arn, **event}, default=str))
        return ex

    def start_sync_execution(self, p: dict) -> dict:
        target, start = self._start(p)
        if target["type"] != "EXPRESS":
            raise ServiceError("StateMachineTypeNotSupported",
                               "This operation is not supported by this type of state machine")
        machine_arn, name, input_text = p["stateMachineArn"].partition("#")[0], start.name, start.input_text
        ex = self._run_express(self._express(target, start), target["machine"]["loggingConfiguration"]["level"])
        stop = ex.stop_time if ex.stop_time is not None else self.clock()
        out: dict[str, Any] = {
            "executionArn": ex.arn, "stateMachineArn": machine_arn, "name": name,
            "startDate": ex.start_time, "stopDate": stop, "status": ex.status,
            "billingDetails": {"billedMemoryUsedInMB": 64,
                               "billedDurationInMilliseconds": max(100, int((stop - ex.start_time) * 1000))}}
        if p.get("includedData") != "METADATA_ONLY":
            out.update(input=input_text, inputDetails={"included": True})
            if ex.status == "SUCCEEDED":
                out.update(output=dumps(ex.output), outputDetails={"included": True})
        error, cause = described_failure(ex.status, ex.error, ex.cause)
        if error is not None:
            out["error"] = error
        if cause is not None:
            out["cause"] = cause
        if p.get("traceHeader") is not None:
            out["traceHeader"] = p["traceHeader"]
        return out

    # ------------------------------------------------------------------ reading

    def describe_execution(self, p: dict) -> dict:
        r = self.record(p["executionArn"])
        out: dict[str, Any] = {"executionArn": r.arn, "stateMachineArn": r.state_machine_arn, "name": r.name,
                               "status": r.status, "startDate": r.start_time}
        if r.stop_time is not None:
            out["stopDate"] = r.stop_time
        if p.get("includedData") != "METADATA_ONLY":
            out.update(input=r.input, inputDetails={"included": True})
            if r.output is not None:
                out.update(output=r.output, outputDetails={"included": True})
        error, cause = described_failure(r.status, r.error, r.cause)
        for key, value in (("error", error), ("cause", cause), ("traceHeader", r.trace_header),
                           ("mapRunArn", r.map_run_arn), ("stateMachineVersionArn", r.version_arn),
                           ("stateMachineAliasArn", r.alias_arn)):
            if value is not None:
                out[key] = value
        status, reason = redrive_status(r, self.clock(), self.engine.history_limit)
        out["redriveCount"] = r.redrive_count
        if r.redrive_time is not None:
            out["redriveDate"] = r.redrive_time
        out["redriveStatus"] = status
        if reason is not None:
            out["redriveStatusReason"] = reason
        return out

    def describe_state_machine_for_execution(self, p: dict) -> dict:
        r = self.record(p["executionArn"])
        definition = self.store.get_definition(r.definition_hash) or ""
        current = self.store.get_resource(r.state_machine_arn)
        machine = json.loads(current.body) if current is not None else {}
        out: dict[str, Any] = {"stateMachineArn": r.version_arn or r.state_machine_arn, "name": r.state_machine_name,
                               "definition": definition, "roleArn": r.role_arn,
                               "updateDate": machine.get("updateDate", r.start_time),
                               "loggingConfiguration": machine.get("loggingConfiguration",
                                                                   {"level": "OFF", "includeExecutionData": False}),
                               "tracingConfiguration": machine.get("tracingConfiguration", {"enabled": False})}
        if machine.get("definition") == definition:
            out["revisionId"] = machine["revisionId"]
        if r.map_run_arn is not None:  # a child workflow execution: its Map Run, and that run's label
            out["mapRunArn"] = r.map_run_arn
            out["label"] = map_run_path(r.map_run_arn).split("/", 1)[-1]
        if p.get("includedData") == "METADATA_ONLY":
            out.pop("definition")
        else:
            refs = variable_references(definition)
            if refs:
                out["variableReferences"] = refs
        return out

    def list_executions(self, p: dict) -> dict:
        machine_arn, map_run = p.get("stateMachineArn"), p.get("mapRunArn")
        if (machine_arn is None) == (map_run is None):
            raise validation("Must provide a StateMachine ARN or a MapRun ARN")
        version = alias = None
        if machine_arn is not None:
            target = self.registry.read_machine_arn(machine_arn)
            _, machine = self.registry.machine(target[1])
            if machine["type"] == "EXPRESS":
                raise ServiceError("StateMachineTypeNotSupported",
                                   "This operation is not supported by this type of state machine")
            machine_arn = target[1]
            if target[2] is not None:
                if target[2].isdigit():
                    version = f"{target[1]}:{target[2]}"
                else:
                    alias = f"{target[1]}:{target[2]}"
        size = pages.page_size(p)
        after = pages.position(p)
        redriven = {"REDRIVEN": True, "NOT_REDRIVEN": False}.get(p.get("redriveFilter", ""))
        found = self.store.list_executions(state_machine_arn=machine_arn, status=p.get("statusFilter"),
                                           map_run_arn=map_run, redriven=redriven, version_arn=version,
                                           alias_arn=alias, limit=size + 1,
                                           after=tuple(after) if after else None)
        items = []
        for r in found[:size]:
            item: dict[str, Any] = {"executionArn": r.arn, "stateMachineArn": r.state_machine_arn, "name": r.name,
                                    "status": r.status, "startDate": r.start_time,
                                    "redriveCount": r.redrive_count}
            for key, value in (("stopDate", r.stop_time), ("mapRunArn", r.map_run_arn),
                               ("stateMachineVersionArn", r.version_arn), ("stateMachineAliasArn", r.alias_arn),
                               ("redriveDate", r.redrive_time)):
                if value is not None:
                    item[key] = value
            items.append(item)
        out: dict[str, Any] = {"executions": items}
        if len(found) > size:
            out["nextToken"] = pages.token([found[size - 1].start_time, found[size - 1].arn])
        return out

    def get_execution_history(self, p: dict) -> JsonText:
        """The page of events as JSON text, made of the stored text of each event as it is."""
        r = self.record(p["executionArn"])
        size = pages.page_size(p)
        reverse = bool(p.get("reverseOrder"))
        after = pages.position(p) or 0
        if not isinstance(after, int):
            raise ServiceError("InvalidToken", f"Invalid Token: '{p.get('nextToken')}'")
        found = self.store.get_events(r.arn, after=after, limit=size + 1, reverse=reverse)
        with_data = p.get("includeExecutionData", True)
        events = ",".join([e.text if with_data else history.without_data(e.text) for e in found[:size]])
        page = '{"events":[' + events + "]"
        if len(found) > size:
            page += ',"nextToken":' + dumps(pages.token(found[size - 1].id))
        return JsonText(page + "}")

    # ------------------------------------------------------------------ stopping and redriving

    def stop_execution(self, p: dict) -> dict:
        r = self.record(p["executionArn"])
        if r.status != "RUNNING":
            return {"stopDate": r.stop_time if r.stop_time is not None else self.clock()}
        if r.map_run_arn is not None:  # it runs inside its parent: AWS would abort it and fail its item
            raise validation("stepline cannot stop a child workflow execution of a Map Run on its own: stop its "
                             "parent execution")
        error, cause = p.get("error"), p.get("cause")
        stopped = self._answer(self.engine.stop_execution(r.arn, error, cause))
        if stopped is None or stopped.status == "RUNNING":
            # another engine holds it: ask it through the store, and wait for it to stop
            now = self.clock()
            self.store.send_signal(Signal(ids.new_uuid(), r.arn, SignalKind.STOP,
                                          dumps({"error": error, "cause": cause}),
                                          now))
            self.store.notify()
            deadline = time.monotonic() + ANSWER_TIMEOUT_S
            while time.monotonic() < deadline:
                latest = self.store.get_execution(r.arn)
                if latest is not None and latest.status != "RUNNING":
                    return {"stopDate": latest.stop_time}
                time.sleep(0.02)
            raise ServiceError("ServiceUnavailable", "The execution did not stop in time; try again.", 503)
        return {"stopDate": stopped.stop_time}

    def redrive_execution(self, p: dict) -> dict:
        r = self.record(p["executionArn"])
        record = self._answer(self.engine.redrive_execution(r.arn))
        return {"redriveDate": record.redrive_time}

    # ------------------------------------------------------------------ map runs

    def _map_run(self, text: Any) -> tuple[str, dict]:
        arn = self.arns.read(text, "mapRun")
        canonical = f"{self.arns.prefix}:mapRun:{':'.join(arn.parts)}" if self.arns.ours(arn) else str(arn)
        found = self.store.get_resource(canonical)
        if found is None or found.kind != MAP_RUN:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{text}'")
        return canonical, json.loads(found.body)

    def list_map_runs(self, p: dict) -> dict:
        r = self.record(p["executionArn"])
        size = pages.page_size(p)
        after = pages.position(p)
        found = self.store.list_resources(MAP_RUN, parent=r.arn, limit=size + 1,
                                          after=tuple(after) if after else None)
        out: dict[str, Any] = {"mapRuns": [
            {"executionArn": r.arn, "mapRunArn": m.arn, "stateMachineArn": r.state_machine_arn,
             "startDate": m.created, **({"stopDate": body["stopDate"]} if "stopDate" in body else {})}
            for m in found[:size] for body in (json.loads(m.body),)]}
        if len(found) > size:
            out["nextToken"] = pages.token([found[size - 1].created, found[size - 1].arn])
        return out

    def describe_map_run(self, p: dict) -> dict:
        return self._map_run(p["mapRunArn"])[1]

    def update_map_run(self, p: dict) -> dict:
        arn, body = self._map_run(p["mapRunArn"])
        change = {k: p[k] for k in ("maxConcurrency", "toleratedFailurePercentage", "toleratedFailureCount")
                  if p.get(k) is not None}
        if not change:
            raise validation("At least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount "
                             "must be specified.")
        if body["status"] != "RUNNING":
            raise ServiceError("ResourceNotFound", f"Map Run is not running: '{arn}'")
        self.store.send_signal(Signal(ids.new_uuid(), body["executionArn"], SignalKind.MAP_RUN_UPDATE,
                                      dumps({"mapRunArn": arn, **change}), self.clock()))
        self.store.notify()
        self.engine.wake()
        return {}

