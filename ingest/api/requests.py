"""`/v1/requests/*`: AI batch, LLM and BYOC request jobs, supply and demand (api-contract.md §2, 14-22)."""

import json

from ingest.api.envelope import Paged, page
from ingest.api.params import hours_before, mart_time, time_range
from ingest.api.query import ApiRequest, as_bool

# Request-mode supply: builtin offers that are not live video, and BYOC workers' registrations.
MODELS = """
    with supply as (
        select
            pipeline_id as pipeline,
            model_id as model,
            'ai-batch' as job_type,
            'builtin' as family,
            count(distinct orchestrator_address) as warm_orch_count,
            count(distinct nullif(gpu_id, '')) as gpu_slots
        from capability_offers
        where capability_family = 'builtin' and supports_stream = 0 and model_id != ''
        group by pipeline_id, model_id
        union all
        select
            capability_name,
            model_id,
            'byoc',
            'byoc',
            count(distinct orchestrator_address),
            0
        from byoc_workers_hourly
        where window_start >= :from and model_id != ''
        group by capability_name, model_id
    ),
    demand as (
        select
            pipeline_id as pipeline,
            canonical_model as model,
            capability_family as family,
            sum(job_count) as jobs,
            sum(success_count) as successes,
            sum(duration_ms_sum) as duration_ms_sum,
            sum(duration_sample_count) as duration_samples
        from request_pipeline_demand_hourly
        where window_start >= :from
        group by +pipeline_id, +canonical_model, +capability_family
    )
    select
        supply.pipeline,
        supply.model,
        supply.job_type,
        supply.warm_orch_count,
        supply.gpu_slots,
        coalesce(demand.jobs, 0) as job_count_24h,
        round(1.0 * demand.successes / nullif(demand.jobs, 0), 3) as success_rate,
        cast(round(1.0 * demand.duration_ms_sum / nullif(demand.duration_samples, 0)) as integer) as avg_duration_ms
    from supply
    left join demand using (pipeline, model, family)
    order by job_count_24h desc, warm_orch_count desc, pipeline, model
"""


async def models(request: ApiRequest) -> list[dict]:
    return await request.rows(MODELS, {"from": hours_before(request.clock, 24)})


ORCHESTRATORS = """
    with pairs as (
        select orchestrator_address, pipeline_id || ':' || model_id as capability
        from capability_offers
        where (capability_family = 'byoc' or supports_stream = 0) and model_id != ''
        union
        select orchestrator_address, capability_name || ':' || model_id
        from byoc_workers_hourly
        where window_start >= :from and model_id != ''
    )
    select
        o.orchestrator_address as address,
        o.orchestrator_uri as uri,
        json_group_array(distinct pairs.capability) as capabilities,
        o.gpu_count,
        o.last_observed_at || 'Z' as last_seen
    from orchestrators as o
    join pairs on pairs.orchestrator_address = o.orchestrator_address
    group by o.orchestrator_address
    order by o.gpu_count desc, address
"""


async def orchestrators(request: ApiRequest) -> list[dict]:
    rows = await request.rows(ORCHESTRATORS, {"from": hours_before(request.clock, 24)})
    for row in rows:
        row["capabilities"] = sorted(json.loads(row["capabilities"]))
    return rows


_SUMMARY = """
    select
        {key},
        sum(job_count) as total_jobs,
        sum(selected_count) as selected_jobs,
        sum(no_orch_count) as no_orch_jobs,
        1.0 * sum(success_count) / nullif(sum(job_count), 0) as success_rate,
        1.0 * sum(duration_ms_sum) / nullif(sum(duration_sample_count), 0) as avg_duration_ms
    from request_pipeline_demand_hourly
    where window_start >= :start and window_start < :end and {where}
    group by 1
    order by total_jobs desc, 1
"""
AI_BATCH_SUMMARY = _SUMMARY.format(
    key="canonical_pipeline as pipeline",
    where="capability_family = 'builtin' and canonical_pipeline not in ('', 'live-video-to-video')",
)
BYOC_SUMMARY = _SUMMARY.format(
    key="capability_name as capability", where="capability_family = 'byoc' and capability_name != ''"
)

