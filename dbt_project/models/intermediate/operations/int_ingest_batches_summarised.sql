{#- Each committed ingest batch with its partition ranges and reasons kept as
    lists, how many topic-partitions it advanced, and the newest event in the lake
    when it finished: the running maximum over the batches finished by then (in
    finish order: parallel workers' batches overlap), so a batch that brought
    nothing carries the feed's age forward. -#}
with

batches as (
    select * from {{ ref('stg_lake__ingest_batches') }}
),

deliveries as (
    select * from {{ ref('stg_lake__event_deliveries') }}
),

newest_per_batch as (
    select
        batch_id,
        max(newest_event_ts) as newest_event_ts,
    from deliveries
    group by batch_id
),

summarised as (
    select
        batches.*,
        len(batches.partitions) as partition_count,
        max(newest_per_batch.newest_event_ts) over (
            order by batches.finished_at, batches.batch_id rows between unbounded preceding and current row
        ) as newest_event_ts,
    from batches
    left join newest_per_batch using (batch_id)
)

select * from summarised
