"""Publication on a simulated network day: publish time, bytes, and the explorer's JSON latency.

Runs `naap run --no-serve` (the network-day scenario, as `make run`) into a fresh data dir, times
`naap publish` again, starts `naap serve`, and times three typical JSON requests (median of
several), then screenshots the overview dashboard with Debian's Chromium.

    python tests/benchmarks/bench_publish.py [--repeats 7] [--data-dir DIR]
"""

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from conftest import Explorer, naap_env  # noqa: E402
from test_explorer_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from ingest.publish import publish  # noqa: E402
from ingest.settings import Settings  # noqa: E402


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def median_ms(client: httpx.Client, path: str, repeats: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        rows = len(response.json())
    return statistics.median(times), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="reuse a data dir already filled by `naap run`")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-publish-")) / "data"
    env = naap_env(data_dir)
    if not args.data_dir:
        run_s = timed([sys.executable, "-m", "ingest.cli", "run", "--no-serve"], env)
        print(f"naap run --no-serve (network day): {run_s:.0f} s")
    settings = Settings.from_env(env)
    results = [publish(settings) for _ in range(3)]
    result = results[-1]
    print(f"publish: median {statistics.median(r.elapsed_s for r in results):.2f} s over 3 runs")
    print(f"  rows {sum(result.table_rows.values()):,}; naap.db {result.database_bytes / 1e6:.1f} MB")
    print(f"  snapshot {result.snapshot_bytes / 1e6:.1f} MB ({len(result.table_rows)} Parquet files)")
    for name, rows in sorted(result.table_rows.items(), key=lambda item: -item[1])[:5]:
        print(f"    {name:<30} {rows:>10,} rows")

    with sqlite3.connect(result.database) as db:
        address = db.execute(
            "select orchestrator_address from sla_hourly group by 1 order by sum(requested_sessions) desc limit 1"
        ).fetchone()[0]
    requests = {
        "table filter: one orchestrator's sla_hourly rows": f"/naap/sla_hourly.json?_shape=array&_size=max&orchestrator_address={address}",
        "canned: orchestrator_sla_report (whole day)": f"/naap/orchestrator_sla_report.json?_shape=array&address={address}",
        "canned: network_overview_24h": "/naap/network_overview_24h.json?_shape=array",
    }
    server = Explorer(["serve"], data_dir, data_dir / "bench-serve.log", timeout_s=60)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.get("/naap")  # Datasette's first request runs its start-up hooks
            for label, path in requests.items():
                ms, rows = median_ms(client, path, args.repeats)
                print(f"  {label}: median {ms:.1f} ms ({rows:,} rows, {args.repeats} requests)")
        if CHROMIUM.exists():
            from playwright.sync_api import sync_playwright

            shot = TESTS / "artifacts" / "bench-network-overview.png"
            shot.parent.mkdir(exist_ok=True)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(server.url + "/-/dashboards/network-overview", wait_until="networkidle")
                page.wait_for_selector("#chart-live-demand svg .role-mark > *", state="attached")
                page.screenshot(path=str(shot), full_page=True)
                browser.close()
            print(f"screenshot: {shot}")
    finally:
        server.stop()
    print(f"data dir: {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
