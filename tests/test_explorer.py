"""The explorer over HTTP: a real `naap run` left serving, and a `naap serve` read while publishing."""

import hashlib
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml
from helpers.processes import Explorer, naap_env

from ingest.alerts.incidents import INCIDENTS_FILE, Incident, write_incidents
from ingest.explorer.metadata import METADATA_PATH
from ingest.paths import database_path
from ingest.publication.mart_catalog import public_marts
from ingest.publication.publish import publish
from ingest.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

METADATA = yaml.safe_load(METADATA_PATH.read_text())
QUERIES = METADATA["databases"]["naap"]["queries"]
DASHBOARDS = METADATA["plugins"]["datasette-dashboards"]
# The readers while publishing read as fast as they can: far past the explorer's rate limit,
# which is not under test there.
NO_RATE_LIMIT = {"NAAP_API_RATE": "off"}


def _db(explorer: Explorer) -> sqlite3.Connection:
    return sqlite3.connect(explorer.data_dir / "publish" / "naap.db")


def _get(explorer: Explorer, path: str, **params: str) -> httpx.Response:
    return httpx.get(explorer.url + path, params=params, timeout=30)


def test_run_ends_serving_and_prints_the_address(explorer_run) -> None:
    assert f"explorer: {explorer_run.url}/" in explorer_run.output()
    assert "publish: 27 tables" in explorer_run.output()


def test_every_public_table_answers_json(explorer_run) -> None:
    with _db(explorer_run) as db:
        for mart in public_marts():
            response = _get(explorer_run, f"/naap/{mart.name}.json", _shape="array", _size="max")
            assert response.status_code == 200, mart.name
            rows = response.json()
            assert len(rows) == db.execute(f'select count(*) from "{mart.name}"').fetchone()[0], mart.name
            assert response.headers["access-control-allow-origin"] == "*"
            if rows:
                assert list(rows[0]) == [c[1] for c in db.execute(f'pragma table_info("{mart.name}")')]


def test_every_canned_query_answers_with_data(explorer_run) -> None:
    with _db(explorer_run) as db:
        # An orchestrator that both served live video and was paid, and one of its hours.
        address, hour = db.execute(
            "select orchestrator_address, min(window_start) from sla_hourly "
            "where orchestrator_address in (select orchestrator_address from payments) "
            "group by orchestrator_address order by sum(requested_sessions) desc limit 1"
        ).fetchone()
    values = {"address": address.upper(), "hour": hour, "since": "2026-01-08", "until": "2026-01-09"}
    assert set(QUERIES) == {
        "orchestrator_sla_report",
        "why_this_score",
        "network_overview_24h",
        "top_unmet_demand",
        "gpu_supply_by_model",
        "orchestrator_payments",
    }
    for name, query in QUERIES.items():
        params = {p: values[p] for p in query.get("params", [])}
        response = _get(explorer_run, f"/naap/{name}.json", _shape="array", **params)
        assert response.status_code == 200, (name, response.text)
        assert response.json(), f"{name} returned no rows for {params}"
    components = _get(
        explorer_run, "/naap/why_this_score.json", _shape="array", address=address, hour=hour
    ).json()
    assert components[-1]["component"] == "sla_score"
    with _db(explorer_run) as db:
        scores = {
            round(s, 4)
            for (s,) in db.execute(
                "select sla_score from sla_hourly where orchestrator_address = ? and window_start = ?",
                [address, hour],
            )
        }
    assert {c["value"] for c in components if c["component"] == "sla_score"} == scores


def _with_filters(query: str, filters: set[str]) -> str:
    """A dashboard query as datasette-dashboards runs it: `[[ ... ]]` kept only when its filters are set."""

    def keep(block: re.Match[str]) -> str:
        return block[1] if set(re.findall(r":(\w+)", block[1])) <= filters else ""

    return re.sub(r"\[\[(.*?)\]\]", keep, query, flags=re.DOTALL)


