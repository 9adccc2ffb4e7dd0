{#- Each orchestrator's latest advertised prices per capability and constraint. -#}
with

prices as (
    select * from {{ ref('int_capability_prices_current') }}
),

published as (
    select
        orchestrator_address,
        capability_id,
        constraint_name as "constraint",
        price_per_unit,
        pixels_per_unit,
        price_per_unit / pixels_per_unit as price_wei_per_pixel,
        {{ iso_utc('event_ts') }} as observed_at,
    from prices
    -- A constraint listed twice in one snapshot keeps its lowest price.
    qualify row_number() over (
        partition by orchestrator_address, capability_id, constraint_name order by price_per_unit
    ) = 1
)

select * from published
