{#- Request demand per hour and pipeline or capability and model, over every org, gateway and
    orchestrator: request_demand_hourly's sums at a tenth of its rows, which the /v1 summaries
    and KPI read for windows of up to seven days. The same hours are aggregated again as there. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set scope = incremental_scope(request_demand_scope_sql()) -%}

with

request_jobs as (
    select * from {{ ref('int_request_jobs_unioned') }}
    where true {{ within_hour_scope(scope, 'window_start') }}
),

hourly as (
    select
        window_start,
        capability_family,
        capability_name,
        canonical_pipeline,
        pipeline_id,
        canonical_model,

        -- additive primitives
        {{ request_demand_sums() }}
    from request_jobs
    group by all
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        * exclude (window_start),
        {{ build_stamp() }} as built_at,
    from hourly
)

select * from published
