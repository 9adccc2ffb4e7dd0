"""Freshness of the live system: how long an event takes to become visible through the explorer.

Starts the real live service (`naap run` on the embedded defaults: broker, live feed, Dagster
daemon and webserver, explorer) on a simulated history, lets it tick micro-batches for
`--minutes`, then stops it with SIGTERM and reports:

- freshness = the wall time an event is first visible in the explorer's JSON minus its event
  time. Every `--poll-s` the benchmark reads `max(last_seen)` of the `sessions` mart through
  the explorer (`/naap.json?sql=...`, no cache); when it moves from V1 to V2 at wall time T, the
  events of (V1, V2] became visible at T. The live feed sends events at a steady rate, so each
  second of (V1, V2] is one sample of T - (its time): p50, p95 and max over those samples;
- per tick, from Dagster's run storage: the wait from the tick to the run's start (schedule
  evaluation, queue, run worker start-up), and the ingest, build and publish steps;
- the peak RSS of the whole live system (every process whose environment names the data dir),
  sampled every `--poll-s`.

    python tests/benchmarks/bench_freshness.py [--hours 24] [--minutes 30] [--data-dir DIR]
        [--history-days 30]

`--data-dir` holding an earlier `naap run` continues its history. `naap run` holds a simulated
window in memory, so it cannot simulate 30 days in one piece: `--history-days N` first fills an
empty data dir with N network days that end at the current hour, the way bench_backfill.py does
(one day at a time, ingested in chunks, then one full build and publish), and `naap run`
continues that history with its live feed.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from helpers.processes import free_port, naap_env  # noqa: E402

NEWEST_EVENT = "/naap.json?sql=select+max(last_seen)+as+v+from+sessions&_shape=array"


def rss_of(data_dir: Path) -> int:
    marker = f"NAAP_DATA_DIR={data_dir}".encode()
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            status = (proc / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def tick_split(home: Path, since: float) -> list[dict]:
    """Per successful micro-batch scheduled at or after `since` (a continued data dir has older ones)."""
    import dagster as dg

    rows = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name="micro_batch"), order_by="create_timestamp")
        for record in records:
            run = record.dagster_run
            tick = run.tags.get(".dagster/scheduled_execution_time")
            if not tick or record.start_time is None or run.status != dg.DagsterRunStatus.SUCCESS:
                continue
            if parse_time(tick).timestamp() < since:
                continue
            steps = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run.run_id)
                     if s.start_time and s.end_time}  # fmt: skip
            rows.append({
                "launch_s": record.start_time - parse_time(tick).timestamp(),
                "ingest_s": steps.get("lake", 0.0),
                "build_s": steps.get("warehouse_models", 0.0),
                "publish_s": steps.get("publication", 0.0),
                "run_s": (record.end_time or record.start_time) - record.start_time,
            })  # fmt: skip
    return rows


def backfill_to_now(data_dir: Path, days: int, scale: float) -> None:
    """N simulated network days ending at the current hour, ingested, built and published."""
    from bench_backfill import Backfill, backfill, fresh_broker
    from history import History, pipeline_env

    from ingest.sandbox.live.service import DEMO_MARKER

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    lake = data_dir / "lake"
    lake.mkdir(parents=True, exist_ok=True)
    (lake / DEMO_MARKER).write_text("created by bench_freshness.py --history-days\n")
    broker = fresh_broker(data_dir)
    try:
        env = pipeline_env(data_dir, broker.bootstrap_servers)
        made = History(env, broker.bootstrap_servers, scale, end=now - timedelta(days=days))
        backfill(made, broker, Backfill(days, scale, chunk=5_000_000))
    finally:
        broker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="simulated history (a fresh data dir)")
    parser.add_argument("--minutes", type=float, default=30.0, help="live time measured")
    parser.add_argument("--scenario", default="network-day")
    parser.add_argument("--poll-s", type=float, default=2.0)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--history-days", type=int, help="first backfill this many days ending now")
    parser.add_argument("--scale", type=float, default=1.0, help="of --history-days")
    args = parser.parse_args()
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="naap-freshness-")) / "data").resolve()
    if args.history_days and not (data_dir / "lake").exists():
        t_backfill = time.monotonic()
        backfill_to_now(data_dir, args.history_days, args.scale)
        print(
            f"bench_freshness: {args.history_days} days backfilled in {time.monotonic() - t_backfill:.0f} s"
        )
    port, dagster_port = free_port(), free_port()
    log = data_dir.parent / f"{data_dir.name}-run.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "ingest.cli", "run", "--scenario", args.scenario, "--hours", str(args.hours),
               "--port", str(port), "--dagster-port", str(dagster_port)]  # fmt: skip
    print(f"bench_freshness: {' '.join(command[2:])}; log {log}", flush=True)
    t0 = time.monotonic()
    process = subprocess.Popen(
        command, env=naap_env(data_dir), stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    explorer = f"http://127.0.0.1:{port}"
    while "run: explorer" not in log.read_text():
        if process.poll() is not None:
            raise SystemExit(f"naap run exited {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    print(
        f"bench_freshness: serving after {time.monotonic() - t0:.0f} s; measuring {args.minutes:g} min",
        flush=True,
    )

    samples: list[float] = []
    measured_from = time.time()
    peak_rss = 0
    previous = None
    client = httpx.Client(timeout=10, headers={"Cache-Control": "no-cache"})
    deadline = time.monotonic() + args.minutes * 60
    try:
        while time.monotonic() < deadline:
            peak_rss = max(peak_rss, rss_of(data_dir))
            try:
                value = client.get(explorer + NEWEST_EVENT).json()[0]["v"]
            except (httpx.HTTPError, ValueError, IndexError, KeyError):
                value = None
            now = datetime.now(UTC).timestamp()
            if value:
                newest = parse_time(value).timestamp()
                if previous is not None and newest > previous:
                    # A continued data dir's first publication also covers the time the service
                    # was down: no event was sent then, so only seconds since measuring count.
                    second = max(int(previous) + 1, int(measured_from))
                    while second <= newest:
                        samples.append(now - second)
                        second += 1
                previous = newest if previous is None else max(previous, newest)
            time.sleep(args.poll_s)
    finally:
        process.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        process.wait(timeout=60)
        stopped_s = time.monotonic() - stop_started
    ticks = tick_split(data_dir / "dagster", measured_from)
    print(log.read_text().splitlines()[-1])
    print(f"\nfreshness over {args.minutes:g} min of live feed on {args.hours:g} h of history "
          f"({len(samples)} event-seconds, {len(ticks)} successful ticks):")  # fmt: skip
    if samples:
        print(
            f"  p50 {percentile(samples, 50):.1f} s   p95 {percentile(samples, 95):.1f} s   max {max(samples):.1f} s"
        )
    if ticks:
        print("  per tick (median / max):")
        for key in ("launch_s", "ingest_s", "build_s", "publish_s", "run_s"):
            values = [t[key] for t in ticks]
            print(f"    {key[:-2]:<8} {statistics.median(values):6.1f} s  {max(values):6.1f} s")
    print(f"  peak RSS of the live system {peak_rss / 1e9:.2f} GB; SIGTERM to exit {stopped_s:.1f} s")
    print(f"  data dir {data_dir} (kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
