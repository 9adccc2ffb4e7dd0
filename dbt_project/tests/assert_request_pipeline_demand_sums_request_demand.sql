{#- request_pipeline_demand_hourly holds request_demand_hourly's primitives summed over org,
    gateway and orchestrator: a key missing on one side or a differing sum fails. -#}
-- It reads whole marts: the daily close and every other build run it, not a micro-batch.
{{ config(tags=['close']) }}
with

demand as (
    select * from {{ ref('request_demand_hourly') }}
),

pipeline_demand as (
    select * from {{ ref('request_pipeline_demand_hourly') }}
),

summed as (
    select
        window_start,
        capability_family,
        capability_name,
        canonical_pipeline,
        pipeline_id,
        canonical_model,
        sum(job_count) as job_count,
        sum(success_count) as success_count,
        sum(duration_sample_count) as duration_sample_count,
        sum(llm_request_count) as llm_request_count,
    from demand
    group by all
),

compared as (
    -- canonical_pipeline is NULL for BYOC: keys match when not distinct.
    select summed.*, pipeline_demand.window_start as pipeline_demand_window_start
    from summed
    full outer join pipeline_demand
        on summed.window_start = pipeline_demand.window_start
        and summed.capability_family = pipeline_demand.capability_family
        and summed.capability_name = pipeline_demand.capability_name
        and summed.canonical_pipeline is not distinct from pipeline_demand.canonical_pipeline
        and summed.pipeline_id = pipeline_demand.pipeline_id
        and summed.canonical_model = pipeline_demand.canonical_model
    where summed.job_count is distinct from pipeline_demand.job_count
        or summed.success_count is distinct from pipeline_demand.success_count
        or summed.duration_sample_count is distinct from pipeline_demand.duration_sample_count
        or summed.llm_request_count is distinct from pipeline_demand.llm_request_count
)

select * from compared
