"""`/v1/streaming/*`: live-video supply, SLA, demand and GPU metrics (api-contract.md §2, 8-12)."""

import json

from ingest.api.envelope import Paged, page
from ingest.api.params import hours_before
from ingest.api.query import ApiRequest

MODELS = """
    with offers as (
        select
            model_id,
            count(distinct orchestrator_address) as warm_orch_count,
            count(distinct nullif(gpu_id, '')) as gpu_slots
        from capability_offers
        where pipeline_id = 'live-video-to-video' and capability_family = 'builtin' and model_id != ''
        group by model_id
    ),
    active as (
        select model_id, count(distinct org || '|' || session_key) as active_streams
        from live_streams
        where +pipeline_id = 'live-video-to-video'
        group by model_id
    ),
    fps as (
        select model_id, round(1.0 * sum(output_fps_sum) / nullif(sum(status_samples), 0), 1) as avg_fps
        from sla_hourly
        where +pipeline_id = 'live-video-to-video' and window_start >= :from
        group by +model_id
    )
    select
        'live-video-to-video' as pipeline,
        offers.model_id as model,
        offers.warm_orch_count,
        offers.gpu_slots,
        coalesce(active.active_streams, 0) as active_streams,
        offers.gpu_slots - coalesce(active.active_streams, 0) as available_capacity,
        fps.avg_fps
    from offers
    left join active using (model_id)
    left join fps using (model_id)
    order by warm_orch_count desc, model
"""


async def models(request: ApiRequest) -> list[dict]:
    return await request.rows(MODELS, {"from": hours_before(request.clock, 24)})


# An orchestrator's inventory (its URI, GPUs and when it was last seen) is its latest snapshot.
ORCHESTRATORS = """
    select
        o.orchestrator_address as address,
        o.orchestrator_uri as uri,
        json_group_array(distinct c.model_id) as models,
        o.gpu_count,
        o.last_observed_at || 'Z' as last_seen
    from orchestrators as o
    join capability_offers as c on c.orchestrator_address = o.orchestrator_address
    where c.pipeline_id = 'live-video-to-video' and c.capability_family = 'builtin' and c.model_id != ''
    group by o.orchestrator_address
    order by o.gpu_count desc, address
"""


async def orchestrators(request: ApiRequest) -> list[dict]:
    rows = await request.rows(ORCHESTRATORS)
    for row in rows:
        row["models"] = sorted(json.loads(row["models"]))
    return rows


SLA = Paged(
    source="""
        select
            window_start, org, orchestrator_address, pipeline_id,
            coalesce(model_id, '') as model_id, coalesce(gpu_id, '') as gpu_id,
            requested_sessions, startup_success_sessions,
            effective_success_rate, no_swap_rate, avg_output_fps, sla_score
        from sla_hourly
        where +pipeline_id = 'live-video-to-video'
        union all
        select
            window_start, org, '' as orchestrator_address, pipeline_id,
            coalesce(model_id, '') as model_id, '' as gpu_id,
            sum(requested_sessions),
            sum(startup_success_sessions),
            1.0 - 1.0 * sum(effective_failed_sessions) / nullif(sum(requested_sessions), 0),
            1.0 - 1.0 * sum(total_swapped_sessions) / nullif(sum(requested_sessions), 0),
            1.0 * sum(output_fps_sum) / nullif(sum(status_samples), 0),
            null
        from unattributed_sessions_hourly
        where +pipeline_id = 'live-video-to-video'
        group by window_start, org, pipeline_id, model_id
    """,
    fields="""
        window_start || 'Z' as window_start, org, orchestrator_address, pipeline_id, model_id, gpu_id,
        requested_sessions, startup_success_sessions, effective_success_rate, no_swap_rate,
        avg_output_fps, sla_score
    """,
    time="window_start",
    keys=("org", "orchestrator_address", "pipeline_id", "model_id", "gpu_id"),
    hourly=True,
)

DEMAND = Paged(
    source="""
        select
            window_start, org, gateway, pipeline_id, coalesce(model_id, '') as model_id,
            requested_sessions, startup_success_sessions, no_orch_sessions,
            effective_success_rate, total_minutes
        from streaming_demand_hourly
        where +pipeline_id = 'live-video-to-video'
    """,
    fields="""
        window_start || 'Z' as window_start, org, gateway, pipeline_id, model_id, requested_sessions,
        startup_success_sessions, no_orch_sessions, effective_success_rate, total_minutes
    """,
    time="window_start",
    keys=("org", "gateway", "pipeline_id", "model_id"),
    hourly=True,
)

GPU_METRICS = Paged(
    source="""
        select
            window_start, org, orchestrator_address, pipeline_id,
            coalesce(model_id, '') as model_id, gpu_id, gpu_model_name,
            known_sessions_count, startup_success_sessions, avg_output_fps, avg_e2e_latency_ms,
            avg_prompt_to_first_frame_ms, swap_rate
        from gpu_metrics_hourly
        where +pipeline_id = 'live-video-to-video'
    """,
    fields="""
        window_start || 'Z' as window_start, org, orchestrator_address, pipeline_id, model_id, gpu_id,
        gpu_model_name, known_sessions_count, startup_success_sessions, avg_output_fps,
        avg_e2e_latency_ms, avg_prompt_to_first_frame_ms, swap_rate
    """,
    time="window_start",
    keys=("org", "orchestrator_address", "pipeline_id", "model_id", "gpu_id"),
    hourly=True,
)


async def sla(request: ApiRequest) -> dict:
    return await page(request, SLA)


async def demand(request: ApiRequest) -> dict:
    return await page(request, DEMAND)


async def gpu_metrics(request: ApiRequest) -> dict:
    return await page(request, GPU_METRICS)