def test_the_overview_the_sla_report_and_the_drilldown_never_read_a_whole_hourly_table(explorer_run) -> None:
    """Their cost must not grow with history: each reads its hours through an index."""
    queries = {name: QUERIES[name]["sql"] for name in ("network_overview_24h", "orchestrator_sla_report")}
    queries |= {slug: chart["query"] for slug, chart in DASHBOARDS["network-overview"]["charts"].items()}
    # The drilldown opens on its default window of days, for every orchestrator.
    queries |= {
        f"drilldown {slug}": _with_filters(chart["query"], {"days"})
        for slug, chart in DASHBOARDS["orchestrator-drilldown"]["charts"].items()
    }
    assert DASHBOARDS["orchestrator-drilldown"]["filters"]["days"]["default"] == 7
    params = {"address": "0xabc", "since": "2026-01-01", "until": "", "days": 7}
    with _db(explorer_run) as db:
        hourly = {
            name
            for (name,) in db.execute(
                "select m.name from sqlite_master m, pragma_table_info(m.name) c "
                "where m.type = 'table' and c.name = 'window_start'"
            )
        }
        for name, sql in queries.items():
            plan = [step for *_, step in db.execute(f"explain query plan {sql}", params)]
            scans = [step for step in plan if step.startswith("SCAN ") and step.split(" ")[1] in hourly]
            assert scans == [], (name, plan)


def test_a_bad_sort_is_a_client_error(explorer_run) -> None:
    for params in ({"_sort": "nope"}, {"_sort_desc": "nope"}, {"_sort": "org", "_sort_desc": "org"}):
        for path in ("/naap/sla_hourly.json", "/naap/sla_hourly"):
            response = _get(explorer_run, path, **params)
            assert response.status_code == 400, (path, params)
        assert _get(explorer_run, "/naap/sla_hourly.json", **params).json()["ok"] is False


def test_a_filter_value_not_in_the_columns_unit_is_a_client_error(explorer_run) -> None:
    # duration_s has a unit (s), so Datasette reads filter values through pint.
    for params in ({"duration_s__gt": "abc"}, {"duration_s__gt": "5 meter"}, {"duration_s": "abc"}):
        for path in ("/naap/ingest_batches.json", "/naap/ingest_batches"):
            response = _get(explorer_run, path, **params)
            assert response.status_code == 400, (path, params, response.text[:200])
        assert _get(explorer_run, "/naap/ingest_batches.json", **params).json()["ok"] is False
    assert _get(explorer_run, "/naap/ingest_batches.json", duration_s__gt="1min").status_code == 200


def test_write_statements_are_refused(explorer_run) -> None:
    with _db(explorer_run) as db:
        before = db.execute("select count(*) from sla_hourly").fetchone()[0]
    for sql in (
        "delete from sla_hourly",
        "drop table sla_hourly",
        "insert into orchestrators default values",
    ):
        response = _get(explorer_run, "/naap.json", sql=sql)
        assert response.status_code == 400, sql
        assert response.json()["ok"] is False
    with _db(explorer_run) as db:
        assert db.execute("select count(*) from sla_hourly").fetchone()[0] == before


def test_settings_bound_the_queries(explorer_run) -> None:
    settings = _get(explorer_run, "/-/settings.json").json()
    assert settings["sql_time_limit_ms"] <= 5000
    assert settings["max_returned_rows"] <= 10000
    slow = _get(
        explorer_run,
        "/naap.json",
        sql="with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n",
    )
    assert slow.status_code == 400
    assert "interrupted" in slow.text.lower() or "time limit" in slow.text.lower()


def test_the_dashboards_page_lists_every_dashboard(explorer_run) -> None:
    page = _get(explorer_run, "/-/dashboards")
    assert page.status_code == 200
    assert set(DASHBOARDS) == {
        "network-overview",
        "orchestrator-drilldown",
        "supply-inventory",
        "jobs",
        "system-health",
        "economics",
        "live-operations",
        "discover-score",
    }
    for slug, dashboard in DASHBOARDS.items():
        assert f"/-/dashboards/{slug}" in page.text
        assert dashboard["title"] in page.text
        opened = httpx.get(f"{explorer_run.url}/-/dashboards/{slug}", follow_redirects=True, timeout=30)
        assert opened.status_code == 200
        # A dashboard with default filters opens on them (the drilldown on its last 7 days).
        defaults = {
            key: str(f["default"]) for key, f in dashboard.get("filters", {}).items() if "default" in f
        }
        assert {k: v for k, v in opened.url.params.items() if k in defaults} == defaults


