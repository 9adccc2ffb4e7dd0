{#- The SLA base rows (reference-behaviour.md §3.2): every non-tail status hour
    of a session, carrying the session's outcome flags (counted for requested
    sessions only), its health signals and its latency samples. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_sessions_attributed')]) -%}

with

hours as (
    select * from {{ ref('int_session_hours_flagged') }}
    where not is_terminal_tail_artifact {{ within_scope(scope, 'session_key') }}
),

sessions as (
    select * from {{ ref('int_sessions_attributed') }}
    where true {{ within_scope(scope, 'session_key') }}
),

joined as (
    select
        h.window_start,
        h.org,
        h.session_key,
        coalesce(s.orchestrator_address, '') as orchestrator_address,
        s.orchestrator_uri,
        s.pipeline_id,
        s.model_id,
        coalesce(s.gpu_id, '') as gpu_id,
        s.gpu_model_name,
        s.gpu_memory_bytes_total,
        s.attribution_status,
        s.attribution_reason,

        -- outcome flags of requested sessions
        s.requested_seen::int as requested,
        (s.requested_seen and s.startup_outcome = 'success')::int as startup_success,
        (s.requested_seen and s.selection_outcome = 'no_orch')::int as no_orch,
        (s.requested_seen and s.startup_outcome = 'excused')::int as startup_excused,
        (s.requested_seen and s.startup_outcome = 'unexcused')::int as startup_failed,
        (s.requested_seen and s.loading_only_session)::int as loading_only,
        (s.requested_seen and s.zero_output_fps_session)::int as zero_output_fps,
        (s.requested_seen and (s.loading_only_session or s.zero_output_fps_session))::int as output_failed,
        (s.requested_seen and (s.startup_outcome = 'unexcused' or s.loading_only_session
            or s.zero_output_fps_session))::int as effective_failed,
        (s.requested_seen and s.confirmed_swapped)::int as confirmed_swapped,
        (s.requested_seen and s.inferred_swap)::int as inferred_swap,
        (s.requested_seen and s.total_swapped)::int as total_swapped,
        (s.requested_seen and s.error_seen)::int as ending_in_error,

        -- this hour's samples
        h.error_samples,
        h.status_samples,
        h.output_fps_sum,

        -- session-level health, repeated in each of its hours
        s.health_signal_count,
        s.health_expected_signal_count,

        -- latency samples: PTFF and start-up once per hour; E2E from this hour's
        -- status samples when there are any, else the session's trace E2E
        case when s.prompt_to_playable_latency_ms > 0 then s.prompt_to_playable_latency_ms else 0 end
            as ptff_sum_ms,
        coalesce(s.prompt_to_playable_latency_ms > 0, false)::int as ptff_sample_count,
        case
            when h.status_e2e_latency_sample_count > 0 then h.status_e2e_latency_sum_ms
            when s.e2e_latency_ms > 0 then s.e2e_latency_ms
            else 0
        end as e2e_sum_ms,
        case
            when h.status_e2e_latency_sample_count > 0 then h.status_e2e_latency_sample_count
            else coalesce(s.e2e_latency_ms > 0, false)::int
        end as e2e_sample_count,
        case when s.startup_latency_ms > 0 then s.startup_latency_ms else 0 end as startup_latency_sum_ms,
        coalesce(s.startup_latency_ms > 0, false)::int as startup_latency_sample_count,
        {{ build_stamp() }} as built_at,
    from hours as h
    inner join sessions as s using (org, session_key)
)

select * from joined
