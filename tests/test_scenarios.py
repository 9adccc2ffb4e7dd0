"""The hand-written scenarios of reference-behaviour.md §4, end to end through the CLI.

Every scenario in tests/fixtures/scenarios/ is replayed onto one pair of topics,
ingested and built once. Each scenario owns its hours, gateway, streams and
orchestrators, so its rows are read back by its hour window and compared with
the hand-computed expectations beside it (tests/fixtures/scenarios/README.md
says how each number follows from the docs).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers.workspace import Workspace

from ingest.sandbox.broker import EmbeddedBroker
from ingest.sandbox.simulate.truth_hours import DEMAND_FIELDS, SLA_FIELDS

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCENARIO_DIR = Path(__file__).parent / "fixtures" / "scenarios"
SCENARIOS = sorted(path.name.removesuffix(".expected.json") for path in SCENARIO_DIR.glob("*.expected.json"))
TOPICS = ("network_events_scenarios", "streaming_events_scenarios")
WIRE_TOPICS = {"network_events": TOPICS[0], "streaming_events": TOPICS[1]}

# The simulator's truth lists the same primitives; known_sessions_count is checked as requested_sessions.
_SLA_PRIMITIVES = (*(f for f in SLA_FIELDS if f != "known_sessions_count"), "output_fps_sum")
_GPU_PRIMITIVES = (
    "known_sessions_count",
    "startup_success_sessions",
    "no_orch_sessions",
    "startup_excused_sessions",
    "startup_failed_sessions",
    "confirmed_swapped_sessions",
    "inferred_swap_sessions",
    "total_swapped_sessions",
    "sessions_ending_in_error",
    "status_samples",
    "error_status_samples",
    "output_fps_sum",
    "health_signal_count",
    "health_expected_signal_count",
    "prompt_to_first_frame_sum_ms",
    "prompt_to_first_frame_sample_count",
    "e2e_latency_sum_ms",
    "e2e_latency_sample_count",
    "startup_latency_sum_ms",
    "startup_latency_sample_count",
)
_DEMAND_PRIMITIVES = (
    *(f for f in DEMAND_FIELDS if f != "known_sessions_count"),
    "output_fps_sum",
    "total_minutes",
)
_ORCHESTRATOR_HOUR = ("window_start", "org", "orchestrator_address", "pipeline_id", "model_id", "gpu_id")
# table: (grain, additive primitives). A primitive an expected row leaves out is 0.
HOURLY_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sla_hourly": (_ORCHESTRATOR_HOUR, _SLA_PRIMITIVES),
    "unattributed_sessions_hourly": (
        ("window_start", "org", "pipeline_id", "model_id", "attribution_reason"),
        _SLA_PRIMITIVES,
    ),
    "gpu_metrics_hourly": (_ORCHESTRATOR_HOUR, _GPU_PRIMITIVES),
    "streaming_demand_hourly": (
        ("window_start", "org", "gateway", "pipeline_id", "model_id"),
        _DEMAND_PRIMITIVES,
    ),
}
MARTS = (*HOURLY_TABLES, "sessions", "quarantine_summary", "ingest_batches")


@pytest.fixture(scope="module")
def warehouse(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("scenarios")
    broker.create_topics(TOPICS)
    workspace = Workspace(broker, tmp / "data", TOPICS)
    replay = tmp / "scenarios.jsonl"
    with replay.open("w") as out:
        for record in _scenario_records():
            out.write(json.dumps({**record, "topic": WIRE_TOPICS[record["topic"]]}) + "\n")
    workspace.naap("replay", str(replay))
    workspace.naap("ingest", "--once")
    workspace.naap("build", "--select", *(f"+{mart}" for mart in MARTS))
    return workspace.data_dir / "warehouse.duckdb"


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


def _scenario_records() -> Iterator[dict[str, Any]]:
    for path in sorted(SCENARIO_DIR.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            yield json.loads(line)


def _expected(scenario: str) -> dict[str, Any]:
    return json.loads((SCENARIO_DIR / f"{scenario}.expected.json").read_text())


def _rows_in_window(
    con: duckdb.DuckDBPyConnection, table: str, column: str, window: dict[str, str]
) -> list[dict[str, Any]]:
    """A scenario's rows of one mart: those whose `column` (ISO text) falls in its window."""
    cursor = con.execute(
        f"select * from {table} where {column} >= ? and {column} < ?", [window["from"], window["to"]]
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _differences(found: dict[str, Any], expected: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{column: (found, expected)} for every expected column the row gets wrong."""

    def same(f: Any, e: Any) -> bool:
        if e is None or isinstance(e, bool):
            return f is e
        if isinstance(e, int | float):
            return isinstance(f, int | float) and not isinstance(f, bool) and math.isclose(f, e, abs_tol=1e-9)
        return f == e

    return {c: (found[c], e) for c, e in expected.items() if not same(found[c], e)}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sessions_match_the_hand_computed_rows(con, scenario: str) -> None:
    expected = _expected(scenario)
    found = {
        row["session_key"]: row for row in _rows_in_window(con, "sessions", "last_seen", expected["window"])
    }
    assert set(found) == set(expected["sessions"])
    for key, columns in expected["sessions"].items():
        assert _differences(found[key], columns) == {}, key


@pytest.mark.parametrize("table", HOURLY_TABLES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_hourly_rows_match_the_hand_computed_rows(con, scenario: str, table: str) -> None:
    grain, primitives = HOURLY_TABLES[table]
    expected = _expected(scenario)
    found = {
        tuple(row[k] for k in grain): row
        for row in _rows_in_window(con, table, "window_start", expected["window"])
    }
    wanted = {tuple(row[k] for k in grain): row for row in expected[table]}
    assert set(found) == set(wanted)
    for key, row in wanted.items():
        columns = {p: row.get(p, 0) for p in primitives} | {k: v for k, v in row.items() if k not in grain}
        if table != "gpu_metrics_hourly":
            # §3.2 and §3.5: the known sessions are the requested sessions.
            columns["known_sessions_count"] = columns["requested_sessions"]
        assert _differences(found[key], columns) == {}, key


def test_ignored_app_and_scope_noise_is_quarantined_never_staged(con) -> None:
    quarantine = _expected("ignored_app_and_scope_noise")["quarantine"]
    summary = con.execute(
        "select reason, event_count from quarantine_summary where topic = ? and event_date = ?",
        [WIRE_TOPICS[quarantine["topic"]], quarantine["event_date"]],
    ).fetchall()
    assert dict(summary) == quarantine["reasons"]
    [(leaked,)] = con.execute(
        """
        select count(*) from lake.quarantine as q
        where q.event_id in (select event_id from lake.raw_events)
            or q.event_id in (select event_id from stg_lake__stream_traces)
        """
    ).fetchall()
    assert leaked == 0
    [(staged,)] = con.execute(
        "select count(*) from stg_lake__stream_traces where org = 'daydream'"
    ).fetchall()
    assert staged == quarantine["accepted_stream_traces"]


def test_every_replayed_message_is_accepted_or_quarantined(con) -> None:
    replayed = sum(1 for _ in _scenario_records())
    quarantined = sum(_expected("ignored_app_and_scope_noise")["quarantine"]["reasons"].values())
    [totals] = con.execute(
        "select sum(consumed), sum(accepted), sum(quarantined) from ingest_batches"
    ).fetchall()
    assert totals == (replayed, replayed - quarantined, quarantined)
