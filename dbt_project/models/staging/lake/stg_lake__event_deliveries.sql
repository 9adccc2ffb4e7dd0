{#- Every delivery the lake accepted (redeliveries included) counted per ingest
    batch, org, event family and event hour: what staging's deduplication is
    measured against (int_event_volumes_hourly, the event_volume_hourly mart), and
    the newest event each batch brought (how fresh the feed was, ingest_batches).

    Discovery results and capability snapshots stage a row per entry they list, so
    a delivery listing none (`[]`) stages nothing: it is counted apart, as empty.

    A batch's counts never change, so each landed batch is counted once, the
    first build that sees it (`ledger.staged_batches`, kept as the event-family
    models keep it), and a build range restages nothing here. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'batch_id'},
    post_hook="{{ record_staged_batches() }}",
) }}
{%- set scope = incremental_scope('select batch_id from ' ~ source('lake', 'landed_batches') ~ ' where false') -%}
{%- set unread = unread_batches_sql(scope is not none, rows_name_batches=false) -%}

with

deliveries as (
    select
        org,
        event_type,
        event_ts,
        ingested_at,
        batch_id,
        case
            when event_type = 'discovery_results' then coalesce(json_array_length(data_json), 0) = 0
            when event_type = 'network_capabilities'
                then json_type(data_json) != 'OBJECT' and coalesce(json_array_length(data_json), 0) = 0
            else false
        end as is_empty,
    from {{ source('lake', 'raw_events') }}
    where batch_id >= {{ oldest_batch(unread) }} and batch_id in ({{ unread }})
),

counted as (
    select
        batch_id,
        org,
        event_type,
        date_trunc('hour', event_ts) as event_hour,
        count(*) as delivered_count,
        count(*) filter (where is_empty) as empty_count,
        -- An event stamped after its own ingest has a gateway clock ahead: it says nothing of freshness.
        max(event_ts) filter (where event_ts <= ingested_at) as newest_event_ts,
        {{ build_stamp() }} as built_at,
    from deliveries
    group by all
)

select * from counted
