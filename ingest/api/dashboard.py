"""`/v1/dashboard/*`: the NaaP UI's overview (api-contract.md §2, endpoints 1-7).

Windows are the hour buckets with window_start ≥ T - N h (N buckets, the newest one partial),
T the data clock; KPI deltas compare them with the N buckets before (§5.2).
"""

from urllib.parse import urlsplit

from ingest.api import requests
from ingest.api.params import capped_limit, hours_before, window_hours
from ingest.api.query import ApiRequest, as_bool

WEI_PER_ETH = 10**18

_HOURS = """
    with recursive hours(window_start) as (
        select strftime('%Y-%m-%dT%H:00:00', :now)
        union all
        select strftime('%Y-%m-%dT%H:%M:%S', window_start, '-1 hour')
        from hours
        where strftime('%Y-%m-%dT%H:%M:%S', window_start, '-1 hour') >= :from
    )
"""

KPI_SERIES = (
    _HOURS
    + """,
    demand as (
        select
            window_start,
            sum(requested_sessions) as sessions,
            sum(total_minutes) as minutes
        from streaming_demand_hourly
        where window_start >= :from
            and (:pipeline is null or pipeline_id = :pipeline)
            and (:model is null or model_id = :model)
        group by window_start
    )
    select
        hours.window_start || 'Z' as hour,
        coalesce(demand.sessions, 0) as sessions,
        coalesce(demand.minutes, 0.0) as minutes
    from hours
    left join demand using (window_start)
    order by hours.window_start
"""
)

KPI_STREAMING = """
    with demand as (
        select
            coalesce(sum(requested_sessions) filter (where window_start >= :from), 0) as sessions,
            coalesce(sum(requested_sessions) filter (where window_start < :from), 0) as prior_sessions,
            coalesce(sum(startup_success_sessions) filter (where window_start >= :from), 0) as successes,
            coalesce(sum(startup_success_sessions) filter (where window_start < :from), 0) as prior_successes,
            coalesce(sum(total_minutes) filter (where window_start >= :from), 0.0) as minutes,
            coalesce(sum(total_minutes) filter (where window_start < :from), 0.0) as prior_minutes
        from streaming_demand_hourly
        where window_start >= :prior
            and (:pipeline is null or pipeline_id = :pipeline)
            and (:model is null or model_id = :model)
    ),
    observed as (
        select
            count(distinct orchestrator_address) filter (where window_start >= :from) as orchestrators,
            count(distinct orchestrator_address) filter (where window_start < :from) as prior_orchestrators
        from offer_observations_hourly
        where window_start >= :prior
            and supports_stream = 1
            and (:pipeline is null or pipeline_id = :pipeline)
            and (:model is null or model_id = :model)
    ),
    fees as (
        select
            coalesce(sum(expected_value_wei_sum) filter (where window_start >= :from), 0) / :wei_per_eth as eth,
            coalesce(sum(expected_value_wei_sum) filter (where window_start < :from), 0) / :wei_per_eth as prior_eth
        from fees_hourly
        where window_start >= :prior
            and (:pipeline is null or pipeline_id = :pipeline)
            and (:model is null or model_id = :model)
    )
    select
        100.0 * successes / nullif(sessions, 0) as success_rate,
        100.0 * successes / nullif(sessions, 0)
            - 100.0 * prior_successes / nullif(prior_sessions, 0) as success_rate_delta,
        orchestrators,
        100.0 * (orchestrators - prior_orchestrators) / nullif(prior_orchestrators, 0) as orchestrators_delta,
        minutes,
        100.0 * (minutes - prior_minutes) / nullif(prior_minutes, 0) as minutes_delta,
        sessions,
        100.0 * (sessions - prior_sessions) / nullif(prior_sessions, 0) as sessions_delta,
        eth,
        100.0 * (eth - prior_eth) / nullif(prior_eth, 0) as eth_delta
    from demand, observed, fees
"""

JOB_STATS = """
    select
        capability_family,
        sum(job_count) as total_jobs,
        sum(selected_count) as selected_jobs,
        sum(no_orch_count) as no_orch_jobs,
        1.0 * sum(success_count) / nullif(sum(job_count), 0) as success_rate,
        1.0 * sum(duration_ms_sum) / nullif(sum(duration_sample_count), 0) as avg_duration_ms
    from request_pipeline_demand_hourly
    where window_start >= :from
    group by capability_family
"""
_EMPTY_STATS = {
    "total_jobs": 0,
    "selected_jobs": 0,
    "no_orch_jobs": 0,
    "success_rate": None,
    "avg_duration_ms": None,
}


