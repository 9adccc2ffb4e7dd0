"""The data-health checks (orchestration/health_checks.py) on the shared smoke build, which must not
trip them, and on copies of it edited with SQL to trip each one; then the real alerts sensor
turning a tripped check into an incident.

The smoke build (seed 3, shared with the session and job tests) holds a quarter of an hour of
every family; the copies cost a file copy each, not a build.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from helpers.shared_builds import SharedBuild

from ingest.alerts.incidents import read_incidents
from ingest.alerts.thresholds import thresholds_in_force
from ingest.lake.store import LAG_FILE
from orchestration.health_checks import (
    MART_CHECKS,
    consumer_lag_small,
    evaluate_mart_checks,
    mart_health,
    publication_fresh,
)
from orchestration.resources import WarehouseResource
from orchestration.sensors import alerts_sensor

pytestmark = pytest.mark.kafka
SMOKE_SEEDS = (3,)


def _resource(data_dir: Path) -> WarehouseResource:
    return WarehouseResource(data_dir=str(data_dir), kafka_bootstrap_servers="")


def _results(data_dir: Path) -> dict[str, dg.AssetCheckResult]:
    return {r.check_name: r for r in evaluate_mart_checks(_resource(data_dir).settings())}


def _meta(result: dg.AssetCheckResult) -> dict:
    return {name: getattr(value, "value", value) for name, value in result.metadata.items()}


@pytest.fixture
def smoke(smoke_built) -> SharedBuild:
    return smoke_built(3)


@pytest.fixture
def tampered(smoke: SharedBuild, tmp_path: Path):
    """tampered(*sql): a copy of the smoke data dir with `sql` run on its warehouse."""

    copies = iter(range(100))

    def tamper(*statements: str) -> Path:
        data_dir = smoke.copy(tmp_path / f"data-{next(copies)}").data_dir
        with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
            con.execute("set TimeZone = 'UTC'")
            for statement in statements:
                con.execute(statement)
        return data_dir

    return tamper


def test_the_smoke_build_trips_none_and_judges_what_it_can(smoke: SharedBuild) -> None:
    results = _results(smoke.data_dir)
    assert set(results) == {check.name for check in MART_CHECKS}
    assert all(r.passed for r in results.values()), {n: _meta(r) for n, r in results.items()}
    # Enough sessions, jobs and messages in a quarter of an hour to judge the rates ...
    for name in ("attribution_rate_high", "health_signal_coverage_high", "redelivery_rate_low"):
        assert _meta(results[name])["judged"], name
    # ... measured from the data clock (January), not from wall time.
    assert _meta(results["attribution_rate_high"])["since"] == "2026-01-08T20:00:00"
    # One ingest batch and one day: no earlier hour or day to compare with, so nothing is judged.
    assert not _meta(results["quarantine_reason_steady"])["judged"]
    assert _meta(results["event_volume_steady"])["families_judged"] == 0
    # Each result leads with the measured value and its threshold (the alert's first fields).
    assert list(_meta(results["redelivery_rate_low"]))[:2] == ["redelivery_rate", "ceiling"]


def test_redeliveries_are_the_lake_deliveries_staging_dropped(smoke: SharedBuild) -> None:
    with duckdb.connect(str(smoke.warehouse), read_only=True) as con:
        mart = dict(
            con.execute(
                "select event_type, [sum(delivered_count), sum(empty_count), sum(staged_count), "
                "sum(redelivered_count)] from event_volume_hourly group by all"
            ).fetchall()
        )
    # Recomputed from the lake itself: every accepted delivery, the deliveries listing no entry
    # (which stage no row), and each other (org, event id) once; worker lifecycle events by
    # their data.id, as stg_lake__worker_lifecycle_events deduplicates them.
    lake: dict[str, list] = {}
    rows = smoke.workspace.lake_rows(
        columns="event_type, org, event_id, json_extract_string(data_json, '$.id'), data_json = '[]'"
    )
    for event_type, org, event_id, data_id, empty in rows:
        key = (org, (data_id or event_id) if event_type == "worker_lifecycle" else event_id)
        counts = lake.setdefault(event_type, [0, 0, set()])
        counts[0] += 1
        if empty and event_type in ("discovery_results", "network_capabilities"):
            counts[1] += 1
        else:
            counts[2].add(key)
    assert mart == {t: [d, e, len(k), d - e - len(k)] for t, (d, e, k) in lake.items()}
    assert sum(r for *_, r in mart.values()) > 0  # the smoke scenario redelivers a few


@pytest.mark.parametrize(
    ("check", "sql", "measured"),
    [
        (
            "attribution_rate_high",
            # Orchestrators missing from the capability snapshots: half the selections unresolved.
            "update sessions set attribution_status = 'unresolved' "
            "where selection_outcome = 'selected' and hash(session_key) % 2 = 0",
            "attribution_rate",
        ),
        (
            "health_signal_coverage_high",
            "update sla_hourly set health_signal_count = health_expected_signal_count // 2",
            "health_signal_coverage",
        ),
        (
            "streaming_demand_served",
            "update streaming_demand_hourly set no_orch_sessions = requested_sessions",
            "unserved_rate",
        ),
        (
            "request_demand_served",
            "update request_demand_hourly set no_orch_count = job_count",
            "unserved_rate",
        ),
        (
            "redelivery_rate_low",
            # A burst of redeliveries: every event came twice more.
            "update event_volume_hourly set delivered_count = 3 * staged_count, "
            "redelivered_count = 2 * staged_count",
            "redelivery_rate",
        ),
    ],
)
def test_a_rate_past_its_threshold_trips_its_check(tampered, check, sql, measured) -> None:
    results = _results(tampered(sql))
    result = results[check]
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    meta = _meta(result)
    assert meta["judged"]
    limit = meta.get("floor", meta.get("ceiling"))
    assert (meta[measured] < limit) if "floor" in meta else (meta[measured] > limit)
    assert [name for name, r in results.items() if not r.passed] == [check]


def test_thresholds_come_from_the_environment(smoke: SharedBuild, monkeypatch) -> None:
    rate = _meta(_results(smoke.data_dir)["attribution_rate_high"])["attribution_rate"]
    monkeypatch.setenv("NAAP_MIN_ATTRIBUTION_RATE", str(min(1.0, rate + 0.01)))
    assert rate < 1 and not _results(smoke.data_dir)["attribution_rate_high"].passed
    monkeypatch.setenv("NAAP_HEALTH_WINDOW_HOURS", "1")
    assert _meta(_results(smoke.data_dir)["attribution_rate_high"])["since"] == "2026-01-08T22:00:00"
    monkeypatch.setenv("NAAP_MAX_REDELIVERY_RATE", "lots")
    with pytest.raises(ValueError, match="NAAP_MAX_REDELIVERY_RATE must be a number, got 'lots'"):
        _results(smoke.data_dir)


def _earlier_days(factor: float, days: int = 3) -> str:
    """The smoke hours copied onto `days` earlier days, each family's events times `factor`."""
    return " union all ".join(
        f"select * replace (strftime(window_start::timestamp - interval {d} day, '%Y-%m-%dT%H:%M:%S') "
        f"as window_start, delivered_count * {factor} as delivered_count, staged_count * {factor} as "
        f"staged_count) from event_volume_hourly"
        for d in range(1, days + 1)
    )


