{#- One attribution decision per selection (reference-behaviour.md §2.4, with the
    semantics.md fixes); the matching itself is macros/attribution.sql, which the
    request jobs share.

    Incrementally, a session is re-decided when its selections changed, or when
    a capability snapshot staged since the last build could be the observation
    one of its selections matches (any selection from 30 s before the snapshot on). -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set selection_feed = ref('int_selection_events_emitted') -%}
{%- set snapshot_sessions -%}
    select session_key from {{ selection_feed }}
    where selected_at >= (
        select min(event_ts) - interval 30 second
        from {{ ref('stg_lake__capability_snapshots') }}
        where built_at > {{ last_built_at() }}
    )
{%- endset -%}
{%- set scope = session_scope([selection_feed], also_sql=snapshot_sessions) -%}

with

selections as (
    select * from {{ selection_feed }}
    where true {{ within_scope(scope, 'session_key') }}
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

{{ attribution_decisions() }},

decided as (
    select
        s.org,
        s.session_key,
        s.selection_id,
        s.anchor_event_id,
        s.selected_at,
        s.selection_trigger,
        s.observed_address,
        s.observed_url_norm,
        s.observed_pipeline_id,
        s.observed_model_id,
        d.* exclude (selection_id, capability_observed_at),
        {{ build_stamp() }} as built_at,
    from selections as s
    inner join attribution_decisions as d using (selection_id)
)

select * from decided