def _window_params(request: ApiRequest, hours: int) -> dict:
    return {
        "now": request.now,
        "from": hours_before(request.clock, hours),
        "prior": hours_before(request.clock, 2 * hours),
        "wei_per_eth": WEI_PER_ETH,
    }


async def _job_stats(request: ApiRequest, params: dict) -> dict:
    found = {r.pop("capability_family"): r for r in await request.rows(JOB_STATS, params)}
    return {"ai_batch": found.get("builtin", _EMPTY_STATS), "byoc": found.get("byoc", _EMPTY_STATS)}


async def kpi(request: ApiRequest) -> dict:
    hours = window_hours(request.args)
    params = _window_params(request, hours) | {
        "pipeline": request.args.get("pipeline") or None,
        "model": request.args.get("model_id") or None,
    }
    totals = await request.row(KPI_STREAMING, params)
    series = await request.rows(KPI_SERIES, params)
    return {
        "streaming": {
            "successRate": {"value": totals["success_rate"], "delta": totals["success_rate_delta"]},
            "orchestratorsObserved": {
                "value": totals["orchestrators"],
                "delta": totals["orchestrators_delta"],
            },
            "dailyUsageMins": {"value": totals["minutes"], "delta": totals["minutes_delta"]},
            "dailySessionCount": {"value": totals["sessions"], "delta": totals["sessions_delta"]},
            "dailyNetworkFeesEth": {"value": totals["eth"], "delta": totals["eth_delta"]},
            "timeframeHours": hours,
            "hourlySessions": [{"hour": r["hour"], "value": r["sessions"]} for r in series],
            "hourlyUsage": [{"hour": r["hour"], "value": r["minutes"]} for r in series],
        },
        "requests": await _job_stats(request, params),
    }


PIPELINE_STREAMING = """
    select
        pipeline_id as pipeline,
        model_id as model,
        sum(requested_sessions) as sessions,
        coalesce(sum(total_minutes), 0.0) as mins,
        sum(output_fps_sum) as fps_sum,
        sum(status_samples) as samples,
        sum(sum(requested_sessions)) over (partition by pipeline_id) as pipeline_sessions,
        sum(sum(total_minutes)) over (partition by pipeline_id) as pipeline_mins,
        1.0 * sum(sum(output_fps_sum)) over (partition by pipeline_id)
            / nullif(sum(sum(status_samples)) over (partition by pipeline_id), 0) as pipeline_fps,
        1.0 * sum(output_fps_sum) / nullif(sum(status_samples), 0) as fps
    from streaming_demand_hourly
    where window_start >= :from and pipeline_id != ''
    group by +pipeline_id, +model_id
    order by pipeline_sessions desc, pipeline_id, sessions desc, model_id
"""


async def pipelines(request: ApiRequest) -> dict:
    hours = window_hours(request.args)
    limit = capped_limit(request.args, default=5, cap=20)
    params = _window_params(request, hours)
    window = {"start": params["from"], "end": hours_before(request.clock, -1)}
    streaming: dict[str, dict] = {}
    for r in await request.rows(PIPELINE_STREAMING, params):
        entry = streaming.setdefault(
            r["pipeline"],
            {
                "name": r["pipeline"],
                "mins": r["pipeline_mins"],
                "sessions": r["pipeline_sessions"],
                "avgFps": r["pipeline_fps"],
                "modelMins": [],
            },
        )
        entry["modelMins"].append(
            {"model": r["model"], "mins": r["mins"], "sessions": r["sessions"], "avgFps": r["fps"]}
        )
    return {
        "streaming": list(streaming.values())[:limit],
        # The hourly request demand, not the jobs one by one: the same sums, a row per hour and key.
        "requests": {
            "by_pipeline": await request.rows(requests.AI_BATCH_SUMMARY, window),
            "by_capability": await request.rows(requests.BYOC_SUMMARY, window),
        },
    }


