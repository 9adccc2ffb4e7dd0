-- Small, and read whole by its consumers: rebuilt every time.
{{ config(materialized='table') }}

{#- The warehouse's data clock: the newest accepted event time. "Current" tables
    look back from it, not from wall time, so a rebuild or a replay of old data
    gives the same result every time (semantics.md). -#}
with

events as (
    select event_ts from {{ source('lake', 'raw_events') }}
),

clock as (
    select max(event_ts) as data_clock_at from events
)

select * from clock
