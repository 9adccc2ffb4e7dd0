"""The Dagster code location: definitions, lineage, and a micro-batch run in process."""

import itertools
import shutil
import subprocess
from datetime import UTC, datetime

import duckdb
import pytest
from warehouse_tables import table_differences

from ingest.dbt_build import PROJECT_DIR, dbt_executable

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def defs():
    # @dbt_assets reads the manifest when the module is imported.
    subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
        ],
        check=True,
    )
    from orchestration.definitions import defs

    return defs


@pytest.fixture
def env(workspace, monkeypatch):
    for name in ("NAAP_DATA_DIR", "KAFKA_BOOTSTRAP_SERVERS", "NAAP_TOPICS", "NAAP_TOPIC_ORGS"):
        monkeypatch.setenv(name, workspace.env[name])
    return workspace


def test_lineage_runs_from_the_lake_through_staging_to_the_marts(defs) -> None:
    import dagster as dg

    graph = defs.resolve_asset_graph()
    chain = [
        dg.AssetKey(["publication", "explorer_db"]),
        dg.AssetKey(["ingest_batches"]),
        dg.AssetKey(["int_ingest_batches_summarised"]),
        dg.AssetKey(["stg_lake__ingest_batches"]),
        dg.AssetKey(["lake", "ingest_batches"]),
    ]
    for child, parent in itertools.pairwise(chain):
        assert parent in graph.get(child).parent_keys
    assert graph.get(dg.AssetKey(["lake", "raw_events"])).group_name == "lake"


def test_definitions_validate_and_share_one_daily_partitioning(defs) -> None:
    import dagster as dg

    from orchestration.partitions import daily_partitions

    dg.Definitions.validate_loadable(defs)
    for job in ("micro_batch", "close_day"):
        assert defs.resolve_job_def(job).partitions_def == daily_partitions
    assert daily_partitions.get_last_partition_key() == datetime.now(UTC).date().isoformat()


def test_micro_batch_ticks_build_today_incrementally() -> None:
    import dagster as dg

    from orchestration.schedules import INCREMENTAL_RUN_CONFIG, micro_batch_schedule

    ticks = [datetime(2026, 1, 8, 23, 55, tzinfo=UTC), datetime(2026, 1, 9, 0, 0, tzinfo=UTC)]
    requests = [micro_batch_schedule(dg.build_schedule_context(scheduled_execution_time=t)) for t in ticks]
    assert [r.partition_key for r in requests] == ["2026-01-08", "2026-01-09"]
    assert len({r.run_key for r in requests}) == 2
    assert all(r.run_config == INCREMENTAL_RUN_CONFIG for r in requests)


def test_the_daily_close_recomputes_yesterday() -> None:
    import dagster as dg

    from orchestration.schedules import close_day_schedule

    tick = datetime(2026, 1, 9, 0, 30, tzinfo=UTC)
    request = close_day_schedule(dg.build_schedule_context(scheduled_execution_time=tick))
    assert request.partition_key == "2026-01-08"
    assert request.run_key == "close_day:2026-01-08"


def test_micro_batch_job_ingests_and_builds_and_a_day_rebuild_matches(
    defs, env, capture_path, tmp_path
) -> None:
    from orchestration.schedules import INCREMENTAL_RUN_CONFIG

    env.naap("replay", str(capture_path), "--topic", env.topics[1])
    result = defs.resolve_job_def("micro_batch").execute_in_process(
        partition_key="2026-01-08", run_config=INCREMENTAL_RUN_CONFIG
    )
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["batches_reconcile"] and checks["quarantine_rate"]
    assert checks["unique_ingest_batches_batch_id"]  # dbt tests arrive as checks too
    assert not checks["newest_event_fresh"]  # the capture is from January: a warning, not a failure
    assert checks["published_rows_match_marts"]
    assert (env.data_dir / "publish" / "naap.db").exists()
    warehouse = env.data_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select sum(consumed) from ingest_batches").fetchone()[0] == 65
    built = tmp_path / "micro_batch.duckdb"
    shutil.copy(warehouse, built)

    closed = defs.resolve_job_def("close_day").execute_in_process(partition_key="2026-01-08")
    assert closed.success
    assert table_differences(built, warehouse) == {}


def test_a_failing_blocking_check_stops_the_models(defs, env, monkeypatch) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=env.broker.bootstrap_servers)
    for _ in range(5):
        producer.send(env.topics[0], b"not json at all")
    producer.flush()
    producer.close()
    monkeypatch.setenv("NAAP_MAX_QUARANTINE_RATE", "0.1")
    result = defs.resolve_job_def("micro_batch").execute_in_process(
        partition_key="2026-01-08", raise_on_error=False
    )
    assert not result.success
    assert not (env.data_dir / "warehouse.duckdb").exists()


def test_naap_backfill_recomputes_a_day_as_one_recorded_dagster_run(
    workspace, capture_path, tmp_path
) -> None:
    import dagster as dg

    workspace.naap("replay", str(capture_path), "--topic", workspace.topics[1])
    workspace.naap("ingest", "--once")
    workspace.naap("build")
    warehouse = workspace.data_dir / "warehouse.duckdb"
    built = tmp_path / "built.duckdb"
    shutil.copy(warehouse, built)

    result = workspace.naap("backfill", "--start", "2026-01-08", "--end", "2026-01-08")
    assert "backfill: 2026-01-08...2026-01-08 done" in result.stdout
    assert table_differences(built, warehouse) == {}
    with dg.DagsterInstance.from_config(str(workspace.data_dir / "dagster")) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["dagster/asset_partition_range_start"] == "2026-01-08"


def test_naap_backfill_refuses_a_reversed_range(workspace) -> None:
    result = workspace.naap("backfill", "--start", "2026-01-09", "--end", "2026-01-08", check=False)
    assert result.returncode == 2
    assert "is before --start" in result.stderr
