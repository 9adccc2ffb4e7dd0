{#- Every request-style job (AI batch, LLM as AI batch of pipeline 'llm', BYOC
    attempt) at the request-demand key of reference-behaviour.md §3.6, with its
    additive flags. LLM results join their AI batch job 1:1 on (org, request_id).

    Incrementally, the jobs whose AI batch job, LLM result or BYOC attempt was
    recomputed since the last build are unioned again. An AI batch job's hour is
    that of its latest completion, so a later completion moves it: each job keeps
    the hour of its first completion, and the hours between are where it may have
    been before. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'capability_family', 'job_key']},
) }}
{%- set scope_sql -%}
    select org, 'builtin' as capability_family, request_id as job_key
    from {{ ref('int_ai_batch_jobs_assembled') }} where built_at > {{ last_built_at() }}
    union
    select org, 'builtin', request_id from {{ ref('int_llm_requests_latest') }} where built_at > {{ last_built_at() }}
    union
    select org, 'byoc', event_id from {{ ref('int_byoc_jobs_modelled') }} where built_at > {{ last_built_at() }}
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}

with

batch_jobs as (
    select * from {{ ref('int_ai_batch_jobs_assembled') }}
    where true {{ within_scope(scope, '(org, request_id)', 'org, job_key', "capability_family = 'builtin'") }}
),

llm_results as (
    select * from {{ ref('int_llm_requests_latest') }}
    where true {{ within_scope(scope, '(org, request_id)', 'org, job_key', "capability_family = 'builtin'") }}
),

first_completions as (
    select
        org,
        request_id,
        date_trunc('hour', min(event_ts)) as first_completed_window,
    from {{ ref('stg_lake__ai_batch_requests') }}
    where is_completed {{ within_scope(scope, '(org, request_id)', 'org, job_key', "capability_family = 'builtin'") }}
    group by all
),

byoc_jobs as (
    select * from {{ ref('int_byoc_jobs_modelled') }}
    where true {{ within_scope(scope, '(org, event_id)', 'org, job_key', "capability_family = 'byoc'") }}
),

batch_rows as (
    select
        batch_jobs.request_id as job_key,
        batch_jobs.window_start,
        batch_jobs.org,
        batch_jobs.gateway,
        'request' as execution_mode,
        'builtin' as capability_family,
        batch_jobs.pipeline as capability_name,
        cast(null as integer) as capability_id,
        batch_jobs.pipeline as canonical_pipeline,
        batch_jobs.pipeline as pipeline_id,
        batch_jobs.model_id as canonical_model,
        '' as orchestrator_address,
        batch_jobs.orchestrator_uri,
        batch_jobs.selection_outcome,
        batch_jobs.is_success,
        batch_jobs.duration_ms,
        batch_jobs.price_per_unit,
        batch_jobs.pipeline = 'llm' and llm_results.request_id is not null as has_llm_result,
        llm_results.total_tokens as llm_total_tokens,
        llm_results.tokens_per_second as llm_tokens_per_second,
        llm_results.time_to_first_token_ms as llm_ttft_ms,
        least(first_completions.first_completed_window, batch_jobs.window_start) as first_completed_window,
    from batch_jobs
    left join llm_results
        on llm_results.org = batch_jobs.org
        and llm_results.request_id = batch_jobs.request_id
        and batch_jobs.pipeline = 'llm'
    left join first_completions
        on first_completions.org = batch_jobs.org
        and first_completions.request_id = batch_jobs.request_id
),

byoc_rows as (
    select
        event_id as job_key,
        window_start,
        org,
        gateway,
        'request' as execution_mode,
        'byoc' as capability_family,
        capability as capability_name,
        37 as capability_id,
        cast(null as varchar) as canonical_pipeline,
        capability as pipeline_id,
        coalesce(model_id, '') as canonical_model,
        orchestrator_address,
        orchestrator_uri,
        selection_outcome,
        is_success,
        duration_ms,
        price_per_unit,
        false as has_llm_result,
        cast(null as bigint) as llm_total_tokens,
        cast(null as double) as llm_tokens_per_second,
        cast(null as double) as llm_ttft_ms,
        window_start as first_completed_window,
    from byoc_jobs
),

unioned as (
    select *, {{ build_stamp() }} as built_at, from batch_rows
    union all by name
    select *, {{ build_stamp() }} as built_at, from byoc_rows
)

select * from unioned
