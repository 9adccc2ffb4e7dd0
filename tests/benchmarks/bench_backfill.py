"""A 30-day backfill end to end, then the cost of micro-batches on top of 30 days and of 1 day.

Backfill: DAYS simulated network days (network-day at SCALE, one UTC day at a time from
2026-01-01, seed 42 + day) are produced onto the embedded broker; each time CHUNK events are
waiting, `naap ingest --once` drains them and both topics are deleted and created again (the
broker keeps everything in memory, about 0.7 GB per 1M events; the lake reads a recreated topic
from its beginning). Then one `naap build` and one `naap publish`. Each stage prints its wall
time and the peak RSS of its processes.

Micro-batches: REPEATS times the next 5 simulated minutes (the network's own rate) and REPEATS
times 5 minutes at 10 times the rate, each through ingest, incremental build and publish. The
reference is the same batches (same seeds, same times) on top of 1 day of history: the last
backfilled day alone, in its own data dir and broker, measured in the same run (after the backfill).

    python tests/benchmarks/bench_backfill.py [--days 30] [--scale 1.06] [--chunk 5000000]
        [--repeats 3] [--data-dir DIR] [--batches-only]

`--batches-only` measures only the micro-batches, on a data dir an earlier run backfilled. They
continue its timeline after the newest event it holds, with new seeds: batches of an earlier run's
times and seeds would be redeliveries, which staging drops, so they would time empty builds.

The data dir is left for bench_explorer.py (`--data-dir`).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from bench_build import naap, print_slowest_nodes
from history import MICRO_BATCH_HOURS, START, TOPICS, History, pipeline_env
from process_memory import tree_rss_bytes

from ingest.sandbox.broker import EmbeddedBroker

BATCH_KINDS = {"1x": 1.0, "10x": 10.0}  # rate multipliers of a 5-minute batch


@dataclass
class Stage:
    seconds: float = 0.0
    peak_rss_gb: float = 0.0

    def add(self, seconds: float, rss_gb: float) -> None:
        self.seconds += seconds
        self.peak_rss_gb = max(self.peak_rss_gb, rss_gb)


@dataclass
class BatchCost:
    events: int
    ingest_s: float
    build_s: float
    publish_s: float
    scope: str

    @property
    def total_s(self) -> float:
        return self.ingest_s + self.build_s + self.publish_s


@dataclass
class Backfill:
    days: int
    scale: float
    chunk: int
    stages: dict[str, Stage] = field(default_factory=dict)
    broker_peak_gb: float = 0.0

    def stage(self, name: str) -> Stage:
        return self.stages.setdefault(name, Stage())


def fresh_broker(data_dir: Path) -> EmbeddedBroker:
    broker = EmbeddedBroker(log_path=Path(tempfile.gettempdir()) / f"naap-bench-backfill-{data_dir.name}.log")
    broker.start()
    broker.create_topics(TOPICS, partitions=3)
    return broker


def backfill(made: History, broker: EmbeddedBroker, plan: Backfill) -> None:
    """Produce the days in chunks, ingesting each chunk and recreating the topics after it."""
    pending = 0
    for day in range(plan.days):
        t0 = time.perf_counter()
        pending += made.produce(24)
        last_day = day == plan.days - 1
        line = f"  {made.end - timedelta(days=1):%Y-%m-%d}: {made.events:,} events so far"
        if pending >= plan.chunk or last_day:
            plan.broker_peak_gb = max(plan.broker_peak_gb, tree_rss_bytes(broker.pid) / 1e9)
            run = made.ingest()
            plan.stage("ingest").add(run.seconds, run.peak_rss_gb)
            line += f"; ingested {pending:,} in {run.seconds:.0f} s, peak RSS {run.peak_rss_gb:.2f} GB"
            pending = 0
            if not last_day:
                broker.delete_topics(TOPICS)
                broker.create_topics(TOPICS, partitions=3)
        print(f"{line} (day {time.perf_counter() - t0:.0f} s)", flush=True)
    plan.stage("simulate").add(made.stages["simulate"], 0.0)
    plan.stage("produce").add(made.stages["produce"], 0.0)
    for name, args in (("build", ("build",)), ("publish", ("publish",))):
        run = naap(made.env, *args)
        plan.stage(name).add(run.seconds, run.peak_rss_gb)
        print(f"  {name}: {run.seconds:.0f} s, peak RSS {run.peak_rss_gb:.2f} GB", flush=True)


def resume_point(data_dir: Path) -> tuple[datetime, int]:
    """The first 5-minute step after the newest event of a backfilled dir, and a seed no batch used."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        (newest,) = con.execute("select max(data_clock_at) from main.stg_lake__data_clock").fetchone()
    steps = (newest - START) // timedelta(hours=MICRO_BATCH_HOURS) + 1
    # The backfill seeds its days with 42 + day, a step count is larger than any day count.
    return START + steps * timedelta(hours=MICRO_BATCH_HOURS), 42 + steps


