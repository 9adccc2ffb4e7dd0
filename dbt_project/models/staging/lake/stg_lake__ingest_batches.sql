-- Small, and read whole by its consumers: rebuilt every time.
{{ config(materialized='table') }}

with

batches as (
    select * from {{ source('lake', 'ingest_batches') }}
),

renamed as (
    select
        batch_id,
        started_at,
        finished_at,
        duration_s,
        consumed,
        accepted,
        quarantined,
        bytes as consumed_bytes,
        quarantine_reasons,
        partitions,
        len(files) as file_count,
    from batches
)

select * from renamed
