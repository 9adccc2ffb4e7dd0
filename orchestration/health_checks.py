"""Data-health checks: the signals the system we replace alerts on, as checks on the assets they judge.

Each reads a mart, a small aggregate or a state file, never the lake, so a micro-batch pays a
few milliseconds for each (tests/benchmarks/bench_health_checks.py). Each takes its threshold
from an environment variable read when it runs (ingest/alerts/thresholds.py; README.md "Alerts
and system health" gives the defaults and why), puts the measured value and the threshold first
in its metadata (the alerts sensor sends the first fields), and fails as WARN (the warehouse is
right about what it has; the network or the feed is unwell) or ERROR (data is missing or the
pipeline is behind).

"The last hours" end at the data clock, the newest accepted event, not at wall time, so a replay
of old history is judged as it was when it happened. Too small a sample passes and says so.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import get_asset_key_for_model

from ingest.alerts.thresholds import (
    HEALTH_WINDOW_HOURS,
    MAX_CONSUMER_LAG,
    MAX_PUBLICATION_AGE_MINUTES,
    MAX_QUARANTINE_REASON_JUMP,
    MAX_REDELIVERY_RATE,
    MAX_UNSERVED_RATE,
    MIN_ATTRIBUTION_RATE,
    MIN_HEALTH_COVERAGE,
    MIN_VOLUME_RATIO,
    Threshold,
)
from ingest.lake.store import Lake
from ingest.paths import publish_dir, warehouse_path
from ingest.publication.status import read_status
from ingest.settings import Settings
from orchestration.assets.lake import LAKE_KEYS
from orchestration.assets.publication import PUBLICATION_KEYS
from orchestration.assets.warehouse import warehouse_models
from orchestration.resources import WarehouseResource

WARN, ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR

# Below these, a rate says more about chance than about the network: the check passes.
MIN_SAMPLE = 20  # sessions, session-hours, jobs, signals or messages in the window
MIN_CONSUMED = 1_000  # messages consumed in the newest hour of batches
MIN_BASELINE_EVENTS = 100  # a family's events in the same hours of an earlier day, on average
VOLUME_LOOKBACK_DAYS = 7
REASON_BASELINE_HOURS = 24


def mart_key(name: str) -> dg.AssetKey:
    return get_asset_key_for_model([warehouse_models], name)


@dataclass(frozen=True)
class Window:
    """The last `hours` hours up to the data clock, the clock's own hour counting as one."""

    hours: int
    first_hour: str | None  # as the hourly marts spell window_start (ISO text, UTC); None before any event
    clock: str | None

    @classmethod
    def at_clock(cls, con: duckdb.DuckDBPyConnection, hours: int) -> "Window":
        hours = max(1, hours)
        first_hour, clock = con.execute(
            "select strftime(date_trunc('hour', max(data_clock_at)) - to_hours(? - 1), '%Y-%m-%dT%H:%M:%S'), "
            "strftime(max(data_clock_at), '%Y-%m-%dT%H:%M:%S') from main.stg_lake__data_clock",
            [hours],
        ).fetchone()
        return cls(hours, first_hour, clock)


@dataclass(frozen=True)
class Measured:
    passed: bool
    metadata: dict[str, Any]


def _rate(name: str, part: float, whole: float, limit: float, floor: bool, window: Window) -> Measured:
    """part / whole against a floor or a ceiling; passes, saying so, on fewer than MIN_SAMPLE."""
    rate = part / whole if whole else None
    judged = rate is not None and whole >= MIN_SAMPLE
    failed = judged and (rate < limit if floor else rate > limit)
    return Measured(
        passed=not failed,
        metadata={
            name: float(rate or 0.0),
            ("floor" if floor else "ceiling"): limit,
            "sample": int(whole),
            "judged": judged,
            "since": window.first_hour or "-",
            "data_clock": window.clock or "-",
        },
    )


