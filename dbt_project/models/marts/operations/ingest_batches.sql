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
        {{ iso_utc('newest_event_ts') }} as newest_event_at,
        round(epoch(finished_at) - epoch(newest_event_ts), 3) as newest_event_age_s,
    from batches
)

select * from published
