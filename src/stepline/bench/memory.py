"""``python -m stepline.bench.memory``: what waiting executions cost an engine in memory.

Starts ``--executions`` Standard executions whose input is ``--input-kib`` KiB, each waiting in
a Wait state (an hour), through one in-process engine on a SQLite file, and reports the
process's resident memory (RSS) before the first start and once every start is committed, the
engine's own estimate of what it holds, how many executions it gave back to the store to keep
to its budget, and how many it holds. ``--budget`` sets the budget (default: the engine's,
256 MiB); ``--budget 0`` runs without one (every waiting execution stays in memory).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import tempfile
import time

from ..engine.durable import MEMORY_BUDGET, Engine
from ..engine.records import standard_start
from ..integrations import Integrations
from ..store import open_store

WAITING = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:memory"


def rss() -> int:
    """This process's resident memory in bytes (after handing freed memory back where it can)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(executions: int, input_kib: int, budget: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(os.path.join(tmp, "memory.db"))
        store.migrate()
        engine = Engine(store, Integrations(), memory_budget=budget or 2 ** 62)
        engine.run_in_thread()
        try:
            before = rss()
            started = time.monotonic()
            for batch in range(0, executions, 100):
                futures = [engine.start_execution(standard_start(
                    SM, WAITING, json.dumps({"n": i, "blob": "x" * (input_kib * 1024 - 32)})))
                    for i in range(batch, min(batch + 100, executions))]
                for future in futures:
                    future.result(60)
            took = time.monotonic() - started
            after = rss()
            return {"executions": executions, "input_kib": input_kib, "budget": budget or None,
                    "rss_before": before, "rss_after": after, "rss_growth": after - before,
                    "held_estimate": engine.holding.bytes, "held": len(engine.live), "evicted": engine.evicted,
                    "seconds": round(took, 2)}
        finally:
            engine.shutdown()
            store.close()


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m stepline.bench.memory", description=__doc__.split("\n\n")[0])
    ap.add_argument("--executions", type=int, default=1000)
    ap.add_argument("--input-kib", type=int, default=256)
    ap.add_argument("--budget", type=int, default=MEMORY_BUDGET, help="bytes (0: no budget)")
    args = ap.parse_args()
    out = measure(args.executions, args.input_kib, args.budget)
    mib = {k: f"{v / 2 ** 20:.0f} MiB" for k, v in out.items() if k.startswith(("rss", "held_estimate", "budget"))
           and isinstance(v, int)}
    print(json.dumps({**out, **mib}))


if __name__ == "__main__":
    main()
