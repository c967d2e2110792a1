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

from ..asl.model import MapState, ParallelState, Program, StateMachine, programs_within
from ..asl.values import JSON, dumps
from .frames import ACT, DONE, ENTER, START, WAITING, ChildLog, Execution, Frame, Group, TaskCall
from .history import EventLog

VERSION = 1


# ---------------------------------------------------------------------------- dump

def dump(execution: Execution, *, redrive: bool = False) -> dict[str, JSON]:
    """The working state of a RUNNING execution (JSON-ready). With ``redrive``: the state an
    execution that ended unsuccessfully was left in, for RedriveExecution to go on from —
    every unfinished frame (failed, aborted, waiting) and what its Parallel/Map children did."""
    root = execution.root
    return {"v": VERSION, "root": _dump_frame(root, redrive) if root is not None else None,
            "map_runs": execution.map_runs, "redrive": redrive}


def _dump_frame(f: Frame, redrive: bool = False) -> dict[str, JSON]:
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
        if t.waiting_since is not None:
            d["t"]["ws"] = t.waiting_since
    g = f.child_group
    if g is not None and (redrive or not g.closed):
        d["g"] = _dump_group(g, redrive)
    log = f.log
    if type(log) is ChildLog and f.group is not None and f.group.distributed:
        # a child execution: its name, start, events written, and redrives
        d["cl"] = [log.name, log.started, len(log), log.redrives, log.redriven]
    return d


def _dump_group(g: Group, redrive: bool = False) -> dict[str, JSON]:
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
        d["ms"] = g.started_at
    if g.selector_input is not None:
        d["si"] = g.selector_input
    return d


# ---------------------------------------------------------------------------- dump as text

class TextMemo:
    """What :func:`dump_text` keeps between the snapshots of one execution, by identity: the
    JSON text of the frames' data and of the groups' inputs and items, whole (values are never
    changed once made, so the same object has the same text), and of each result of a group
    (the results list is filled in place: a new result costs its own text only)."""

    __slots__ = ("lists", "values")

    def __init__(self) -> None:
        self.values: dict[int, tuple[Any, str]] = {}  # id -> (value, its text)
        self.lists: dict[int, tuple[list[JSON], list[JSON], list[str]]] = {}  # id -> (list, its elements, their texts)

    def value_text(self, value: Any, used: set[int]) -> str:
        if type(value) is not dict and type(value) is not list:
            return dumps(value)
        key = id(value)
        used.add(key)
        entry = self.values.get(key)
        if entry is None or entry[0] is not value:
            entry = self.values[key] = (value, dumps(value))  # the value kept: its id is not reused
        return entry[1]

    def list_text(self, values: list[JSON], used: set[int]) -> str:
        key = id(values)
        used.add(key)
        entry = self.lists.get(key)
        if entry is None or entry[0] is not values:
            entry = self.lists[key] = (values, [], [])
        _, seen, texts = entry
        known = len(seen)
        for i, value in enumerate(values):
            if i >= known:
                seen.append(value)
                texts.append(dumps(value))
            elif seen[i] is not value:
                seen[i] = value
                texts[i] = dumps(value)
        if known > len(values):
            del seen[len(values):], texts[len(values):]
        return "[" + ",".join(texts) + "]"

    def forget_unused(self, used: set[int]) -> None:
        for table in (self.values, self.lists):
            if len(table) > len(used) or any(key not in used for key in table):
                for key in [key for key in table if key not in used]:
                    del table[key]


_VALUES = frozenset(("d", "si", "it", "isz"))  # a frame's data; a group's input, items, their sizes


def dump_text(execution: Execution, *, redrive: bool = False, memo: TextMemo | None = None) -> str:
    """``dumps(dump(execution, redrive=redrive))``, the same text; with a ``memo`` kept from the
    execution's previous snapshot, what has not changed since is not encoded again (a Map over
    many items would otherwise cost its whole input, items and results at every commit)."""
    d = dump(execution, redrive=redrive)
    if memo is None or execution.root is None or execution.root.child_group is None:
        return dumps(d)  # no Parallel or Map running: nothing worth remembering
    used: set[int] = set()
    parts = []
    for k, v in d.items():
        parts.append(dumps(k) + ":" + (_frame_text(v, memo, used) if k == "root" and v is not None else dumps(v)))
    memo.forget_unused(used)
    return "{" + ",".join(parts) + "}"


