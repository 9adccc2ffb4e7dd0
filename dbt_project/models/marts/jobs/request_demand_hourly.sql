{#- Request-style demand per hour (reference-behaviour.md §3.6).

    Incrementally, an hour is aggregated again when it holds a job recomputed since
    the last build, or lies inside the build range. A recomputed AI batch job may
    have left an earlier hour (a later completion became its latest): every hour
    from its first completion on is aggregated again too. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set scope_sql -%}
    with recomputed_jobs as (
        select first_completed_window, window_start,
        from {{ ref('int_request_jobs_unioned') }}
        where built_at > {{ last_built_at() }}
    )
    select distinct {{ iso_window('hour') }} as window_start
    from recomputed_jobs, generate_series(first_completed_window, window_start, interval 1 hour) as hours(hour)
    union
    select {{ iso_window('window_start') }} from {{ ref('int_request_jobs_unioned') }}
    where {{ in_build_range('window_start') }}
    union
    select window_start from {{ this }} where {{ in_build_range('window_start::timestamp') }}
{%- endset -%}
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
        count(*) as job_count,
        count(*) filter (where selection_outcome = 'selected') as selected_count,
        count(*) filter (where selection_outcome = 'no_orch') as no_orch_count,
        count(*) filter (where is_success) as success_count,
        coalesce(sum(duration_ms), 0) as duration_ms_sum,
        count(duration_ms) as duration_sample_count,
        coalesce(sum(price_per_unit), 0) as price_sum,
        count(*) filter (where has_llm_result) as llm_request_count,
        count(*) filter (where has_llm_result and is_success) as llm_success_count,
        coalesce(sum(llm_total_tokens) filter (where has_llm_result), 0) as llm_total_tokens_sum,
        count(llm_total_tokens) filter (where has_llm_result) as llm_total_tokens_sample_count,
        coalesce(sum(llm_tokens_per_second) filter (where has_llm_result), 0) as llm_tokens_per_second_sum,
        count(llm_tokens_per_second) filter (where has_llm_result) as llm_tokens_per_second_sample_count,
        coalesce(sum(llm_ttft_ms) filter (where has_llm_result), 0) as llm_ttft_ms_sum,
        count(llm_ttft_ms) filter (where has_llm_result) as llm_ttft_ms_sample_count,
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
