"""SLA hourly primitives against the simulator's truth, and the score's arithmetic."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.sandbox.simulate.truth_hours import DEMAND_FIELDS, SLA_FIELDS

# Every test here reads a dbt build.
pytestmark = [pytest.mark.kafka, pytest.mark.slow]
# The smoke_built(seed) builds read here, which conftest.py prefetches.
SMOKE_SEEDS = (4,)

PRIMITIVES = SLA_FIELDS
SLA_KEY = ("window_start", "org", "orchestrator_address", "pipeline_id", "model_id", "gpu_id")
UNATTRIBUTED_KEY = ("window_start", "org", "pipeline_id", "model_id", "attribution_reason")


@pytest.fixture(scope="module")
def day(smoke_built):
    # Smoke from 2026-01-08 21:50 for 0.25 h, seed 4, replayed, ingested and built: +sla_hourly,
    # +unattributed_sessions_hourly, +streaming_demand_hourly and +gpu_metrics_hourly among the rest.
    built = smoke_built(4)
    return built.workspace, built.truth


def _rows(workspace, table: str, key: tuple[str, ...]) -> dict[tuple, dict]:
    with duckdb.connect(str(Path(workspace.data_dir) / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(f"select * from {table}")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {tuple(r[k] for k in key): r for r in rows}


@pytest.mark.parametrize(
    ("table", "truth_table", "key"),
    [
        ("sla_hourly", "orchestrator_hours", SLA_KEY),
        ("unattributed_sessions_hourly", "unattributed_hours", UNATTRIBUTED_KEY),
    ],
)
def test_hourly_primitives_equal_the_truth(day, table: str, truth_table: str, key: tuple[str, ...]) -> None:
    workspace, truth = day
    found = _rows(workspace, table, key)
    expected = {tuple(r[k] for k in key): r for r in truth[truth_table]}
    assert expected, "the scenario should produce rows"
    assert set(found) == set(expected)
    for k, row in expected.items():
        assert {p: found[k][p] for p in PRIMITIVES} == {p: row[p] for p in PRIMITIVES}, k
        assert found[k]["output_fps_sum"] == pytest.approx(row["output_fps_sum"], abs=1e-6)


def test_scores_follow_the_formula_from_the_primitives(day) -> None:
    workspace, _ = day
    for row in _rows(workspace, "sla_hourly", SLA_KEY).values():
        requested = row["requested_sessions"]
        assert row["sla_semantics_version"] == "naap-sla-v1"
        if not requested:
            assert row["sla_score"] is None
            continue
        # One simulated day has no prior days: every benchmark-relative component is neutral.
        assert (row["ptff_raw_score"], row["e2e_raw_score"], row["fps_raw_score"]) == (0.5, 0.5, 0.5)
        reliability = (
            0.4 * row["startup_success_sessions"] / requested
            + 0.2 * (1 - row["total_swapped_sessions"] / requested)
            + 0.4 * (1 - row["output_failed_sessions"] / requested)
        )
        coverage = min(row["health_signal_count"] / row["health_expected_signal_count"], 1)
        expected = 100 * coverage * (0.7 * reliability + 0.3 * 0.5)
        assert row["sla_score"] == pytest.approx(expected, abs=1e-9)
        assert 0 <= row["sla_score"] <= 100


DEMAND_KEY = ("window_start", "org", "gateway", "pipeline_id", "model_id")
DEMAND = DEMAND_FIELDS


def test_streaming_demand_equals_the_truth(day) -> None:
    workspace, truth = day
    found = _rows(workspace, "streaming_demand_hourly", DEMAND_KEY)
    expected = {tuple(r[k] for k in DEMAND_KEY): r for r in truth["demand_hours"]}
    assert set(found) == set(expected)
    for k, row in expected.items():
        assert {p: found[k][p] for p in DEMAND} == {p: row[p] for p in DEMAND}, k
        assert found[k]["output_fps_sum"] == pytest.approx(row["output_fps_sum"], abs=1e-6)
        assert found[k]["total_minutes"] == pytest.approx(row["total_minutes"], abs=1e-6)


def test_gpu_metrics_cover_every_gpu_pinned_sla_row(day) -> None:
    workspace, _ = day
    gpu = _rows(workspace, "gpu_metrics_hourly", SLA_KEY)
    pinned = {k for k, row in _rows(workspace, "sla_hourly", SLA_KEY).items() if row["gpu_id"]}
    assert pinned and set(gpu) == pinned
