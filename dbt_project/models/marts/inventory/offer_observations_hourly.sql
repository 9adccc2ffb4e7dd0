{#- Capability-snapshot offer observations per hour: which orchestrators offered
    which pipeline and model in each hour, the history behind capability_offers'
    current view (api-contract.md #1: orchestrators observed in a window and the
    one before it, over any number of hours).

    Incremental by hour: a build recomputes every hour holding an observation whose
    offers were unnested again since the last build, and every hour of the build
    range. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{%- set templates_relation = ref('int_capability_templates_unnested') -%}
{%- set scope_sql -%}
    select distinct {{ iso_window("date_trunc('hour', observed_at)") }} as window_start
    from {{ templates_relation }}
    where built_at > {{ last_built_at() }} or {{ in_build_range('observed_at') }}
    union
    select window_start from {{ this }}
    where {{ in_build_range('window_start::timestamp') }}
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}

with

templates as (
    select * from {{ templates_relation }}
    where pipeline_id != '' {{ within_hour_scope(scope, "date_trunc('hour', observed_at)") }}
),

catalog as (
    select * from {{ ref('capability_catalog') }}
),

-- An offer whose pipeline is not in the catalog is a BYOC capability (id 37).
byoc_capability as (
    select * from catalog where capability_id = 37
),

hourly as (
    select
        date_trunc('hour', observed_at) as window_start,
        orchestrator_address,
        pipeline_id,
        coalesce(model_id, '') as model_id,
        arg_max(orchestrator_uri, (observed_at, org, event_id, entry_index)) as orchestrator_uri,
        bool_or(hardware_present) as hardware_present,
        count(distinct nullif(gpu_id, '')) as gpu_count,
        count(distinct (org, event_id, entry_index)) as observation_count,
        min(observed_at) as first_observed_at,
        max(observed_at) as last_observed_at,
    from templates
    group by all
),

published as (
    select
        {{ iso_window('h.window_start') }} as window_start,
        h.orchestrator_address,
        h.pipeline_id,
        h.model_id,
        h.orchestrator_uri,
        coalesce(c.capability_id, -1) as capability_id,
        {{ capability_family('c.capability_id') }} as capability_family,
        coalesce(c.is_live, b.is_live) as supports_stream,
        h.hardware_present,
        h.gpu_count,
        h.observation_count,
        {{ iso_utc('h.first_observed_at') }} as first_observed_at,
        {{ iso_utc('h.last_observed_at') }} as last_observed_at,
        {{ build_stamp() }} as built_at,
    from hourly as h
    left join catalog as c on c.pipeline_id = h.pipeline_id
    cross join byoc_capability as b
)

select * from published
