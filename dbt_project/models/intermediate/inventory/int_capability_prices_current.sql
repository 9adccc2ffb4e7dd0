{#- Each orchestrator's advertised prices in its latest snapshot within 24 h of
    the data clock (reference-behaviour.md §3.9): per-capability prices with a
    positive price and pixel unit, plus the global price as capability 0. -#}
with

clock as (
    select * from {{ ref('int_data_clock_bounds') }}
),

snapshots as (
    select * from {{ ref('stg_lake__capability_snapshots') }}
    where coalesce(orchestrator_address, '') != ''
        and event_ts >= (select window_from from clock)
),

latest as (
    select * from snapshots
    qualify row_number() over (partition by orchestrator_address order by event_ts desc, event_id desc) = 1
),

per_capability as (
    select
        l.orchestrator_address,
        l.event_ts,
        json_transform(price.value, '{"capability": "INTEGER", "constraint": "VARCHAR",
            "pricePerUnit": "DOUBLE", "pixelsPerUnit": "DOUBLE"}') as price,
    from latest as l, json_each(l.capabilities_prices_json) as price
),

capability_prices as (
    select
        orchestrator_address,
        price.capability as capability_id,
        coalesce(price.constraint, '') as constraint_name,
        price.pricePerUnit as price_per_unit,
        price.pixelsPerUnit as pixels_per_unit,
        event_ts,
    from per_capability
    where price.capability > 0 and price.pricePerUnit > 0 and price.pixelsPerUnit > 0
),

global_prices as (
    select
        orchestrator_address,
        0 as capability_id,
        '' as constraint_name,
        global_price_per_unit as price_per_unit,
        global_pixels_per_unit as pixels_per_unit,
        event_ts,
    from latest
    where global_price_per_unit > 0 and global_pixels_per_unit > 0
),

unioned as (
    select * from capability_prices
    union all
    select * from global_prices
)

select * from unioned
