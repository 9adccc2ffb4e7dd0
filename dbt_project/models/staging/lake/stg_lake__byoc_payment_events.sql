with

events as (
    {{ deduplicated_events('job_payment') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "type": "VARCHAR",
            "request_id": "VARCHAR",
            "capability": "VARCHAR",
            "stream_id": "VARCHAR",
            "sender": "VARCHAR",
            "orchestrator_addr": "VARCHAR",
            "balance": "VARCHAR",
            "diff": "VARCHAR",
            "min_bal_covered": "BOOLEAN",
            "reset_to_zero": "BOOLEAN",
            "with_tickets": "BOOLEAN",
            "amount": "DOUBLE",
            "currency": "VARCHAR",
            "timestamp": "VARCHAR"
        }') as payload,
    from events
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids and kind
        payload.type as event_subtype,
        payload.request_id,
        payload.capability,
        payload.stream_id,

        -- parties
        {{ normalized_address('payload.sender') }} as sender_address,
        {{ normalized_address('payload.orchestrator_addr') }} as orchestrator_address,

        -- balance and payment
        try_cast(trim(payload.balance) as hugeint) as balance_wei,
        try_cast(trim(payload.diff) as hugeint) as balance_diff_wei,
        payload.min_bal_covered as is_min_balance_covered,
        payload.reset_to_zero as is_reset_to_zero,
        payload.with_tickets as has_tickets,
        payload.amount,
        payload.currency,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
