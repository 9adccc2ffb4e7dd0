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
import sys
import tempfile
from pathlib import Path

from bench_ingest import TOPIC, produce, simulated_values
from process_memory import Run, run_sampled

from ingest.sandbox.broker import EmbeddedBroker

MICRO_BATCH_SHARE = 5 / (24 * 60)  # five minutes of a simulated day


def naap(env: dict[str, str], *args: str) -> Run:
    """One `naap` command: wall time, output and the peak RSS of its processes."""
    return run_sampled([sys.executable, "-m", "ingest.cli", *args], env)


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
        stages = {
            "ingest_history": ("ingest", "--once"),
            "full_build": ("build",),
            "ingest_micro_batch": ("ingest", "--once"),
            "incremental_build": ("build",),
            "full_refresh": ("build", "--full-refresh"),
        }
        for stage, args in stages.items():
            if stage == "ingest_micro_batch":
                produce(broker.bootstrap_servers, batch)
            run = naap(env, *args)
            figures[f"{stage}_s"], figures[f"{stage}_rss_gb"] = run.seconds, run.peak_rss_gb
            print(
                f"  {events:,} events: {stage} {run.seconds:.1f} s, peak RSS {run.peak_rss_gb:.2f} GB",
                flush=True,
            )
            if stage == "incremental_build":
                recomputed = next(
                    line for line in run.stdout.splitlines() if line.startswith("build: incremental:")
                )
                print(f"  {events:,} events: {recomputed.removeprefix('build: ')}", flush=True)
                print_slowest_nodes(Path(data_dir) / "dbt" / "target" / "run_results.json")
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
            "  peak RSS (GB): "
            + ", ".join(f"{k.removesuffix('_rss_gb')} {v:.2f}" for k, v in f.items() if k.endswith("_rss_gb"))
        )
        print(
            f"  ingest: history {f['ingest_history_s']:.1f} s, micro-batch {f['ingest_micro_batch_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
