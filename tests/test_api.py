"""The `/v1` contract over HTTP: a real `naap run` serving its explorer, every endpoint validated
against the OpenAPI document it serves, its numbers against SQL of our own over the published
marts, its pages walked, its errors provoked."""

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest
from helpers.processes import Explorer
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from ingest.api.routes import ENDPOINTS

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ENVELOPES = (
    "/streaming/sla",
    "/streaming/demand",
    "/streaming/gpu-metrics",
    "/requests/ai-batch/jobs",
    "/requests/byoc/jobs",
)
LIVE = "live-video-to-video"


@pytest.fixture(scope="module")
def api(explorer_run: Explorer) -> Iterator["Api"]:
    with httpx.Client(base_url=explorer_run.url + "/v1", timeout=30) as client:
        yield Api(client, explorer_run)


class Api:
    def __init__(self, client: httpx.Client, explorer: Explorer) -> None:
        self.client = client
        self.explorer = explorer
        self.document = client.get("/openapi.json").json()

    def get(self, path: str, **params) -> httpx.Response:
        return self.client.get(path, params=params)

    def ok(self, path: str, **params):
        response = self.get(path, **params)
        assert response.status_code == 200, (path, params, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.text.endswith("\n")
        body = response.json()
        self.validate(path, body)
        return body

    def validate(self, path: str, body) -> None:
        schema = self.document["paths"][f"/v1{path}"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"]
        OAS30Validator({**schema, "components": self.document["components"]}).validate(body)

    def clock(self) -> datetime:
        value = self.get("/dashboard/kpi").headers["x-data-clock"]
        return datetime.fromisoformat(value.replace("Z", ""))

    def db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.explorer.data_dir / "publish" / "naap.db")
        db.row_factory = sqlite3.Row
        return db

    def sql(self, query: str, params: dict | None = None) -> list[sqlite3.Row]:
        with closing(self.db()) as db:
            return db.execute(query, params or {}).fetchall()


def marts_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def test_the_served_document_is_valid_openapi_and_lists_every_endpoint(api: Api) -> None:
    validate_spec(api.document)
    assert set(api.document["paths"]) == {f"/v1{path}" for path in ENDPOINTS}
    assert len(ENDPOINTS) == 22
    for name, schema in api.document["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            assert spec.get("description"), (name, field)


def test_every_endpoint_answers_what_its_document_says_with_the_data_clock(api: Api, explorer_run) -> None:
    status = (explorer_run.data_dir / "publish" / "status.json").read_text()
    for path in ENDPOINTS:
        response = api.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["x-data-clock"] in status
        assert response.headers["access-control-allow-origin"] == "*"
        api.validate(path, response.json())
    for window in ("1h", "6h", "12h", "24h", "2d", "7d", "3"):
        for path in ("/dashboard/kpi", "/dashboard/pipelines", "/dashboard/orchestrators"):
            api.ok(path, window=window)


def test_kpi_equals_sql_over_the_marts_for_a_window_and_a_filter(api: Api) -> None:
    clock = api.clock()
    since, prior = marts_time(clock - timedelta(hours=1)), marts_time(clock - timedelta(hours=2))
    [model] = api.sql(
        "select model_id from streaming_demand_hourly where pipeline_id = ? group by model_id "
        "order by sum(requested_sessions) desc limit 1",
        (LIVE,),
    )
    model = model[0]
    body = api.ok("/dashboard/kpi", window="1h", pipeline=LIVE, model_id=model)
    streaming = body["streaming"]
    [[sessions, successes, minutes]] = api.sql(
        "select sum(requested_sessions), sum(startup_success_sessions), sum(total_minutes) "
        "from streaming_demand_hourly where window_start >= ? and pipeline_id = ? and model_id = ?",
        (since, LIVE, model),
    )
    assert sessions > 0
    assert streaming["dailySessionCount"]["value"] == sessions
    assert streaming["dailyUsageMins"]["value"] == pytest.approx(minutes)
    assert streaming["successRate"]["value"] == pytest.approx(100 * successes / sessions)
    assert 1 < streaming["successRate"]["value"] <= 100  # percent, not a ratio
    assert streaming["timeframeHours"] == 1
    [[eth]] = api.sql(
        "select coalesce(sum(p.expected_value_wei), 0) / 1e18 from payments as p join sessions as s "
        "using (org, session_key) where p.window_start >= ? and s.pipeline_id = ? and s.model_id = ?",
        (since, LIVE, model),
    )
    assert streaming["dailyNetworkFeesEth"]["value"] == pytest.approx(eth)
    assert [h["value"] for h in streaming["hourlySessions"]] == [sessions]
    [[observed, observed_before]] = api.sql(
        "select count(distinct orchestrator_address) filter (where window_start >= :since), "
        "count(distinct orchestrator_address) filter (where window_start < :since) "
        "from offer_observations_hourly where window_start >= :prior and supports_stream = 1 "
        "and pipeline_id = :pipeline and model_id = :model",
        {"since": since, "prior": prior, "pipeline": LIVE, "model": model},
    )
    assert streaming["orchestratorsObserved"]["value"] == observed > 0
    expected_delta = 100 * (observed - observed_before) / observed_before if observed_before else None
    assert streaming["orchestratorsObserved"]["delta"] == pytest.approx(expected_delta)

    whole = api.ok("/dashboard/kpi", window="24h")
    hours = whole["streaming"]["hourlySessions"]
    assert len(hours) == 24 and hours == sorted(hours, key=lambda h: h["hour"])  # zero-filled
    [[jobs, eth]] = api.sql(
        "select (select sum(job_count) from request_demand_hourly where capability_family = 'builtin' "
        "and window_start >= :since), (select sum(expected_value_wei) / 1e18 from payments where window_start >= :since)",
        {"since": marts_time(clock - timedelta(hours=24))},
    )
    assert whole["requests"]["ai_batch"]["total_jobs"] == jobs > 0
    assert whole["streaming"]["dailyNetworkFeesEth"]["value"] == pytest.approx(eth)


def test_dashboard_lists_equal_sql_over_the_marts(api: Api) -> None:
    since = marts_time(api.clock() - timedelta(hours=24))
    pipelines = api.ok("/dashboard/pipelines", limit="200")
    [[sessions]] = api.sql(
        "select sum(requested_sessions) from streaming_demand_hourly where window_start >= ? and pipeline_id = ?",
        (since, LIVE),
    )
    live = next(p for p in pipelines["streaming"] if p["name"] == LIVE)
    assert live["sessions"] == sessions == sum(m["sessions"] for m in live["modelMins"])
    by_pipeline = {r["pipeline"]: r["total_jobs"] for r in pipelines["requests"]["by_pipeline"]}
    assert by_pipeline == {
        r[0]: r[1]
        for r in api.sql(
            "select pipeline_id, count(*) from ai_batch_jobs where window_start >= ? group by 1", (since,)
        )
    }

    orchestrators = api.ok("/dashboard/orchestrators")
    expected = {
        r["orchestrator_address"]: (r["known"], r["started"])
        for r in api.sql(
            "select orchestrator_address, sum(known_sessions_count) as known, sum(startup_success_sessions) as started "
            "from sla_hourly where window_start >= ? and orchestrator_address != '' group by 1",
            (since,),
        )
    }
    served = {o["address"]: o for o in orchestrators if o["knownSessions"]}
    assert {a: (o["knownSessions"], o["successSessions"]) for a, o in served.items()} == expected
    for o in served.values():
        assert o["successRatio"] == pytest.approx(100 * o["successSessions"] / o["knownSessions"])
        assert 0 <= o["effectiveSuccessRate"] <= 1 and 0 <= o["noSwapRatio"] <= 1
    [[known]] = api.sql("select count(*) from orchestrators")
    assert len(orchestrators) >= known

    capacity = api.ok("/dashboard/gpu-capacity")
    [[total, active]] = api.sql(
        "select (select count(distinct orchestrator_address || gpu_id) from capability_offers "
        "where hardware_present = 1 and pipeline_id != '' and model_id != '' and gpu_id != ''), "
        "(select count(distinct orchestrator_address || gpu_id) from live_streams where gpu_id != '')"
    )
    assert (capacity["totalGPUs"], capacity["activeGPUs"]) == (total, active)
    assert capacity["availableCapacity"] == max(total - active, 0)
    assert sum(m["count"] for m in capacity["models"]) == total > 0

    catalog = api.ok("/dashboard/pipeline-catalog")
    pairs = {
        (r[0], r[1])
        for r in api.sql(
            "select pipeline_id, model_id from capability_offers where hardware_present = 1 and pipeline_id != '' and model_id != ''"
        )
    }
    assert {(e["id"], m) for e in catalog for m in e["models"]} == pairs

    feed = api.ok("/dashboard/job-feed", limit="500")
    streams = api.sql("select session_key from live_streams where stream_id != '' order by last_seen desc")
    assert [f["id"] for f in feed] == [r[0] for r in streams][:200]
    for entry in feed:
        assert entry["durationSeconds"] == pytest.approx(
            (
                datetime.fromisoformat(entry["lastSeen"][:-1])
                - datetime.fromisoformat(entry["firstSeen"][:-1])
            ).total_seconds(),
            abs=1,
        )

    prices = api.ok("/dashboard/pricing")
    assert prices and all(p["priceWeiPerUnit"] > 0 and p["pixelsPerUnit"] > 0 for p in prices)


def test_streaming_and_request_lists_equal_sql_over_the_marts(api: Api) -> None:
    models = {m["model"]: m for m in api.ok("/streaming/models")}
    expected = {
        r[0]: r[1]
        for r in api.sql(
            "select model_id, count(distinct orchestrator_address) from capability_offers "
            "where pipeline_id = ? and capability_family = 'builtin' and model_id != '' group by 1",
            (LIVE,),
        )
    }
    assert {m: v["warm_orch_count"] for m, v in models.items()} == expected
    streams = {
        r[0]: r[1]
        for r in api.sql(
            "select model_id, count(*) from live_streams where pipeline_id = ? group by 1", (LIVE,)
        )
    }
    assert {m: v["active_streams"] for m, v in models.items() if v["active_streams"]} == {
        m: n for m, n in streams.items() if m in models
    }

    live_orchestrators = api.ok("/streaming/orchestrators")
    [[offering]] = api.sql(
        "select count(distinct orchestrator_address) from capability_offers where pipeline_id = ?", (LIVE,)
    )
    assert len(live_orchestrators) == offering > 0

    clock = api.clock()
    start, end = clock - timedelta(hours=3), clock
    window = {"start": start.isoformat() + "Z", "end": end.isoformat() + "Z"}
    summary = api.ok("/requests/ai-batch/summary", **window)
    [[jobs]] = api.sql(
        "select sum(job_count) from request_demand_hourly where capability_family = 'builtin' "
        "and canonical_pipeline not in ('', ?) and window_start >= ? and window_start < ?",
        (LIVE, marts_time(start), marts_time(end)),
    )
    assert sum(r["total_jobs"] for r in summary) == jobs > 0
    llm = api.ok("/requests/ai-batch/llm-summary", **window)
    [[requests]] = api.sql(
        "select sum(llm_request_count) from request_demand_hourly where canonical_pipeline = 'llm' "
        "and window_start >= ? and window_start < ?",
        (marts_time(start), marts_time(end)),
    )
    assert sum(r["total_requests"] for r in llm) == requests
    byoc = api.ok("/requests/byoc/summary", **window)
    [[attempts]] = api.sql(
        "select sum(job_count) from request_demand_hourly where capability_family = 'byoc' and window_start >= ? and window_start < ?",
        (marts_time(start), marts_time(end)),
    )
    assert sum(r["total_jobs"] for r in byoc) == attempts
    auth = api.ok("/requests/byoc/auth", **window)
    [[events]] = api.sql(
        "select sum(total_events) from byoc_auth_hourly where capability_name != '' and window_start >= ? and window_start < ?",
        (marts_time(start), marts_time(end)),
    )
    assert sum(r["total_events"] for r in auth) == events
    workers = api.ok("/requests/byoc/workers", **window)
    [[registered]] = api.sql(
        "select count(distinct capability_name || worker_url) from byoc_workers_hourly "
        "where capability_name != '' and last_seen >= ? and last_seen < ?",
        (marts_time(start), marts_time(end)),
    )
    assert sum(r["worker_count"] for r in workers) == registered
    request_models = api.ok("/requests/models")
    assert any(m["job_count_24h"] for m in request_models)
    assert api.ok("/requests/orchestrators")

    discover = api.ok("/discover/orchestrators")
    assert discover and all(0 <= d["score"] <= 1 for d in discover)
    assert discover == sorted(discover, key=lambda d: (-d["score"], -len(d["capabilities"]), d["address"]))
    some = discover[0]["capabilities"][0]
    chosen = api.ok("/discover/orchestrators", caps=some)
    assert chosen and all(some in d["capabilities"] for d in chosen)


def _walk(api: Api, path: str, between=None, **params) -> list[dict]:
    rows, cursor, pages = [], "", 0
    while True:
        body = api.ok(path, limit="3", **params, **({"cursor": cursor} if cursor else {}))
        assert body["pagination"]["page_size"] == len(body["data"]) <= 3
        assert body["pagination"]["has_more"] == bool(body["pagination"]["next_cursor"])
        rows += body["data"]
        pages += 1
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            return rows
        if between and pages == 1:
            between()


def test_walking_the_pages_returns_every_row_of_the_window_once(api: Api) -> None:
    clock = api.clock()
    window = {
        "start": (clock - timedelta(hours=30)).isoformat() + "Z",
        "end": (clock + timedelta(seconds=1)).isoformat() + "Z",
    }
    expected = {
        "/streaming/sla": "select (select count(*) from sla_hourly where pipeline_id = :live) + "
        "(select count(*) from (select 1 from unattributed_sessions_hourly where pipeline_id = :live "
        "group by window_start, org, pipeline_id, model_id))",
        "/streaming/demand": "select count(*) from streaming_demand_hourly where pipeline_id = :live",
        "/streaming/gpu-metrics": "select count(*) from gpu_metrics_hourly where pipeline_id = :live",
        "/requests/ai-batch/jobs": "select count(*) from ai_batch_jobs",
        "/requests/byoc/jobs": "select count(*) from byoc_jobs",
    }
    keys = {
        "/streaming/sla": (
            "window_start",
            "org",
            "orchestrator_address",
            "pipeline_id",
            "model_id",
            "gpu_id",
        ),
        "/streaming/demand": ("window_start", "org", "gateway", "pipeline_id", "model_id"),
        "/streaming/gpu-metrics": (
            "window_start",
            "org",
            "orchestrator_address",
            "pipeline_id",
            "model_id",
            "gpu_id",
        ),
        "/requests/ai-batch/jobs": ("org", "request_id"),
        "/requests/byoc/jobs": ("org", "event_id"),
    }
    for path in ENVELOPES:
        rows = _walk(api, path, **window)
        [[count]] = api.sql(expected[path], {"live": LIVE})
        grains = [tuple(r[k] for k in keys[path]) for r in rows]
        assert len(grains) == len(set(grains)) == count > 3, path
        times = [r.get("window_start") or r["completed_at"] for r in rows]
        assert times == sorted(times, reverse=True), path


def test_a_publish_between_two_pages_adds_no_duplicate(api: Api) -> None:
    """A row newer than the first page (as the next micro-batch's publish adds) is not on a later page."""
    newest = api.sql(
        "select * from sla_hourly where pipeline_id = ? order by window_start desc limit 1", (LIVE,)
    )[0]
    next_hour = datetime.fromisoformat(newest["window_start"]) + timedelta(hours=1)
    added = dict(newest) | {"org": "zz-added", "window_start": marts_time(next_hour)}
    window = {"end": (next_hour + timedelta(hours=1)).isoformat() + "Z"}
    before = _walk(api, "/streaming/sla", **window)

    def publish_a_row() -> None:
        with closing(api.db()) as db, db:
            columns = ", ".join(f'"{c}"' for c in added)
            db.execute(
                f"insert into sla_hourly ({columns}) values ({', '.join('?' * len(added))})",
                list(added.values()),
            )

    try:
        rows = _walk(api, "/streaming/sla", between=publish_a_row, **window)
    finally:
        with closing(api.db()) as db, db:
            db.execute("delete from sla_hourly where org = 'zz-added'")
    grains = [
        (r["window_start"], r["org"], r["orchestrator_address"], r["model_id"], r["gpu_id"]) for r in rows
    ]
    assert len(grains) == len(set(grains))
    assert rows == before and len(rows) > 3


@pytest.mark.parametrize(
    ("path", "query", "status", "detail"),
    [
        ("/dashboard/kpi", "window=1w", 400, "window"),
        ("/dashboard/kpi", "window=0h", 400, "window"),
        ("/dashboard/orchestrators", "window=24H", 400, "window"),
        ("/streaming/sla", "start=yesterday", 400, "RFC 3339"),
        ("/streaming/sla", "end=2026-13-01T00:00:00Z", 400, "end"),
        ("/streaming/sla", "start=2026-01-09T00:00:00Z&end=2026-01-08T00:00:00Z", 400, "before"),
        ("/streaming/sla", "cursor=not-a-cursor!", 400, "invalid cursor"),
        ("/streaming/sla", "cursor=WyJ4Il0", 400, "invalid cursor"),  # ["x"]
        ("/requests/byoc/jobs", "cursor=eyJhIjoxfQ", 400, "invalid cursor"),  # {"a":1}
        ("/streaming/demand", "offset=10", 400, 'query parameter "offset" is no longer supported'),
        ("/requests/ai-batch/jobs", "page=2", 400, '"page"'),
        ("/streaming/gpu-metrics", "page_size=5", 400, '"page_size"'),
        ("/streaming/sla", "limit=abc", 400, "limit"),
        ("/streaming/sla", "limit=0", 400, "limit"),
        ("/streaming/sla", "limit=1001", 400, "limit"),
        ("/dashboard/job-feed", "limit=-3", 400, "limit"),
        ("/dashboard/pipelines", "limit=abc", 400, "limit"),
        ("/dashboard/kpi", "pipeline=" + "x" * 10_000, 400, "query string"),
        ("/no/such/endpoint", "", 404, "no endpoint"),
        ("/", "", 404, "no endpoint"),
    ],
)
def test_bad_requests_are_problems_never_500(
    api: Api, path: str, query: str, status: int, detail: str
) -> None:
    response = api.client.get(path + ("?" + query if query else ""))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "about:blank" and problem["status"] == status
    assert detail in problem["detail"]


def test_ignored_parameters_are_ignored_and_clamped_ones_clamped(api: Api) -> None:
    assert api.ok("/dashboard/gpu-capacity", window="nonsense", limit="1000") == api.ok(
        "/dashboard/gpu-capacity"
    )
    assert api.ok("/dashboard/kpi", window="9999h")["streaming"]["timeframeHours"] == 168
    assert api.client.post("/dashboard/kpi").status_code == 405
    preflight = api.client.options(
        "/streaming/sla",
        headers={"Origin": "https://ui.example", "Access-Control-Request-Headers": "x-request-id"},
    )
    assert (
        preflight.status_code == 204 and "X-Request-Id" in preflight.headers["access-control-allow-headers"]
    )
    paged = api.client.get("/streaming/sla", headers={"X-Request-Id": "ui-42"}).json()
    assert paged["meta"]["request_id"] == "ui-42"


def test_a_query_over_the_time_limit_is_a_503_problem(api: Api, tmp_path) -> None:
    """With a 1 ms limit the heavier endpoints run out of time on this small history: each says so."""
    slow = Explorer(
        ["serve"],
        api.explorer.data_dir,
        tmp_path / "serve.log",
        timeout_s=60,
        env={"NAAP_API_TIME_LIMIT_MS": "1"},
    )
    try:
        query = urlencode({"start": "2020-01-01T00:00:00Z"})
        responses = [httpx.get(f"{slow.url}/v1{path}?{query}", timeout=10) for path in ENDPOINTS]
    finally:
        slow.stop()
    assert {r.status_code for r in responses} <= {200, 503}
    timed_out = [r for r in responses if r.status_code == 503]
    assert timed_out
    for response in timed_out:
        assert response.headers["content-type"] == "application/problem+json"
        assert "took longer than 1 ms" in response.json()["detail"]
        assert response.headers["retry-after"]


def test_the_fields_the_naap_ui_reads_are_there_in_its_units(api: Api) -> None:
    """api-contract.md §4: what livepeer/naap's resolvers read, with the types and units they expect."""
    kpi = api.ok("/dashboard/kpi", window="12h")["streaming"]
    for name in ("successRate", "orchestratorsObserved", "dailyUsageMins", "dailySessionCount"):
        assert set(kpi[name]) == {"value", "delta"}
    assert kpi["successRate"]["value"] > 1  # shown as a percentage
    assert kpi["timeframeHours"] == 12 and kpi["hourlyUsage"] and kpi["hourlySessions"]
    for row in api.ok("/dashboard/pipelines", limit="200", window="12h")["streaming"]:
        assert {"name", "sessions", "mins", "avgFps"} <= set(row)
    for row in api.ok("/dashboard/orchestrators", window="24h"):
        assert {
            "address",
            "serviceUri",
            "knownSessions",
            "successSessions",
            "successRatio",
            "effectiveSuccessRate",
            "noSwapRatio",
            "slaScore",
            "pipelines",
            "pipelineModels",
            "gpuCount",
        } <= set(row)
        if row["slaScore"] is not None:
            assert 0 <= row["slaScore"] <= 100
    capacity = api.ok("/dashboard/gpu-capacity", window="6h")
    assert {"totalGPUs", "activeGPUs", "models", "pipelineGPUs"} <= set(capacity)
    for entry in api.ok("/dashboard/pipeline-catalog"):
        assert {"id", "name", "models", "regions"} <= set(entry)
    for price in api.ok("/dashboard/pricing"):
        assert {"pipeline", "model", "priceWeiPerUnit", "pixelsPerUnit", "isWarm", "orchAddress"} <= set(
            price
        )
    for entry in api.ok("/dashboard/job-feed", limit="50"):
        assert (entry["firstSeen"] and entry["state"] is None) or entry["state"].lower()
    for path in ("/streaming/models", "/requests/models"):
        for row in api.ok(path):
            assert {"pipeline", "model", "warm_orch_count", "gpu_slots"} <= set(row)
    for path, models in (("/streaming/orchestrators", "models"), ("/requests/orchestrators", "capabilities")):
        for row in api.ok(path, limit="1000"):
            assert {"address", "uri", models, "gpu_count", "last_seen"} <= set(row)
    for row in api.ok("/requests/orchestrators"):
        assert all(":" in c for c in row["capabilities"])
    for row in api.ok("/discover/orchestrators"):
        assert {"address", "capabilities", "score", "recent_work", "last_seen_ms"} <= set(row)
        assert all("/" in c for c in row["capabilities"])


def test_the_docs_page_lists_every_endpoint_with_live_examples_and_no_outside_assets(api: Api) -> None:
    response = api.client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    for path in ENDPOINTS:
        assert f"GET /v1{path}" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from elsewhere
    assert "<script" not in page and "<link" not in page
    assert page.count("<pre>") == len(ENDPOINTS)


TIME_SERIES = (
    "fees_hourly",
    "sla_hourly",
    "unattributed_sessions_hourly",
    "streaming_demand_hourly",
    "request_demand_hourly",
    "request_pipeline_demand_hourly",
    "gpu_metrics_hourly",
    "offer_observations_hourly",
    "byoc_auth_hourly",
    "payments",
    "ai_batch_jobs",
    "byoc_jobs",
)


def test_every_endpoint_reads_the_hourly_marts_by_their_time_range(api: Api, monkeypatch) -> None:
    """Each SQL statement an endpoint runs reads a time-series mart through a range of its time
    (or one key), never a scan or an index walk over the whole history."""
    from datasette.app import Datasette
    from datasette.utils import MultiParams

    from ingest.api.query import ApiRequest
    from ingest.paths import DATASETTE_DIR

    statements: list[tuple[str, dict]] = []
    run = ApiRequest.rows

    async def rows(self, sql, params=None):
        statements.append((sql, params or {}))
        return await run(self, sql, params)

    monkeypatch.setattr(ApiRequest, "rows", rows)
    database = api.explorer.data_dir / "publish" / "naap.db"

    clock = api.clock()

    async def answer_all() -> None:
        db = Datasette([str(database)], config_dir=DATASETTE_DIR).get_database("naap")
        for handler in ENDPOINTS.values():
            await handler(ApiRequest(args=MultiParams({}), clock=clock, db=db, time_limit_ms=10_000))

    asyncio.run(answer_all())
    assert len(statements) >= len(ENDPOINTS)
    with closing(api.db()) as db:
        for sql, params in statements:
            for step in db.execute("explain query plan " + sql, params):
                detail = step[3]  # names the table, or its index when the table has an alias
                if any(table in detail for table in TIME_SERIES):
                    assert re.search(r"(window_start|completed_at)[<>=]|session_key=", detail), (detail, sql)
