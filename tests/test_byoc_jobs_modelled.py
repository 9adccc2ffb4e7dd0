"""BYOC jobs: the worker matched to each attempt, built incrementally as from scratch.

int_byoc_jobs_modelled runs as tests/model_sql.py renders it, over hand-written
attempts and worker events of one or two (org, capability, orchestrator) keys: a
worker event staged after the attempts it serves (late, or at an instant already
seen) must remap exactly the attempts it changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers.model_sql import IncrementalModel, utc_database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TABLE = "int_byoc_jobs_modelled"

Attempt = tuple[str, int, str]  # event id, minute completed, orchestrator
Worker = tuple[str, int, str, str]  # event id, minute, orchestrator, model


class Warehouse:
    """The two staged inputs and the jobs table, built as dbt would."""

    def __init__(self) -> None:
        self.con = utc_database(
            "create table stg_lake__byoc_gateway_events (org varchar, event_id varchar, is_job boolean,"
            " gateway varchar, request_id varchar, capability varchar, attempt_index int, is_streaming boolean,"
            " orchestrator_address varchar, orchestrator_url varchar, orchestrator_url_norm varchar,"
            " is_success boolean, error_message varchar, duration_ms double, http_status int,"
            " event_ts timestamptz, completed_at timestamptz, built_at timestamp)",
            "create table stg_lake__worker_lifecycle_events (org varchar, event_id varchar, capability varchar,"
            " orchestrator_address varchar, event_ts timestamptz, model_id varchar, price_per_unit double,"
            " worker_url varchar, built_at timestamp)",
        )
        self.model = IncrementalModel(self.con, TABLE, "org, event_id", sql_macros=("identities.sql",))

    def build(self, attempts: list[Attempt], workers: list[Worker]) -> None:
        stamp = self.model.stamp()
        for event, minute, orch in attempts:
            self.con.execute(
                "insert into stg_lake__byoc_gateway_events values ('org', ?, true, '0xGW', '', 'chat', 0, false,"
                f" ?, 'https://o', 'https://o', true, '', 100, 200, ?, ?, {stamp})",
                (event, orch, at(minute), at(minute)),
            )
        for event, minute, orch, model in workers:
            self.con.execute(
                f"insert into stg_lake__worker_lifecycle_events values ('org', ?, 'chat', ?, ?, ?, 1, 'w', {stamp})",
                (event, orch, at(minute), model),
            )
        self.model.build(stamp)

    def models(self) -> dict[str, tuple]:
        found = self.con.execute(f"select event_id, model_id, worker_observed_at from {TABLE}").fetchall()
        return {event: tuple(rest) for event, *rest in found}

    def scoped(self) -> set[str]:
        return {event for (event,) in self.con.execute(f"select event_id from scope_{TABLE}").fetchall()}


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def models(attempts: list[Attempt], workers: list[Worker]) -> dict[str, tuple]:
    warehouse = Warehouse()
    warehouse.build(attempts, workers)
    return warehouse.models()


DAY = 24 * 60
EARLIER_ATTEMPTS = [("a1", -10, "0xo"), ("a2", 30, "0xo"), ("a3", 90, "0xo"), ("a4", 40 * DAY, "0xo")]
EARLIER_WORKERS = [("w1", 0, "0xo", "m1"), ("w2", 60, "0xo", "m2")]


def test_an_attempt_takes_the_latest_worker_before_it_within_30_days_else_the_earliest_after() -> None:
    got = models(EARLIER_ATTEMPTS, EARLIER_WORKERS)
    assert got["a1"] == ("m1", at(0))  # none before: the earliest after
    assert got["a2"] == ("m1", at(0))
    assert got["a3"] == ("m2", at(60))
    assert got["a4"] == (None, None)  # the latest before is over 30 days old, none after


@pytest.mark.parametrize(
    ("attempts", "workers", "remapped"),
    [
        ([], [("w3", 20, "0xo", "m3")], {"a2"}),  # between two workers: a closer latest-before
        ([], [("w0", -20, "0xo", "m0")], {"a1"}),  # late, before everything: a1 gets one before it
        ([], [("w2b", 60, "0xo", "m4")], {"a3"}),  # the same instant, a higher event id
        ([], [("w5", 41 * DAY, "0xo", "m5")], {"a4"}),  # after an unmatched attempt
        ([], [("x1", 0, "0xp", "m6")], set()),  # another orchestrator
        ([("a5", 100, "0xo"), ("a6", 5, "0xp")], [], set()),  # new attempts only
    ],
)
def test_a_build_adding_events_equals_a_build_from_scratch(
    attempts: list[Attempt], workers: list[Worker], remapped: set[str]
) -> None:
    warehouse = Warehouse()
    warehouse.build(EARLIER_ATTEMPTS, EARLIER_WORKERS)
    before = warehouse.models()
    warehouse.build(attempts, workers)
    after = warehouse.models()
    assert after == models(EARLIER_ATTEMPTS + attempts, EARLIER_WORKERS + workers)
    assert {event for event in before if after[event] != before[event]} == remapped
    # Only the new attempts and those a new worker event may remap are recomputed.
    assert warehouse.scoped() <= remapped | {event for event, *_ in attempts} | {"a1", "a2", "a3", "a4"}
    if not workers:
        assert warehouse.scoped() == {event for event, *_ in attempts}
