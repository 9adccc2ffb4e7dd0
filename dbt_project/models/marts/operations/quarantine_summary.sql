with

counted as (
    select * from {{ ref('int_quarantined_events_counted') }}
),

published as (
    select
        strftime(event_date, '%Y-%m-%d') as event_date,
        topic,
        reason,
        event_count,
        {{ iso_utc('first_ingested_at') }} as first_ingested_at,
        {{ iso_utc('last_ingested_at') }} as last_ingested_at,
    from counted
)

select * from published
