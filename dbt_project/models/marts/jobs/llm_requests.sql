{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'request_id']},
) }}
{%- set scope = rebuilt_scope(ref('int_llm_requests_latest'), ['org', 'request_id']) -%}

with

llm_results as (
    select * from {{ ref('int_llm_requests_latest') }}
    where true {{ within_rebuilt(scope) }}
),

published as (
    select
        org,
        request_id,
        event_id,
        {{ iso_window("date_trunc('hour', event_ts)") }} as window_start,
        coalesce({{ normalized_address('gateway') }}, '') as gateway,
        event_subtype,
        model_id,
        coalesce(is_streaming, false) as is_streaming,
        coalesce(orchestrator_url, '') as orchestrator_url,
        coalesce(orchestrator_url_norm, '') as orchestrator_uri,
        prompt_tokens,
        completion_tokens,
        total_tokens,
        max_tokens_requested,
        token_utilization,
        finish_reason,
        total_duration_ms,
        time_to_first_token_ms,
        tokens_per_second,
        latency_score,
        price_per_unit,
        nullif(error_message, '') as error_message,
        {{ iso_utc('event_ts') }} as completed_at,
        built_at,
    from llm_results
)

select * from published