def test_every_dashboard_chart_query_returns_rows(explorer_run) -> None:
    for slug, dashboard in DASHBOARDS.items():
        for chart_slug, chart in dashboard["charts"].items():
            sql = _without_optional_clauses(chart["query"])
            response = _get(explorer_run, "/naap.json", sql=sql, _shape="array")
            assert response.status_code == 200, (slug, chart_slug, response.text)
            assert response.json(), f"{slug}/{chart_slug} has no rows"


def _without_optional_clauses(sql: str) -> str:
    """A chart's query with no filter chosen: the optional [[ ... ]] clauses drop out, as the plugin does."""
    while "[[" in sql:
        start = sql.index("[[")
        sql = sql[:start] + sql[sql.index("]]", start) + 2 :]
    return sql


def test_a_metric_over_nothing_says_none_not_zero(explorer_run, tmp_path: Path) -> None:
    # The published tables, empty (their full-text indexes left out): every metric that divides
    # and formats its quotient has nothing to divide by.
    empty = sqlite3.connect(tmp_path / "empty.db")
    with _db(explorer_run) as published:
        tables = "select sql from sqlite_master where type = 'table' and name not like '%_fts%'"
        for (statement,) in published.execute(tables):
            empty.execute(statement)
    dividing = [
        (slug, chart_slug, chart)
        for slug, dashboard in DASHBOARDS.items()
        for chart_slug, chart in dashboard["charts"].items()
        if chart["library"] == "metric" and "nullif(" in chart["query"] and "printf(" in chart["query"]
    ]
    assert len(dividing) >= 4
    for slug, chart_slug, chart in dividing:
        sql = _without_optional_clauses(chart["query"]).replace(":days", "1")
        [(value,)] = empty.execute(sql).fetchall()
        assert value == "none", (slug, chart_slug, value)


def test_the_snapshots_page_lists_files_and_serves_them(explorer_run) -> None:
    manifest = _get(explorer_run, "/-/snapshots/latest/manifest.json").json()
    page = _get(explorer_run, "/-/snapshots")
    assert page.status_code == 200
    assert manifest["snapshot"] in page.text
    for table in manifest["tables"]:
        assert f"{table['bytes']:,}" in page.text
        assert all(entry["sha256"] in page.text for entry in table["files"])
    sla = next(t for t in manifest["tables"] if t["table"] == "sla_hourly")["files"][0]
    download = _get(explorer_run, f"/-/snapshots/{manifest['snapshot']}/{sla['file']}")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == sla["sha256"]
    assert f"sla_hourly-{Path(sla['file']).stem}.parquet" in download.headers["content-disposition"]
    assert _get(explorer_run, "/-/snapshots.json").json()[0]["snapshot"] == manifest["snapshot"]
    for bad in (
        "/-/snapshots/latest/..%2Fnaap.db",
        "/-/snapshots/latest/naap.db",
        "/-/snapshots/latest/sla_hourly/..%2F..%2Fnaap.db",
        "/-/snapshots/nope/manifest.json",
    ):
        response = httpx.get(explorer_run.url + bad, follow_redirects=True, timeout=30)
        assert response.status_code == 404, bad


def test_metadata_describes_every_published_table_and_column(explorer_run) -> None:
    tables = METADATA["databases"]["naap"]["tables"]
    with _db(explorer_run) as db:
        published = {
            name: [c[1] for c in db.execute(f'pragma table_info("{name}")')]
            for (name,) in db.execute(
                "select name from sqlite_master where type = 'table' and name not like '%_fts%'"
            )
        }
    assert set(published) == set(tables)
    for name, columns in published.items():
        described = tables[name]["columns"]
        assert list(described) == columns, name
        assert all(described.values()), name
        referenced = [*tables[name].get("facets", []), *tables[name].get("units", {})]
        referenced += [tables[name][k] for k in ("sort", "sort_desc") if k in tables[name]]
        assert set(referenced) <= set(columns), name
    assert tables["sla_hourly"]["units"]["avg_e2e_latency_ms"] == "ms"


