{#- AI batch jobs with the capability offer that served each (reference-behaviour.md
    §3.6, "Job attribution"): the job is a selection at its receipt (else its
    completion), looked up by its orchestrator URL only, since batch events name
    no address, and matched to the offers of the job's pipeline and model as a
    live-video selection is (macros/attribution.sql). A job that reached no
    orchestrator has nothing to attribute: unresolved, reason not_selected.

    Incrementally, a job is attributed again when it was reassembled since the
    last build, or when a capability snapshot staged since then could be the
    observation it matches (any job selected from 30 s before the snapshot on). -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'request_id']},
) }}
{%- set assembled = ref('int_ai_batch_jobs_assembled') -%}
{%- set scope_sql -%}
    select org, request_id from {{ assembled }}
    where built_at > {{ last_built_at() }}
        or coalesce(received_at, completed_at) >= (
            select min(event_ts) - interval 30 second
            from {{ ref('stg_lake__capability_snapshots') }}
            where built_at > {{ last_built_at() }}
        )
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}

with

batch_jobs as (
    select * from {{ assembled }}
    where true {{ within_scope(scope, '(org, request_id)', 'org, request_id') }}
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
        org || '|' || request_id as selection_id,
        org,
        coalesce(received_at, completed_at) as selected_at,
        orchestrator_uri as observed_url_norm,
        null::varchar as observed_address,
        {{ normalized_pipeline_and_model('pipeline', 'model_id', 'observed_pipeline_id', 'observed_model_id') }},
    from batch_jobs
    where selection_outcome = 'selected'
),

{{ attribution_decisions() }},

attributed as (
    select
        j.* exclude (built_at),
        coalesce(d.attribution_status, 'unresolved') as attribution_status,
        coalesce(d.attribution_reason, 'not_selected') as attribution_reason,
        coalesce(d.orchestrator_address, '') as orchestrator_address,
        d.gpu_id,
        d.gpu_model_name,
        d.capability_event_id,
        d.capability_observed_at,
        {{ build_stamp() }} as built_at,
    from batch_jobs as j
    left join attribution_decisions as d on d.selection_id = j.org || '|' || j.request_id
)

select * from attributed
