{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id']},
) }}
{%- set scope = rebuilt_scope(ref('int_byoc_jobs_attributed'), ['org', 'event_id']) -%}

with

byoc_attempts as (
    select * from {{ ref('int_byoc_jobs_attributed') }}
    where true {{ within_rebuilt(scope) }}
),

published as (
    select
        org,
        event_id,
        {{ iso_window('window_start') }} as window_start,
        gateway,
        request_id,
        capability as capability_name,
        model_id,
        worker_url,
        price_per_unit,
        attempt_index,
        coalesce(is_streaming, false) as is_streaming,
        orchestrator_address,
        orchestrator_url,
        orchestrator_uri,
        selection_outcome,
        attribution_status,
        attribution_reason,
        coalesce(gpu_id, '') as gpu_id,
        gpu_model_name,
        is_success,
        duration_ms,
        http_status,
        error_message,
        {{ iso_utc('completed_at') }} as completed_at,
        {{ iso_utc('event_ts') }} as event_at,
        built_at,
    from byoc_attempts
)

select * from published
