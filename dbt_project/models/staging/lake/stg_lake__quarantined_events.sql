-- Small, and read whole by its consumers: rebuilt every time.
{{ config(materialized='table') }}

with

quarantine as (
    select * from {{ source('lake', 'quarantine') }}
),

renamed as (
    select
        org,
        topic,
        "partition" as kafka_partition,
        "offset" as kafka_offset,
        event_date,
        reason,
        event_type,
        event_ts,
        ingested_at,
        batch_id,
    from quarantine
)

select * from renamed