def test_a_family_whose_volume_collapsed_trips_the_volume_check(tampered) -> None:
    # The same hours of three earlier days carried ten times the family volumes: all collapsed.
    collapsed = _results(tampered(f"insert into event_volume_hourly {_earlier_days(10)}"))
    result = collapsed["event_volume_steady"]
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    meta = _meta(result)
    assert meta["families_judged"] > 0 and meta["lowest_ratio"] == pytest.approx(0.1)

    # A family that stopped: present on earlier days, absent from the last hours.
    stopped = _results(
        tampered(
            f"insert into event_volume_hourly {_earlier_days(1)}",
            "delete from event_volume_hourly where event_type = 'ai_stream_status' "
            "and window_start >= '2026-01-08T21:00:00'",
        )
    )["event_volume_steady"]
    assert not stopped.passed and _meta(stopped)["collapsed"] == "ai_stream_status"


def test_the_same_volume_as_earlier_days_does_not_trip_it(tampered) -> None:
    result = _results(tampered(f"insert into event_volume_hourly {_earlier_days(1)}"))["event_volume_steady"]
    assert result.passed and _meta(result)["lowest_ratio"] == pytest.approx(1.0)


def _batch(batch_id: str, finished_at: datetime, consumed: int, invalid_json: int) -> str:
    reasons = json.dumps([{"reason": "invalid_json", "count": invalid_json}])
    at = finished_at.strftime("%Y-%m-%dT%H:%M:%S")
    return (
        f"insert into ingest_batches (batch_id, started_at, finished_at, consumed, accepted, quarantined, "
        f"quarantine_reasons_json) values ('{batch_id}', '{at}', '{at}', {consumed}, "
        f"{consumed - invalid_json}, {invalid_json}, '{reasons}')"
    )


