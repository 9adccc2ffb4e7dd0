with

measurements as (
    select * from {{ ref('int_consumer_lag_measured') }}
),

published as (
    select
        {{ iso_utc('measured_at') }} as measured_at,
        topic,
        org,
        lag_messages,
        after_batch_id,
    from measurements
)

select * from published
