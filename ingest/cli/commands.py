"""`naap`: the warehouse's one command line.

Every verb reads its settings from the environment (see README.md); errors a user
can fix are printed as one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from ingest import console
from ingest.dbt_build import BuildError, build
from ingest.embedded_broker import BrokerError, EmbeddedBroker
from ingest.errors import NaapError
from ingest.publish import publish
from ingest.pull import ingest_once
from ingest.replay import produce, produce_records, read_messages
from ingest.settings import Settings, SettingsError


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


# `naap run --once` simulates this day unless --start says otherwise.
ONCE_START = datetime(2026, 1, 8, tzinfo=UTC)

# Every asset but the lake's: a backfill recomputes from what was ingested, then publishes.
BACKFILL_SELECTION = "group:staging or group:intermediate or group:marts or group:publication"


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


def cmd_broker(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    broker = EmbeddedBroker(port=args.port).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        broker.create_topics(settings.topics, partitions=args.partitions)
        print(
            f"broker: listening on {broker.bootstrap_servers} (memory only); topics: {', '.join(settings.topics)}"
        )
        print(
            f"broker: export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers}; Ctrl-C stops it", flush=True
        )
        # A broker that dies is an error, not a silent stop: `naap broker` exits with it.
        while not stop.wait(0.5):
            code = broker.exited()
            if code is not None:
                raise BrokerError(f"the embedded broker exited with code {code}; nothing is listening now")
    finally:
        broker.stop()
    print("broker: stopped")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    messages = (m for path in args.files for m in read_messages(path, args.topic))
    result = produce(messages, settings.kafka, on_progress=console.produce_progress)
    console.print_produced("replay", result)
    for topic in result.by_topic.keys() - set(settings.topics):
        print(
            f"replay: warning: topic {topic!r} is not in NAAP_TOPICS, so `naap ingest` will not read it "
            "(use --topic to redirect)",
            file=sys.stderr,
        )
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from ingest.simulate import load_scenario, simulate, write_simulation

    scenario = load_scenario(args.scenario)
    result = simulate(scenario, start=args.start, hours=args.hours, seed=args.seed, scale=args.scale)
    if args.out:
        truth_path = write_simulation(result, args.out)
        print(f"simulate: {len(result.records):,} records -> {args.out}; truth -> {truth_path}")
        return 0
    settings = Settings.from_env()
    produced = produce_records(result.records, settings.kafka, console.produce_progress)
    console.print_produced("simulate", produced)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.once:
        console.print_ingest(ingest_once(settings, console.ingest_progress), settings)
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"ingest: every {settings.ingest_interval_s:g} s into {settings.lake_dir}; Ctrl-C stops after the batch"
    )
    while not stop.is_set():
        console.print_ingest(ingest_once(settings, console.ingest_progress), settings)
        stop.wait(settings.ingest_interval_s)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    days = day_range(args.start, args.end)
    if days and args.full_refresh:
        raise SettingsError("--full-refresh recomputes every day; drop --start/--end")
    result = build(settings, args.full_refresh, args.select, days, args.test_all)
    console.print_build(result, settings)
    return 0


def day_range(start: date | None, end: date | None) -> tuple[date, date] | None:
    """The inclusive (first, last) days of --start/--end, which come as a pair."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise SettingsError("--start and --end go together")
    if end < start:
        raise SettingsError(f"--end {end} is before --start {start}")
    return start, end


def cmd_publish(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    console.print_publish(
        publish(settings, keep=args.keep, on_table=console.publish_progress, full=args.full)
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ingest.explorer import serve

    serve(Settings.from_env(), args.host, args.port)
    return 0


def dagster_environment(settings: Settings) -> dict[str, str]:
    """Give Dagster its home under the data dir (the code location prepares the dbt manifest)."""
    from ingest.live.service import prepare_dagster_home

    if not settings.kafka.bootstrap_servers:
        raise SettingsError("KAFKA_BOOTSTRAP_SERVERS is not set (start one with `naap broker`)")
    home = prepare_dagster_home(settings)
    return {**os.environ, "DAGSTER_HOME": str(home), "NAAP_DATA_DIR": str(settings.data_dir)}


def dagster_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dagster"), *args]


def cmd_dagster(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    env = dagster_environment(settings)
    print(
        f"dagster: UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={env['DAGSTER_HOME']}); Ctrl-C stops it"
    )
    sys.stdout.flush()
    command = dagster_command("dev", "-m", "orchestration.definitions", "-p", str(args.port))
    return subprocess.run(command, env=env).returncode


def cmd_backfill(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    day_range(args.start, args.end)
    first, last = args.start, args.end
    env = dagster_environment(settings)
    days = f"{first.isoformat()}...{last.isoformat()}"
    print(f"backfill: recomputing {days} as one Dagster run (DAGSTER_HOME={env['DAGSTER_HOME']})", flush=True)
    command = dagster_command(
        "asset", "materialize", "-m", "orchestration.definitions",
        "--select", BACKFILL_SELECTION, "--partition-range", days,
    )  # fmt: skip
    if subprocess.run(command, env=env).returncode != 0:
        raise BuildError(f"the backfill of {days} failed; see the Dagster output above")
    print(f"backfill: {days} done; the run is in the Dagster UI (`naap dagster`)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.once:
        from ingest.main_job import run_main_job

        args.start = args.start or ONCE_START
        return run_main_job(settings, args)
    if args.start is not None:
        raise SettingsError("--start goes with --once: the live service's history ends now")
    if args.no_serve:
        raise SettingsError("--no-serve goes with --once: the live service always serves")
    if args.live_rate < 0:
        raise SettingsError(f"--live-rate must be 0 or more, not {args.live_rate:g}")
    from ingest.live.service import run_service

    return run_service(settings, args)


if __name__ == "__main__":
    sys.exit(main())
