with

batches as (
    select * from {{ ref('int_ingest_batches_summarised') }}
),

published as (
    select
        batch_id,
        {{ iso_utc('started_at') }} as started_at,
        {{ iso_utc('finished_at') }} as finished_at,
        duration_s,
        consumed,
        accepted,
        quarantined,
        consumed_bytes,
        file_count,
        partition_count,
        to_json(partitions)::varchar as partition_offsets_json,
        to_json(quarantine_reasons)::varchar as quarantine_reasons_json,
    from batches
)

select * from published
