{#- Request-style demand per hour (reference-behaviour.md §3.6).

    Incrementally, an hour is aggregated again when it holds a job recomputed since
    the last build, or lies inside the build range. A recomputed AI batch job may
    have left an earlier hour (a later completion became its latest): every hour
    from its first completion on is aggregated again too. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set scope_sql = request_demand_scope_sql() -%}
{%- set scope = incremental_scope(scope_sql) -%}

with

request_jobs as (
    select * from {{ ref('int_request_jobs_unioned') }}
    where true {{ within_hour_scope(scope, 'window_start') }}
),

hourly as (
    select
        window_start,
        org,
        gateway,
        execution_mode,
        capability_family,
        capability_name,
        capability_id,
        canonical_pipeline,
        pipeline_id,
        canonical_model,
        orchestrator_address,
        orchestrator_uri,

        -- additive primitives
        {{ request_demand_sums() }}
    from request_jobs
    group by all
),

derived as (
    select
        {{ iso_window('window_start') }} as window_start,
        * exclude (window_start),
        success_count / nullif(job_count, 0) as success_rate,
        selected_count / nullif(job_count, 0) as selected_rate,
        no_orch_count / nullif(job_count, 0) as no_orch_rate,
        duration_ms_sum / nullif(duration_sample_count, 0) as avg_duration_ms,
        llm_success_count / nullif(llm_request_count, 0) as llm_success_rate,
        llm_tokens_per_second_sum / nullif(llm_tokens_per_second_sample_count, 0) as llm_avg_tokens_per_second,
        llm_ttft_ms_sum / nullif(llm_ttft_ms_sample_count, 0) as llm_avg_ttft_ms,
        {{ build_stamp() }} as built_at,
    from hourly
)

select * from derived
