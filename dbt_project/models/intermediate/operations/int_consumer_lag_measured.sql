{#- Each lag measurement with the organisation of its topic, as the batches'
    partition ranges name it (a topic belongs to one org: NAAP_TOPIC_ORGS); a
    topic no batch has read yet has none. -#}
with

measurements as (
    select * from {{ ref('stg_lake__consumer_lag') }}
),

batches as (
    select * from {{ ref('stg_lake__ingest_batches') }}
),

topic_orgs as (
    select
        ranges.topic,
        max(ranges.org) as org,
    from batches, unnest(batches.partitions) as advanced(ranges)
    group by ranges.topic
),

measured as (
    select
        measurements.measured_at,
        measurements.topic,
        topic_orgs.org,
        measurements.lag_messages,
        measurements.after_batch_id,
    from measurements
    left join topic_orgs using (topic)
)

select * from measured
