"""Benchmark `naap build`: a full build of N simulated events, then one 5-minute micro-batch built incrementally.

For each size: the history (all but the last 5 minutes' share of events) is
produced, ingested and built from scratch; then the micro-batch is produced,
ingested and built incrementally; then the same lake is rebuilt with
--full-refresh as the reference. Prints wall times and the incremental/full ratio.
Run by `make bench`; needs the bench extra (confluent-kafka) for producing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_ingest import TOPIC, produce, simulated_values

from ingest.embedded_broker import EmbeddedBroker

MICRO_BATCH_SHARE = 5 / (24 * 60)  # five minutes of a simulated day


def naap(env: dict[str, str], *args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ingest.cli", *args], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"naap {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - t0, result.stdout


def measure(events: int) -> dict[str, float]:
    messages = simulated_values(events)
    micro = max(1, int(events * MICRO_BATCH_SHARE))
    history, batch = messages[:-micro], messages[-micro:]
    del messages
    figures: dict[str, float] = {"events": events, "micro_batch_events": micro}
    with (
        tempfile.TemporaryDirectory() as data_dir,
        EmbeddedBroker(log_path=Path(tempfile.gettempdir()) / "naap-bench-build-broker.log") as broker,
    ):
        broker.create_topics([TOPIC], partitions=3)
        env = {
            **os.environ,
            "NAAP_DATA_DIR": data_dir,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "NAAP_TOPICS": TOPIC,
        }
        produce(broker.bootstrap_servers, history)
        del history
        figures["ingest_history_s"], _ = naap(env, "ingest", "--once")
        figures["full_build_s"], _ = naap(env, "build")
        produce(broker.bootstrap_servers, batch)
        figures["ingest_micro_batch_s"], _ = naap(env, "ingest", "--once")
        figures["incremental_build_s"], output = naap(env, "build")
        recomputed = next(line for line in output.splitlines() if line.startswith("build: incremental:"))
        print(f"  {events:,} events: {recomputed.removeprefix('build: ')}", flush=True)
        print_slowest_nodes(Path(data_dir) / "dbt" / "target" / "run_results.json")
        figures["full_refresh_s"], _ = naap(env, "build", "--full-refresh")
    return figures


def print_slowest_nodes(run_results: Path, count: int = 8) -> None:
    """Where an incremental build's time goes: dbt's own total and its slowest nodes."""
    results = json.loads(run_results.read_text())
    nodes = sorted(results["results"], key=lambda r: -r["execution_time"])
    tests = [r for r in results["results"] if r["unique_id"].startswith("test.")]
    print(
        f"  dbt elapsed {results['elapsed_time']:.1f} s; {len(tests)} tests took "
        f"{sum(r['execution_time'] for r in tests):.1f} s of thread time; slowest nodes:"
    )
    for node in nodes[:count]:
        print(f"    {node['execution_time']:6.2f} s  {node['unique_id'].split('.')[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="1000000,5000000", help="comma-separated sizes")
    args = parser.parse_args()
    for events in (int(n) for n in args.events.split(",")):
        f = measure(events)
        print(f"{events:,} events (micro-batch {f['micro_batch_events']:,.0f}):")
        print(f"  full build            {f['full_build_s']:7.1f} s  ({events / f['full_build_s']:,.0f} ev/s)")
        print(f"  incremental build     {f['incremental_build_s']:7.1f} s")
        print(
            f"  full refresh (ref.)   {f['full_refresh_s']:7.1f} s  ({events / f['full_refresh_s']:,.0f} ev/s)"
        )
        print(f"  ratio incremental / full refresh   {f['incremental_build_s'] / f['full_refresh_s']:.3f}")
        print(
            f"  ingest: history {f['ingest_history_s']:.1f} s, micro-batch {f['ingest_micro_batch_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
