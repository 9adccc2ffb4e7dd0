"""`/v1/discover/orchestrators`: the targets gateways choose from (api-contract.md §2, 13).

One row per (orchestrator, pipeline) live at the data clock: offers observed in the last 30 minutes
(§5.5) and BYOC workers registered in them. The score is the contract's: where the pipeline has SLA
rows in the last 2 hours (live video), their requested-weighted SLA score over 100, else the share
of its jobs of the last 2 hours that succeeded; 0 with `recent_work` false when it did no work.
(The reference picks by the catalog's stream flag, which BYOC also carries though its work is
request jobs: it would score every BYOC pipeline 0.)
"""

import json
from datetime import timedelta

from ingest.api.params import mart_time
from ingest.api.query import ApiRequest, as_bool

LIVE_MINUTES = 30
SCORE_HOURS = 2

DISCOVER = """
    with offers as (
        select orchestrator_address, orchestrator_uri, pipeline_id, model_id, observed_at as seen_at
        from capability_offers
        where observed_at > :live_since and pipeline_id != ''
        union all
        select orchestrator_address, orchestrator_uri, capability_name, model_id, last_seen
        from byoc_workers_hourly
        where last_seen > :live_since and capability_name != ''
    ),
    orchestrators as (
        select
            orchestrator_address,
            max(seen_at) as last_seen,
            (select o.orchestrator_uri from offers as o
             where o.orchestrator_address = offers.orchestrator_address and o.orchestrator_uri != ''
             order by o.seen_at desc limit 1) as uri
        from offers
        group by orchestrator_address
    ),
    pipelines as (
        select
            orchestrator_address,
            pipeline_id,
            json_group_array(distinct case when model_id != '' then pipeline_id || '/' || model_id end)
                as capabilities,
            count(distinct nullif(model_id, '')) as capability_count
        from offers
        group by orchestrator_address, pipeline_id
    ),
    stream_scores as (
        select orchestrator_address, pipeline_id,
            sum(sla_score * requested_sessions) / nullif(sum(requested_sessions), 0) / 100.0 as score
        from sla_hourly
        where window_start >= :score_since and sla_score is not null
        group by +orchestrator_address, +pipeline_id
    ),
    request_scores as (
        select orchestrator_uri, pipeline_id,
            1.0 * sum(success_count) / nullif(sum(job_count), 0) as score
        from request_demand_hourly
        where window_start >= :score_since
        group by orchestrator_uri, pipeline_id
    )
    select
        orchestrators.uri as address,
        coalesce(s.score, r.score) as score,
        p.capabilities,
        p.capability_count,
        orchestrators.last_seen
    from pipelines as p
    join orchestrators using (orchestrator_address)
    left join stream_scores as s
        on s.orchestrator_address = p.orchestrator_address and s.pipeline_id = p.pipeline_id
    left join request_scores as r
        on r.orchestrator_uri = orchestrators.uri and r.pipeline_id = p.pipeline_id
    where orchestrators.uri is not null
"""


async def orchestrators(request: ApiRequest) -> list[dict]:
    clock = request.clock
    params = {
        "live_since": mart_time(clock - timedelta(minutes=LIVE_MINUTES)),
        "score_since": mart_time(clock - timedelta(hours=SCORE_HOURS)),
    }
    sql = f"""
        with rows as ({DISCOVER})
        select
            address,
            round(coalesce(score, 0), 3) as score,
            capabilities,
            cast(round((julianday(last_seen) - 2440587.5) * 86400000) as integer) as last_seen_ms,
            strftime('%Y-%m-%dT%H:%M:%fZ', last_seen) as last_seen,
            score is not null as recent_work
        from rows
        order by round(coalesce(score, 0), 3) desc, capability_count desc, address
    """
    wanted = {c.strip() for c in request.args.getlist("caps") if c.strip()}
    answer = []
    for row in await request.rows(sql, params):
        capabilities = sorted(c for c in json.loads(row["capabilities"]) if c is not None)
        if wanted and wanted.isdisjoint(capabilities):
            continue
        answer.append({**row, "capabilities": capabilities, "recent_work": as_bool(row["recent_work"])})
    return answer
