{#- Session outcomes, health signals and timings (reference-behaviour.md §2.5-2.8). -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_sessions_evidenced')]) -%}
{%- set since = since_first_signal(scope, ref('int_session_signals_bounded')) -%}

with

evidence as (
    select * from {{ ref('int_sessions_evidenced') }}
    where true {{ within_scope(scope, 'session_key') }}
),

selections as (
    select
        org,
        session_key,
        count(*) as selection_candidate_count,
    from {{ ref('int_session_signals_unioned') }}
    where is_selection_candidate and {{ since }} {{ within_scope(scope, 'session_key') }}
    group by all
),

flags as (
    select
        e.*,
        coalesce(s.selection_candidate_count, 0) as selection_candidate_count,
        e.started_count > 0 as requested_seen,
        e.playable_seen_count > 0 as playable_seen,
        e.completed_count > 0 as completed,
        e.status_sample_count > 0 and e.running_state_samples_count = 0 and e.online_seen_count = 0
            as loading_only_session,
        e.status_sample_count > 0 and e.positive_output_seen_count = 0 as zero_output_fps_session,
        e.status_error_sample_count > 0 as error_seen,
        e.restart_seen_count > 0 as restart_seen,
        e.degraded_input_seen_count > 0 as degraded_input_seen,
        e.degraded_inference_seen_count > 0 as degraded_inference_seen,
        e.swap_count > 0 as confirmed_swapped,
    from evidence as e
    left join selections as s using (org, session_key)
),

outcomes as (
    select
        *,
        case
            when selection_candidate_count > 0 then 'selected'
            when no_orch_count > 0 then 'no_orch'
            else 'unknown'
        end as selection_outcome,
        case
            when not requested_seen then 'unknown'
            when playable_seen then 'success'
            else 'failed'
        end as startup_outcome_internal,
    from flags
),

excusals as (
    select
        *,
        case
            when startup_outcome_internal != 'failed' then 'none'
            when selection_outcome = 'no_orch' then 'no_orch'
            when startup_error_count > 0 and excusable_error_count = startup_error_count then 'excusable_error'
            else 'none'
        end as excusal_reason,
    from outcomes
),

classified as (
    select
        *,
        case
            when startup_outcome_internal = 'failed' and excusal_reason != 'none' then 'excused'
            when startup_outcome_internal = 'failed' then 'unexcused'
            else startup_outcome_internal
        end as startup_outcome,
        (status_sample_count > 0)::int
            + playable_seen::int
            + (status_sample_count > 0 and not (loading_only_session and zero_output_fps_session))::int
            as health_signal_count,
        case when requested_seen then 3 else 0 end as health_expected_signal_count,
        {{ latency_ms('started_at', 'first_processed_at') }} as startup_latency_ms,
        {{ latency_ms('first_ingest_at', 'runner_first_processed_at') }} as e2e_latency_ms,
        {{ latency_ms('status_start_time', 'few_processed_at') }} as prompt_to_playable_latency_ms,
    from excusals
)

select * replace ({{ build_stamp() }} as built_at) from classified