def micro_batches(made: History, repeats: int, label: str) -> dict[str, list[BatchCost]]:
    """REPEATS batches of each kind after the newest event: ingest, incremental build, publish."""
    costs: dict[str, list[BatchCost]] = {}
    base_scale = made.scale
    for kind, multiplier in BATCH_KINDS.items():
        made.scale = base_scale * multiplier
        for _ in range(repeats):
            events = made.produce(MICRO_BATCH_HOURS)
            ingest_s = made.ingest().seconds
            build = naap(made.env, "build")
            publish_s = naap(made.env, "publish").seconds
            scope = next((x for x in build.stdout.splitlines() if x.startswith("build: incremental:")), "")
            cost = BatchCost(events, ingest_s, build.seconds, publish_s, scope.removeprefix("build: "))
            costs.setdefault(kind, []).append(cost)
            print(
                f"  {label} {kind}: {events:,} events; ingest {ingest_s:.1f} s, build {build.seconds:.1f} s, "
                f"publish {publish_s:.1f} s = {cost.total_s:.1f} s ({cost.scope})",
                flush=True,
            )
            print_slowest_nodes(Path(made.env["NAAP_DATA_DIR"]) / "dbt" / "target" / "run_results.json", 6)
    made.scale = base_scale
    return costs


def report(plan: Backfill, long: dict[str, list[BatchCost]], short: dict[str, list[BatchCost]]) -> None:
    if plan.stages:
        report_backfill(plan)
    print("micro-batch (ingest + incremental build + publish), median seconds:")
    for kind in BATCH_KINDS:
        on_long = statistics.median(c.total_s for c in long[kind])
        on_short = statistics.median(c.total_s for c in short[kind])
        events = statistics.median(c.events for c in long[kind])
        parts = {
            part: statistics.median(getattr(c, f"{part}_s") for c in long[kind])
            for part in ("ingest", "build", "publish")
        }
        print(
            f"  {kind} ({events:,.0f} events): {plan.days} days {on_long:.1f} s "
            f"({', '.join(f'{k} {v:.1f}' for k, v in parts.items())}); 1 day {on_short:.1f} s; "
            f"ratio {on_long / on_short:.2f}"
        )


def report_backfill(plan: Backfill) -> None:
    print(f"backfill of {plan.days} days at scale {plan.scale} (chunks of {plan.chunk:,} events):")
    for name, stage in plan.stages.items():
        rss = f", peak RSS {stage.peak_rss_gb:.2f} GB" if stage.peak_rss_gb else ""
        print(f"  {name:<9} {stage.seconds:8.1f} s{rss}")
    warehouse = sum(plan.stages[s].seconds for s in ("ingest", "build", "publish"))
    total = sum(stage.seconds for stage in plan.stages.values())
    print(
        f"  ingest + build + publish {warehouse / 60:.1f} min; with simulate and produce {total / 60:.1f} min"
    )
    print(f"  peak RSS of the broker {plan.broker_peak_gb:.2f} GB; of this script {_own_peak_gb():.2f} GB")


def _own_peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=float, default=1.06, help="1.06: about 35M events in 30 days")
    parser.add_argument("--chunk", type=int, default=5_000_000, help="events per ingest and topic recreation")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="an empty or missing folder (default: a temp dir)")
    parser.add_argument(
        "--batches-only",
        action="store_true",
        help="--data-dir already holds the backfill of these --days and --scale: only the micro-batches",
    )
    args = parser.parse_args()
    if args.days < 2:
        parser.error("--days must be at least 2: the reference history is the last day alone")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-backfill-")) / "data"
    if args.batches_only != (data_dir.exists() and any(data_dir.iterdir())):
        parser.error(f"{data_dir} must be {'a backfilled data dir' if args.batches_only else 'empty'}")
    plan = Backfill(args.days, args.scale, args.chunk)
    last_day = START + timedelta(days=args.days - 1)

    print(f"backfill: {args.days} days into {data_dir}", flush=True)
    broker = fresh_broker(data_dir)
    try:
        made = History(pipeline_env(data_dir, broker.bootstrap_servers), broker.bootstrap_servers, args.scale)
        if args.batches_only:
            # A new broker's topics have new ids, so the lake reads them from their beginning.
            made.end, made.seed = resume_point(data_dir)
        else:
            backfill(made, broker, plan)
        first_batch = made.end, made.seed
        long = micro_batches(made, args.repeats, f"{args.days} days")
    finally:
        broker.stop()
    print(f"reference: day {args.days} alone, then the micro-batches", flush=True)
    short_dir = Path(tempfile.mkdtemp(prefix="bench-backfill-1day-")) / "data"
    broker = fresh_broker(short_dir)
    try:
        one_day = History(
            pipeline_env(short_dir, broker.bootstrap_servers),
            broker.bootstrap_servers,
            args.scale,
            end=last_day,
            seed=42 + args.days - 1,
        )
        backfill(one_day, broker, Backfill(1, args.scale, args.chunk))
        one_day.end, one_day.seed = first_batch
        short = micro_batches(one_day, args.repeats, "1 day")
    finally:
        broker.stop()

    report(plan, long, short)
    print(f"data dir: {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
