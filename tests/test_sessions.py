"""Session reconstruction (intermediate layer) against the capture and the simulator's truth."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.kafka

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


def test_the_capture_session(workspace, capture_path: Path) -> None:
    workspace.naap("replay", str(capture_path), "--topic", workspace.topics[1])
    workspace.naap("ingest", "--once")
    workspace.naap("build", "--select", "+int_sessions_classified")
    [(key, row)] = _sessions(workspace).items()
    assert key == "cloudspe|stream-o5s73x-mk5zc8fy|db936fab"
    found = dict(zip(COLUMNS, row, strict=True))
    assert found["startup_outcome"] == "success"
    assert (found["startup_latency_ms"], found["e2e_latency_ms"]) == (2655, 106)
    assert found["prompt_to_playable_latency_ms"] == 6435
    assert found["status_samples"] == 17
    assert found["output_fps_sum"] == pytest.approx(271.99918, abs=1e-4)
    assert found["health_signal_count"] == 3


def test_every_simulated_session_matches_the_truth(workspace, tmp_path: Path) -> None:
    truth = workspace.replay_simulation(tmp_path, datetime(2026, 1, 8, 21, 50, tzinfo=UTC), 0.25, seed=3)
    workspace.naap("ingest", "--once")
    workspace.naap("build", "--select", "+int_sessions_classified")

    found = _sessions(workspace)
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
