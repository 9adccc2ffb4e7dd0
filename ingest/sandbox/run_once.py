"""`naap run --once`: the whole pipeline once, on the embedded defaults or against a real cluster."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import time
from pathlib import Path

from ingest.cli import console
from ingest.paths import warehouse_path
from ingest.publication.publish import PublishResult, publish
from ingest.pull.once import ingest_once
from ingest.sandbox.broker import EmbeddedBroker
from ingest.sandbox.live.service import DEMO_MARKER
from ingest.sandbox.replay import produce_records
from ingest.settings import Settings, SettingsError
from ingest.warehouse.build import build


def run_main_job(settings: Settings, args: argparse.Namespace) -> int:
    if settings.kafka.bootstrap_servers:
        print(f"run: ingesting from {settings.kafka.bootstrap_servers}")
        console.print_ingest(ingest_once(settings, console.ingest_progress), settings)
        console.print_build(build(settings), settings)
        _publish(settings)
        return _serve_unless_told_not_to(settings, args)
    _reset_demo_lake(settings)
    started = time.monotonic()
    print(f"run: no KAFKA_BOOTSTRAP_SERVERS set: starting the embedded broker; data in {settings.data_dir}")
    with EmbeddedBroker(log_path=None) as broker:
        broker.create_topics(settings.topics)
        settings = dataclasses.replace(
            settings, kafka=dataclasses.replace(settings.kafka, bootstrap_servers=broker.bootstrap_servers)
        )
        records = _simulate(settings, args)
        produced = produce_records(records, settings.kafka, console.produce_progress)
        del records
        console.print_produced("run: produce", produced)
        result = ingest_once(settings, console.ingest_progress)
        console.print_ingest(result, settings)
    console.print_build(build(settings), settings)
    published = _publish(settings)
    print(f"run: done in {time.monotonic() - started:.0f} s. Where to look:")
    print(f"  accepted events   {settings.lake_dir / 'raw_events'}/event_date=*/")
    print(f"  quarantine        {settings.lake_dir / 'quarantine'}/event_date=*/ (column `reason`)")
    print(f"  batch records     {settings.lake_dir / 'ingest_batches'}/")
    print(f"  simulator truth   {settings.data_dir / 'simulated'}/")
    print(f"  warehouse         {warehouse_path(settings)} (duckdb; marts in schema main)")
    print(f"  published marts   {published.database} (sqlite, served as database `naap`)")
    print(f"  snapshots         {published.snapshot.parent}/latest/ (Parquet + manifest.json)")
    return _serve_unless_told_not_to(settings, args)


def _publish(settings: Settings) -> PublishResult:
    result = publish(settings, on_table=console.publish_progress)
    console.print_publish(result)
    return result


def _serve_unless_told_not_to(settings: Settings, args: argparse.Namespace) -> int:
    if args.no_serve:
        print(f"run: explorer not started (--no-serve); `naap serve --port {args.port}` starts it")
        return 0
    from ingest.explorer.serve import serve

    serve(settings, args.host, args.port)
    return 0


def _reset_demo_lake(settings: Settings) -> None:
    lake = settings.lake_dir
    if lake.exists() and any(lake.iterdir()):
        if not (lake / DEMO_MARKER).exists():
            raise SettingsError(
                f"{lake} already holds a lake that `naap run` did not create; "
                "set NAAP_DATA_DIR to another folder for the embedded run"
            )
        print(f"run: replacing the previous embedded run's lake in {lake}")
        shutil.rmtree(lake)
    lake.mkdir(parents=True, exist_ok=True)
    (lake / DEMO_MARKER).write_text("created by `naap run` on the embedded broker\n")


def _simulate(settings: Settings, args: argparse.Namespace) -> list[dict]:
    from ingest.sandbox.simulate import load_scenario, simulate, truth_bytes

    t0 = time.monotonic()
    print(
        f"run: simulating {args.hours:g} h of '{args.scenario}' from {args.start:%Y-%m-%d %H:%M} UTC "
        f"(seed {args.seed}, scale {args.scale:g})",
        flush=True,
    )
    result = simulate(
        load_scenario(args.scenario), start=args.start, hours=args.hours, seed=args.seed, scale=args.scale
    )
    truth_dir = settings.data_dir / "simulated"
    truth_dir.mkdir(parents=True, exist_ok=True)
    truth_path = truth_dir / f"{Path(args.scenario).stem}.truth.json"
    truth_path.write_bytes(truth_bytes(result.truth))
    print(
        f"run: {len(result.records):,} simulated records in {time.monotonic() - t0:.1f} s; truth -> {truth_path}"
    )
    return result.records
