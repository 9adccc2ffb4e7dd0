{#- The SLA primitives of sessions no orchestrator could be credited with, by
    why not: kept out of sla_hourly but published for diagnosis. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set scope = hour_scope(ref('int_sla_session_hours_joined')) -%}

with

base_rows as (
    select * from {{ ref('int_sla_session_hours_joined') }}
    where orchestrator_address = '' {{ within_hour_scope(scope, 'window_start') }}
),

aggregated as (
    select
        window_start,
        org,
        pipeline_id,
        model_id,
        attribution_reason,
        {{ sla_primitive_sums() }},
    from base_rows
    group by window_start, org, pipeline_id, model_id, attribution_reason
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        * exclude (window_start),
        {{ sla_derived_rates() }},
        '{{ var("sla_semantics_version") }}' as sla_semantics_version,
        {{ build_stamp() }} as built_at,
    from aggregated
)

select * from published
