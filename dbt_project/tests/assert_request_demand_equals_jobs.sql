{#- request_demand_hourly equals a fresh aggregation of the job marts
    (reference-behaviour.md §4): full outer join on the demand key, any row
    missing on one side or differing in a primitive fails. -#}
-- It reads whole marts: the daily close and every other build run it, not a micro-batch.
{{ config(tags=['close']) }}
with

batch_jobs as (
    select * from {{ ref('ai_batch_jobs') }}
),

byoc_jobs as (
    select * from {{ ref('byoc_jobs') }}
),

demand as (
    select * from {{ ref('request_demand_hourly') }}
),

jobs as (
    select
        window_start,
        org,
        gateway,
        'builtin' as capability_family,
        pipeline_id as capability_name,
        model_id as canonical_model,
        '' as orchestrator_address,
        orchestrator_uri,
        selection_outcome,
        is_success,
        duration_ms,
    from batch_jobs
    union all
    select
        window_start,
        org,
        gateway,
        'byoc' as capability_family,
        capability_name,
        coalesce(model_id, '') as canonical_model,
        orchestrator_address,
        orchestrator_uri,
        selection_outcome,
        is_success,
        duration_ms,
    from byoc_jobs
),

recomputed as (
    select
        window_start,
        org,
        gateway,
        capability_family,
        capability_name,
        canonical_model,
        orchestrator_address,
        orchestrator_uri,
        count(*) as job_count,
        count(*) filter (where selection_outcome = 'selected') as selected_count,
        count(*) filter (where selection_outcome = 'no_orch') as no_orch_count,
        count(*) filter (where is_success) as success_count,
        coalesce(sum(duration_ms), 0) as duration_ms_sum,
    from jobs
    group by all
),

published as (
    select
        window_start,
        org,
        gateway,
        capability_family,
        capability_name,
        canonical_model,
        orchestrator_address,
        orchestrator_uri,
        sum(job_count) as job_count,
        sum(selected_count) as selected_count,
        sum(no_orch_count) as no_orch_count,
        sum(success_count) as success_count,
        sum(duration_ms_sum) as duration_ms_sum,
    from demand
    group by all
),

mismatches as (
    select
        coalesce(published.window_start, recomputed.window_start) as window_start,
        coalesce(published.org, recomputed.org) as org,
        coalesce(published.capability_name, recomputed.capability_name) as capability_name,
        published.job_count as published_job_count,
        recomputed.job_count as recomputed_job_count,
    from published
    full outer join recomputed
        on published.window_start = recomputed.window_start
        and published.org = recomputed.org
        and published.gateway = recomputed.gateway
        and published.capability_family = recomputed.capability_family
        and published.capability_name = recomputed.capability_name
        and published.canonical_model = recomputed.canonical_model
        and published.orchestrator_address = recomputed.orchestrator_address
        and published.orchestrator_uri = recomputed.orchestrator_uri
    where published.job_count is distinct from recomputed.job_count
        or published.selected_count is distinct from recomputed.selected_count
        or published.no_orch_count is distinct from recomputed.no_orch_count
        or published.success_count is distinct from recomputed.success_count
        or published.duration_ms_sum is distinct from recomputed.duration_ms_sum
)

select * from mismatches
