"""The Dagster code location: definitions, lineage, and a micro-batch run in process."""

import itertools
import subprocess
from pathlib import Path

import duckdb
import pytest

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
        dg.AssetKey(["ingest_batches"]),
        dg.AssetKey(["int_ingest_batches_summarised"]),
        dg.AssetKey(["stg_lake__ingest_batches"]),
        dg.AssetKey(["lake", "ingest_batches"]),
    ]
    for child, parent in itertools.pairwise(chain):
        assert parent in graph.get(child).parent_keys
    assert graph.get(dg.AssetKey(["lake", "raw_events"])).group_name == "lake"


def test_micro_batch_job_ingests_and_builds(defs, env, capture_path: Path) -> None:
    env.naap("replay", str(capture_path), "--topic", env.topics[1])
    result = defs.get_job_def("micro_batch").execute_in_process()
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["batches_reconcile"] and checks["quarantine_rate"]
    assert checks["unique_ingest_batches_batch_id"]  # dbt tests arrive as checks too
    with duckdb.connect(str(env.data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select sum(consumed) from ingest_batches").fetchone()[0] == 65


def test_a_failing_blocking_check_stops_the_models(defs, env, monkeypatch) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=env.broker.bootstrap_servers)
    for _ in range(5):
        producer.send(env.topics[0], b"not json at all")
    producer.flush()
    producer.close()
    monkeypatch.setenv("NAAP_MAX_QUARANTINE_RATE", "0.1")
    result = defs.get_job_def("micro_batch").execute_in_process(raise_on_error=False)
    assert not result.success
    assert not (env.data_dir / "warehouse.duckdb").exists()
