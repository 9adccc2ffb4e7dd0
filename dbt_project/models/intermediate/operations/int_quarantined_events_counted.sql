{#- Quarantined messages counted per event date, topic and reason. -#}
with

quarantined as (
    select * from {{ ref('stg_lake__quarantined_events') }}
),

counted as (
    select
        event_date,
        topic,
        reason,
        count(*) as event_count,
        min(ingested_at) as first_ingested_at,
        max(ingested_at) as last_ingested_at,
    from quarantined
    group by all
)

select * from counted
