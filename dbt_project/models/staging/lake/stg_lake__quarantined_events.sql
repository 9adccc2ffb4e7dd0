-- Small, and read whole by its consumers: rebuilt every time.
{{ config(materialized='table') }}

with

quarantine as (
    select * from {{ source('lake', 'quarantine') }}
),

-- A deleted and recreated topic starts again at offset 0: only the topic id
-- (from the batch manifest's partition ranges) tells its messages apart.
partition_ranges as (
    select
        batch_id,
        unnest(partitions, recursive := true),
    from {{ source('lake', 'ingest_batches') }}
),

renamed as (
    select
        quarantine.org,
        quarantine.topic,
        partition_ranges.topic_id,
        quarantine."partition" as kafka_partition,
        quarantine."offset" as kafka_offset,
        quarantine.event_date,
        quarantine.reason,
        quarantine.event_type,
        quarantine.event_ts,
        quarantine.ingested_at,
        quarantine.batch_id,
    from quarantine
    left join partition_ranges
        on quarantine.batch_id = partition_ranges.batch_id
        and quarantine.topic = partition_ranges.topic
        and quarantine."partition" = partition_ranges."partition"
)

select * from renamed
