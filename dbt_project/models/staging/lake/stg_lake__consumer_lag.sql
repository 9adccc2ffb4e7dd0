-- Small, and read whole by its consumer: rebuilt every time.
{{ config(materialized='table') }}

with

measurements as (
    select * from {{ source('lake', 'consumer_lag') }}
),

renamed as (
    select
        measured_at,
        topic,
        lag as lag_messages,
        after_batch_id,
    from measurements
)

select * from renamed
