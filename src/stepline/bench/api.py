"""Load test of the API server: many clients starting and describing executions.

    python -m stepline.bench.api [--rate 200] [--seconds 10] [--clients 50] [--db sqlite|postgresql]

Starts ``stepline server`` in its own process on a fresh database, creates a state machine,
then sends an open-loop load from this process: ``--rate`` requests per second in total,
alternating StartExecution and DescribeExecution (of an execution started earlier), spread
over ``--clients`` concurrent connections. Open loop means requests go out on schedule
whether or not earlier ones have answered, so a slow server shows as latency, not as a lower
rate. Prints requests/s achieved and p50/p90/p99/max latency per operation; then, unless
``--no-max``, the most requests/s the server sustains with all clients sending back to back.
Bounded in count and time: a run takes about ``2 × --seconds`` plus start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import httpx

ROLE = "arn:aws:iam::123456789012:role/bench"
DEFINITION = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Succeed"}}}
HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _target(operation: str) -> dict[str, str]:
    return {**HEADERS, "X-Amz-Target": f"AWSStepFunctions.{operation}"}


class Server:
    """``stepline server`` in a process of its own, on a fresh database."""

    def __init__(self, db: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="stepline-bench-api-")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.pg_name: str | None = None
        if db == "postgresql":
            import psycopg
            self.pg_name = f"stepline_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
                c.execute(f"CREATE DATABASE {self.pg_name}")
            url = f"postgresql://postgres@127.0.0.1:5432/{self.pg_name}"
        else:
            url = os.path.join(self.dir, "stepline.db")
        self.proc = subprocess.Popen([sys.executable, "-m", "stepline", "server", "--db", url, "--port",
                                      str(self.port)], cwd=self.dir, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the server did not start: " + (self.proc.stderr.read().decode()
                                                                        if self.proc.stderr else "")) from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.pg_name is not None:
            import psycopg
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")


class Connections:
    """Keep-alive HTTP/1.1 connections to the server, one request at a time on each.

    A client this small (asyncio streams, Content-Length bodies) because the load generator
    must cost far less than the server it measures: httpx's pool tops out near 100 requests/s
    with 50 connections on this machine, while these reach the thousands."""

    def __init__(self, url: str, count: int) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.free: asyncio.Queue = asyncio.Queue()
        self.count = count

    async def __aenter__(self) -> Connections:
        for _ in range(self.count):
            self.free.put_nowait(await asyncio.open_connection(self.host, self.port))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        while not self.free.empty():
            self.free.get_nowait()[1].close()

    async def post(self, operation: str, body: bytes) -> tuple[int, bytes]:
        reader, writer = await self.free.get()
        try:
            writer.write(b"POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
                         b"X-Amz-Target: AWSStepFunctions.%s\r\nContent-Length: %d\r\n\r\n%s"
                         % (self.host.encode(), operation.encode(), len(body), body))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            length = next(int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:"))
            return int(lines[0].split()[1]), await reader.readexactly(length)
        finally:
            self.free.put_nowait((reader, writer))


async def _call(client: Connections, operation: str, body: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    status, text = await client.post(operation, json.dumps(body).encode())
    elapsed = time.perf_counter() - t0
    if status != 200:
        raise RuntimeError(f"{operation} answered {status}: {text.decode()}")
    return elapsed, json.loads(text)


async def _open_loop(url: str, sm: str, rate: float, seconds: float, clients: int) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {"StartExecution": [], "DescribeExecution": []}
    started: list[str] = []
    async with Connections(url, clients) as client:
        _, first = await _call(client, "StartExecution", {"stateMachineArn": sm})
        started.append(first["executionArn"])
        total = int(rate * seconds)
        t0 = time.perf_counter()
        tasks = []

        async def one(i: int) -> None:
            if i % 2 == 0:
                elapsed, out = await _call(client, "StartExecution", {"stateMachineArn": sm, "input": f'{{"i": {i}}}'})
                started.append(out["executionArn"])
                latencies["StartExecution"].append(elapsed)
            else:
                elapsed, _ = await _call(client, "DescribeExecution", {"executionArn": started[-1]})
                latencies["DescribeExecution"].append(elapsed)

        for i in range(total):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        latencies["_elapsed"] = [time.perf_counter() - t0]
    return latencies


async def _closed_loop(url: str, sm: str, seconds: float, clients: int) -> tuple[int, float]:
    count = 0
    async with Connections(url, clients) as client:
        _, first = await _call(client, "StartExecution", {"stateMachineArn": sm})
        arn = first["executionArn"]
        end = time.perf_counter() + seconds

        async def worker(n: int) -> None:
            nonlocal count, arn
            i = 0
            while time.perf_counter() < end:
                if (i + n) % 2 == 0:
                    _, out = await _call(client, "StartExecution", {"stateMachineArn": sm})
                    arn = out["executionArn"]
                else:
                    await _call(client, "DescribeExecution", {"executionArn": arn})
                count += 1
                i += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        return count, time.perf_counter() - t0


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stepline.bench.api", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second in total (default 200)")
    ap.add_argument("--seconds", type=float, default=10.0, help="how long each phase sends (default 10)")
    ap.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--no-max", action="store_true", help="skip the closed-loop maximum throughput phase")
    args = ap.parse_args(argv)
    server = Server(args.db)
    try:
        r = httpx.post(server.url, headers=_target("CreateStateMachine"), content=json.dumps(
            {"name": "bench", "definition": json.dumps(DEFINITION), "roleArn": ROLE}))
        sm = r.json()["stateMachineArn"]
        lat = asyncio.run(_open_loop(server.url, sm, args.rate, args.seconds, args.clients))
        elapsed = lat.pop("_elapsed")[0]
        n = sum(len(v) for v in lat.values())
        print(f"open loop, {args.db}: {n} requests in {elapsed:.1f} s = {n / elapsed:.0f} requests/s "
              f"(asked {args.rate:.0f}/s, {args.clients} connections)")
        for op, values in lat.items():
            print(f"  {op:18} n={len(values):5}  p50 {_pct(values, 50):6.1f} ms  p90 {_pct(values, 90):6.1f} ms  "
                  f"p99 {_pct(values, 99):6.1f} ms  max {max(values) * 1000:6.1f} ms  "
                  f"mean {statistics.fmean(values) * 1000:6.1f} ms")
        if not args.no_max:
            count, took = asyncio.run(_closed_loop(server.url, sm, args.seconds, args.clients))
            print(f"closed loop, {args.db}: {count} requests in {took:.1f} s = {count / took:.0f} requests/s "
                  f"({args.clients} clients back to back)")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
