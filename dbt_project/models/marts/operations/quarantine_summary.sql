with

quarantined as (
    select * from {{ ref('stg_lake__quarantined_events') }}
),

summary as (
    select
        strftime(event_date, '%Y-%m-%d') as event_date,
        topic,
        reason,
        count(*) as event_count,
        {{ iso_utc('min(ingested_at)') }} as first_ingested_at,
        {{ iso_utc('max(ingested_at)') }} as last_ingested_at,
    from quarantined
    group by all
)

select * from summary
