"""What each `naap` verb does, once its arguments are parsed (ingest/cli/main.py)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

from ingest.cli import console
from ingest.publication.publish import publish
from ingest.pull.once import ingest_once
from ingest.sandbox.broker import BrokerError, EmbeddedBroker
from ingest.sandbox.replay import produce, produce_records, read_messages
from ingest.settings import Settings, SettingsError
from ingest.warehouse.build import BuildError, build

# `naap run --once` simulates this day unless --start says otherwise.
ONCE_START = datetime(2026, 1, 8, tzinfo=UTC)

# Every asset but the lake's: a backfill recomputes from what was ingested, then publishes.
BACKFILL_SELECTION = "group:staging or group:intermediate or group:marts or group:publication"


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
    from ingest.sandbox.simulate import load_scenario, simulate, write_simulation

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
    from ingest.explorer.serve import serve

    serve(Settings.from_env(), args.host, args.port)
    return 0


def dagster_environment(settings: Settings) -> dict[str, str]:
    """Give Dagster its home under the data dir (the code location prepares the dbt manifest)."""
    from ingest.sandbox.live.service import prepare_dagster_home

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
        from ingest.sandbox.run_once import run_main_job

        args.start = args.start or ONCE_START
        return run_main_job(settings, args)
    if args.start is not None:
        raise SettingsError("--start goes with --once: the live service's history ends now")
    if args.no_serve:
        raise SettingsError("--no-serve goes with --once: the live service always serves")
    if args.live_rate < 0:
        raise SettingsError(f"--live-rate must be 0 or more, not {args.live_rate:g}")
    from ingest.sandbox.live.service import run_service

    return run_service(settings, args)
