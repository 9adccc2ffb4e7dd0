"""Explorer latency on a simulated history: p50/p95 at 1 and 10 concurrent connections.

Serves a published history with `naap serve` and sends, from one asyncio client (httpx) with
C connections, each C worker issuing its next request as soon as its last one answered:
- one orchestrator's `sla_hourly` rows over the newest 7 days (the table API, `_size=max`);
- the `orchestrator_sla_report` canned query over those 7 days and over the whole history;
- the `network_overview_24h` canned query;
- the network-overview dashboard's chart queries, sent as the dashboard sends them
  (`/naap.json?sql=...&_shape=objects`);
- `/-/versions.json`, Datasette's cheapest JSON answer, as the floor measured in the same run.
Each round sends them all with `Cache-Control: no-cache` (rendered by Datasette every time),
then as plain repeated requests (answered by the explorer's cache until the next publish), at each
concurrency; each figure is the median over rounds of that round's p50 or p95 (client-side,
loopback). Then screenshots the dashboard with Debian's Chromium.

    python tests/benchmarks/bench_explorer.py [--data-dir DIR] [--days 7] [--scale 0.5] [--rounds 3]

`--data-dir` reuses a published data dir (bench_publish.py leaves one); without it a history is
built and published first.
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
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import httpx
import yaml

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from helpers.processes import Explorer  # noqa: E402
from history import history  # noqa: E402
from test_explorer_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from ingest.explorer.metadata import METADATA_PATH  # noqa: E402
from ingest.paths import database_path  # noqa: E402
from ingest.publication.publish import publish  # noqa: E402
from ingest.settings import Settings  # noqa: E402

DASHBOARD = "network-overview"
FLOOR = "floor: /-/versions.json"
CONCURRENCIES = (1, 10)
# Every request rendered by Datasette, then the same requests as clients repeat them, which the
# explorer's cache answers until the next publish (ingest/explorer/serve.py).
MODES = {"afresh (Cache-Control: no-cache)": {"cache-control": "no-cache"}, "repeated (explorer cache)": {}}


def chart_paths() -> dict[str, str]:
    """Each chart of the dashboard as its JavaScript fetches it (no filters, hence the `&&`)."""
    metadata = yaml.safe_load(METADATA_PATH.read_text())
    charts = metadata["plugins"]["datasette-dashboards"][DASHBOARD]["charts"]
    return {
        slug: f"/{chart['db']}.json?sql={quote(chart['query'], safe='')}&&_shape=objects"
        for slug, chart in charts.items()
    }


def request_sets(database: Path) -> dict[str, list[str]]:
    with sqlite3.connect(database) as db:
        # The busiest orchestrator of the newest 7 days: the most rows a single-orchestrator view returns.
        (newest,) = db.execute("select max(window_start) from sla_hourly").fetchone()
        (since,) = db.execute("select strftime('%Y-%m-%dT%H:%M:%S', ?, '-7 days')", [newest]).fetchone()
        (address,) = db.execute(
            "select orchestrator_address from sla_hourly where window_start >= ? "
            "group by 1 order by count(*) desc limit 1",
            [since],
        ).fetchone()
    return {
        FLOOR: ["/-/versions.json"],
        "sla_hourly: one orchestrator, 7 days": [
            f"/naap/sla_hourly.json?_shape=array&_size=max&orchestrator_address={address}&window_start__gte={since}"
        ],
        "orchestrator_sla_report, 7 days": [
            f"/naap/orchestrator_sla_report.json?_shape=array&address={address}&since={since}&until="
        ],
        "orchestrator_sla_report, all history": [
            f"/naap/orchestrator_sla_report.json?_shape=array&address={address}&since=&until="
        ],
        "network_overview_24h (canned)": ["/naap/network_overview_24h.json?_shape=array"],
        f"{DASHBOARD} dashboard, {len(chart_paths())} charts": list(chart_paths().values()),
    }


async def load(
    client: httpx.AsyncClient, paths: list[str], concurrency: int, total: int, headers: dict[str, str]
) -> list[tuple[str, float]]:
    """`total` requests over `concurrency` connections, cycling through `paths`; (path, ms) each."""
    latencies: list[tuple[str, float]] = []

    async def worker(first: int) -> None:
        # Unmeasured: connections idle since the last load were closed, and opening ten at once is no query's cost.
        (await client.get(paths[first % len(paths)], headers=headers)).raise_for_status()
        for n in range(first, total, concurrency):
            path = paths[n % len(paths)]
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            latencies.append((path, (time.perf_counter() - started) * 1000))
            response.raise_for_status()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies


def cpu_ms(pid: int) -> float:
    """User and system CPU the process has used so far (Linux /proc, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def p50_p95(latencies: list[float]) -> tuple[float, float]:
    return statistics.median(latencies), statistics.quantiles(latencies, n=20)[-1]


Figures = dict[tuple[str, int, str], tuple[float, ...]]


async def measure(
    server: Explorer, sets: dict[str, list[str]], rounds: int, requests: int
) -> tuple[Figures, Figures]:
    """Per (label or path, concurrency, mode): the medians over rounds of p50 and p95 (and, per label,
    of the server's CPU per request)."""
    by_label: dict[tuple[str, int, str], list[tuple[float, ...]]] = defaultdict(list)
    by_path: dict[tuple[str, int, str], list[tuple[float, float]]] = defaultdict(list)
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout would close them under a request.
    limits = httpx.Limits(
        max_connections=max(CONCURRENCIES), max_keepalive_connections=max(CONCURRENCIES), keepalive_expiry=2
    )
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
        for paths in sets.values():
            for path in paths:  # warm-up: Datasette's start-up hooks, SQLite's page cache
                (await client.get(path)).raise_for_status()
        for _ in range(rounds):
            for mode, headers in MODES.items():
                for concurrency in CONCURRENCIES:
                    for label, paths in sets.items():
                        cpu_before = cpu_ms(server.process.pid)
                        latencies = await load(client, paths, concurrency, requests, headers)
                        cpu = (cpu_ms(server.process.pid) - cpu_before) / requests
                        by_label[label, concurrency, mode].append(
                            (*p50_p95([ms for _, ms in latencies]), cpu)
                        )
                        for path in paths:
                            by_path[path, concurrency, mode].append(
                                p50_p95([ms for p, ms in latencies if p == path])
                            )
    return _medians(by_label), _medians(by_path)


def _medians(runs: dict[tuple[str, int, str], list[tuple[float, ...]]]) -> Figures:
    return {key: tuple(map(statistics.median, zip(*values, strict=True))) for key, values in runs.items()}


def describe_history(database: Path) -> None:
    """Rows and rows per day of the tables that grow with history, to extrapolate to 30 days."""
    with sqlite3.connect(database) as db:
        (days,) = db.execute(
            "select julianday(max(window_start)) - julianday(min(window_start)) + 1 / 24.0 from sla_hourly"
        ).fetchone()
        tables = [
            name
            for (name,) in db.execute(
                "select m.name from sqlite_master m, pragma_table_info(m.name) c "
                "where m.type = 'table' and c.name = 'window_start' order by 1"
            )
        ]
        print(
            f"published history: {days:.2f} days of sla_hourly; {database.stat().st_size / 1e6:.1f} MB naap.db"
        )
        for table in tables:
            (rows,) = db.execute(f'select count(*) from "{table}"').fetchone()
            print(f"  {table:<30} {rows:>10,} rows  {rows / days:>9,.0f} per day")


def screenshot(url: str) -> None:
    if not CHROMIUM.exists():
        print(f"screenshot: skipped ({CHROMIUM} is missing)")
        return
    from playwright.sync_api import sync_playwright

    shot = TESTS / "artifacts" / "bench-network-overview.png"
    shot.parent.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/-/dashboards/{DASHBOARD}", wait_until="networkidle")
        page.wait_for_selector("#chart-live-demand svg .role-mark > *", state="attached")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    print(f"screenshot: {shot}")


def _row(figures: Figures, key: str, mode: str, floors: Figures) -> str:
    return "".join(
        f"{figures[key, c, mode][0]:>10.1f}{figures[key, c, mode][1]:>8.1f}"
        f"{figures[key, c, mode][1] / floors[FLOOR, c, mode][1]:>6.1f}"
        for c in CONCURRENCIES
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a data dir already published (bench_publish.py)")
    parser.add_argument("--days", type=int, default=7, help="history to build without --data-dir")
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400, help="per query, concurrency and round")
    args = parser.parse_args()
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-explorer-")) / "data"
        with history(data_dir, args.days, args.scale) as made:
            publish(Settings.from_env(made.env))
    database = database_path(Settings.from_env({"NAAP_DATA_DIR": str(data_dir)}))
    describe_history(database)
    sets = request_sets(database)
    # One client at full speed is far past the rate limit; its cost is bench_rate_limit.py's to measure.
    no_limit = {"NAAP_API_RATE": "off"}
    server = Explorer(["serve"], data_dir, data_dir / "bench-serve.log", timeout_s=60, env=no_limit)
    try:
        figures, per_path = asyncio.run(measure(server, sets, args.rounds, args.requests))
        screenshot(server.url)
    finally:
        server.stop()
    print(
        f"median of {args.rounds} rounds of {args.requests} requests (ms, client-side; x: p95 / floor p95; "
        "cpuC: the server's CPU ms per request at C connections):"
    )
    header = "".join(f"{f'c={c} p50':>10}{'p95':>8}{'x':>6}" for c in CONCURRENCIES)
    header += "".join(f"{f'cpu{c}':>6}" for c in CONCURRENCIES)
    for mode in MODES:
        print(f"  {mode:<42}{header}")
        for label in sets:
            cpu = "".join(f"{figures[label, c, mode][2]:>6.1f}" for c in CONCURRENCIES)
            print(f"    {label:<40}" + _row(figures, label, mode, figures) + cpu)
        print(f"    {DASHBOARD} charts, each:")
        for slug, path in chart_paths().items():
            print(f"      {slug:<38}" + _row(per_path, path, mode, figures))
    print(f"data dir: {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