ORCHESTRATORS = """
    with sla as (
        select
            orchestrator_address as address,
            sum(known_sessions_count) as known_sessions,
            sum(startup_success_sessions) as success_sessions,
            sum(requested_sessions) as requested,
            sum(effective_failed_sessions) as effective_failed,
            sum(total_swapped_sessions) as swapped,
            max(window_start) filter (where sla_score is not null) as scored_hour
        from sla_hourly
        where window_start >= :from and orchestrator_address != ''
        group by +orchestrator_address
    ),
    scores as (
        select
            sla.address,
            sum(s.sla_score * s.requested_sessions) / nullif(sum(s.requested_sessions), 0) as sla_score
        from sla
        join sla_hourly as s
            on s.orchestrator_address = sla.address and s.window_start = sla.scored_hour
        where s.sla_score is not null
        group by sla.address
    ),
    known as (
        select orchestrator_address as address from orchestrators
        union
        select address from sla
    )
    select
        known.address,
        o.orchestrator_uri as service_uri,
        coalesce(sla.known_sessions, 0) as known_sessions,
        coalesce(sla.success_sessions, 0) as success_sessions,
        100.0 * sla.success_sessions / nullif(sla.known_sessions, 0) as success_ratio,
        1.0 - 1.0 * sla.effective_failed / nullif(sla.requested, 0) as effective_success_rate,
        1.0 - 1.0 * sla.swapped / nullif(sla.requested, 0) as no_swap_ratio,
        scores.sla_score,
        sla.scored_hour,
        coalesce(o.gpu_count, 0) as gpu_count
    from known
    left join sla on sla.address = known.address
    left join scores on scores.address = known.address
    left join orchestrators as o on o.orchestrator_address = known.address
    order by known_sessions desc, known.address
"""

OFFERED_PAIRS = """
    select distinct orchestrator_address as address, pipeline_id, model_id
    from capability_offers
    where pipeline_id != ''
    order by orchestrator_address, pipeline_id, model_id
"""


async def orchestrators(request: ApiRequest) -> list[dict]:
    params = _window_params(request, window_hours(request.args))
    offered: dict[str, dict[str, list[str]]] = {}
    for r in await request.rows(OFFERED_PAIRS):
        models = offered.setdefault(r["address"], {}).setdefault(r["pipeline_id"], [])
        if r["model_id"]:
            models.append(r["model_id"])
    answer = []
    for r in await request.rows(ORCHESTRATORS, params):
        pairs = offered.get(r["address"], {})
        answer.append(
            {
                "address": r["address"],
                "serviceUri": r["service_uri"] or None,
                "knownSessions": r["known_sessions"],
                "successSessions": r["success_sessions"],
                "successRatio": r["success_ratio"],
                "effectiveSuccessRate": r["effective_success_rate"],
                "noSwapRatio": r["no_swap_ratio"],
                "slaScore": r["sla_score"],
                "slaWindowStart": r["scored_hour"] and r["scored_hour"] + "Z",
                "pipelines": sorted(pairs),
                "pipelineModels": [{"pipelineId": p, "modelIds": m} for p, m in sorted(pairs.items())],
                "gpuCount": r["gpu_count"],
            }
        )
    return answer


GPU_OFFERS = """
    select distinct
        orchestrator_address || '|' || gpu_id as gpu,
        coalesce(nullif(gpu_model_name, ''), 'Unknown') as gpu_model_name,
        pipeline_id,
        model_id
    from capability_offers
    where hardware_present = 1 and pipeline_id != '' and model_id != '' and gpu_id != ''
"""

GPU_CAPACITY = f"""
    with offers as ({GPU_OFFERS}),
    totals as (
        select
            (select count(distinct gpu) from offers) as total,
            (select count(distinct orchestrator_address || '|' || gpu_id) from live_streams where gpu_id != '')
                as active
    )
    select total, active, max(total - active, 0) as available from totals
"""
GPU_MODELS = f"""
    with offers as ({GPU_OFFERS})
    select gpu_model_name as model, count(distinct gpu) as count
    from offers group by gpu_model_name order by count desc, model
"""
GPU_PIPELINES = f"""
    with offers as ({GPU_OFFERS}),
    pipelines as (
        select pipeline_id, count(distinct gpu) as pipeline_gpus from offers group by pipeline_id
    )
    select pipeline_id, model_id, count(distinct gpu) as gpus, pipelines.pipeline_gpus
    from offers
    join pipelines using (pipeline_id)
    group by pipeline_id, model_id
    order by pipeline_gpus desc, pipeline_id, gpus desc, model_id
"""


