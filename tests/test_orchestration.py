"""The Dagster code location: definitions, lineage, and a micro-batch run in process."""

import itertools
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from helpers.shared_builds import SharedBuild
from helpers.warehouse_tables import table_differences

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def defs():
    # The code location prepares the dbt manifest itself (orchestration/manifest.py).
    from orchestration.definitions import defs

    return defs


def tamper(warehouse: Path, *also: Path) -> None:
    """Change a staged row of 2026-01-08 in `warehouse`; plant a row of 2026-01-07 in it and in `also`.

    A day's recomputation must restore the first and leave the second where it is.
    """
    for path, change in [(warehouse, True), *((p, False) for p in also)]:
        with duckdb.connect(str(path)) as con:
            # Planted first and from a row chosen by order: a bare `limit 1` may copy a different
            # row in each file, or the tampered one, and the files then differ where no rebuild reaches.
            con.execute(
                "insert into stg_lake__stream_statuses select * replace "
                "('2026-01-07'::date as event_date, 'planted' as event_id, "
                "'planted' as stream_id, 'planted' as request_id) "
                "from stg_lake__stream_statuses where event_date = '2026-01-08' order by event_id limit 1"
            )
            if change:
                con.execute(
                    "update stg_lake__stream_statuses set gateway = 'tampered' where event_id = "
                    "(select min(event_id) from stg_lake__stream_statuses where event_date = '2026-01-08')"
                )


@pytest.fixture
def env(workspace, monkeypatch):
    for name in ("NAAP_DATA_DIR", "KAFKA_BOOTSTRAP_SERVERS", "NAAP_TOPICS", "NAAP_TOPIC_ORGS"):
        monkeypatch.setenv(name, workspace.env[name])
    return workspace


