{#- SLA per orchestrator-hour (reference-behaviour.md §3.2-3.3, naap-sla-v1):
    additive primitives, rates recomputed from them, and the score against the
    benchmark edges of the prior 7 full UTC days of the same (pipeline, model). -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set scope = hour_scope(ref('int_sla_session_hours_joined')) -%}

with

-- The scoped hours and the 7 days before them, whose rows set their benchmarks.
base_rows as (
    select * from {{ ref('int_sla_session_hours_joined') }}
    where orchestrator_address != '' {{ within_hour_scope(scope, 'window_start', lookback='8 day') }}
),

aggregated as (
    select
        window_start,
        org,
        orchestrator_address,
        pipeline_id,
        model_id,
        gpu_id,
        max(orchestrator_uri) as orchestrator_uri,
        max(gpu_model_name) as gpu_model_name,
        {{ sla_primitive_sums() }},
    from base_rows
    group by window_start, org, orchestrator_address, pipeline_id, model_id, gpu_id
),

derived as (
    select
        *,
        {{ sla_derived_rates() }},
        window_start::date as cohort_date,
    from aggregated
),

cohort_rows as (
    select cohort_date, pipeline_id, model_id, avg_prompt_to_first_frame_ms, avg_e2e_latency_ms, avg_output_fps,
    from derived
    where pipeline_id != ''
),

scored_days as (
    select distinct cohort_date, pipeline_id, model_id from derived
),

benchmarks as (
    select
        d.cohort_date,
        d.pipeline_id,
        d.model_id,
        quantile_cont(c.avg_prompt_to_first_frame_ms, 0.5) as ptff_p50_ms,
        quantile_cont(c.avg_prompt_to_first_frame_ms, 0.9) as ptff_p90_ms,
        count(c.avg_prompt_to_first_frame_ms) as ptff_benchmark_rows,
        quantile_cont(c.avg_e2e_latency_ms, 0.5) as e2e_p50_ms,
        quantile_cont(c.avg_e2e_latency_ms, 0.9) as e2e_p90_ms,
        count(c.avg_e2e_latency_ms) as e2e_benchmark_rows,
        quantile_cont(c.avg_output_fps, 0.1) as fps_p10,
        quantile_cont(c.avg_output_fps, 0.5) as fps_p50,
        count(c.avg_output_fps) as fps_benchmark_rows,
    from scored_days as d
    left join cohort_rows as c
        on c.pipeline_id = d.pipeline_id
        and c.model_id is not distinct from d.model_id
        and c.cohort_date between d.cohort_date - 7 and d.cohort_date - 1
    group by all
),

raw_scores as (
    select
        r.*,
        b.ptff_p50_ms, b.ptff_p90_ms, coalesce(b.ptff_benchmark_rows, 0) as ptff_benchmark_rows,
        b.e2e_p50_ms, b.e2e_p90_ms, coalesce(b.e2e_benchmark_rows, 0) as e2e_benchmark_rows,
        b.fps_p10, b.fps_p50, coalesce(b.fps_benchmark_rows, 0) as fps_benchmark_rows,
        {{ latency_raw_score('r.avg_prompt_to_first_frame_ms', 'b.ptff_p50_ms', 'b.ptff_p90_ms', 'b.ptff_benchmark_rows') }}
            as ptff_raw_score,
        {{ latency_raw_score('r.avg_e2e_latency_ms', 'b.e2e_p50_ms', 'b.e2e_p90_ms', 'b.e2e_benchmark_rows') }}
            as e2e_raw_score,
        case
            when r.avg_output_fps is null or coalesce(b.fps_benchmark_rows, 0) < 48 then 0.5
            when b.fps_p50 <= b.fps_p10 then (r.avg_output_fps >= b.fps_p50)::int
            when r.avg_output_fps >= b.fps_p50 then 1
            when r.avg_output_fps <= b.fps_p10 then 0
            else (r.avg_output_fps - b.fps_p10) / (b.fps_p50 - b.fps_p10)
        end as fps_raw_score,
    from derived as r
    left join benchmarks as b using (cohort_date, pipeline_id, model_id)
),

shrunk as (
    select
        *,
        -- Sparse evidence in the hour pulls each component toward the neutral 0.5.
        greatest(0, least(1, 0.5 + least(prompt_to_first_frame_sample_count / 10, 1) * (ptff_raw_score - 0.5)))
            as ptff_score,
        greatest(0, least(1, 0.5 + least(e2e_latency_sample_count / 10, 1) * (e2e_raw_score - 0.5)))
            as e2e_score,
        greatest(0, least(1, 0.5 + least(status_samples / 30, 1) * (fps_raw_score - 0.5))) as fps_score,
        greatest(0, least(1,
            0.4 * startup_success_rate + 0.2 * no_swap_rate + 0.4 * output_viability_rate
        )) as reliability_score,
    from raw_scores
),

composite as (
    select
        *,
        greatest(0, least(1, 0.6 * ptff_score + 0.4 * e2e_score)) as latency_score,
    from shrunk
),

scored as (
    select
        *,
        greatest(0, least(1, 0.6 * latency_score + 0.4 * fps_score)) as quality_score,
    from composite
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        org,
        orchestrator_address,
        coalesce(orchestrator_uri, '') as orchestrator_uri,
        pipeline_id,
        model_id,
        gpu_id,
        gpu_model_name,
        * exclude (window_start, org, orchestrator_address, orchestrator_uri, pipeline_id, model_id, gpu_id,
                   gpu_model_name, cohort_date),
        case when requested_sessions > 0 then greatest(0, least(100,
            100 * health_signal_coverage_ratio * (0.7 * reliability_score + 0.3 * quality_score)
        )) end as sla_score,
        '{{ var("sla_semantics_version") }}' as sla_semantics_version,
        {{ build_stamp() }} as built_at,
    from scored
    where true {{ within_hour_scope(scope, 'window_start') }}
)

select * from published
