{#- BYOC payment events per hour, capability and payment type (reference-behaviour.md
    §3.7). Gateway subtypes carry no amount, so total_amount is often 0: the balance
    diffs of payment_balance_sync are published beside it. -#}
with

payment_events as (
    select * from {{ ref('stg_lake__byoc_payment_events') }}
),

hourly as (
    select
        date_trunc('hour', event_ts) as window_start,
        org,
        coalesce(capability, '') as capability,
        coalesce(event_subtype, '') as payment_type,
        count(*) as payment_count,
        coalesce(sum(amount), 0) as total_amount,
        count(amount) as amount_sample_count,
        arg_max(currency, (event_ts, event_id)) filter (where currency is not null) as currency,
        count(distinct nullif(orchestrator_address, '')) as unique_orchs,
        coalesce(sum(balance_diff_wei), 0) as balance_diff_wei_sum,
        count(balance_diff_wei) as balance_diff_sample_count,
    from payment_events
    group by all
)

select * from hourly
