{#- The look-back window of the current tables: 24 h up to the data clock. -#}
with

clock as (
    select * from {{ ref('stg_lake__data_clock') }}
),

bounds as (
    select
        data_clock_at,
        data_clock_at - interval 24 hour as window_from,
    from clock
)

select * from bounds