def _counts_sql(extra: str = "") -> str:
    marts = [m.name for m in public_marts()]
    return "select " + ", ".join(
        [*(f'(select count(*) from "{m}") as "{m}"' for m in marts), *filter(None, [extra])]
    )


def _published_copy(explorer_run: Explorer, tmp_path: Path) -> tuple[Settings, Path]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    warehouse = data_dir / "warehouse.duckdb"
    shutil.copy(explorer_run.data_dir / "warehouse.duckdb", warehouse)
    settings = Settings.from_env(naap_env(data_dir))
    publish(settings)
    return settings, warehouse


def _read_while(
    server: Explorer, signature_sql: str, act: Callable[[], None]
) -> tuple[list[tuple], list[str]]:
    """Read every table and the signature through Datasette while `act` publishes; signatures seen, failures."""
    marts = [m.name for m in public_marts()]
    seen: list[tuple] = []
    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for i in range(5000):
                if stop.is_set():
                    return
                table = marts[i % len(marts)]
                response = client.get(f"/naap/{table}.json", params={"_shape": "array", "_size": "5"})
                if response.status_code != 200:
                    failures.append(f"{table}: {response.status_code} {response.text[:200]}")
                signature = client.get("/naap.json", params={"sql": signature_sql, "_shape": "array"})
                if signature.status_code != 200:
                    failures.append(f"signature: {signature.status_code} {signature.text[:200]}")
                else:
                    seen.append(tuple(signature.json()[0].values()))

    reader = threading.Thread(target=read)
    try:
        reader.start()
        act()
        time.sleep(0.5)
    finally:
        stop.set()
        reader.join(timeout=60)
    return seen, failures


def test_a_publish_while_clients_read_is_atomic_and_seen_without_restart(
    explorer_run, tmp_path: Path
) -> None:
    settings, warehouse = _published_copy(explorer_run, tmp_path)
    marts = [m.name for m in public_marts()]
    counts_sql = _counts_sql()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        old = con.execute(counts_sql).fetchone()
    server = Explorer(["serve"], settings.data_dir, tmp_path / "serve.log", timeout_s=60, env=NO_RATE_LIMIT)
    news: list[tuple] = []

    def publishes() -> None:
        for _ in range(3):
            publish(settings)
        # New data: one row fewer in every mart that has two or more.
        with duckdb.connect(str(warehouse)) as con:
            for mart in marts:
                con.execute(
                    f'delete from "{mart}" where rowid = (select min(rowid) from "{mart}") and (select count(*) from "{mart}") > 1'
                )
            news.append(con.execute(counts_sql).fetchone())
        publish(settings)

    try:
        seen, failures = _read_while(server, counts_sql, publishes)
        after = httpx.get(
            server.url + "/naap.json", params={"sql": counts_sql, "_shape": "array"}, timeout=30
        )
    finally:
        server.stop()
    [new] = news
    assert failures == []
    assert len(seen) > 20, "the reader should have overlapped the publishes"
    assert new != old
    # Every read saw one whole publication, old or new, never a mix or a gap.
    assert set(seen) <= {old, new}
    assert tuple(after.json()[0].values()) == new


