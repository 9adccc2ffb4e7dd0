{#- Live-video demand per gateway, pipeline and model per hour (§3.5): what was
    asked for, what started, and the output it got. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set scope = hour_scope(ref('int_demand_session_hours_unioned')) -%}

with

session_hours as (
    select * from {{ ref('int_demand_session_hours_unioned') }}
    where true {{ within_hour_scope(scope, 'window_start') }}
),

aggregated as (
    select
        window_start,
        org,
        coalesce(gateway, '') as gateway,
        pipeline_id,
        model_id,
        count(*) as sessions_count,
        sum(requested) as known_sessions_count,
        sum(requested) as requested_sessions,
        sum(startup_success) as startup_success_sessions,
        sum(no_orch) as no_orch_sessions,
        sum(startup_excused) as startup_excused_sessions,
        sum(startup_failed) as startup_failed_sessions,
        sum(loading_only) as loading_only_sessions,
        sum(zero_output_fps) as zero_output_fps_sessions,
        sum(effective_failed) as effective_failed_sessions,
        sum(total_swapped) as total_swapped_sessions,
        sum(ending_in_error) as sessions_ending_in_error,
        sum(error_status_samples) as error_status_samples,
        sum(health_signal_count) as health_signal_count,
        sum(health_expected_signal_count) as health_expected_signal_count,
        sum(status_samples) as status_samples,
        sum(output_fps_sum) as output_fps_sum,
        sum(total_minutes) as total_minutes,
    from session_hours
    group by all
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        * exclude (window_start),
        startup_success_sessions / nullif(requested_sessions, 0) as startup_success_rate,
        startup_excused_sessions / nullif(requested_sessions, 0) as excused_failure_rate,
        1 - effective_failed_sessions / nullif(requested_sessions, 0) as effective_success_rate,
        coalesce(least(health_signal_count / nullif(health_expected_signal_count, 0), 1), 1.0)
            as health_signal_coverage_ratio,
        output_fps_sum / nullif(status_samples, 0) as avg_output_fps,
        {{ build_stamp() }} as built_at,
    from aggregated
)

select * from published
