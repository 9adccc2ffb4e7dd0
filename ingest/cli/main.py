"""`naap`: the warehouse's one command line.

Every verb reads its settings from the environment (see README.md); errors a user
can fix are printed as one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from ingest.cli.commands import (
    ONCE_START,
    cmd_backfill,
    cmd_broker,
    cmd_build,
    cmd_dagster,
    cmd_ingest,
    cmd_publish,
    cmd_replay,
    cmd_run,
    cmd_serve,
    cmd_simulate,
)
from ingest.errors import NaapError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except NaapError as exc:
        print(f"naap: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("naap: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="naap", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    broker = verbs.add_parser("broker", help="run the embedded Kafka-protocol broker in the foreground")
    broker.add_argument("--port", type=int, default=9092)
    broker.add_argument("--partitions", type=int, default=3, help="partitions per created topic")
    broker.set_defaults(handler=cmd_broker)

    replay = verbs.add_parser("replay", help="produce captured events (JSON array or JSON Lines) into Kafka")
    replay.add_argument("files", nargs="+", type=Path, metavar="FILE")
    replay.add_argument("--topic", help="send every item to this topic instead of the record's own")
    replay.set_defaults(handler=cmd_replay)

    simulate = verbs.add_parser("simulate", help="generate a scenario's events and its ground truth")
    simulate.add_argument(
        "--scenario", required=True, help="a scenario name (smoke, network-day) or a YAML file"
    )
    simulate.add_argument("--start", required=True, type=parse_start, help="UTC start, ISO-8601")
    simulate.add_argument("--hours", required=True, type=float)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--scale", type=float, default=1.0, help="multiplies the scenario's demand")
    target = simulate.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write JSON Lines here and the truth beside it")
    target.add_argument("--to-kafka", action="store_true", help="produce into KAFKA_BOOTSTRAP_SERVERS")
    simulate.set_defaults(handler=cmd_simulate)

    ingest = verbs.add_parser("ingest", help="pull micro-batches from Kafka into the Parquet lake")
    ingest.add_argument(
        "--once", action="store_true", help="drain to the end offsets seen at start, then exit"
    )
    ingest.set_defaults(handler=cmd_ingest)

    build = verbs.add_parser("build", help="run the dbt models over the lake into the DuckDB warehouse")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    build.add_argument(
        "--select", nargs="+", metavar="SELECTOR", help="dbt node selection, as `dbt --select`"
    )
    build.add_argument("--start", type=parse_day, help="first UTC day (YYYY-MM-DD) to recompute")
    build.add_argument("--end", type=parse_day, help="last UTC day (YYYY-MM-DD, inclusive) to recompute")
    build.add_argument(
        "--test-all",
        action="store_true",
        help="run the data tests on every row, not only the recomputed ones",
    )
    build.set_defaults(handler=cmd_build)

    backfill = verbs.add_parser("backfill", help="recompute a range of days through Dagster (one run)")
    backfill.add_argument("--start", required=True, type=parse_day, help="first UTC day (YYYY-MM-DD)")
    backfill.add_argument("--end", required=True, type=parse_day, help="last UTC day (YYYY-MM-DD, inclusive)")
    backfill.set_defaults(handler=cmd_backfill)

    publish_verb = verbs.add_parser(
        "publish", help="export the public marts to the explorer's SQLite database and a Parquet snapshot"
    )
    publish_verb.add_argument(
        "--keep", type=int, help="snapshots to keep, newest first (default NAAP_SNAPSHOTS_KEEP)"
    )
    publish_verb.add_argument(
        "--full",
        action="store_true",
        help="rewrite every table instead of applying what changed since the newest snapshot",
    )
    publish_verb.set_defaults(handler=cmd_publish)

    serve = verbs.add_parser("serve", help="serve the published database in the Datasette explorer")
    add_serve_arguments(serve)
    serve.set_defaults(handler=cmd_serve)

    dagster = verbs.add_parser("dagster", help="start the Dagster UI (dagster dev) on this code location")
    dagster.add_argument("--port", type=int, default=3000)
    dagster.set_defaults(handler=cmd_dagster)

    run = verbs.add_parser(
        "run", help="the live service: embedded broker, simulated history and feed, Dagster, explorer"
    )
    run.add_argument("--scenario", default="network-day")
    run.add_argument(
        "--start",
        type=parse_start,
        help=f"with --once: UTC start of the simulated window (default {ONCE_START:%Y-%m-%d})",
    )
    run.add_argument("--hours", type=float, default=24.0, help="hours of simulated history (default 24)")
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--scale", type=float, default=1.0)
    run.add_argument(
        "--live-rate", type=float, default=1.0, help="the live feed's rate, times the scenario's (default 1)"
    )
    run.add_argument("--fresh", action="store_true", help="delete the earlier run's data and simulate anew")
    run.add_argument("--dagster-port", type=int, default=3000, help="Dagster UI port (default 3000)")
    run.add_argument(
        "--once", action="store_true", help="load, build, publish once, then serve the explorer (or exit)"
    )
    run.add_argument("--no-serve", action="store_true", help="with --once: stop after publishing")
    add_serve_arguments(run)
    run.set_defaults(handler=cmd_run)
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8001, help="explorer port (default 8001)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def parse_start(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
