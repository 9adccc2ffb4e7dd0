with

volumes as (
    select * from {{ ref('int_event_volumes_hourly') }}
),

published as (
    select
        window_start,
        org,
        event_type,
        delivered_count,
        staged_count,
        empty_count,
        delivered_count - empty_count - staged_count as redelivered_count,
        (delivered_count - empty_count - staged_count) / delivered_count as redelivery_rate,
    from volumes
)

select * from published