def _frame_text(d: dict[str, JSON], memo: TextMemo, used: set[int]) -> str:
    if "g" not in d:  # a frame without children (a branch, an iteration): small, encoded whole
        return dumps(d)
    parts = []
    for k, v in d.items():
        if k == "d":
            text = memo.value_text(v, used)
        elif k == "g":
            text = _group_text(v, memo, used)
        else:
            text = dumps(v)
        parts.append(dumps(k) + ":" + text)
    return "{" + ",".join(parts) + "}"


def _group_text(d: dict[str, JSON], memo: TextMemo, used: set[int]) -> str:
    parts = []
    for k, v in d.items():
        if k == "a":
            text = "[" + ",".join(_frame_text(child, memo, used) for child in v) + "]"
        elif k == "r" and type(v) is list:
            text = memo.list_text(v, used)
        elif k in _VALUES:
            text = memo.value_text(v, used)
        else:
            text = dumps(v)
        parts.append(dumps(k) + ":" + text)
    return "{" + ",".join(parts) + "}"


# ---------------------------------------------------------------------------- load

@dataclass
class Restored:
    """What a restored execution needs from the engine."""

    ready: list[Frame] = field(default_factory=list)           # advance these
    timers: list[tuple[Frame, float]] = field(default_factory=list)  # wake these at that time
    tasks: list[TaskCall] = field(default_factory=list)        # (re-)invoke these


class SnapshotError(ValueError):
    """The snapshot does not fit the definition (corrupt, or another version)."""


def load(execution: Execution, snapshot: dict[str, JSON], committed_events: int) -> Restored:
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


def _load_redriven(d: dict[str, JSON], ex: Execution, programs: dict[str, Program], outer: Frame | None,
                   group: Group | None, log: EventLog, restored: Restored) -> Frame:
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
        old = Group(kind=g["k"], parent=f, total=g["n"], results=g["r"], done=set(g.get("dn", ())),
                    distributed=g.get("di", False), map_run_arn=g.get("mr"), started_at=g.get("ms", 0.0))
        for cd in g["a"]:
            child_log = (_child_log(old, ex, cd["cl"]) if "cl" in cd else []) if old.distributed else log
            child = _load_redriven(cd, ex, programs, None, old, child_log, restored)
            child.phase = START
            old.stopped[child.index] = child
        f.redrive = old
    if group is None:
        restored.ready.append(f)
    return f


def _load_frame(d: dict[str, JSON], ex: Execution, programs: dict[str, Program], outer: Frame | None,
                group: Group | None, log: EventLog, restored: Restored) -> Frame:
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
        call.waiting_since = t.get("ws")
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


def _load_group(d: dict[str, JSON], parent: Frame, ex: Execution, programs: dict[str, Program],
                restored: Restored) -> Group:
    g = Group(kind=d["k"], parent=parent, total=d["n"], results=d["r"], items=d.get("it"), running=d["ru"],
              next_index=d["ni"], finished=d["fi"], failures=d["fa"], limit=d["li"], tolerated_count=d.get("tc"),
              tolerated_percentage=d.get("tp"), cursor=d["cu"], distributed=d.get("di", False),
              result_size=d.get("rs", 2), selector_input=d.get("si"), item_sizes=d.get("isz"),
              map_run_arn=d.get("mr"), started_at=d.get("ms", 0.0))
    if g.map_run_arn is not None:
        if ex.map_run_groups is None:
            ex.map_run_groups = {}
        ex.map_run_groups[g.map_run_arn] = g
    st = parent.program.states[parent.state]
    if not isinstance(st, (MapState, ParallelState)):
        raise SnapshotError(f"state {parent.state!r} has children but is not a Map or Parallel state")
    for cd in d["a"]:
        # a distributed child's history is an execution of its own (stored already), or none (EXPRESS)
        child_log = (_child_log(g, ex, cd["cl"]) if "cl" in cd else []) if g.distributed else parent.log
        outer = None if g.distributed else parent
        child = _load_frame(cd, ex, programs, outer, g, child_log, restored)
        if child.phase != DONE:
            g.active[child.index] = child
    return g


def _child_log(g: Group, ex: Execution, saved: list[JSON]) -> ChildLog:
    """A Distributed Map child's history as it was committed: placeholders for its events."""
    name, started, committed = saved[:3]
    assert g.map_run_arn is not None
    log = ChildLog(g.map_run_arn, name, started)
    log.extend([None] * committed)
    log.committed = committed
    if len(saved) > 3:
        log.redrives, log.redriven = saved[3], saved[4]
    return log


def _programs(machine: StateMachine) -> dict[str, Program]:
    return {program.path: program for program in programs_within(machine.program)}
