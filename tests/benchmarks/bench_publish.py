"""Publication cost on a simulated history: a full publish against a publish after a micro-batch.

Builds DAYS simulated network days (tests/benchmarks/history.py), publishes them into an empty
publish dir (the first publish), then REPEATS times: one 5-minute micro-batch (ingest and
incremental build) and a publish, with a full publish of the same warehouse right after it as the
reference (`naap publish --full`). Prints wall times, bytes written (the process's write() bytes: SQLite pages, WAL and
the Parquet snapshot) and the tables each publish rewrote, then the medians and ratios. The data
dir is left for bench_explorer.py (`--data-dir`).

    python tests/benchmarks/bench_publish.py [--days 7] [--scale 0.5] [--repeats 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from history import MICRO_BATCH_HOURS, history

from ingest.publication.publish import PublishResult, publish
from ingest.settings import Settings


@dataclass
class Cost:
    seconds: float
    written: int
    result: PublishResult


def written_bytes() -> int:
    """Bytes this process has passed to write() so far (Linux /proc, all threads)."""
    io = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(io["wchar"])


def measured_publish(settings: Settings, full: bool = False) -> Cost:
    before = written_bytes()
    result = publish(settings, full=full)
    return Cost(result.elapsed_s, written_bytes() - before, result)


def describe(label: str, cost: Cost) -> None:
    result = cost.result
    print(
        f"  {label:<28} {cost.seconds:6.2f} s  {cost.written / 1e6:8.1f} MB written  "
        f"naap.db {result.database_bytes / 1e6:.1f} MB, snapshot {result.snapshot_bytes / 1e6:.1f} MB "
        f"({result.snapshot_bytes_written / 1e6:.1f} MB new); "
        f"{sum(result.rows_written.values()):,} rows written, {len(result.rewritten)} tables rewritten whole",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--data-dir", type=Path, help="an empty or missing folder to fill (default: a temp dir)"
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-publish-")) / "data"
    if data_dir.exists() and any(data_dir.iterdir()):
        parser.error(f"{data_dir} is not empty")
    print(f"history: {args.days} network days at scale {args.scale}", flush=True)
    with history(data_dir, args.days, args.scale) as made:
        print(
            f"history: {made.events:,} events; "
            + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in made.stages.items()),
            flush=True,
        )
        settings = Settings.from_env(made.env)
        first = measured_publish(settings)
        describe("first publish (empty dir)", first)
        rows = first.result.table_rows
        print(f"  {sum(rows.values()):,} rows in {len(rows)} tables; largest:")
        for name, count in sorted(rows.items(), key=lambda item: -item[1])[:5]:
            print(f"    {name:<30} {count:>10,} rows")
        after_batch: list[Cost] = []
        full: list[Cost] = []
        for _ in range(args.repeats):
            events, ingest_s = made.add(MICRO_BATCH_HOURS)
            build_s, scope = made.build()
            print(f"micro-batch: {events:,} events, ingest {ingest_s:.1f} s, build {build_s:.1f} s ({scope})")
            after_batch.append(measured_publish(settings))
            describe("publish after the batch", after_batch[-1])
            full.append(measured_publish(settings, full=True))
            describe("full publish (reference)", full[-1])
    incremental_s = statistics.median(c.seconds for c in after_batch)
    full_s = statistics.median(c.seconds for c in full)
    incremental_b = statistics.median(c.written for c in after_batch)
    full_b = statistics.median(c.written for c in full)
    print(f"median of {args.repeats}:")
    print(f"  publish after a micro-batch  {incremental_s:6.2f} s  {incremental_b / 1e6:8.1f} MB written")
    print(f"  full publish (reference)     {full_s:6.2f} s  {full_b / 1e6:8.1f} MB written")
    print(f"  ratio time {incremental_s / full_s:.3f}, bytes {incremental_b / full_b:.3f}")
    print(f"data dir: {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
