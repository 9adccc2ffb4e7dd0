"""Session reconstruction (intermediate layer) against the capture and the simulator's truth."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from helpers.shared_builds import SharedBuild

# Every test here reads or runs a dbt build.
pytestmark = [pytest.mark.kafka, pytest.mark.slow]
# The smoke_built(seed) builds read here, which conftest.py prefetches.
SMOKE_SEEDS = (3, 4)

COLUMNS = (
    "startup_outcome",
    "excusal_reason",
    "selection_outcome",
    "completed",
    "swap_count",
    "startup_latency_ms",
    "e2e_latency_ms",
    "prompt_to_playable_latency_ms",
    "status_samples",
    "output_fps_sum",
    "loading_only",
    "zero_output",
    "error_samples",
    "health_signal_count",
)
WAREHOUSE_SQL = """
    select
        session_key,
        startup_outcome,
        excusal_reason,
        selection_outcome,
        completed,
        swap_count,
        startup_latency_ms,
        e2e_latency_ms,
        prompt_to_playable_latency_ms,
        status_sample_count,
        round(output_fps_sum, 6),
        loading_only_session,
        zero_output_fps_session,
        status_error_sample_count,
        health_signal_count,
    from int_sessions_classified
"""


def _sessions(workspace) -> dict[str, tuple]:
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb"), read_only=True) as con:
        return {row[0]: row[1:] for row in con.execute(WAREHOUSE_SQL).fetchall()}


def test_the_capture_session(capture_built: SharedBuild) -> None:
    """reference-behaviour.md §1.7: unresolved, its only snapshot comes 74 s after selection."""
    # The capture replayed onto its topic, ingested and built (all of it, so +sessions too).
    workspace = capture_built.workspace
    [(key, row)] = _sessions(workspace).items()
    assert key == "cloudspe|stream-o5s73x-mk5zc8fy|db936fab"
    found = dict(zip(COLUMNS, row, strict=True))
    assert found["startup_outcome"] == "success"
    assert (found["startup_latency_ms"], found["e2e_latency_ms"]) == (2655, 106)
    assert found["prompt_to_playable_latency_ms"] == 6435
    assert found["status_samples"] == 17
    assert found["output_fps_sum"] == pytest.approx(271.99918, abs=1e-4)
    assert found["health_signal_count"] == 3
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb"), read_only=True) as con:
        attribution = con.execute("select attribution_status, attribution_reason from sessions").fetchone()
    assert attribution == ("unresolved", "missing_candidate")


def test_every_simulated_session_matches_the_truth(smoke_built) -> None:
    # Smoke from 2026-01-08 21:50 for 0.25 h, seed 3, replayed, ingested and built (+int_sessions_classified too).
    built = smoke_built(3)
    truth = built.truth

    found = _sessions(built.workspace)
    expected = {
        s["session_key"]: tuple(round(s[c], 6) if c == "output_fps_sum" else s[c] for c in COLUMNS)
        for s in truth["sessions"]
    }
    assert set(found) == set(expected)
    mismatches = {
        key: {c: (f, e) for c, f, e in zip(COLUMNS, found[key], expected[key], strict=True) if f != e}
        for key in expected
        if found[key] != expected[key]
    }
    assert mismatches == {}


ATTRIBUTION = (
    "attribution_status",
    "attribution_reason",
    "orchestrator_address",
    "pipeline_id",
    "model_id",
    "gpu_id",
)


def test_every_simulated_session_is_attributed_as_the_truth_says(smoke_built) -> None:
    # Smoke from 2026-01-08 21:50 for 0.25 h, seed 4, replayed, ingested and built (+sessions too).
    built = smoke_built(4)
    truth = built.truth
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        found = {
            row[0]: row[1:]
            for row in con.execute(f"select session_key, {', '.join(ATTRIBUTION)} from sessions").fetchall()
        }
    expected = {
        s["session_key"]: (
            s["attribution_expected"],
            s["attribution_reason"],
            s["orchestrator_address"],
            s["pipeline_id"],
            s["model_id"],
            s["gpu_id"],
        )
        for s in truth["sessions"]
    }
    assert {s for s, row in found.items() if row[0] == "resolved"}, "some sessions should resolve"
    mismatches = {key: (found.get(key), row) for key, row in expected.items() if found.get(key) != row}
    assert mismatches == {}


def test_the_capture_resolves_given_an_earlier_snapshot(
    workspace, capture_path: Path, tmp_path: Path
) -> None:
    records = json.loads(capture_path.read_text())
    [snapshot] = [r for r in records if r["value"]["type"] == "network_capabilities"]
    earlier = {**snapshot["value"], "id": "earlier-snapshot", "timestamp": str(1767908945298 - 5 * 60_000)}
    extra = tmp_path / "earlier.json"
    extra.write_text(json.dumps([{"topic": workspace.topics[1], "value": earlier}]))
    workspace.naap("replay", str(capture_path), str(extra), "--topic", workspace.topics[1])
    workspace.naap("ingest", "--once")
    workspace.naap("build", "--select", "+sessions")
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute(f"select {', '.join(ATTRIBUTION)}, gpu_model_name from sessions").fetchone()
    assert row[:6] == (
        "resolved",
        "matched",
        "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
        "live-video-to-video",
        "streamdiffusion-sdxl-faceid",
        "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
    )
    assert "5090" in row[6]
