{#- The warehouse's data clock: the newest accepted event time. "Current" tables
    look back from it, not from wall time, so a rebuild or a replay of old data
    gives the same result every time (semantics.md).

    One row, NULL before any event. Incrementally, the newer of the clock known and
    the events of the landed batches this model has not read
    (`ledger.staged_batches`, kept as the event-family models keep it), so a build
    does not read every event time of the lake. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'clock'},
    post_hook="{{ record_staged_batches() }}",
) }}
{%- set scope = incremental_scope("select 'lake' as clock") -%}
{%- set unread = unread_batches_sql(scope is not none, rows_name_batches=false) -%}

with

new_events as (
    select event_ts from {{ source('lake', 'raw_events') }}
    where batch_id >= {{ oldest_batch(unread) }} and batch_id in ({{ unread }})
),

known_clock as (
    {%- if scope is not none %}
    select data_clock_at as event_ts from {{ this }}
    {%- else %}
    select * from new_events where false
    {%- endif %}
),

clock as (
    select
        'lake' as clock,
        max(event_ts) as data_clock_at,
        {{ build_stamp() }} as built_at,
    from (
        select * from new_events
        union all
        select * from known_clock
    )
)

select * from clock
