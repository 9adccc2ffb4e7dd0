{#- BYOC job attempts with the capability offer that served each
    (reference-behaviour.md §3.6, "Job attribution"): the attempt is a selection
    at its completion, looked up by its orchestrator URL (by its address when it
    names no URL), and matched to the offers whose pipeline is the capability,
    case-insensitively, and whose model is the matched worker's, when one is
    known (macros/attribution.sql). An attempt that reached no orchestrator has
    nothing to attribute: unresolved, reason not_selected.

    Incrementally, an attempt is attributed again when it was modelled since the
    last build, or when a capability snapshot staged since then could be the
    observation it matches (any attempt from 30 s before the snapshot on). -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id']},
) }}
{%- set modelled = ref('int_byoc_jobs_modelled') -%}
{%- set scope_sql -%}
    select org, event_id from {{ modelled }}
    where built_at > {{ last_built_at() }}
        or completed_at >= (
            select min(event_ts) - interval 30 second
            from {{ ref('stg_lake__capability_snapshots') }}
            where built_at > {{ last_built_at() }}
        )
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}

with

byoc_attempts as (
    select * from {{ modelled }}
    where true {{ within_scope(scope, '(org, event_id)', 'org, event_id') }}
),

templates as (
    select * from {{ ref('int_capability_templates_unnested') }}
),

observations as (
    select
        org, event_id, entry_index, observed_at, orchestrator_address, orchestrator_alias_address,
        orchestrator_uri_norm,
    from {{ ref('int_capability_observations_versioned') }}
),

selections as (
    select
        org || '|' || event_id as selection_id,
        org,
        completed_at as selected_at,
        nullif(orchestrator_uri, '') as observed_url_norm,
        nullif(orchestrator_address, '') as observed_address,
        lower(trim(capability)) as observed_pipeline_id,
        coalesce(trim(model_id), '') as observed_model_id,
    from byoc_attempts
    where selection_outcome = 'selected'
),

{{ attribution_decisions() }},

attributed as (
    select
        a.* exclude (built_at),
        coalesce(d.attribution_status, 'unresolved') as attribution_status,
        coalesce(d.attribution_reason, 'not_selected') as attribution_reason,
        d.gpu_id,
        d.gpu_model_name,
        d.capability_event_id,
        d.capability_observed_at,
        {{ build_stamp() }} as built_at,
    from byoc_attempts as a
    left join attribution_decisions as d on d.selection_id = a.org || '|' || a.event_id
)

select * from attributed
