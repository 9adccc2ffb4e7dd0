{#- Orchestrator selections within each session (reference-behaviour.md §2.4): a
    selection is emitted at the first signal naming an orchestrator, at every
    explicit swap, and whenever the named orchestrator changes. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_session_signals_unioned')]) -%}
{%- set since = since_first_signal(scope, ref('int_session_signals_bounded')) -%}

with

candidates as (
    select * from {{ ref('int_session_signals_unioned') }}
    where is_selection_candidate and {{ since }} {{ within_scope(scope, 'session_key') }}
),

ordered as (
    select
        *,
        lag(orchestrator_identity) over session_order as previous_identity,
        row_number() over session_order as signal_order,
    from candidates
    window session_order as (partition by org, session_key order by event_ts, source_priority, event_id)
),

emitted as (
    select
        *,
        case
            when previous_identity is null then 'initial'
            when is_explicit_swap then 'swap'
            when orchestrator_identity != previous_identity then 'orch_change_fallback'
        end as selection_trigger,
    from ordered
),

selections as (
    select
        org,
        session_key,
        md5(concat_ws('|', org, session_key, event_id)) as selection_id,
        event_id as anchor_event_id,
        event_ts as selected_at,
        signal_source,
        selection_trigger,
        orchestrator_local_address as observed_address,
        orchestrator_url_norm as observed_url_norm,
        {{ normalized_pipeline_and_model(
            "pipeline_id",
            "case when signal_source = 'trace' then '' else pipeline_hint end",
            'observed_pipeline_id',
            'observed_model_id'
        ) }},
        {{ build_stamp() }} as built_at,
    from emitted
    where selection_trigger is not null
)

select * from selections
