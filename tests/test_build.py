"""`naap build`: dbt over the lake into DuckDB, through the CLI."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pytest
from helpers.shared_builds import SharedBuild

from ingest.lake.manifest import BatchManifest
from ingest.lake.store import Lake, new_batch_id

# Every test here reads or runs a whole dbt build.
pytestmark = [pytest.mark.kafka, pytest.mark.slow]
# The smoke_built(seed) builds read here, which conftest.py prefetches.
SMOKE_SEEDS = (5,)


def _warehouse(workspace) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(workspace.data_dir / "warehouse.duckdb"), read_only=True)


def test_build_on_the_capture_publishes_the_batch_ledger(capture_built: SharedBuild) -> None:
    # The shared build is the capture replayed onto its topic, ingested once and built: `naap build`.
    stdout = capture_built.output
    assert "the lake has no quarantine files yet" in stdout
    assert " error" not in stdout.split("build:")[1]
    with _warehouse(capture_built.workspace) as con:
        assert con.execute("select consumed, accepted, quarantined from ingest_batches").fetchall() == [
            (65, 65, 0)
        ]
        offsets = json.loads(con.execute("select partition_offsets_json from ingest_batches").fetchone()[0])
        assert sum(p["consumed"] for p in offsets) == 65
        assert con.execute("select count(*) from quarantine_summary").fetchone()[0] == 0


def test_quarantine_summary_matches_what_the_simulator_injected(smoke_built) -> None:
    # Smoke from 2026-01-08 21:50 for 0.25 h, seed 5, replayed, ingested and built by `naap build`.
    built = smoke_built(5)
    truth = built.truth
    with _warehouse(built.workspace) as con:
        rows = con.execute(
            "select reason, sum(event_count) from quarantine_summary group by reason"
        ).fetchall()
    assert dict(rows) == truth["counts"]["quarantined_by_reason"]
    assert Counter(truth["counts"]["quarantined_by_reason"]).total() == truth["counts"]["quarantined"]


def test_build_on_an_empty_lake_succeeds_with_empty_marts(empty_built: SharedBuild) -> None:
    assert "ingest_batches" in empty_built.output
    with _warehouse(empty_built.workspace) as con:
        assert con.execute("select count(*) from ingest_batches").fetchone()[0] == 0


def test_a_failing_data_test_fails_the_build_with_one_line(workspace) -> None:
    lake = Lake(workspace.data_dir / "lake")
    now = datetime(2026, 1, 8, tzinfo=UTC)
    lake.commit(
        BatchManifest(
            batch_id=new_batch_id(None),
            started_at=now,
            finished_at=now,
            duration_s=0.0,
            consumed=10,
            accepted=7,
            quarantined=2,
            bytes=0,
            quarantine_reasons={},
            partitions=(),
            files=(),
        )
    )
    result = workspace.naap("build", check=False)
    assert result.returncode == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("naap: error:")]
    assert "expression_is_true_ingest_batches" in error
