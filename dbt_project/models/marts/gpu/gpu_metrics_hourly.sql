{#- Output and latency per GPU per hour (reference-behaviour.md §3.4): the SLA
    base rows of sessions pinned to one GPU (hardware-less, multi-GPU and
    unattributed sessions are left out). -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set scope = hour_scope(ref('int_sla_session_hours_joined')) -%}

with

base_rows as (
    select
        *,
        output_fps_sum / nullif(status_samples, 0) as session_hour_avg_fps,
    from {{ ref('int_sla_session_hours_joined') }}
    where orchestrator_address != '' and gpu_id != '' {{ within_hour_scope(scope, 'window_start') }}
),

sessions as (
    select org, session_key, prompt_to_playable_latency_ms, startup_latency_ms, e2e_latency_ms,
    from {{ ref('int_sessions_attributed') }}
),

aggregated as (
    select
        b.window_start,
        b.org,
        b.orchestrator_address,
        b.pipeline_id,
        b.model_id,
        b.gpu_id,
        max(b.gpu_model_name) as gpu_model_name,
        max(b.gpu_memory_bytes_total) as gpu_memory_bytes_total,
        sum(b.requested) as known_sessions_count,
        sum(b.startup_success) as startup_success_sessions,
        sum(b.no_orch) as no_orch_sessions,
        sum(b.startup_excused) as startup_excused_sessions,
        sum(b.startup_failed) as startup_failed_sessions,
        sum(b.confirmed_swapped) as confirmed_swapped_sessions,
        sum(b.inferred_swap) as inferred_swap_sessions,
        sum(b.total_swapped) as total_swapped_sessions,
        sum(b.ending_in_error) as sessions_ending_in_error,
        sum(b.status_samples) as status_samples,
        sum(b.error_samples) as error_status_samples,
        sum(b.output_fps_sum) as output_fps_sum,
        quantile_cont(b.session_hour_avg_fps, 0.95) as p95_output_fps,
        sum(b.health_signal_count) as health_signal_count,
        sum(b.health_expected_signal_count) as health_expected_signal_count,
        sum(b.ptff_sum_ms) as prompt_to_first_frame_sum_ms,
        sum(b.ptff_sample_count) as prompt_to_first_frame_sample_count,
        quantile_cont(s.prompt_to_playable_latency_ms, 0.95) filter (where s.prompt_to_playable_latency_ms > 0)
            as p95_prompt_to_first_frame_ms,
        sum(b.startup_latency_sum_ms) as startup_latency_sum_ms,
        sum(b.startup_latency_sample_count) as startup_latency_sample_count,
        quantile_cont(s.startup_latency_ms, 0.95) filter (where s.startup_latency_ms > 0) as p95_startup_latency_ms,
        sum(b.e2e_sum_ms) as e2e_latency_sum_ms,
        sum(b.e2e_sample_count) as e2e_latency_sample_count,
        quantile_cont(s.e2e_latency_ms, 0.95) filter (where s.e2e_latency_ms > 0) as p95_e2e_latency_ms,
    from base_rows as b
    inner join sessions as s using (org, session_key)
    group by all
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        * exclude (window_start),
        output_fps_sum / nullif(status_samples, 0) as avg_output_fps,
        prompt_to_first_frame_sum_ms / nullif(prompt_to_first_frame_sample_count, 0) as avg_prompt_to_first_frame_ms,
        startup_latency_sum_ms / nullif(startup_latency_sample_count, 0) as avg_startup_latency_ms,
        e2e_latency_sum_ms / nullif(e2e_latency_sample_count, 0) as avg_e2e_latency_ms,
        coalesce(least(health_signal_count / nullif(health_expected_signal_count, 0), 1), 1.0)
            as health_signal_coverage_ratio,
        startup_failed_sessions / nullif(known_sessions_count, 0) as startup_failed_rate,
        total_swapped_sessions / nullif(known_sessions_count, 0) as swap_rate,
        {{ build_stamp() }} as built_at,
    from aggregated
)

select * from published
