with

events as (
    {{ deduplicated_events('create_signed_ticket') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "session_id": "VARCHAR",
            "session_status": "VARCHAR",
            "pipeline": "VARCHAR",
            "request_id": "VARCHAR",
            "orch_address": "VARCHAR",
            "orch_url": "VARCHAR",
            "manifest_id": "VARCHAR",
            "pm_session_id": "VARCHAR",
            "current_time": "VARCHAR",
            "current_time_unix": "VARCHAR",
            "previous_time": "VARCHAR",
            "previous_time_unix": "VARCHAR",
            "billable_secs": "DOUBLE",
            "pixels": "BIGINT",
            "session_balance": "VARCHAR",
            "computed_fee": "VARCHAR",
            "cost_per_pixel": "VARCHAR",
            "sequence_number": "BIGINT",
            "num_tickets": "BIGINT"
        }') as payload,
    from events
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids
        payload.session_id,
        payload.session_status,
        payload.request_id,
        payload.manifest_id,
        payload.pm_session_id as payment_session_id,
        payload.pipeline as pipeline_hint,
        payload.sequence_number,

        -- orchestrator
        {{ normalized_address('payload.orch_address') }} as orchestrator_address,
        payload.orch_url as orchestrator_url,
        {{ normalized_url('payload.orch_url') }} as orchestrator_url_norm,

        -- billed compute and money
        payload.billable_secs as billable_s,
        payload.pixels as billed_pixels,
        try_cast(trim(payload.computed_fee) as hugeint) as computed_fee_wei,
        try_cast(trim(payload.session_balance) as hugeint) as session_balance_wei,
        try_cast(trim(payload.cost_per_pixel) as double) as cost_wei_per_pixel,
        payload.num_tickets,

        -- timestamps: the billed interval (the unix-ms twin first, else the text)
        {{ to_utc_ts('coalesce(payload.previous_time_unix, payload.previous_time)') }} as billed_from_at,
        {{ to_utc_ts('coalesce(payload.current_time_unix, payload.current_time)') }} as billed_to_at,
    from parsed
)

select * from renamed
