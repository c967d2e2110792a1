"""``python -m stepline.bench``: state transitions per second on the benchmark workflows.

Each workflow (``workflows/NAME.asl.json`` with ``NAME.meta.json``) is compiled once, like a
registered state machine; every repetition then starts ``executions`` executions through
:func:`stepline.run`, each with a fresh copy of the input parsed from JSON text, and checks
every output. Task states are served by the Python function ``bench-echo``. Timing covers the
executions only (no imports, no compilation). They run without AWS's limit of 25,000 history
events per execution: map-10k writes about 60,000 (on AWS it would fail).

With ``--als DIR`` (a directory where ``npm install aws-local-stepfunctions@3`` was run) the
npm package runs the same workflows in the same process run, interleaved with stepline's,
through ``run_als.mjs`` (``--als-script``), and the ratio is reported. The machine this runs on
is noisy, so both are reported as the best and the median of the repetitions.

``--profile NAME`` runs one workflow under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pathlib
import pstats
import statistics
import subprocess
import sys
import time
from typing import Any

import stepline

HERE = pathlib.Path(__file__).parent
WORKFLOWS = HERE / "workflows"
NAMES = ["pass-chain-100", "choice-loop-1000", "map-10k", "parallel-fanout", "many-small", "task-echo"]


def echo(event: Any, context: Any) -> Any:
    return event


FUNCTIONS = {"bench-echo": echo}


def load(name: str) -> tuple[stepline.StateMachine, dict]:
    machine = stepline.parse((WORKFLOWS / f"{name}.asl.json").read_text())
    meta = json.loads((WORKFLOWS / f"{name}.meta.json").read_text())
    return machine, meta


def check(meta: dict, execution: stepline.Execution) -> None:
    if execution.status != "SUCCEEDED":
        raise AssertionError(f"execution ended {execution.status}: {execution.error}: {execution.cause}")
    rule, out = meta["check"], execution.output
    if "len" in rule:
        ok = isinstance(out, list) and len(out) == rule["len"]
    else:
        for key in rule["path"]:
            out = out[key]
        ok = out == rule["equals"]
    if not ok:
        raise AssertionError(f"unexpected output {json.dumps(execution.output)[:200]}")


def transitions(execution: stepline.Execution) -> int:
    """States entered, counting inside Parallel branches and Map iterations."""
    return sum(1 for e in execution.events if e[0].endswith("StateEntered"))


def run_stepline(name: str, reps: int) -> dict:
    machine, meta = load(name)
    text = json.dumps(meta["input"])
    first = stepline.run(machine, json.loads(text), functions=FUNCTIONS, history_limit=None)  # warm-up, and the checks
    check(meta, first)
    per_run = transitions(first) * meta["executions"]
    walls = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(meta["executions"]):
            execution = stepline.run(machine, json.loads(text), functions=FUNCTIONS, history_limit=None)
        walls.append(time.perf_counter() - t0)
        check(meta, execution)
    return {"transitions": per_run, "walls": walls}


def run_als(name: str, reps: int, als_dir: str, script: str) -> dict | None:
    env = dict(os.environ, NODE_PATH=os.path.join(als_dir, "node_modules"))
    proc = subprocess.run(["node", script, name, "--reps", str(reps)], cwd=als_dir, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        print(f"  aws-local-stepfunctions failed on {name}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if not rows or not all(r.get("ok", True) for r in rows):
        return None
    return {"transitions": rows[0]["transitions"], "walls": [r["wall_s"] for r in rows]}


def rates(result: dict) -> tuple[float, float]:
    walls = result["walls"]
    return result["transitions"] / min(walls), result["transitions"] / statistics.median(walls)


def profile(name: str) -> None:
    machine, meta = load(name)
    text = json.dumps(meta["input"])

    def go() -> None:
        for _ in range(meta["executions"] * 3 if meta["executions"] > 1 else 3):
            stepline.run(machine, json.loads(text), functions=FUNCTIONS, history_limit=None)

    prof = cProfile.Profile()
    prof.runcall(go)
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stepline.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", default=NAMES, help="workflows to run (default: all)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each workflow (default 5)")
    ap.add_argument("--als", metavar="DIR", help="also run aws-local-stepfunctions installed in DIR")
    ap.add_argument("--als-script", default=str(pathlib.Path.cwd().parent / "shared" / "bench" / "run_als.mjs"),
                    help="the run_als.mjs driver (default: ../shared/bench/run_als.mjs)")
    ap.add_argument("--json", action="store_true", help="print one JSON line per workflow instead of a table")
    ap.add_argument("--profile", metavar="NAME", help="profile one workflow and print the top functions")
    args = ap.parse_args(argv)
    if args.profile:
        profile(args.profile)
        return 0
    unknown = [n for n in args.names if not (WORKFLOWS / f"{n}.asl.json").is_file()]
    if unknown:
        ap.error(f"unknown workflow(s): {', '.join(unknown)}")
    if not args.json:
        header = f"{'workflow':18s} {'transitions':>11s} {'stepline best':>14s} {'median':>10s}"
        if args.als:
            header += f" {'ALS best':>10s} {'median':>10s} {'best/best':>9s} {'med/med':>8s}"
        print(header + "   (transitions per second)")
    for name in args.names:
        ours = run_stepline(name, args.reps)
        theirs = run_als(name, args.reps, args.als, args.als_script) if args.als else None
        best, median = rates(ours)
        row: dict[str, Any] = {"workflow": name, "transitions": ours["transitions"], "stepline_best": round(best),
                               "stepline_median": round(median)}
        if theirs:
            als_best, als_median = rates(theirs)
            row.update(als_best=round(als_best), als_median=round(als_median),
                       ratio_best=round(best / als_best, 2), ratio_median=round(median / als_median, 2))
        if args.json:
            print(json.dumps(row))
            continue
        line = f"{name:18s} {ours['transitions']:11d} {best:14,.0f} {median:10,.0f}"
        if theirs:
            line += (f" {row['als_best']:10,d} {row['als_median']:10,d} {row['ratio_best']:8.2f}x "
                     f"{row['ratio_median']:7.2f}x")
        elif args.als:
            line += "   (aws-local-stepfunctions did not run)"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
