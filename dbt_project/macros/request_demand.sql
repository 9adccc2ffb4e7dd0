{#- The hourly request-demand marts: which hours a build aggregates again, and the sums. -#}

{% macro request_demand_scope_sql() -%}
    with recomputed_jobs as (
        select first_completed_window, window_start,
        from {{ ref('int_request_jobs_unioned') }}
        where built_at > {{ last_built_at() }}
    )
    select distinct {{ iso_window('hour') }} as window_start
    from recomputed_jobs, generate_series(first_completed_window, window_start, interval 1 hour) as hours(hour)
    union
    select {{ iso_window('window_start') }} from {{ ref('int_request_jobs_unioned') }}
    where {{ in_build_range('window_start') }}
    union
    select window_start from {{ this }} where {{ in_build_range('window_start::timestamp') }}
{%- endmacro %}

{% macro request_demand_sums() -%}
        count(*) as job_count,
        count(*) filter (where selection_outcome = 'selected') as selected_count,
        count(*) filter (where selection_outcome = 'no_orch') as no_orch_count,
        count(*) filter (where is_success) as success_count,
        coalesce(sum(duration_ms), 0) as duration_ms_sum,
        count(duration_ms) as duration_sample_count,
        coalesce(sum(price_per_unit), 0) as price_sum,
        count(*) filter (where has_llm_result) as llm_request_count,
        count(*) filter (where has_llm_result and is_success) as llm_success_count,
        coalesce(sum(llm_total_tokens) filter (where has_llm_result), 0) as llm_total_tokens_sum,
        count(llm_total_tokens) filter (where has_llm_result) as llm_total_tokens_sample_count,
        coalesce(sum(llm_tokens_per_second) filter (where has_llm_result), 0) as llm_tokens_per_second_sum,
        count(llm_tokens_per_second) filter (where has_llm_result) as llm_tokens_per_second_sample_count,
        coalesce(sum(llm_ttft_ms) filter (where has_llm_result), 0) as llm_ttft_ms_sum,
        count(llm_ttft_ms) filter (where has_llm_result) as llm_ttft_ms_sample_count,
{%- endmacro %}
