{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'request_id']},
) }}
{%- set scope = rebuilt_scope(ref('int_ai_batch_jobs_attributed'), ['org', 'request_id']) -%}

with

batch_jobs as (
    select * from {{ ref('int_ai_batch_jobs_attributed') }}
    where true {{ within_rebuilt(scope) }}
),

published as (
    select
        org,
        request_id,
        completed_event_id,
        {{ iso_window('window_start') }} as window_start,
        gateway,
        pipeline as pipeline_id,
        model_id,
        pipeline = 'llm' as is_llm,
        orchestrator_url,
        orchestrator_uri,
        orchestrator_address,
        selection_outcome,
        attribution_status,
        attribution_reason,
        coalesce(gpu_id, '') as gpu_id,
        gpu_model_name,
        is_success,
        tries,
        duration_ms,
        latency_score,
        price_per_unit,
        error_type,
        error_message,
        {{ iso_utc('received_at') }} as received_at,
        {{ iso_utc('completed_at') }} as completed_at,
        built_at,
    from batch_jobs
)

select * from published
