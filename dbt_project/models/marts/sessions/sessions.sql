{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_sessions_attributed')]) -%}

with

sessions as (
    select * from {{ ref('int_sessions_attributed') }}
    where true {{ within_scope(scope, 'session_key') }}
),

published as (
    select
        -- keys
        org,
        session_key,
        stream_id,
        request_id,
        gateway,

        -- attribution
        attribution_status,
        attribution_reason,
        coalesce(orchestrator_address, '') as orchestrator_address,
        orchestrator_uri,
        pipeline_id,
        model_id,
        coalesce(gpu_id, '') as gpu_id,
        gpu_model_name,
        gpu_memory_bytes_total,

        -- outcomes
        requested_seen,
        playable_seen,
        selection_outcome,
        startup_outcome,
        excusal_reason,
        completed,
        swap_count,
        confirmed_swapped,
        inferred_swap,
        total_swapped,
        loading_only_session,
        zero_output_fps_session,
        error_seen,
        restart_seen,
        degraded_input_seen,
        degraded_inference_seen,

        -- health and output
        status_sample_count,
        status_error_sample_count,
        output_fps_sum,
        case when status_sample_count > 0 then output_fps_sum / status_sample_count end as avg_output_fps,
        health_signal_count,
        health_expected_signal_count,

        -- timings
        startup_latency_ms,
        e2e_latency_ms,
        prompt_to_playable_latency_ms,
        {{ iso_utc('started_at') }} as started_at,
        {{ iso_utc('last_seen') }} as last_seen,

        '{{ var("sla_semantics_version") }}' as sla_semantics_version,
        {{ build_stamp() }} as built_at,
    from sessions
)

select * from published
