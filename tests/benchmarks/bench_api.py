"""`/v1` latency on a published history: p50/p95 of every endpoint at 1 and 10 connections.

Serves a published data dir with `naap serve` (rate limit off, so the load measures the API, not
the limiter) and sends every endpoint with `Cache-Control: no-cache`: the window endpoints with
each window the NaaP UI sends (1h, 6h, 12h, 24h, 2d, 7d), the range endpoints over the newest
day, the paged ones' first page, and the cursor walk of `/v1/streaming/sla` over the newest
7 days, one page after another. Beside them, Datasette's cheapest answer, `/-/versions.json`, as
the floor of the same run. Each figure is the median over rounds of that round's p50 or p95
(client-side, loopback). Then, in process, the three slowest endpoints' time split between the
SQL and the JSON encoding.

    python tests/benchmarks/bench_api.py --data-dir DIR [--rounds 3] [--requests 200]

DIR is a published data dir (`make bench` leaves one: data/bench-backfill holds 30 days).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_explorer import load, p50_p95  # noqa: E402
from helpers.processes import Explorer  # noqa: E402

from ingest.api.routes import ENDPOINTS  # noqa: E402

FLOOR = "/-/versions.json"
WINDOWS = ("1h", "6h", "12h", "24h", "2d", "7d")
WINDOWED = ("/dashboard/kpi", "/dashboard/pipelines", "/dashboard/orchestrators")
NO_CACHE = {"cache-control": "no-cache"}
GOAL_MS = 30.0
GOAL_RATIO = 1.5


def requests_of(clock: datetime) -> dict[str, list[str]]:
    """Per endpoint, the requests sent for it."""
    day = {"start": (clock - timedelta(hours=24)).isoformat() + "Z", "end": clock.isoformat() + "Z"}
    sets: dict[str, list[str]] = {FLOOR: [FLOOR]}
    for path in ENDPOINTS:
        if path in WINDOWED:
            sets[path] = [f"/v1{path}?window={w}" for w in WINDOWS]
        elif path.endswith(("summary", "workers", "auth", "sla", "demand", "gpu-metrics", "jobs")):
            sets[path] = [f"/v1{path}?{urlencode(day)}"]
        else:
            sets[path] = [f"/v1{path}"]
    return sets


async def cursor_walk(client: httpx.AsyncClient, clock: datetime) -> tuple[int, list[float]]:
    """Every page of /v1/streaming/sla over 7 days at the default limit: (rows, ms per page)."""
    params = {"start": (clock - timedelta(days=7)).isoformat() + "Z", "end": clock.isoformat() + "Z"}
    rows, pages, cursor = 0, [], ""
    while True:
        started = time.perf_counter()
        response = await client.get(
            "/v1/streaming/sla", params=params | ({"cursor": cursor} if cursor else {}), headers=NO_CACHE
        )
        pages.append((time.perf_counter() - started) * 1000)
        body = response.raise_for_status().json()
        rows += len(body["data"])
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            return rows, pages


async def measure(server: Explorer, sets: dict[str, list[str]], rounds: int, requests: int, clock: datetime):
    runs: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
        for paths in sets.values():
            for path in paths:
                (await client.get(path)).raise_for_status()
        for _ in range(rounds):
            for concurrency in (1, 10):
                for name, paths in sets.items():
                    latencies = await load(client, paths, concurrency, requests, NO_CACHE)
                    runs[name, concurrency].append(p50_p95([ms for _, ms in latencies]))
        walk = await cursor_walk(client, clock)
    figures = {
        key: tuple(statistics.median(v[i] for v in values) for i in range(2)) for key, values in runs.items()
    }
    return figures, walk


def split_sql_and_json(data_dir: Path, names: list[str], clock: datetime, sets: dict[str, list[str]]) -> None:
    """In process: the handler's time (SQL, then shaping) against json.dumps of its answer."""
    from datasette.app import Datasette
    from datasette.utils import MultiParams

    from ingest.api.query import ApiRequest
    from ingest.paths import DATASETTE_DIR

    async def run() -> None:
        ds = Datasette([str(data_dir / "publish" / "naap.db")], config_dir=DATASETTE_DIR)
        db = ds.get_database("naap")
        for name in names:
            args = MultiParams(parse_qs(urlsplit(sets[name][-1]).query))
            request = ApiRequest(args=args, clock=clock, db=db, time_limit_ms=10_000)
            handler_ms, json_ms = [], []
            for _ in range(20):
                started = time.perf_counter()
                payload = await ENDPOINTS[name](request)
                encoded = time.perf_counter()
                json.dumps(payload, separators=(",", ":"))
                handler_ms.append((encoded - started) * 1000)
                json_ms.append((time.perf_counter() - encoded) * 1000)
            print(
                f"  {name:32} SQL + shaping {statistics.median(handler_ms):7.1f} ms   "
                f"JSON {statistics.median(json_ms):6.2f} ms   ({sets[name][-1]})"
            )

    asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=120)
    args = parser.parse_args()
    status = json.loads((args.data_dir / "publish" / "status.json").read_text())
    clock = datetime.fromisoformat(status["data_clock"].replace("Z", ""))
    sets = requests_of(clock)
    with tempfile.TemporaryDirectory() as tmp:
        server = Explorer(
            ["serve"], args.data_dir, Path(tmp) / "serve.log", timeout_s=120, env={"NAAP_API_RATE": "off"}
        )
        try:
            figures, (rows, pages) = asyncio.run(measure(server, sets, args.rounds, args.requests, clock))
        finally:
            server.stop()
    floor1, floor10 = figures[FLOOR, 1][1], figures[FLOOR, 10][1]
    print(
        f"data clock {status['data_clock']}; {args.rounds} rounds of {args.requests} requests per endpoint and concurrency"
    )
    print(f"{'endpoint':34} {'p50@1':>7} {'p95@1':>7} {'p50@10':>7} {'p95@10':>7} {'p95@10/floor':>12}  goal")
    for name in sets:
        (p50_1, p95_1), (p50_10, p95_10) = figures[name, 1], figures[name, 10]
        ratio = p95_10 / floor10
        met = "floor" if name == FLOOR else ("met" if p95_1 <= GOAL_MS and ratio <= GOAL_RATIO else "NOT met")
        print(f"{name:34} {p50_1:7.1f} {p95_1:7.1f} {p50_10:7.1f} {p95_10:7.1f} {ratio:12.2f}  {met}")
    print(f"floor p95: {floor1:.1f} ms at 1 connection, {floor10:.1f} ms at 10")
    print(
        f"cursor walk /v1/streaming/sla over 7 days: {rows} rows in {len(pages)} pages, "
        f"{sum(pages) / 1000:.2f} s, p50 {statistics.median(pages):.1f} ms, max {max(pages):.1f} ms per page"
    )
    slowest = sorted((n for n in sets if n != FLOOR), key=lambda n: figures[n, 1][1], reverse=True)[:3]
    print("slowest three, in process (median of 20):")
    split_sql_and_json(args.data_dir, slowest, clock, sets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
