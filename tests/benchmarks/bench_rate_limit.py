"""The rate limit's cost: per request in isolation, and on the explorer's cheapest answer, on against off.

1. In isolation: calls/s of the ASGI wrapper (RateLimit) around an app that answers at once, against
   that app alone, driven without HTTP: from one address, from 10,000 addresses in turn, and refused
   (429). Also the memory of the most buckets it keeps (65,536 addresses at once).
2. Over HTTP: two `naap serve` processes over the same one-table database, one with the limit on,
   set so high that it counts every request and refuses none (a refused request would measure
   the 429, not the limit), one with it off. `/-/versions.json` (Datasette's cheapest JSON
   answer, no query) and a cached JSON answer (the response cache's hit, the explorer's fastest
   path), at 1 and 10 concurrent connections from one asyncio client (httpx); rounds alternate
   which server goes first. Each figure is the median over rounds of that round's p50 or p95
   (client-side, loopback), or of the server process's CPU per request, and on / off is the
   ratio of those medians.

`--control` serves both with the limit off: the ratios it prints are the noise of the method on
this machine at this time, against which the ratios of a real run are read.

    python tests/benchmarks/bench_rate_limit.py [--rounds 5] [--requests 1000] [--calls 200000] [--control]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from helpers.processes import Explorer  # noqa: E402

from ingest.explorer.rate_limit import RateLimit, TokenBuckets  # noqa: E402

CONCURRENCIES = (1, 10)
PATHS = {"/-/versions.json": "/-/versions.json", "cached JSON (/naap/t.json)": "/naap/t.json?_shape=array"}
# Counts every request and refuses none within a benchmark's length.
UNREFUSED = {"NAAP_API_RATE": "1e9", "NAAP_API_BURST": "1000000000"}


async def answer(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _drive(app, scopes: list[dict], calls: int) -> float:
    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        pass

    started = time.perf_counter()
    for n in range(calls):
        await app(scopes[n % len(scopes)], receive, send)
    return calls / (time.perf_counter() - started)


def isolation(calls: int) -> None:
    def scope(address: str) -> dict:
        return {"type": "http", "method": "GET", "path": "/", "client": (address, 50000)}

    one = [scope("10.0.0.1")]
    many = [scope(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}") for n in range(10_000)]
    cases = {
        "the app alone": (answer, one),
        "limited, one address": (RateLimit(answer, TokenBuckets(1e9, 10**9)), one),
        "limited, 10,000 addresses in turn": (RateLimit(answer, TokenBuckets(1e9, 10**9)), many),
        "limited, every request refused (429)": (_refusing(), one),
    }
    rates = {label: [] for label in cases}
    for _ in range(5):
        for label, (app, scopes) in cases.items():
            rates[label].append(asyncio.run(_drive(app, scopes, calls)))
    bare = statistics.median(rates["the app alone"])
    print(f"in isolation: median of 5 runs of {calls:,} calls, no HTTP")
    print(f"  {'':<40}{'calls/s':>12}{'µs/call':>10}{'µs added':>10}")
    for label, runs in rates.items():
        rate = statistics.median(runs)
        added = "" if label == "the app alone" else f"{1e6 / rate - 1e6 / bare:>10.2f}"
        print(f"  {label:<40}{rate:>12,.0f}{1e6 / rate:>10.2f}{added}")
    buckets = TokenBuckets(1e-6, 10)  # nothing refills within the measurement: every bucket is kept
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(buckets.max_clients):
        buckets.take(f"2001:db8::{n:x}")
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(
        f"  memory: {len(buckets):,} buckets (the most kept) take {kept / 1e6:.1f} MB, "
        f"{kept / len(buckets):.0f} B each"
    )


def _refusing() -> RateLimit:
    buckets = TokenBuckets(1e-6, 1)
    buckets.take("10.0.0.1")  # its one token spent: every later request is refused
    return RateLimit(answer, buckets, cors=True)


async def load(client: httpx.AsyncClient, path: str, concurrency: int, total: int) -> list[float]:
    latencies: list[float] = []

    async def worker(first: int) -> None:
        (await client.get(path)).raise_for_status()  # unmeasured: opens this worker's connection
        for _ in range(first, total, concurrency):
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies


def cpu_ms(pid: int) -> float:
    """User and system CPU the process has used so far (Linux /proc, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def p50_p95(latencies: list[float]) -> tuple[float, float]:
    return statistics.median(latencies), statistics.quantiles(latencies, n=20)[-1]


async def over_http(servers: dict[str, Explorer], rounds: int, requests: int) -> dict:
    runs: dict[tuple[str, str, int], list[tuple[float, ...]]] = {}
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10, keepalive_expiry=2)
    clients = {
        name: httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits)
        for name, server in servers.items()
    }
    try:
        for client in clients.values():
            for path in PATHS.values():
                for _ in range(20):  # warm-up: start-up hooks, the cache's first answer
                    (await client.get(path)).raise_for_status()
        for n in range(rounds):
            order = list(clients) if n % 2 == 0 else list(reversed(clients))
            for label, path in PATHS.items():
                for concurrency in CONCURRENCIES:
                    for name in order:
                        cpu_before = cpu_ms(servers[name].process.pid)
                        latencies = await load(clients[name], path, concurrency, requests)
                        cpu = (cpu_ms(servers[name].process.pid) - cpu_before) / requests
                        runs.setdefault((name, label, concurrency), []).append((*p50_p95(latencies), cpu))
    finally:
        for client in clients.values():
            await client.aclose()
    return {key: tuple(map(statistics.median, zip(*values, strict=True))) for key, values in runs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000, help="per path, concurrency, server and round")
    parser.add_argument("--calls", type=int, default=200_000, help="per case and run, in isolation")
    parser.add_argument("--control", action="store_true", help="serve both with the limit off (A/A)")
    args = parser.parse_args()
    isolation(args.calls)

    data_dir = Path(tempfile.mkdtemp(prefix="bench-rate-limit-")) / "data"
    (data_dir / "publish").mkdir(parents=True)
    with sqlite3.connect(data_dir / "publish" / "naap.db") as db:
        db.execute("create table t (x)")
        db.execute("insert into t values (1)")
    servers: dict[str, Explorer] = {}
    try:
        off = {"NAAP_API_RATE": "off"}
        for name, env in (("on", off if args.control else UNREFUSED), ("off", off)):
            servers[name] = Explorer(
                ["serve"], data_dir, data_dir / f"serve-{name}.log", timeout_s=60, env=env
            )
        figures = asyncio.run(over_http(servers, args.rounds, args.requests))
    finally:
        for server in servers.values():
            server.stop()
    print(
        f"over HTTP: median of {args.rounds} rounds of {args.requests} requests (ms, client-side, loopback; "
        + (
            "CONTROL: both with the limit off)"
            if args.control
            else "the limit on counts every request and refuses none)"
        )
    )
    header = "".join(f"{f'on {x}':>9}{f'off {x}':>9}{'ratio':>7}" for x in ("p50", "p95", "cpu"))
    print(f"  {'':<30}{'c':>3}{header}  (cpu: the server's CPU ms per request)")
    for label in PATHS:
        for c in CONCURRENCIES:
            on, off = figures["on", label, c], figures["off", label, c]
            print(
                f"  {label:<30}{c:>3}"
                + "".join(f"{a:>9.2f}{b:>9.2f}{a / b:>7.3f}" for a, b in zip(on, off, strict=True))
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
