{#- Demand rows (reference-behaviour.md §3.5): each session counts once at its
    start hour (else its last-seen hour) with its outcome flags, and in each hour
    it had status samples with those samples. Grain: org, session_key, window_start. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_sessions_attributed')]) -%}

with

sessions as (
    select * from {{ ref('int_sessions_attributed') }}
    where true {{ within_scope(scope, 'session_key') }}
),

status_hours as (
    select org, session_key, window_start, status_samples, output_fps_sum,
    from {{ ref('int_session_hours_flagged') }}
    where true {{ within_scope(scope, 'session_key') }}
),

demand_side as (
    select
        org,
        session_key,
        date_trunc('hour', coalesce(started_at, last_seen)) as window_start,
        gateway,
        pipeline_id,
        model_id,
        requested_seen::int as requested,
        (requested_seen and startup_outcome = 'success')::int as startup_success,
        (requested_seen and selection_outcome = 'no_orch')::int as no_orch,
        (requested_seen and startup_outcome = 'excused')::int as startup_excused,
        (requested_seen and startup_outcome = 'unexcused')::int as startup_failed,
        (requested_seen and loading_only_session)::int as loading_only,
        (requested_seen and zero_output_fps_session)::int as zero_output_fps,
        (requested_seen and (startup_outcome = 'unexcused' or loading_only_session or zero_output_fps_session))::int
            as effective_failed,
        (requested_seen and total_swapped)::int as total_swapped,
        (requested_seen and error_seen)::int as ending_in_error,
        status_error_sample_count as error_status_samples,
        health_signal_count,
        health_expected_signal_count,
        case when started_at is not null then greatest(0, epoch_ms(last_seen) - epoch_ms(started_at)) / 60000.0
            else 0 end as total_minutes,
    from sessions
),

session_hours as (
    select org, session_key, window_start from demand_side
    union
    select org, session_key, window_start from status_hours
),

unioned as (
    select
        h.org,
        h.session_key,
        h.window_start,
        s.gateway,
        s.pipeline_id,
        s.model_id,
        coalesce(d.requested, 0) as requested,
        coalesce(d.startup_success, 0) as startup_success,
        coalesce(d.no_orch, 0) as no_orch,
        coalesce(d.startup_excused, 0) as startup_excused,
        coalesce(d.startup_failed, 0) as startup_failed,
        coalesce(d.loading_only, 0) as loading_only,
        coalesce(d.zero_output_fps, 0) as zero_output_fps,
        coalesce(d.effective_failed, 0) as effective_failed,
        coalesce(d.total_swapped, 0) as total_swapped,
        coalesce(d.ending_in_error, 0) as ending_in_error,
        coalesce(d.error_status_samples, 0) as error_status_samples,
        coalesce(d.health_signal_count, 0) as health_signal_count,
        coalesce(d.health_expected_signal_count, 0) as health_expected_signal_count,
        coalesce(d.total_minutes, 0) as total_minutes,
        coalesce(p.status_samples, 0) as status_samples,
        coalesce(p.output_fps_sum, 0) as output_fps_sum,
        {{ build_stamp() }} as built_at,
    from session_hours as h
    inner join sessions as s using (org, session_key)
    left join demand_side as d using (org, session_key, window_start)
    left join status_hours as p using (org, session_key, window_start)
)

select * from unioned
