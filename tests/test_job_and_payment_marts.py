"""Job, request-demand and payment marts against the simulator's truth and the real capture."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import duckdb
import pytest
from helpers.shared_builds import SharedBuild

# Both tests read a dbt build.
pytestmark = [pytest.mark.kafka, pytest.mark.slow]
# The smoke_built(seed) builds read here, which conftest.py prefetches.
SMOKE_SEEDS = (3,)

# The marts these tests read, with their dbt tests; the shared builds build these and the rest.
MARTS = (
    "+payments",
    "+assert_request_demand_equals_jobs",
    "+assert_byoc_hourly_equal_events",
    "+discovery_latency_hourly",
)
DEMAND_SQL = """
    select
        strptime(window_start, '%Y-%m-%dT%H:%M:%S') as window_start,
        org,
        gateway,
        capability_family,
        capability_name,
        canonical_model,
        sum(job_count),
        sum(selected_count),
        sum(no_orch_count),
        sum(success_count),
        sum(duration_ms_sum),
    from request_demand_hourly
    group by all
"""
PAYMENTS_SQL = """
    select
        org,
        orchestrator_address,
        count(*),
        sum(num_tickets),
        sum(face_value_total_wei),
        sum(expected_value_wei),
    from payments
    group by all
"""


def _query(workspace, sql: str) -> list[tuple]:
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_job_and_payment_marts_match_the_simulator_truth(smoke_built) -> None:
    # Smoke from 2026-01-08 21:50 for 0.25 h, seed 3, replayed, ingested and built (MARTS among the rest).
    built = smoke_built(3)
    workspace, truth = built.workspace, built.truth

    found_hours = {
        (window.replace(tzinfo=UTC), *key): tuple(int(v) for v in values)
        for window, *rest in _query(workspace, DEMAND_SQL)
        for key, values in [(rest[:5], rest[5:])]
    }
    expected_hours = {
        (
            datetime.fromisoformat(r["window_start"]).replace(tzinfo=UTC),
            r["org"],
            r["gateway"].lower(),
            r["capability_family"],
            r["capability_name"],
            r["model_id"],
        ): (r["job_count"], r["selected_count"], r["no_orch_count"], r["success_count"], r["duration_ms_sum"])
        for r in truth["request_hours"]
    }
    assert {k[3] for k in expected_hours} == {"builtin", "byoc"}
    assert found_hours == expected_hours

    found_payments = {(org, orch): rest for org, orch, *rest in _query(workspace, PAYMENTS_SQL)}
    assert set(found_payments) == {(p["org"], p["orchestrator_address"]) for p in truth["payments"]}
    for p in truth["payments"]:
        events, tickets, face, expected_value = found_payments[(p["org"], p["orchestrator_address"])]
        assert (events, tickets, int(face)) == (p["payment_events"], p["tickets"], p["face_value_total_wei"])
        assert expected_value == pytest.approx(p["expected_value_wei"], rel=1e-12)

    [(unresolved,)] = _query(workspace, "select count(*) from payments where link_status = 'unresolved'")
    assert unresolved == 0


def test_the_capture_payments(capture_built: SharedBuild) -> None:
    # The capture replayed onto its topic, ingested and built (MARTS among the rest).
    workspace = capture_built.workspace
    rows = _query(
        workspace,
        """
        select org, orchestrator_address, face_value_wei, win_prob, num_tickets,
               expected_value_per_ticket_wei, expected_value_wei, request_id, link_status, session_key
        from payments
        order by paid_at, event_id
        """,
    )
    assert len(rows) == 6
    assert {r[0] for r in rows} == {"cloudspe"}
    assert {r[1] for r in rows} == {"0xd00354656922168815fcd1e51cbddb9e359e3c7f"}
    # The first payment (2 tickets) and one refill at 2402400000000000 wei, then refills at 2.4e15 wei:
    # face value and winProb co-vary, so the expected value per ticket stays at ~2.4e12 wei.
    assert [(int(r[2]), r[4]) for r in rows] == [(2402400000000000, 2), (2402400000000000, 1)] + [
        (2400000000000000, 1)
    ] * 4
    for _org, _orch, face, win_prob, tickets, per_ticket, total, *_ in rows:
        assert per_ticket == pytest.approx(2.4e12, rel=1e-3)
        assert total == pytest.approx(
            float(Fraction(int(face)) * Fraction(str(win_prob)) * tickets), rel=1e-12
        )
    assert {(r[7], r[8], r[9]) for r in rows} == {
        ("db936fab", "resolved", "cloudspe|stream-o5s73x-mk5zc8fy|db936fab")
    }
    # The capture has no request jobs: the demand mart builds, empty.
    assert _query(workspace, "select count(*) from request_demand_hourly") == [(0,)]
    # One discovery entry: hot wallet 0x52cf…, 77 ms; its URI's only snapshot comes 74 s later and
    # still maps it to the canonical address.
    assert _query(
        workspace,
        "select window_start, org, orchestrator_address, sample_count, p50_latency_ms, uri_mapped_sample_count"
        " from discovery_latency_hourly",
    ) == [("2026-01-08T21:00:00", "cloudspe", "0xd00354656922168815fcd1e51cbddb9e359e3c7f", 1, 77.0, 1)]
