"""The interpreter's working state: an execution, its threads of control, and what they wait on.

An :class:`Execution` has a root :class:`Frame`; each Parallel branch and Map iteration runs in
a frame of its own, gathered by a :class:`Group` that belongs to the frame running the
Parallel or Map state. A frame knows where it is (program, state, input), its variable scope,
its retry counters and the id of its last history event (the next event's
``previousEventId``). Everything here is plain data: the engine can keep it in memory or
write it to a store between transitions.

What :meth:`Interpreter.advance` asks of its caller is one of the request types at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import arns
from ..asl.jsonpath import PathNotFound
from ..asl.model import Program, Resource, StateMachine, TaskState
from ..asl.values import JSON
from . import context as _context
from .history import EventLog
from .start import Start

RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
ABORTED = "ABORTED"

# where a frame is within its current state
ENTER = 0      # about to enter the state (emit *StateEntered)
ACT = 1        # entered; perform the state's work (after a retry wait, too)
WAITING = 2    # parked on a task, a timer or child frames
DONE = 3       # finished (or abandoned)
START = 4      # a child frame not yet announced (MapIterationStarted), then as ENTER


class Execution:
    """One execution: what started it, the history being written, and the outcome."""

    __slots__ = ("machine", "start", "_arn", "_name", "new_id", "start_time", "events", "status", "output", "error",
                 "cause", "root", "_ctx_execution", "redrive_count", "stop_time", "map_runs", "map_run_groups",
                 "redrive_time", "ended_children", "records_children", "given_context")

    def __init__(self, machine: StateMachine, start: Start, start_time: float, *, redrive_count: int = 0,
                 new_id: Callable[[], str]) -> None:
        """Without a name in ``start``, the execution is named by ``new_id()`` when its name is
        first read (an in-process run that never reads it does not pay for it)."""
        self.machine = machine
        self.start = start
        self._arn = start.arn
        self._name = start.name
        self.new_id = new_id  # ids it records: its name, Map Run ids, child executions' names
        self.start_time = start_time
        self.events: EventLog = []
        self.status = RUNNING
        self.output: JSON = None
        self.error: str | None = None
        self.cause: str | None = None
        self.stop_time: float | None = None
        self.root: Frame | None = None
        self.redrive_count = redrive_count
        self.redrive_time: float | None = None
        self.map_runs: int = 0
        self.map_run_groups: dict[str, Group] | None = None  # the Distributed Map runs seen, by ARN
        #: whether Distributed Map children keep their history as executions of their own (the
        #: durable engine stores them; ``stepline run`` has no use for them)
        self.records_children = False
        #: those children (their :class:`ChildLog`) that ended since the engine last took them
        self.ended_children: list[ChildLog] | None = None
        self._ctx_execution: dict[str, JSON] | None = None
        #: the context object of its every state, when it is given whole (TestState's ``context``)
        self.given_context: dict[str, JSON] | None = None

    @property
    def name(self) -> str:
        name = self._name
        if name is None:
            name = self._name = self.new_id()
        return name

    @property
    def arn(self) -> str:
        arn = self._arn
        if arn is None:
            arn = self._arn = self.start.arn_prefix + self.name
        return arn

    # what started it, as the interpreter reads it

    @property
    def input(self) -> JSON:
        return self.start.input

    @property
    def input_text(self) -> str | None:
        return self.start.input_text

    @property
    def input_size(self) -> int | None:
        return self.start.input_size

    @property
    def role_arn(self) -> str | None:
        return self.start.role_arn

    @property
    def state_machine_arn(self) -> str:
        return self.start.state_machine_arn

    @property
    def state_machine_name(self) -> str:
        return self.start.state_machine_name

    @property
    def region(self) -> str:
        return self.start.region

    @property
    def account(self) -> str:
        return self.start.account

    @property
    def test_case(self) -> str | None:
        return self.start.test_case

    @property
    def ctx_state_machine(self) -> dict[str, JSON]:
        """``$$.StateMachine``."""
        return {"Id": self.state_machine_arn, "Name": self.state_machine_name}

    @property
    def ctx_execution(self) -> dict[str, JSON]:
        """``$$.Execution``, made the first time an expression reads the context object."""
        part = self._ctx_execution
        if part is None:
            part = self._ctx_execution = _context.execution_part(
                arn=self.arn, name=self.name, input=self.input, role_arn=self.role_arn, start_time=self.start_time,
                redrive_count=self.redrive_count, redrive_time=self.redrive_time)
        return part

    @property
    def history(self) -> list[dict[str, Any]]:
        """The events as ``GetExecutionHistory`` returns them (rendered on each call)."""
        from .history import render_all
        return render_all(self.events)


_NO_VARIABLES: dict[str, JSON] = {}  # shared and never written: a frame that has assigned nothing


class Frame:
    """A thread of control: the root, a Parallel branch or a Map iteration."""

    __slots__ = ("execution", "program", "state", "data", "phase", "vars", "outer", "group", "index",
                 "log", "last", "entered_id", "entered_prev", "entered_at", "attempts", "retry_count", "task",
                 "child_group", "map_item", "_ctx", "size", "until", "redrive")

    def __init__(self, execution: Execution, program: Program, data: JSON, *, outer: Frame | None = None,
                 group: Group | None = None, index: int = 0, log: EventLog | None = None, last: int = 0,
                 size: int = 0) -> None:
        self.execution = execution
        self.program = program
        self.state = program.start_at
        self.data = data
        self.size = size            # an upper bound of the size of ``data`` as JSON (see asl.sizes)
        self.phase = ENTER if group is None else START
        self.vars: dict[str, JSON] = _NO_VARIABLES  # replaced by a dict of its own at the first Assign
        self.outer = outer          # the frame whose variables this one can read
        self.group = group          # the Parallel/Map group this frame runs in
        self.index = index
        self.log = execution.events if log is None else log
        self.last = last
        self.entered_id = 0
        self.entered_prev = 0
        self.until: float | None = None  # when a Wait or a retry backoff ends (while WAITING)
        self.redrive: Group | None = None  # a Parallel/Map's children as a redriven execution left them
        self.entered_at = 0.0
        self.attempts: list[int] | None = None
        self.retry_count = 0
        self.task: TaskCall | None = None
        self.child_group: Group | None = None
        self.map_item: tuple[int, JSON] | None = None
        self._ctx: dict[str, JSON] | None = None

    # -- the scope protocol of compiled expressions (see asl.jsonpath.Scope)

    @property
    def context(self) -> dict[str, JSON]:
        ctx = self._ctx
        if ctx is None:
            ex = self.execution
            if ex.given_context is not None:
                return ex.given_context
            token = self.task.token if self.task is not None else None
            ctx = self._ctx = _context.build(ex.ctx_execution, ex.ctx_state_machine, self.state, self.entered_at,
                                             self.retry_count, token, self.map_item)
        return ctx

    def assign(self, values: dict[str, JSON]) -> None:
        """Set variables in this frame's scope."""
        if self.vars is _NO_VARIABLES:
            self.vars = dict(values)
        else:
            self.vars.update(values)

    def variable(self, name: str) -> JSON:
        frame: Frame | None = self
        while frame is not None:
            v = frame.vars
            if name in v:
                return v[name]
            frame = frame.outer
        raise PathNotFound(f"Variable '${name}' is not defined")

    def visible_variables(self) -> dict[str, JSON]:
        chain = []
        frame: Frame | None = self
        while frame is not None:
            chain.append(frame.vars)
            frame = frame.outer
        out: dict[str, JSON] = {}
        for v in reversed(chain):
            out.update(v)
        return out

    def __repr__(self) -> str:
        return f"Frame({self.state!r}, phase={self.phase}, index={self.index})"


