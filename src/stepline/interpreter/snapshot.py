"""A running execution's working state as JSON, and back: what the durable engine commits.

``dump`` writes the tree of frames (the root, Parallel branches, Map iterations) with where
each one is, its data, variables, retry counters, the task it waits for, and the bookkeeping
of its Parallel/Map group. ``load`` rebuilds the frames against the compiled machine and says
what needs the engine's attention again: frames ready to advance, timers to arm, tasks to
(re-)invoke. The history is not in the snapshot: events are committed beside it, and the
restored event list holds placeholders for them so that new events get the right ids.

Programs (the machine, a branch, an ItemProcessor) are named by their path in the definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..asl.model import MapState, ParallelState, Program, StateMachine
from .frames import ACT, DONE, ENTER, START, WAITING, Execution, Frame, Group, TaskCall

VERSION = 1


# ---------------------------------------------------------------------------- dump

def dump(execution: Execution, *, redrive: bool = False) -> dict:
    """The working state of a RUNNING execution (JSON-ready). With ``redrive``: the state an
    execution that ended unsuccessfully was left in, for RedriveExecution to go on from —
    every unfinished frame (failed, aborted, waiting) and what its Parallel/Map children did."""
    root = execution.root
    return {"v": VERSION, "root": _dump_frame(root, redrive) if root is not None else None,
            "map_runs": execution.map_runs, "redrive": redrive}


def _dump_frame(f: Frame, redrive: bool = False) -> dict:
    d: dict[str, Any] = {"p": f.program.path, "s": f.state, "d": f.data, "ph": f.phase, "l": f.last,
                         "ei": f.entered_id, "ep": f.entered_prev, "ea": f.entered_at, "sz": f.size, "ix": f.index}
    if f.vars:
        d["v"] = f.vars
    if f.retry_count:
        d["rc"] = f.retry_count
        d["at"] = f.attempts
    if f.until is not None:
        d["u"] = f.until
    t = f.task
    if t is not None and not redrive:
        d["t"] = {"i": t.input, "to": t.timeout, "hb": t.heartbeat, "tk": t.token, "a": t.attempt,
                  "sa": t.scheduled_at}
    g = f.child_group
    if g is not None and (redrive or not g.closed):
        d["g"] = _dump_group(g, redrive)
    return d


def _dump_group(g: Group, redrive: bool = False) -> dict:
    d: dict[str, Any] = {"k": g.kind, "n": g.total, "r": g.results, "ru": g.running, "ni": g.next_index,
                         "fi": g.finished, "fa": g.failures, "li": g.limit, "cu": g.cursor, "rs": g.result_size,
                         "a": [_dump_frame(c, redrive) for _, c in sorted(g.active.items())]}
    if redrive:
        d["a"] += [_dump_frame(c, redrive) for _, c in sorted(g.stopped.items()) if c.index not in g.active]
        d["dn"] = sorted(g.done)
    if g.next_index < g.total and g.items is not None:
        d["it"] = g.items  # items still to start
        d["isz"] = g.item_sizes
    if g.tolerated_count is not None:
        d["tc"] = g.tolerated_count
    if g.tolerated_percentage is not None:
        d["tp"] = g.tolerated_percentage
    if g.distributed:
        d["di"] = True
        d["mr"] = g.map_run_arn
    if g.selector_input is not None:
        d["si"] = g.selector_input
    return d


# ---------------------------------------------------------------------------- load

@dataclass
class Restored:
    """What a restored execution needs from the engine."""

    ready: list[Frame] = field(default_factory=list)           # advance these
    timers: list[tuple[Frame, float]] = field(default_factory=list)  # wake these at that time
    tasks: list[TaskCall] = field(default_factory=list)        # (re-)invoke these


class SnapshotError(ValueError):
    """The snapshot does not fit the definition (corrupt, or another version)."""


def load(execution: Execution, snapshot: dict, committed_events: int) -> Restored:
    """Rebuild ``execution``'s frames from ``snapshot``. ``committed_events`` events are
    already stored: the event list gets as many placeholders, so new ids continue from there.
    A redrive snapshot rebuilds frames that re-enter the states where they stopped (the
    interpreter's ``redrive`` then records ExecutionRedriven and starts them)."""
    if snapshot.get("v") != VERSION:
        raise SnapshotError(f"unknown snapshot version {snapshot.get('v')!r}")
    programs = _programs(execution.machine)
    execution.events = [None] * committed_events
    execution.map_runs = snapshot.get("map_runs", 0)
    restored = Restored()
    if snapshot.get("root") is not None:
        load_frame = _load_redriven if snapshot.get("redrive") else _load_frame
        execution.root = load_frame(snapshot["root"], execution, programs, None, None, execution.events, restored)
    return restored


def _load_redriven(d: dict, ex: Execution, programs: dict[str, Program], outer: Frame | None, group: Group | None,
                   log: list, restored: Restored) -> Frame:
    """A frame of a redrive snapshot: it will enter its state again; its Parallel/Map
    children (succeeded, and stopped ones to go on with) wait in ``frame.redrive``."""
    program = programs.get(d["p"])
    if program is None or d["s"] not in program.states:
        raise SnapshotError(f"no state {d['s']!r} at {d['p']!r} in this definition")
    f = Frame(ex, program, d["d"], outer=outer, group=group, index=d.get("ix", 0), log=log, last=d["l"],
              size=d.get("sz", 0))
    f.state = d["s"]
    if "v" in d:
        f.assign(d["v"])
    if "g" in d:
        g = d["g"]
        old = Group(kind=g["k"], parent=f, total=g["n"], results=g["r"], done=set(g.get("dn", ())))
        for cd in g["a"]:
            child = _load_redriven(cd, ex, programs, None, old, [] if g.get("di") else log, restored)
            child.phase = START
            old.stopped[child.index] = child
        f.redrive = old
    if group is None:
        restored.ready.append(f)
    return f


def _load_frame(d: dict, ex: Execution, programs: dict[str, Program], outer: Frame | None, group: Group | None,
                log: list, restored: Restored) -> Frame:
    try:
        program = programs[d["p"]]
    except KeyError:
        raise SnapshotError(f"no program at {d['p']!r} in this definition") from None
    if d["s"] not in program.states:
        raise SnapshotError(f"no state {d['s']!r} at {d['p']!r}")
    f = Frame(ex, program, d["d"], outer=outer, group=group, index=d.get("ix", 0), log=log, last=d["l"],
              size=d.get("sz", 0))
    f.state = d["s"]
    f.phase = d["ph"]
    f.entered_id, f.entered_prev, f.entered_at = d.get("ei", 0), d.get("ep", 0), d.get("ea", 0.0)
    if "v" in d:
        f.assign(d["v"])
    if "rc" in d:
        f.retry_count, f.attempts = d["rc"], d.get("at")
    f.until = d.get("u")
    if "t" in d:
        t = d["t"]
        st = program.states[f.state]
        call = TaskCall(f, st, st.resource, t.get("tk"), t.get("a", 0), t.get("sa", 0.0))  # type: ignore[arg-type,attr-defined]
        call.input, call.timeout, call.heartbeat = t.get("i"), t.get("to"), t.get("hb")
        f.task = call
        if f.phase == WAITING:
            restored.tasks.append(call)
    if "g" in d:
        f.child_group = _load_group(d["g"], f, ex, programs, restored)
    if f.phase in (ENTER, START, ACT):
        restored.ready.append(f)
    elif f.phase == WAITING and f.until is not None and f.task is None and f.child_group is None:
        restored.timers.append((f, f.until))
    return f


def _load_group(d: dict, parent: Frame, ex: Execution, programs: dict[str, Program], restored: Restored) -> Group:
    g = Group(kind=d["k"], parent=parent, total=d["n"], results=d["r"], items=d.get("it"), running=d["ru"],
              next_index=d["ni"], finished=d["fi"], failures=d["fa"], limit=d["li"], tolerated_count=d.get("tc"),
              tolerated_percentage=d.get("tp"), cursor=d["cu"], distributed=d.get("di", False),
              result_size=d.get("rs", 2), selector_input=d.get("si"), item_sizes=d.get("isz"),
              map_run_arn=d.get("mr"))
    st = parent.program.states[parent.state]
    if not isinstance(st, (MapState, ParallelState)):
        raise SnapshotError(f"state {parent.state!r} has children but is not a Map or Parallel state")
    for cd in d["a"]:
        child_log = [] if g.distributed else parent.log  # distributed children keep no history here (yet)
        outer = None if g.distributed else parent
        child = _load_frame(cd, ex, programs, outer, g, child_log, restored)
        if child.phase != DONE:
            g.active[child.index] = child
    return g


def _programs(machine: StateMachine) -> dict[str, Program]:
    out: dict[str, Program] = {}
    todo = [machine.program]
    while todo:
        program = todo.pop()
        out[program.path] = program
        for st in program.states.values():
            if isinstance(st, ParallelState):
                todo.extend(st.branches)
            elif isinstance(st, MapState):
                todo.append(st.processor)
    return out


def restore_execution(machine: StateMachine, fields: dict[str, Any], snapshot: dict | None,
                      committed_events: int) -> tuple[Execution, Restored]:
    """A RUNNING execution rebuilt from its stored row (``fields``: the Execution's constructor
    arguments) and snapshot."""
    ex = Execution(machine, **fields)
    if snapshot is None:
        return ex, Restored()
    return ex, load(ex, snapshot, committed_events)