def clean_copy(destination: Path) -> Path:
    """The repository's files as a fresh clone has them (tracked and new, nothing ignored: no manifest)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, destination / name)
    return destination


@pytest.mark.slow
def test_the_code_location_loads_on_a_fresh_clone_with_the_standard_entry_point(tmp_path) -> None:
    clone = clean_copy(tmp_path / "clone")
    assert not (clone / "dbt_project" / "target").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAAP_", "KAFKA_", "DAGSTER_"))}
    env["PYTHONPATH"] = str(clone)
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr
    manifest = clone / "dbt_project" / "target" / "manifest.json"
    assert manifest.exists()  # parsed from the clone's own models

    # A model edited afterwards makes the manifest stale; the next load parses it again.
    model = clone / "dbt_project" / "models" / "marts" / "operations" / "ingest_batches.sql"
    model.write_text(model.read_text() + "\n")
    before = manifest.stat().st_mtime
    from dagster_dbt import DbtProject

    from orchestration.manifest import manifest_is_current, prepare_manifest

    project = DbtProject(project_dir=clone / "dbt_project", profiles_dir=clone / "dbt_project")
    assert not manifest_is_current(project)
    prepare_manifest(project)
    assert manifest_is_current(project) and manifest.stat().st_mtime > before


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


def test_a_micro_batch_plans_the_tests_of_what_it_publishes_and_the_close_all_of_them(defs, tmp_path) -> None:
    from ingest.warehouse.build import CLOSE_ONLY_SELECTION, dbt_executable
    from orchestration.assets.warehouse import warehouse_models

    dbt_checks = {key.name for key in warehouse_models.check_keys}
    planned = {
        key.name for key in defs.resolve_job_def("micro_batch").asset_layer.asset_graph.asset_check_keys
    }
    closing = {key.name for key in defs.resolve_job_def("close_day").asset_layer.asset_graph.asset_check_keys}
    assert dbt_checks <= closing
    # The Dagster job and `naap build`'s --exclude select the same tests: ask dbt itself.
    listed = subprocess.run(
        [dbt_executable(), "ls", "--quiet", "--resource-type", "test", "--output", "name",
         "--exclude", CLOSE_ONLY_SELECTION, "--project-dir", str(REPO / "dbt_project"),
         "--profiles-dir", str(REPO / "dbt_project"), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path)],
        env={**os.environ, "NAAP_DATA_DIR": str(tmp_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert planned & dbt_checks == set(listed)
    assert 20 < len(listed) < len(dbt_checks) / 4
    graph = defs.resolve_asset_graph()
    for key in warehouse_models.check_keys:
        if key.name in listed:
            assert graph.get(key.asset_key).group_name in ("marts", "default"), key


def test_the_dbt_resource_starts_dbt_without_probing_its_version_or_loading_an_adapter(monkeypatch) -> None:
    from importlib.metadata import version

    import dagster_dbt.core.resource
    from packaging.version import Version

    from orchestration.assets.warehouse import dbt_resource

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    resource = dbt_resource()
    assert resource._cli_version == Version(version("dbt-core"))
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_micro_batch_ticks_build_today_incrementally() -> None:
    import dagster as dg

    from orchestration.schedules import INCREMENTAL_RUN_CONFIG, micro_batch_schedule

    ticks = [datetime(2026, 1, 8, 23, 55, tzinfo=UTC), datetime(2026, 1, 9, 0, 0, tzinfo=UTC)]
    with dg.instance_for_test() as instance:
        contexts = [dg.build_schedule_context(instance, scheduled_execution_time=t) for t in ticks]
        requests = [micro_batch_schedule(context) for context in contexts]
    assert [r.partition_key for r in requests] == ["2026-01-08", "2026-01-09"]
    assert len({r.run_key for r in requests}) == 2
    assert all(r.run_config == INCREMENTAL_RUN_CONFIG for r in requests)


def test_a_tick_that_finds_a_micro_batch_unfinished_skips() -> None:
    import dagster as dg

    from orchestration.schedules import micro_batch_schedule

    tick = datetime(2026, 1, 8, 12, 1, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        instance.add_run(dg.DagsterRun(job_name="micro_batch", status=dg.DagsterRunStatus.STARTED))
        skipped = micro_batch_schedule(dg.build_schedule_context(instance, scheduled_execution_time=tick))
        assert isinstance(skipped, dg.SkipReason)
        # A close or backfill in progress does not stop the tick: the one queued batch waits behind it.
        [run] = instance.get_runs()
        instance.report_run_failed(run)
        instance.add_run(dg.DagsterRun(job_name="close_day", status=dg.DagsterRunStatus.STARTED))
        request = micro_batch_schedule(dg.build_schedule_context(instance, scheduled_execution_time=tick))
        assert isinstance(request, dg.RunRequest)


def test_the_daily_close_recomputes_yesterday() -> None:
    import dagster as dg

    from orchestration.schedules import close_day_schedule

    tick = datetime(2026, 1, 9, 0, 30, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        request = close_day_schedule(dg.build_schedule_context(instance, scheduled_execution_time=tick))
    assert request.partition_key == "2026-01-08"
    assert request.run_key == "close_day:2026-01-08"


@pytest.mark.slow
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
    # ... those of what it publishes: the staging, intermediate and not-null tests wait for the close.
    assert not [name for name in checks if name.startswith(("not_null", "unique_stg_", "unique_int_"))]
    assert not checks["newest_event_fresh"]  # the capture is from January: a warning, not a failure
    assert checks["published_rows_match_marts"]
    # The data-health checks run in every micro-batch; 65 events are too few to judge a rate.
    from orchestration.health_checks import MART_CHECKS

    health = ["consumer_lag_small", "publication_fresh", *(check.name for check in MART_CHECKS)]
    assert all(checks[name] for name in health)
    assert (env.data_dir / "publish" / "naap.db").exists()
    warehouse = env.data_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select sum(consumed) from ingest_batches").fetchone()[0] == 65
    built = tmp_path / "micro_batch.duckdb"
    shutil.copy(warehouse, built)
    tamper(warehouse, built)
    # A micro-batch with nothing new recomputes nothing: the tampered row stays.
    again = defs.resolve_job_def("micro_batch").execute_in_process(
        partition_key="2026-01-08", run_config=INCREMENTAL_RUN_CONFIG
    )
    assert again.success
    # ... and records one more (empty) batch, and the lag it left.
    second_batch = {
        "stg_lake__ingest_batches",
        "int_ingest_batches_summarised",
        "ingest_batches",
        "stg_lake__consumer_lag",
        "int_consumer_lag_measured",
        "consumer_lag",
    }
    assert set(table_differences(built, warehouse)) == {"stg_lake__stream_statuses", *second_batch}

    # The close of one day (a single partition key, as the 00:30 schedule and the UI ask)
    # recomputes that day and no other.
    closed = defs.resolve_job_def("close_day").execute_in_process(partition_key="2026-01-08")
    assert closed.success
    closing = {e.check_name: e.passed for e in closed.get_asset_check_evaluations()}
    assert (
        closing["not_null_stg_lake__stream_statuses_event_id"]
        and closing["unique_stg_lake__stream_statuses_event_id"]
    )
    assert set(table_differences(built, warehouse)) == second_batch


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


@pytest.mark.slow
def test_naap_backfill_recomputes_a_day_as_one_recorded_dagster_run(
    capture_built: SharedBuild, tmp_path
) -> None:
    import dagster as dg

    # The capture replayed onto its topic, ingested and built by `naap build`: a copy, to tamper with.
    workspace = capture_built.copy(tmp_path / "data")
    warehouse = workspace.data_dir / "warehouse.duckdb"
    built = tmp_path / "built.duckdb"
    shutil.copy(warehouse, built)
    tamper(warehouse, built)

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
