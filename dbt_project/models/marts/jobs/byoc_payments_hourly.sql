{#- BYOC payment events per hour, capability and payment type (reference-behaviour.md
    §3.7). Gateway subtypes carry no amount, so total_amount is often 0: the balance
    diffs of payment_balance_sync are published beside it. -#}
with

hourly as (
    select * from {{ ref('int_byoc_payment_events_aggregated') }}
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        * exclude (window_start),
    from hourly
)

select * from published
