{#- Every live-session signal (trace edges, status samples, stream events) with its
    session key, in one relation: the input of orchestrator selection (§2.4), and
    the change feed of the session models (a session is recomputed when a signal
    of it is staged).

    A signal is one staged event, so incrementally the signals staged since the
    last build are appended. Staging only appends, except that a build range
    restages whole event dates of a family: the signals of a source and event date
    whose staged rows are all newer than this model's last build (restaged, or
    new) are replaced instead. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['signal_source', 'event_date']},
) }}

{%- set signal_sources = {
    'trace': ref('stg_lake__stream_traces'),
    'status': ref('stg_lake__stream_statuses'),
    'event': ref('stg_lake__stream_events'),
} -%}
{%- set scope_sql -%}
    {%- for signal_source, staged in signal_sources.items() %}
    select '{{ signal_source }}' as signal_source, event_date from {{ staged }}
    where event_date in (select event_date from {{ staged }} where built_at > {{ last_built_at() }})
    group by event_date
    having min(built_at) > {{ last_built_at() }}
    {{ 'union' if not loop.last }}
    {%- endfor %}
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}
{%- set staged_since_last_build = 'built_at > ' ~ last_built_at() if scope is not none else 'true' -%}

with

traces as (
    select
        'trace' as signal_source,
        1 as source_priority,
        event_id, org, event_ts, event_date, gateway, stream_id, request_id,
        trace_type as signal_type,
        trace_type = 'orchestrator_swap' as is_explicit_swap,
        pipeline_id,
        pipeline_hint,
        orchestrator_local_address,
        orchestrator_url_norm,
    from {{ ref('stg_lake__stream_traces') }}
    where {{ staged_since_last_build }}
),

statuses as (
    select
        'status' as signal_source,
        2 as source_priority,
        event_id, org, event_ts, event_date, gateway, stream_id, request_id,
        state as signal_type,
        false as is_explicit_swap,
        pipeline_id,
        pipeline_hint,
        orchestrator_local_address,
        orchestrator_url_norm,
    from {{ ref('stg_lake__stream_statuses') }}
    where {{ staged_since_last_build }}
),

stream_events as (
    select
        'event' as signal_source,
        3 as source_priority,
        event_id, org, event_ts, event_date, gateway, stream_id, request_id,
        lower(event_subtype) as signal_type,
        is_swap as is_explicit_swap,
        pipeline_id,
        pipeline_hint,
        orchestrator_local_address,
        orchestrator_url_norm,
    from {{ ref('stg_lake__stream_events') }}
    where {{ staged_since_last_build }}
),

unioned as (
    select * from traces
    union all
    select * from statuses
    union all
    select * from stream_events
),

keyed as (
    select
        {{ session_key('org', 'stream_id', 'request_id') }} as session_key,
        *,
        coalesce(nullif(orchestrator_local_address, ''), nullif(orchestrator_url_norm, '')) as orchestrator_identity,
    from unioned
),

flagged as (
    select
        *,
        -- Runner edges carry orchestrator info but do not select one (§2.4).
        orchestrator_identity is not null
            and not (signal_source = 'trace' and starts_with(signal_type, 'runner_')) as is_selection_candidate,
        {{ build_stamp() }} as built_at,
    from keyed
    where session_key is not null
)

select * from flagged
