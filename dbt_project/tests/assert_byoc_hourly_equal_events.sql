{#- BYOC auth and payment hourly tables equal the staged event counts per org
    (reference-behaviour.md §4 inflation guard): any org whose totals differ fails. -#}
-- It reads whole marts: the daily close and every other build run it, not a micro-batch.
{{ config(tags=['close']) }}
with

auth_events as (
    select * from {{ ref('stg_lake__byoc_auth_events') }}
),

payment_events as (
    select * from {{ ref('stg_lake__byoc_payment_events') }}
),

auth_hourly as (
    select * from {{ ref('byoc_auth_hourly') }}
),

payments_hourly as (
    select * from {{ ref('byoc_payments_hourly') }}
),

expected as (
    select org, 'auth' as surface, count(*) as event_count,
    from auth_events
    where coalesce(nullif(trim(capability), ''), nullif(trim(pipeline), '')) is not null
    group by all
    union all
    select org, 'payments' as surface, count(*) as event_count,
    from payment_events
    group by all
),

published as (
    select org, 'auth' as surface, sum(total_events) as event_count,
    from auth_hourly
    group by all
    union all
    select org, 'payments' as surface, sum(payment_count) as event_count,
    from payments_hourly
    group by all
),

mismatches as (
    select
        coalesce(expected.org, published.org) as org,
        coalesce(expected.surface, published.surface) as surface,
        expected.event_count as expected_count,
        published.event_count as published_count,
    from expected
    full outer join published
        on published.org = expected.org
        and published.surface = expected.surface
    where expected.event_count is distinct from published.event_count
)

select * from mismatches