async def gpu_capacity(request: ApiRequest) -> dict:
    totals = await request.row(GPU_CAPACITY)
    pipelines_: dict[str, dict] = {}
    for r in await request.rows(GPU_PIPELINES):
        entry = pipelines_.setdefault(
            r["pipeline_id"], {"name": r["pipeline_id"], "gpus": r["pipeline_gpus"], "models": []}
        )
        entry["models"].append({"model": r["model_id"], "gpus": r["gpus"]})
    return {
        "totalGPUs": totals["total"],
        "activeGPUs": totals["active"],
        "availableCapacity": totals["available"],
        "models": await request.rows(GPU_MODELS),
        "pipelineGPUs": list(pipelines_.values()),
    }


PIPELINE_CATALOG = """
    select distinct pipeline_id, model_id
    from capability_offers
    where hardware_present = 1 and pipeline_id != '' and model_id != ''
    order by pipeline_id, model_id
"""


async def pipeline_catalog(request: ApiRequest) -> list[dict]:
    catalog: dict[str, dict] = {}
    for r in await request.rows(PIPELINE_CATALOG):
        entry = catalog.setdefault(
            r["pipeline_id"], {"id": r["pipeline_id"], "name": r["pipeline_id"], "models": [], "regions": []}
        )
        entry["models"].append(r["model_id"])
    return list(catalog.values())


# A builtin capability's pipeline comes from the offers that carry it; a BYOC price (capability 37)
# names its capability in the constraint, and its model is the one its workers register.
PRICING = """
    with pipelines as (
        select distinct capability_id, pipeline_id
        from capability_offers
        where capability_id > 0 and pipeline_id != ''
    ),
    priced as (
        select
            p.orchestrator_address,
            p.capability_id,
            case when p.capability_id = 37 then p."constraint" else pl.pipeline_id end as pipeline,
            case when p.capability_id = 37 then null else nullif(p."constraint", '') end as model,
            p.price_per_unit,
            p.pixels_per_unit
        from prices as p
        left join pipelines as pl on pl.capability_id = p.capability_id
        where p.price_per_unit > 0 and p.pixels_per_unit > 0 and p.capability_id != 0
    ),
    workers as (
        select orchestrator_address, capability_name, max(model_id) as model_id
        from byoc_workers_hourly
        where window_start >= :from and model_id != ''
        group by orchestrator_address, capability_name
    )
    select
        priced.orchestrator_address as orch_address,
        o.orchestrator_uri,
        priced.pipeline,
        coalesce(priced.model, w.model_id, priced.pipeline) as model,
        cast(priced.price_per_unit as integer) as price,
        cast(priced.pixels_per_unit as integer) as pixels,
        exists (
            select 1 from capability_offers as c
            where c.orchestrator_address = priced.orchestrator_address
                and c.pipeline_id = priced.pipeline
                and (priced.capability_id = 37 or c.model_id = coalesce(priced.model, ''))
                and c.hardware_present = 1
        ) as is_warm
    from priced
    left join workers as w
        on priced.capability_id = 37
        and w.orchestrator_address = priced.orchestrator_address
        and w.capability_name = priced.pipeline
    left join orchestrators as o on o.orchestrator_address = priced.orchestrator_address
    where priced.pipeline is not null
    order by orch_address, pipeline, model
"""


async def pricing(request: ApiRequest) -> list[dict]:
    rows = await request.rows(PRICING, {"from": hours_before(request.clock, 24)})
    return [
        {
            "orchAddress": r["orch_address"],
            "orchName": urlsplit(r["orchestrator_uri"]).hostname if r["orchestrator_uri"] else None,
            "pipeline": r["pipeline"],
            "model": r["model"],
            "priceWeiPerUnit": r["price"],
            "pixelsPerUnit": r["pixels"],
            "isWarm": as_bool(r["is_warm"]),
        }
        for r in rows
    ]


JOB_FEED = """
    select
        session_key as id,
        pipeline_id as pipeline,
        nullif(model_id, '') as model,
        gateway,
        orchestrator_address as "orchestratorAddress",
        nullif(coalesce(nullif(orchestrator_url, ''), orchestrator_uri), '') as "orchestratorUrl",
        state,
        input_fps as "inputFps",
        output_fps as "outputFps",
        substr(started_at, 1, 19) || 'Z' as "firstSeen",
        substr(last_seen, 1, 19) || 'Z' as "lastSeen",
        duration_s as "durationSeconds"
    from live_streams
    where stream_id != ''
    order by last_seen desc, org, session_key
    limit :limit
"""


async def job_feed(request: ApiRequest) -> list[dict]:
    return await request.rows(JOB_FEED, {"limit": capped_limit(request.args, default=50, cap=200)})
