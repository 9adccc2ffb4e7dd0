"""What the data-health checks (orchestration/health_checks.py) cost a micro-batch, in ms.

On a built data dir (a warehouse, its lake's state and, if published, publish/status.json):

- each check's own work, the median of `--repeat` evaluations: the two file checks' functions,
  and each mart check's query on the one read-only connection `mart_health`
  opens (opening it is reported on its own);
- the three check steps as a micro-batch runs them (a job of the checks alone, executed in
  process on a temporary Dagster instance): the run's wall time and each step's duration,
  which adds Dagster's step events to the checks' own work.

    python tests/benchmarks/bench_health_checks.py DATA_DIR [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from ingest.paths import warehouse_path
from orchestration.health_checks import (
    HEALTH_CHECKS,
    HEALTH_WINDOW_HOURS,
    MART_CHECKS,
    Window,
    consumer_lag_small,
    publication_fresh,
)
from orchestration.resources import WarehouseResource


def _median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    resource = WarehouseResource(data_dir=str(args.data_dir.resolve()), kafka_bootstrap_servers="")
    settings = resource.settings()
    database = str(warehouse_path(settings))
    with duckdb.connect(database, read_only=True) as con:
        sessions = con.execute("select count(*) from main.sessions").fetchone()[0]
        volume_rows = con.execute("select count(*) from main.event_volume_hourly").fetchone()[0]
    print(f"data dir {args.data_dir}: {sessions:,} sessions, {volume_rows:,} event_volume_hourly rows")

    print("check's own work (median ms)")
    for check in (consumer_lag_small, publication_fresh):
        body = check.op.compute_fn.decorated_fn  # the check's function, without Dagster's invocation
        ms = _median_ms(lambda body=body: body(warehouse=resource), args.repeat)
        print(f"  {next(iter(check.check_specs)).name:<30} {ms:8.2f}")

    def connect() -> None:
        with duckdb.connect(database, read_only=True) as con:
            con.execute("set TimeZone = 'UTC'")

    print(f"  {'mart_health: connect + close':<30} {_median_ms(connect, args.repeat):8.2f}")
    with duckdb.connect(database, read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        hours = round(HEALTH_WINDOW_HOURS.value())
        print(
            f"  {'mart_health: data clock window':<30} {_median_ms(lambda: Window.at_clock(con, hours), args.repeat):8.2f}"
        )
        window = Window.at_clock(con, hours)
        for check in MART_CHECKS:
            ms = _median_ms(lambda check=check: check.measure(con, window), args.repeat)
            print(f"  {check.name:<30} {ms:8.2f}")

    job = dg.define_asset_job("micro_batch", selection=dg.AssetSelection.checks(*HEALTH_CHECKS))
    specs = {key.asset_key for check in HEALTH_CHECKS for key in check.check_keys}
    defs = dg.Definitions(
        assets=[dg.AssetSpec(key) for key in specs],
        asset_checks=HEALTH_CHECKS,
        jobs=[job],
        resources={"warehouse": resource},
    )
    print("as a micro-batch runs them (ms; a temporary Dagster instance on SQLite)")
    with dg.instance_for_test() as instance:
        walls = []
        for _ in range(3):
            started = time.perf_counter()
            result = defs.resolve_job_def("micro_batch").execute_in_process(instance=instance)
            walls.append((time.perf_counter() - started) * 1000)
        stats = instance.get_run_step_stats(result.run_id)
        for step in sorted(stats, key=lambda s: s.step_key):
            print(f"  step {step.step_key:<40} {(step.end_time - step.start_time) * 1000:8.1f}")
        print(f"  run of the three steps, wall      {statistics.median(walls):8.1f}  (median of 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