@dataclass(slots=True)
class Group:
    """The children of a Parallel or Map state and what has become of them."""

    kind: str                      # "parallel" | "map"
    parent: Frame
    total: int
    results: list[JSON]
    items: list[JSON] | None = None
    running: int = 0
    next_index: int = 0
    pending: list[int] | None = None  # on a redrive: the indexes still to start (last first), instead of next_index
    finished: int = 0
    failures: int = 0
    limit: int = 0                 # max children at once (0: all)
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None
    cursor: int = 0                # event id that the next MapIterationStarted follows
    closed: bool = False           # failed or finished: late children are ignored
    distributed: bool = False
    result_size: int = 2           # bound of the size of ``results`` as JSON
    active: dict[int, Frame] = field(default_factory=dict)  # index -> child frame still running
    done: set[int] = field(default_factory=set)             # indexes of the children that succeeded
    stopped: dict[int, Frame] = field(default_factory=dict)  # index -> child frame that failed or was aborted
    selector_input: JSON = None    # what a Map's ItemSelector reads as "$"
    item_sizes: list[int] | None = None  # sizes of the iterations' inputs, when batched (ItemBatcher)
    map_run_arn: str | None = None
    started_at: float = 0.0        # a Map Run's start and end, and how it ended (SUCCEEDED | FAILED)
    ended_at: float | None = None
    outcome: str | None = None


