"""Request demand per hour, built incrementally as from scratch.

request_demand_hourly runs as tests/model_sql.py renders it, over hand-written
request jobs: an hour is aggregated again when a job in it was recomputed, and
when it lies between a recomputed AI batch job's first completion and its latest
(the job may have left that hour).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers.model_sql import IncrementalModel, utc_database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TABLE = "request_demand_hourly"

Job = tuple[str, str, int]  # capability family, job key, hour of completion


class Warehouse:
    """The unioned jobs, the AI batch completions they came from, and the hourly mart."""

    def __init__(self) -> None:
        self.con = utc_database(
            "create table int_request_jobs_unioned (job_key varchar, window_start timestamptz, org varchar,"
            " gateway varchar, execution_mode varchar, capability_family varchar, capability_name varchar,"
            " capability_id int, canonical_pipeline varchar, pipeline_id varchar, canonical_model varchar,"
            " orchestrator_address varchar, orchestrator_uri varchar, selection_outcome varchar,"
            " is_success boolean, duration_ms double, price_per_unit double, has_llm_result boolean,"
            " llm_total_tokens bigint, llm_tokens_per_second double, llm_ttft_ms double,"
            " first_completed_window timestamptz, built_at timestamp)",
        )
        self.first_hours: dict[str, int] = {}
        self.model = IncrementalModel(
            self.con,
            TABLE,
            "window_start",
            sql_macros=("timestamps.sql", "incremental_scope.sql", "request_demand.sql"),
        )

    def build(self, jobs: list[Job]) -> None:
        """Recompute `jobs` upstream (a job completed in that hour), then build the mart."""
        stamp = self.model.stamp()
        for family, key, hour in jobs:
            self.first_hours[key] = min(hour, self.first_hours.get(key, hour))
            self.con.execute(
                "delete from int_request_jobs_unioned where capability_family = ? and job_key = ?",
                (family, key),
            )
            self.con.execute(
                "insert into int_request_jobs_unioned values (?, ?, 'org', '', 'request', ?, 'p', null, 'p', 'p',"
                f" 'm', '', 'u', 'selected', true, 10, 1, false, null, null, null, ?, {stamp})",
                (key, at(hour), family, at(self.first_hours[key])),
            )
        self.model.build(stamp)

    def hours(self) -> dict[str, tuple]:
        found = self.con.execute(f"select window_start, capability_family, job_count from {TABLE}").fetchall()
        return {(hour, family): count for hour, family, count in found}

    def scoped(self) -> set[str]:
        return {hour for (hour,) in self.con.execute(f"select window_start from scope_{TABLE}").fetchall()}


def at(hour: int) -> datetime:
    return T0 + timedelta(hours=hour)


def hours(jobs: list[Job]) -> dict[str, tuple]:
    warehouse = Warehouse()
    warehouse.build(jobs)
    return warehouse.hours()


EARLIER = [("builtin", "r1", 1), ("builtin", "r2", 1), ("byoc", "e1", 2), ("byoc", "e2", 3)]


@pytest.mark.parametrize(
    ("later", "scoped"),
    [
        ([("builtin", "r3", 4)], {"2026-01-01T04:00:00"}),  # a new hour
        ([("byoc", "e3", 2)], {"2026-01-01T02:00:00"}),  # a new job in an hour already aggregated
        # A later completion moves r1 from hour 1 to hour 5: hours 1 to 5 are aggregated again.
        ([("builtin", "r1", 5)], {f"2026-01-01T0{hour}:00:00" for hour in range(1, 6)}),
    ],
)
def test_a_build_after_recomputed_jobs_equals_a_build_from_scratch(
    later: list[Job], scoped: set[str]
) -> None:
    warehouse = Warehouse()
    warehouse.build(EARLIER)
    warehouse.build(later)
    from_scratch = Warehouse()
    from_scratch.build(EARLIER)
    from_scratch.con.execute(f"drop table {TABLE}")
    from_scratch.build(later)
    assert warehouse.hours() == from_scratch.hours()
    assert warehouse.scoped() == scoped
