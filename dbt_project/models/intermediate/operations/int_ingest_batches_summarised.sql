{#- Each committed ingest batch with its partition ranges and reasons kept as
    lists, and how many topic-partitions it advanced. -#}
with

batches as (
    select * from {{ ref('stg_lake__ingest_batches') }}
),

summarised as (
    select
        *,
        len(partitions) as partition_count,
    from batches
)

select * from summarised
