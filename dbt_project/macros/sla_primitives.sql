{#- The additive SLA primitives of reference-behaviour.md §3.2, summed over base
    rows. Every hourly SLA table publishes these so that any roll-up re-sums
    them and recomputes its ratios, never averaging ratios. -#}
{% macro sla_primitive_sums() -%}
    sum(requested) as known_sessions_count,
    sum(requested) as requested_sessions,
    sum(startup_success) as startup_success_sessions,
    sum(no_orch) as no_orch_sessions,
    sum(startup_excused) as startup_excused_sessions,
    sum(startup_failed) as startup_failed_sessions,
    sum(loading_only) as loading_only_sessions,
    sum(zero_output_fps) as zero_output_fps_sessions,
    sum(output_failed) as output_failed_sessions,
    sum(effective_failed) as effective_failed_sessions,
    sum(confirmed_swapped) as confirmed_swapped_sessions,
    sum(inferred_swap) as inferred_swap_sessions,
    sum(total_swapped) as total_swapped_sessions,
    sum(ending_in_error) as sessions_ending_in_error,
    sum(error_samples) as error_status_samples,
    sum(health_signal_count) as health_signal_count,
    sum(health_expected_signal_count) as health_expected_signal_count,
    sum(status_samples) as status_samples,
    sum(output_fps_sum) as output_fps_sum,
    sum(ptff_sum_ms) as prompt_to_first_frame_sum_ms,
    sum(ptff_sample_count) as prompt_to_first_frame_sample_count,
    sum(e2e_sum_ms) as e2e_latency_sum_ms,
    sum(e2e_sample_count) as e2e_latency_sample_count,
    sum(startup_latency_sum_ms) as startup_latency_sum_ms,
    sum(startup_latency_sample_count) as startup_latency_sample_count
{%- endmacro %}

{#- Rates and averages recomputed from the primitives (NULL when the denominator is 0). -#}
{% macro sla_derived_rates() -%}
    startup_success_sessions / nullif(requested_sessions, 0) as startup_success_rate,
    startup_excused_sessions / nullif(requested_sessions, 0) as excused_failure_rate,
    1 - effective_failed_sessions / nullif(requested_sessions, 0) as effective_success_rate,
    1 - total_swapped_sessions / nullif(requested_sessions, 0) as no_swap_rate,
    1 - output_failed_sessions / nullif(requested_sessions, 0) as output_viability_rate,
    coalesce(least(health_signal_count / nullif(health_expected_signal_count, 0), 1), 1.0)
        as health_signal_coverage_ratio,
    output_fps_sum / nullif(status_samples, 0) as avg_output_fps,
    prompt_to_first_frame_sum_ms / nullif(prompt_to_first_frame_sample_count, 0) as avg_prompt_to_first_frame_ms,
    e2e_latency_sum_ms / nullif(e2e_latency_sample_count, 0) as avg_e2e_latency_ms,
    startup_latency_sum_ms / nullif(startup_latency_sample_count, 0) as avg_startup_latency_ms
{%- endmacro %}

{#- A latency component (lower is better) against the cohort's p50/p90 edges;
    neutral 0.5 without a value or with fewer than 48 benchmark rows. -#}
{% macro latency_raw_score(value, p50, p90, benchmark_rows) -%}
    case
        when {{ value }} is null or coalesce({{ benchmark_rows }}, 0) < 48 then 0.5
        when {{ p90 }} <= {{ p50 }} then ({{ value }} <= {{ p50 }})::int
        when {{ value }} <= {{ p50 }} then 1
        when {{ value }} >= {{ p90 }} then 0
        else 1 - ({{ value }} - {{ p50 }}) / ({{ p90 }} - {{ p50 }})
    end
{%- endmacro %}