class ChildLog(EventLog):
    """The history of one child workflow execution of a Distributed Map (ExecutionType
    STANDARD): the child's frame writes its events here, from ``ExecutionStarted`` to its end,
    and the engine stores it as an execution of its own (ListExecutions with the Map Run's ARN,
    DescribeExecution, GetExecutionHistory). ``committed`` is the engine's: how many of the
    events it has written (a restored log holds ``None`` for those)."""

    __slots__ = ("arn", "name", "map_run_arn", "state_machine_arn", "state_machine_name", "input", "started",
                 "status", "output", "error", "cause", "stopped", "committed", "record", "redrives", "redriven")

    def __init__(self, map_run_arn: str, name: str, started: float, input: JSON = None) -> None:
        """Named like its Map Run (see :func:`stepline.arns.map_run_child`)."""
        super().__init__()
        self.arn, self.state_machine_arn, self.state_machine_name = arns.map_run_child(map_run_arn, name)
        self.name, self.map_run_arn = name, map_run_arn
        self.input, self.started = input, started
        self.status = RUNNING
        self.output: JSON = None
        self.error: str | None = None
        self.cause: str | None = None
        self.stopped: float | None = None
        self.committed = 0
        self.record: Any = None  # the engine's stored row, once written
        self.redrives = 0  # redriven with its parent: how often, and when last
        self.redriven: float | None = None


# ---------------------------------------------------------------------------- requests to the engine

class TaskCall:
    """Run this task for ``frame`` and report with task_succeeded / task_failed / task_timed_out."""

    __slots__ = ("frame", "state", "resource", "input", "timeout", "heartbeat", "token", "attempt", "scheduled_at",
                 "waiting_since")

    def __init__(self, frame: Frame, state: TaskState, resource: Resource, token: str | None, attempt: int,
                 scheduled_at: float = 0.0) -> None:
        self.frame = frame
        self.state = state
        self.resource = resource
        self.input: JSON = None        # Parameters/Arguments result (the payload for a function ARN)
        self.timeout: float | None = None
        self.heartbeat: float | None = None
        self.token = token
        self.attempt = attempt
        self.scheduled_at = scheduled_at
        #: a callback (.waitForTaskToken) handed out, or an activity task taken by a worker: since
        #: when (the last heartbeat); None while the request is not out yet
        self.waiting_since: float | None = None

    def __repr__(self) -> str:
        return f"TaskCall({self.resource.arn!r}, state={self.state.name!r})"


@dataclass(slots=True)
class Sleep:
    """Call timer_fired(frame) at ``until`` (a Wait state or a retry backoff)."""

    frame: Frame
    until: float


@dataclass(slots=True)
class Spawn:
    """Advance these new child frames."""

    frames: list[Frame]


class Finished:
    """The execution has ended; its status, output, error and cause are set."""

    __slots__ = ()


FINISHED = Finished()


#: what :meth:`Interpreter.advance` (and each report back to it) asks of its driver: run a
#: task, wake a frame later, advance new frames, nothing more (the execution ended), or nothing
#: now (the frame waits for others)
Request = TaskCall | Sleep | Spawn | Finished | None
