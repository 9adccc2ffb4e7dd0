with

events as (
    {{ deduplicated_events('create_new_payment') }}
),

parsed as (
    select
        *,
        -- clientIP is deliberately not read: client IPs never leave the lake.
        json_transform(data_json, '{
            "sessionID": "VARCHAR",
            "requestID": "VARCHAR",
            "manifestID": "VARCHAR",
            "capability": "VARCHAR",
            "sender": "VARCHAR",
            "recipient": "VARCHAR",
            "orchestrator": "VARCHAR",
            "faceValue": "VARCHAR",
            "price": "VARCHAR",
            "winProb": "VARCHAR",
            "numTickets": "VARCHAR"
        }') as payload,
    from events
),

amounts as (
    select
        *,
        try_cast(trim(regexp_replace(payload.faceValue, '(?i)\s*wei\s*$', '')) as hugeint) as face_value_wei,
        try_cast(trim(regexp_replace(payload.price, '(?i)\s*wei\s*/\s*pixel\s*$', '')) as double)
            as price_wei_per_pixel,
        try_cast(trim(payload.winProb) as double) as win_prob,
        try_cast(trim(payload.numTickets) as integer) as num_tickets,
    from parsed
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids
        payload.sessionID as session_id,
        payload.requestID as request_id,
        payload.manifestID as manifest_id,
        try_cast(regexp_extract(payload.manifestID, '^([0-9]+)_', 1) as integer) as manifest_capability_id,
        regexp_replace(payload.manifestID, '^[0-9]+_', '') as pipeline_hint,
        payload.capability,

        -- parties
        {{ normalized_address('payload.sender') }} as sender_address,
        {{ normalized_address('payload.recipient') }} as recipient_address,
        payload.orchestrator as orchestrator_url,
        {{ normalized_url('payload.orchestrator') }} as orchestrator_url_norm,

        -- amounts
        face_value_wei,
        price_wei_per_pixel,
        win_prob,
        num_tickets,
        face_value_wei * win_prob * num_tickets as expected_value_wei,
        payload.faceValue as face_value_text,
        payload.price as price_text,
    from amounts
)

select * from renamed