@pytest.mark.parametrize(("recent_invalid", "trips"), [(1_000, True), (20, False)])
def test_a_quarantine_reason_whose_share_jumps_trips_its_check(tampered, recent_invalid, trips) -> None:
    # Batches after the smoke's (ingested now): 20 h at 0.1 % invalid JSON, then the newest hour's.
    day = datetime.now(UTC) + timedelta(days=2)
    data_dir = tampered(
        *(_batch(f"b{h:02}", day + timedelta(hours=h), 10_000, 10) for h in range(20)),
        _batch("b99", day + timedelta(hours=21), 10_000, recent_invalid),
    )
    result = _results(data_dir)["quarantine_reason_steady"]
    meta = _meta(result)
    assert meta["judged"] and meta["reason"] == "invalid_json"
    assert meta["share_jump"] == pytest.approx((recent_invalid - 10) / 10_000)
    assert result.passed is not trips


def test_lag_left_behind_trips_the_consumer_lag_check(smoke: SharedBuild, tmp_path: Path) -> None:
    healthy = consumer_lag_small(warehouse=_resource(smoke.data_dir))
    assert healthy.passed and _meta(healthy)["measured_at"] != "not measured"
    data_dir = smoke.copy(tmp_path / "data").data_dir
    lag = {"measured_at": "2026-01-08T22:06:00+00:00", "topics": {"network_events": 12, "streaming": 80_000}}
    (data_dir / "lake" / LAG_FILE).write_text(json.dumps(lag))
    behind = consumer_lag_small(warehouse=_resource(data_dir))
    assert not behind.passed and behind.severity == dg.AssetCheckSeverity.WARN
    assert _meta(behind)["max_lag_messages"] == 80_000 and _meta(behind)["topic"] == "streaming"


def test_the_lag_history_and_the_feed_age_are_marts_of_what_the_lake_recorded(smoke: SharedBuild) -> None:
    lake = smoke.data_dir / "lake"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    iso = "'%Y-%m-%dT%H:%M:%S.%g'"
    history = con.execute(
        f"select strftime(measured_at, {iso}), topic, lag, after_batch_id from read_parquet(?) order by all",
        [str(lake / "consumer_lag" / "measured_date=*" / "*.parquet")],
    ).fetchall()
    batch_ids = {batch["batch_id"] for batch in smoke.workspace.batches()}
    assert {topic for _, topic, _, _ in history} == set(smoke.workspace.topics)
    assert {after for *_, after in history} <= batch_ids
    # The feed's age at each batch's end, from the lake itself: the newest event any batch
    # finished by then accepted, leaving out events stamped after their own ingest.
    events = lake / "raw_events" / "event_date=*" / "*.parquet"
    con.execute(f"create view events as select * from read_parquet('{events}', hive_partitioning = true)")
    con.execute(
        f"create view batches as select * from read_parquet('{lake / 'ingest_batches' / '*' / '*.parquet'}')"
    )
    ages = con.execute(
        f"""
        select b.batch_id, strftime(max(e.event_ts), {iso}),
            round(epoch(b.finished_at) - epoch(max(e.event_ts)), 3)
        from batches as b
        join batches as earlier on (earlier.finished_at, earlier.batch_id) <= (b.finished_at, b.batch_id)
        join events as e on e.batch_id = earlier.batch_id and e.event_ts <= e.ingested_at
        group by b.batch_id, b.finished_at
        order by b.batch_id
        """
    ).fetchall()
    with duckdb.connect(str(smoke.warehouse), read_only=True) as mart:
        assert (
            mart.execute(
                "select measured_at, topic, lag_messages, after_batch_id from consumer_lag order by all"
            ).fetchall()
            == history
        )
        topic_orgs = mart.execute("select distinct topic, org from consumer_lag").fetchall()
        assert (
            mart.execute(
                "select batch_id, newest_event_at, newest_event_age_s from ingest_batches order by batch_id"
            ).fetchall()
            == ages
        )
        thresholds = mart.execute(
            "select setting, threshold, default_threshold, unit, bound, checks from health_thresholds"
        ).fetchall()
    assert sorted(topic_orgs) == sorted(con.execute("select distinct topic, org from events").fetchall())
    assert ages and all(age > 0 for *_, age in ages)
    assert sorted(thresholds) == sorted(tuple(row.values()) for row in thresholds_in_force())


