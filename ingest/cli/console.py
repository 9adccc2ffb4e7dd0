"""What the CLI prints: summaries on stdout, progress of long work on stderr."""

from __future__ import annotations

import sys

from ingest.paths import warehouse_path
from ingest.publication.publish import PublishResult
from ingest.pull.runner import IngestResult, Progress
from ingest.sandbox.replay import ProduceResult
from ingest.settings import Settings
from ingest.warehouse.build import BuildResult


def ingest_progress(progress: Progress) -> None:
    worker = f"[worker {progress.worker}]" if progress.worker else ""
    print(
        f"ingest{worker}: {progress.consumed:,} consumed, {progress.rate:,.0f} ev/s, {progress.remaining_lag:,} left",
        file=sys.stderr,
        flush=True,
    )


def produce_progress(sent: int, elapsed_s: float) -> None:
    print(f"produce: {sent:,} sent, {sent / elapsed_s:,.0f} ev/s", file=sys.stderr, flush=True)


def print_produced(verb: str, result: ProduceResult) -> None:
    topics = ", ".join(f"{topic} {n:,}" for topic, n in result.by_topic.items()) or "nothing"
    print(
        f"{verb}: {result.sent:,} messages ({result.bytes / 1e6:,.1f} MB) in {result.duration_s:.1f} s, "
        f"{result.rate:,.0f} msg/s; {topics}"
    )


def print_ingest(result: IngestResult, settings: Settings) -> None:
    for line in result.recovery:
        print(f"ingest: recovery: {line}")
    for topic in result.missing_topics:
        print(f"ingest: warning: topic {topic!r} does not exist yet; it is picked up once it does")
    for warning in result.warnings:
        print(f"ingest: warning: {warning}")
    rate = result.consumed / result.elapsed_s if result.elapsed_s > 0 else 0.0
    print(
        f"ingest: {len(result.batches)} batch(es), {result.consumed:,} consumed = {result.accepted:,} accepted "
        f"+ {result.quarantined:,} quarantined in {result.elapsed_s:.1f} s ({rate:,.0f} ev/s); "
        f"lag left {result.remaining_lag:,}"
    )
    if result.quarantine_reasons:
        reasons = result.quarantine_reasons.items()
        print("ingest: quarantined by reason: " + ", ".join(f"{r} {n:,}" for r, n in reasons))
    print(f"ingest: lake {settings.lake_dir}")


def print_build(result: BuildResult, settings: Settings) -> None:
    counts = ", ".join(f"{n} {kind} {status}" for (kind, status), n in sorted(result.statuses.items()))
    print(f"build: {counts or 'nothing selected'} in {result.elapsed_s:.1f} s")
    empty = [name for name, files in result.lake_files.items() if not files]
    if empty:
        print(f"build: the lake has no {', '.join(empty)} files yet; those sources read as empty")
    if result.recomputed:
        units = " and ".join(f"{n:,} {unit}" for unit, n in result.recomputed_units.items())
        print(f"build: incremental: {units or 'only models that count no unit'} recomputed")
    elif result.statuses:
        print("build: built from scratch")
    for name, rows in result.mart_rows.items():
        print(f"build:   {name:<32} {rows:>12,} rows")
    print(f"build: warehouse {warehouse_path(settings)}")


def publish_progress(table: str, rows: int) -> None:
    print(f"publish: {table} {rows:,} rows", file=sys.stderr, flush=True)


def print_publish(result: PublishResult) -> None:
    rows = sum(result.table_rows.values())
    print(
        f"publish: {len(result.table_rows)} tables, {rows:,} rows in {result.elapsed_s:.1f} s -> "
        f"{result.database} ({result.database_bytes / 1e6:,.1f} MB); "
        f"{sum(result.rows_written.values()):,} rows written, {len(result.rewritten)} tables rewritten whole"
    )
    for name, count in result.table_rows.items():
        how = "rewritten" if name in result.rewritten else f"{result.rows_written[name]:,} written"
        print(f"publish:   {name:<32} {count:>12,} rows ({how})")
    print(
        f"publish: snapshot {result.snapshot} ({result.snapshot_bytes / 1e6:,.1f} MB of Parquet, "
        f"{result.snapshot_bytes_written / 1e6:,.1f} MB written, the rest linked from the previous one); "
        f"{result.snapshots_kept} snapshot(s) kept"
    )
