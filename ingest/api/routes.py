"""The 22 endpoints of the contract, by path under /v1, and how one request is answered."""

import json
import logging
from collections.abc import Awaitable, Callable

from ingest.api import dashboard, discover, requests, streaming
from ingest.api.problems import Problem
from ingest.api.query import ApiRequest
from ingest.publication.status import iso

Handler = Callable[[ApiRequest], Awaitable[dict | list]]

ENDPOINTS: dict[str, Handler] = {
    "/dashboard/kpi": dashboard.kpi,
    "/dashboard/pipelines": dashboard.pipelines,
    "/dashboard/orchestrators": dashboard.orchestrators,
    "/dashboard/gpu-capacity": dashboard.gpu_capacity,
    "/dashboard/pipeline-catalog": dashboard.pipeline_catalog,
    "/dashboard/pricing": dashboard.pricing,
    "/dashboard/job-feed": dashboard.job_feed,
    "/streaming/models": streaming.models,
    "/streaming/orchestrators": streaming.orchestrators,
    "/streaming/sla": streaming.sla,
    "/streaming/demand": streaming.demand,
    "/streaming/gpu-metrics": streaming.gpu_metrics,
    "/requests/models": requests.models,
    "/requests/orchestrators": requests.orchestrators,
    "/requests/ai-batch/summary": requests.ai_batch_summary,
    "/requests/ai-batch/jobs": requests.ai_batch_jobs,
    "/requests/ai-batch/llm-summary": requests.llm_summary,
    "/requests/byoc/summary": requests.byoc_summary,
    "/requests/byoc/jobs": requests.byoc_jobs,
    "/requests/byoc/workers": requests.byoc_workers,
    "/requests/byoc/auth": requests.byoc_auth,
    "/discover/orchestrators": discover.orchestrators,
}

# Longer query strings are refused before any parameter is read: no endpoint needs more.
MAX_QUERY_BYTES = 4096
log = logging.getLogger(__name__)
PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "X-Request-Id, Authorization",
    "Access-Control-Max-Age": "600",
}


async def answer(
    path: str, method: str, query_string: str, make_request: Callable[[], ApiRequest | None]
) -> tuple[int, dict[str, str], str]:
    """Status, headers and body of one `/v1` request: the endpoint's JSON or a problem."""
    headers: dict[str, str] = {}
    try:
        handler = ENDPOINTS.get(path.rstrip("/"))
        if handler is None:
            raise Problem(404, f"no endpoint /v1{path}; the endpoints are listed at /v1/docs")
        if method == "OPTIONS":  # a browser's preflight, for a page that sends X-Request-Id
            return 204, PREFLIGHT, ""
        if method not in ("GET", "HEAD"):
            raise Problem(405, "only GET is supported", {"Allow": "GET"})
        if len(query_string) > MAX_QUERY_BYTES:
            raise Problem(400, f"the query string is over {MAX_QUERY_BYTES} bytes")
        request = make_request()
        if request is None:
            raise Problem(503, "nothing is published yet", {"Retry-After": "60"})
        headers["X-Data-Clock"] = iso(request.clock)
        payload = await handler(request)
    except Problem as problem:
        return problem.status, headers | problem.headers, problem.body()
    except Exception:
        log.exception("/v1%s failed", path)
        return 500, headers, Problem(500).body()
    return 200, headers, json.dumps(payload, separators=(",", ":"), ensure_ascii=False) + "\n"