def test_the_thresholds_mart_holds_the_values_the_build_ran_with(smoke: SharedBuild, tmp_path: Path) -> None:
    workspace = smoke.copy(tmp_path / "data")
    workspace.naap("build", "--select", "health_thresholds", NAAP_MIN_ATTRIBUTION_RATE="0.9")
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = dict(
            con.execute("select setting, [threshold, default_threshold] from health_thresholds").fetchall()
        )
    assert rows["NAAP_MIN_ATTRIBUTION_RATE"] == [0.9, 0.8]
    assert rows["NAAP_MAX_REDELIVERY_RATE"] == [0.02, 0.02]
    # A threshold the checks could not read stops the build before dbt starts, naming it.
    refused = workspace.naap(
        "build", "--select", "health_thresholds", check=False, NAAP_MAX_CONSUMER_LAG="many"
    )
    assert refused.returncode != 0
    assert "NAAP_MAX_CONSUMER_LAG must be a number, got 'many' (unset: 50000)" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_an_old_or_missing_publication_trips_the_publication_check(tmp_path: Path) -> None:
    publish = tmp_path / "data" / "publish"
    assert not publication_fresh(warehouse=_resource(tmp_path / "data")).passed  # never published
    publish.mkdir(parents=True)
    for minutes, fresh in [(1, True), (60, False)]:
        at = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")
        (publish / "status.json").write_text(json.dumps({"published_at": at, "data_clock": None}))
        result = publication_fresh(warehouse=_resource(tmp_path / "data"))
        assert result.passed is fresh and result.severity == dg.AssetCheckSeverity.ERROR
        assert _meta(result)["age_minutes"] == pytest.approx(minutes, abs=0.1)


def test_the_alerts_sensor_opens_an_incident_for_a_tripped_check(tampered, tmp_path: Path) -> None:
    # The real checks in a code location of their own: the marts as specs, a job of the checks.
    data_dir = tampered("update sla_hourly set health_signal_count = 0")
    specs = [dg.AssetSpec(check.key.asset_key) for check in MART_CHECKS]
    job = dg.define_asset_job("micro_batch", selection=dg.AssetSelection.checks(mart_health))
    defs = dg.Definitions(
        assets=specs,
        asset_checks=[mart_health],
        jobs=[job],
        sensors=[alerts_sensor],
        resources={"warehouse": _resource(data_dir)},
    )
    with dg.instance_for_test() as instance:
        run = defs.resolve_job_def("micro_batch").execute_in_process(instance=instance)
        assert run.success  # a failed check does not fail the micro-batch
        evaluated = {e.check_name: e.passed for e in run.get_asset_check_evaluations()}
        assert evaluated == {check.name: check.name != "health_signal_coverage_high" for check in MART_CHECKS}
        with dg.build_sensor_context(
            instance=instance,
            repository_def=defs.get_repository_def(),
            resources={"warehouse": _resource(data_dir)},
        ) as context:
            said = alerts_sensor(context).skip_message
    assert said == "1 open incident(s): check:sla_hourly:health_signal_coverage_high"
    [incident] = read_incidents(data_dir / "publish")
    assert incident["severity"] == "WARN"
    assert incident["fields"]["health_signal_coverage"] == "0" and incident["fields"]["floor"] == "0.8"
    assert "NAAP_MIN_HEALTH_COVERAGE" in incident["summary"]