def test_a_publish_of_one_changed_mart_writes_only_its_rows_and_is_atomic(
    explorer_run, tmp_path: Path
) -> None:
    settings, warehouse = _published_copy(explorer_run, tmp_path)
    # Counts of every table, and a sum that sees each changed row of sla_hourly.
    signature_sql = _counts_sql(
        "(select total(sla_score) + total(requested_sessions) from sla_hourly) as sla"
    )
    with sqlite3.connect(database_path(settings)) as db:
        old = db.execute(signature_sql).fetchone()
    with duckdb.connect(str(warehouse)) as con:
        # One row of sla_hourly changed, one gone and one new: a delete, a replace and an insert,
        # stamped as a build stamps what it recomputes.
        rebuilt = "(select max(built_at) + interval 1 second from sla_hourly)"
        con.execute(
            f"update sla_hourly set sla_score = sla_score + 7, built_at = {rebuilt} "
            "where rowid = (select min(rowid) from sla_hourly)"
        )
        con.execute("delete from sla_hourly where rowid = (select max(rowid) from sla_hourly)")
        con.execute(
            "insert into sla_hourly select * replace ('2026-01-09T00:00:00' as window_start, "
            f"5 as requested_sessions, {rebuilt} as built_at) from sla_hourly limit 1"
        )
    results = []
    server = Explorer(["serve"], settings.data_dir, tmp_path / "serve.log", timeout_s=60, env=NO_RATE_LIMIT)
    try:
        seen, failures = _read_while(server, signature_sql, lambda: results.append(publish(settings)))
        # The reader's repeated signature came from the explorer's cache, which the publish renewed.
        again = [_get(server, "/naap.json", sql=signature_sql, _shape="array") for _ in range(2)]
    finally:
        server.stop()
    [result] = results
    with sqlite3.connect(database_path(settings)) as db:
        new = db.execute(signature_sql).fetchone()
    assert result.rewritten == []
    assert {name: n for name, n in result.rows_written.items() if n} == {"sla_hourly": 3}
    assert failures == []
    assert seen and new != old
    assert set(seen) <= {old, new}
    assert seen[-1] == new
    assert [tuple(r.json()[0].values()) for r in again] == [new, new]
    assert again[-1].headers["x-naap-cache"] == "hit"


def test_healthz_reports_the_publication_and_calls_old_data_stale(explorer_run) -> None:
    answer = _get(explorer_run, "/healthz")
    assert answer.status_code == 200
    body = answer.json()
    # The smoke run simulates 2026-01-08: far past NAAP_MAX_EVENT_AGE_MINUTES, so stale (still 200).
    assert body["status"] == "stale"
    assert body["data_clock"].startswith("2026-01-08T22:")
    assert body["last_batch_finished_at"] <= body["published_at"]
    assert body["lag_messages"] == 0
    assert body["data_age_minutes"] > body["max_event_age_minutes"] == 60
    assert body["incidents"] is None  # `naap run --once` runs no alerts sensor
    incident = Incident(
        "run:micro_batch", "ERROR", "a micro_batch run failed at step lake", {}, "2026-01-08T22:05:00Z"
    )
    publish = explorer_run.data_dir / "publish"
    write_incidents(publish, {incident.id: incident})
    try:
        assert _get(explorer_run, "/healthz").json()["incidents"] == [asdict(incident)]
    finally:
        (publish / INCIDENTS_FILE).unlink()
    home = _get(explorer_run, "/").text
    assert f"Data as of {body['data_clock']}" in home and f"published {body['published_at']}" in home
    dashboard = httpx.get(
        f"{explorer_run.url}/-/dashboards/network-overview", follow_redirects=True, timeout=30
    )
    assert f"Data as of {body['data_clock']}" in dashboard.text


def test_healthz_is_ok_when_fresh_and_503_before_any_publish(monkeypatch) -> None:
    import importlib.util
    from datetime import UTC, datetime, timedelta

    spec = importlib.util.spec_from_file_location(
        "naap_health", METADATA_PATH.parent / "plugins" / "naap_health.py"
    )
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    status = {"data_clock": "2026-12-02T11:30:00Z", "published_at": "2026-12-02T11:31:00Z"}
    assert plugin.health(status, now)[1]["status"] == "ok"
    assert plugin.health(status, now + timedelta(minutes=31))[1]["status"] == "stale"
    monkeypatch.setenv("NAAP_MAX_EVENT_AGE_MINUTES", "10")
    assert plugin.health(status, now)[1]["status"] == "stale"
    code, body = plugin.health(None, now)
    assert code == 503 and body["status"] == "unpublished"
