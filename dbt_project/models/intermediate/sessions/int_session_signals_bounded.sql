{#- The first signal of every session: where the session models start reading a
    scoped session's signals. A session's first signal only moves earlier (a late
    event), so incrementally it is the earlier of the one known and the session's
    newly appended signals. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_session_signals_unioned')]) -%}

with

new_signals as (
    select session_key, event_ts from {{ ref('int_session_signals_unioned') }}
    {%- if scope is not none %}
    where built_at > {{ last_built_at() }}
    {%- endif %}
),

known_firsts as (
    {%- if scope is not none %}
    select session_key, first_signal_at as event_ts from {{ this }}
    where true {{ within_scope(scope, 'session_key') }}
    {%- else %}
    select * from new_signals where false
    {%- endif %}
),

firsts as (
    select
        session_key,
        min(event_ts) as first_signal_at,
        {{ build_stamp() }} as built_at,
    from (
        select * from new_signals
        union all
        select * from known_firsts
    )
    group by session_key
)

select * from firsts