LLM_SUMMARY = """
    select
        canonical_model as model,
        sum(llm_request_count) as total_requests,
        1.0 * sum(llm_success_count) / sum(llm_request_count) as success_rate,
        1.0 * sum(llm_tokens_per_second_sum) / nullif(sum(llm_tokens_per_second_sample_count), 0)
            as avg_tokens_per_sec,
        1.0 * sum(llm_ttft_ms_sum) / nullif(sum(llm_ttft_ms_sample_count), 0) as avg_ttft_ms,
        1.0 * sum(llm_total_tokens_sum) / nullif(sum(llm_total_tokens_sample_count), 0) as avg_total_tokens
    from request_pipeline_demand_hourly
    where window_start >= :start and window_start < :end
        and capability_family = 'builtin' and canonical_pipeline = 'llm'
        and canonical_model != '' and llm_request_count > 0
    group by canonical_model
    order by total_requests desc, model
"""

# avg_price_per_unit: the mean of each worker's latest price in the range, so that a worker that
# registers often weighs no more than one that registers once.
WORKERS = """
    with latest as (
        select
            capability_name,
            worker_url,
            model_id,
            price_per_unit,
            row_number() over (
                partition by capability_name, worker_url
                order by (price_per_unit is null), last_seen desc
            ) as newest
        from byoc_workers_hourly
        where last_seen >= :start and last_seen < :end and capability_name != ''
    )
    select
        capability_name as capability,
        count(distinct worker_url) as worker_count,
        json_group_array(distinct nullif(model_id, '')) as models,
        avg(price_per_unit) filter (where newest = 1) as avg_price_per_unit
    from latest
    group by capability_name
    order by worker_count desc, capability
"""

AUTH = """
    select
        capability_name as capability,
        sum(total_events) as total_events,
        1.0 * sum(success_count) / nullif(sum(total_events), 0) as success_rate,
        sum(failure_count) as failure_count
    from byoc_auth_hourly
    where window_start >= :start and window_start < :end and capability_name != ''
    group by capability_name
    order by total_events desc, capability
"""


def _range(request: ApiRequest) -> dict:
    start, end = time_range(request.args, request.clock)
    return {"start": mart_time(start), "end": mart_time(end)}


async def ai_batch_summary(request: ApiRequest) -> list[dict]:
    return await request.rows(AI_BATCH_SUMMARY, _range(request))


async def llm_summary(request: ApiRequest) -> list[dict]:
    return await request.rows(LLM_SUMMARY, _range(request))


async def byoc_summary(request: ApiRequest) -> list[dict]:
    return await request.rows(BYOC_SUMMARY, _range(request))


async def byoc_workers(request: ApiRequest) -> list[dict]:
    rows = await request.rows(WORKERS, _range(request))
    for row in rows:
        row["models"] = sorted(m for m in json.loads(row["models"]) if m is not None)
    return rows


async def byoc_auth(request: ApiRequest) -> list[dict]:
    return await request.rows(AUTH, _range(request))


AI_BATCH_JOBS = Paged(
    source="select * from ai_batch_jobs",
    fields="""
        request_id, org, gateway, pipeline_id as pipeline, model_id, completed_at || 'Z' as completed_at,
        is_success as success, tries, cast(coalesce(duration_ms, 0) as integer) as duration_ms,
        orchestrator_url as orch_url, selection_outcome, gpu_model_name, attribution_status
    """,
    time="completed_at",
    keys=("org", "request_id"),
    hourly=False,
)

BYOC_JOBS = Paged(
    source="select * from byoc_jobs",
    fields="""
        coalesce(request_id, '') as request_id, org, capability_name as capability, model_id as model,
        completed_at || 'Z' as completed_at, is_success as success,
        cast(coalesce(duration_ms, 0) as integer) as duration_ms,
        cast(coalesce(http_status, 0) as integer) as http_status, orchestrator_address as orch_address,
        orchestrator_url as orch_url, worker_url, selection_outcome, gpu_model_name, attribution_status,
        error_message as error, event_id
    """,
    time="completed_at",
    keys=("org", "event_id"),
    hourly=False,
)


def _booleans(answer: dict) -> dict:
    for row in answer["data"]:
        row["success"] = as_bool(row["success"])
    return answer


async def ai_batch_jobs(request: ApiRequest) -> dict:
    return _booleans(await page(request, AI_BATCH_JOBS))


async def byoc_jobs(request: ApiRequest) -> dict:
    return _booleans(await page(request, BYOC_JOBS))