@dg.asset_check(
    asset=LAKE_KEYS["raw_events"],
    description=(
        "After the micro-batch, no topic has more than NAAP_MAX_CONSUMER_LAG messages left in Kafka "
        "(ingest is falling behind the feed)"
    ),
)
def consumer_lag_small(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    limit = MAX_CONSUMER_LAG.value()
    lag = Lake(warehouse.settings().lake_dir).lag() or {}
    topics = lag.get("topics") or {}
    worst = max(topics, key=topics.get, default=None)
    return dg.AssetCheckResult(
        passed=all(left <= limit for left in topics.values()),
        severity=WARN,
        metadata={
            "max_lag_messages": topics.get(worst, 0),
            "limit_messages": limit,
            "topic": worst or "-",
            "lag_by_topic": dg.MetadataValue.json(topics),
            "measured_at": lag.get("measured_at") or "not measured",
        },
    )


@dg.asset_check(
    asset=PUBLICATION_KEYS["explorer_db"],
    description=(
        "The explorer's database was published under NAAP_MAX_PUBLICATION_AGE_MINUTES ago "
        "(publish/status.json; the explorer serves what it last got)"
    ),
)
def publication_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    limit = MAX_PUBLICATION_AGE_MINUTES.value()
    status = read_status(publish_dir(warehouse.settings())) or {}
    published = status.get("published_at")
    age = (datetime.now(UTC) - datetime.fromisoformat(published)).total_seconds() / 60 if published else None
    return dg.AssetCheckResult(
        passed=age is not None and age <= limit,
        severity=ERROR,
        metadata={
            "age_minutes": round(age, 2) if age is not None else -1.0,
            "limit_minutes": limit,
            "published_at": published or "never",
            "published_data_clock": status.get("data_clock") or "-",
        },
    )


QUARANTINE_REASON_SHARES = f"""
    with batches as (
        select finished_at::timestamp as finished_at, consumed, quarantine_reasons_json
        from main.ingest_batches
    ),
    newest as (select max(finished_at) as newest_at from batches),
    windowed as (
        select
            finished_at > newest_at - interval 1 hour as is_recent,
            consumed,
            quarantine_reasons_json,
        from batches, newest
        where finished_at > newest_at - interval {1 + REASON_BASELINE_HOURS} hour
    ),
    consumed as (
        select
            coalesce(sum(consumed) filter (where is_recent), 0) as recent,
            coalesce(sum(consumed) filter (where not is_recent), 0) as baseline,
        from windowed
    ),
    reasons as (
        select is_recent, unnest(from_json(quarantine_reasons_json, '[{{"reason":"VARCHAR","count":"BIGINT"}}]'), recursive := true)
        from windowed
    ),
    counted as (
        select
            reason,
            coalesce(sum(count) filter (where is_recent), 0) as recent,
            coalesce(sum(count) filter (where not is_recent), 0) as baseline,
        from reasons
        group by reason
    )
    select
        reason,
        counted.recent / nullif(consumed.recent, 0) as recent_share,
        counted.baseline / nullif(consumed.baseline, 0) as baseline_share,
        consumed.recent as recent_consumed,
        consumed.baseline as baseline_consumed,
    from counted, consumed
    order by coalesce(recent_share, 0) - coalesce(baseline_share, 0) desc
"""


VOLUME_BY_FAMILY = f"""
    with clock as (
        select date_trunc('hour', max(data_clock_at))::timestamp as hour from main.stg_lake__data_clock
    ),
    hourly as (
        select
            -- Whole hours back from the clock's hour (0: the hour before it), as days and hours.
            (epoch(clock.hour) - epoch(window_start::timestamp))::bigint // 3600 - 1 as back,
            event_type,
            staged_count,
        from main.event_volume_hourly, clock
        where window_start >= strftime(clock.hour - interval {VOLUME_LOOKBACK_DAYS + 1} day, '%Y-%m-%dT%H:%M:%S')
            and window_start < strftime(clock.hour, '%Y-%m-%dT%H:%M:%S')
    ),
    by_day as (
        select event_type, back // 24 as days_back, sum(staged_count) as events,
        from hourly
        where back % 24 < $hours and back // 24 <= {VOLUME_LOOKBACK_DAYS}
        group by all
    ),
    compared as (
        select
            event_type,
            coalesce(sum(events) filter (where days_back = 0), 0) as recent,
            avg(events) filter (where days_back > 0) as baseline,
        from by_day
        group by event_type
    )
    select event_type, recent, baseline, recent / baseline as ratio
    from compared
    where baseline >= {MIN_BASELINE_EVENTS}
    order by ratio, event_type
"""


def _shares(con: duckdb.DuckDBPyConnection, window: Window) -> Measured:
    limit = MAX_QUARANTINE_REASON_JUMP.value()
    rows = con.execute(QUARANTINE_REASON_SHARES).fetchall()
    reason, recent, baseline, recent_consumed, _ = rows[0] if rows else ("-", None, None, 0, 0)
    judged = recent is not None and baseline is not None and recent_consumed >= MIN_CONSUMED
    jump = (recent or 0.0) - (baseline or 0.0)
    return Measured(
        passed=not (judged and jump > limit),
        metadata={
            "share_jump": jump,
            "limit": limit,
            "reason": reason,
            "recent_share": recent or 0.0,
            "baseline_share": baseline or 0.0,
            "recent_consumed": int(recent_consumed),
            "judged": judged,
        },
    )


def _attribution(con: duckdb.DuckDBPyConnection, window: Window) -> Measured:
    attributed, selected = con.execute(
        "select count(*) filter (where attribution_status in ('resolved', 'hardware_less')), count(*) "
        "from main.sessions where selection_outcome = 'selected' and started_at >= ?",
        [window.first_hour],
    ).fetchone()
    return _rate("attribution_rate", attributed, selected, MIN_ATTRIBUTION_RATE.value(), True, window)


def _hourly_rate(table: str, part: str, whole: str, name: str, setting: Threshold, floor: bool):
    """A check of Σpart / Σwhole over an hourly mart's rows of the window, against a floor or a ceiling."""

    def measure(con: duckdb.DuckDBPyConnection, window: Window) -> Measured:
        part_sum, whole_sum = con.execute(
            f"select coalesce(sum({part}), 0), coalesce(sum({whole}), 0) from main.{table} where window_start >= ?",
            [window.first_hour],
        ).fetchone()
        return _rate(name, part_sum, whole_sum, setting.value(), floor, window)

    return measure


_coverage = _hourly_rate(
    "sla_hourly",
    "health_signal_count",
    "health_expected_signal_count",
    "health_signal_coverage",
    MIN_HEALTH_COVERAGE,
    floor=True,
)
_streaming_unserved = _hourly_rate(
    "streaming_demand_hourly",
    "no_orch_sessions",
    "requested_sessions",
    "unserved_rate",
    MAX_UNSERVED_RATE,
    floor=False,
)
_request_unserved = _hourly_rate(
    "request_demand_hourly", "no_orch_count", "job_count", "unserved_rate", MAX_UNSERVED_RATE, floor=False
)
_redelivery = _hourly_rate(
    "event_volume_hourly",
    "redelivered_count",
    "delivered_count",
    "redelivery_rate",
    MAX_REDELIVERY_RATE,
    floor=False,
)


def _volume(con: duckdb.DuckDBPyConnection, window: Window) -> Measured:
    limit = MIN_VOLUME_RATIO.value()
    rows = con.execute(VOLUME_BY_FAMILY, {"hours": window.hours}).fetchall()
    family, recent, baseline, ratio = rows[0] if rows else ("-", 0, 0.0, None)
    collapsed = [row[0] for row in rows if row[3] < limit]
    return Measured(
        passed=not collapsed,
        metadata={
            "lowest_ratio": float(ratio) if ratio is not None else 1.0,
            "floor": limit,
            "family": family,
            "recent_events": int(recent),
            "baseline_events": float(baseline or 0.0),
            "collapsed": ", ".join(collapsed) or "none",
            "families_judged": len(rows),
        },
    )


@dataclass(frozen=True)
class MartCheck:
    name: str
    mart: str
    severity: dg.AssetCheckSeverity
    description: str
    measure: Callable[[duckdb.DuckDBPyConnection, Window], Measured]

    @property
    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(mart_key(self.mart), self.name)


MART_CHECKS = [
    MartCheck(
        "quarantine_reason_steady", "ingest_batches", WARN,
        "No quarantine reason's share of consumed messages rose by more than "
        "NAAP_MAX_QUARANTINE_REASON_JUMP in the newest hour of batches against the 24 h before "
        "(a producer started sending something new and broken)",
        _shares,
    ),
    MartCheck(
        "attribution_rate_high", "sessions", WARN,
        "Of the live sessions that selected an orchestrator in the last NAAP_HEALTH_WINDOW_HOURS, "
        "at least NAAP_MIN_ATTRIBUTION_RATE were credited to one, resolved or hardware-less "
        "(capability snapshots are missing or late)",
        _attribution,
    ),
    MartCheck(
        "health_signal_coverage_high", "sla_hourly", WARN,
        "SLA rows of the last NAAP_HEALTH_WINDOW_HOURS carry at least NAAP_MIN_HEALTH_COVERAGE of "
        "the health signals expected (status samples are not arriving; scores shrink with coverage)",
        _coverage,
    ),
    MartCheck(
        "streaming_demand_served", "streaming_demand_hourly", WARN,
        "At most NAAP_MAX_UNSERVED_RATE of the live sessions requested in the last "
        "NAAP_HEALTH_WINDOW_HOURS found no orchestrator (demand the network could not serve)",
        _streaming_unserved,
    ),
    MartCheck(
        "request_demand_served", "request_demand_hourly", WARN,
        "At most NAAP_MAX_UNSERVED_RATE of the AI-batch, LLM and BYOC jobs of the last "
        "NAAP_HEALTH_WINDOW_HOURS found no orchestrator (demand the network could not serve)",
        _request_unserved,
    ),
    MartCheck(
        "redelivery_rate_low", "event_volume_hourly", WARN,
        "At most NAAP_MAX_REDELIVERY_RATE of the messages of the last NAAP_HEALTH_WINDOW_HOURS were "
        "redeliveries staging dropped (a producer or consumer is resending; nothing is double-counted)",
        _redelivery,
    ),
    MartCheck(
        "event_volume_steady", "event_volume_hourly", ERROR,
        "No event family fell below NAAP_MIN_VOLUME_RATIO of its volume in the same hours of the "
        "previous days, over the last NAAP_HEALTH_WINDOW_HOURS complete hours (a gateway or a topic "
        "stopped sending it)",
        _volume,
    ),
]  # fmt: skip


def evaluate_mart_checks(
    settings: Settings, selected: Iterable[dg.AssetCheckKey] | None = None
) -> Iterator[dg.AssetCheckResult]:
    """The mart checks (all, or the `selected`), over one read-only connection to the warehouse."""
    wanted = None if selected is None else set(selected)
    with duckdb.connect(str(warehouse_path(settings)), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        window = Window.at_clock(con, round(HEALTH_WINDOW_HOURS.value()))
        for check in MART_CHECKS:
            if wanted is not None and check.key not in wanted:
                continue
            measured = check.measure(con, window)
            yield dg.AssetCheckResult(
                asset_key=check.key.asset_key,
                check_name=check.name,
                passed=bool(measured.passed),
                severity=check.severity,
                metadata=measured.metadata,
            )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(check.name, asset=mart_key(check.mart), description=check.description)
        for check in MART_CHECKS
    ],
    can_subset=True,
    description="The data-health checks of the marts, over one read-only connection to the warehouse",
)
def mart_health(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    yield from evaluate_mart_checks(warehouse.settings(), context.selected_asset_check_keys)


HEALTH_CHECKS = [consumer_lag_small, publication_fresh, mart_health]
