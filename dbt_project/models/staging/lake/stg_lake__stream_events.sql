with

events as (
    {{ deduplicated_events('ai_stream_events') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "type": "VARCHAR",
            "stream_id": "VARCHAR",
            "request_id": "VARCHAR",
            "pipeline_id": "VARCHAR",
            "pipeline": "VARCHAR",
            "capability": "VARCHAR",
            "message": "VARCHAR",
            "params": "JSON",
            "orchestrator_info": {"address": "VARCHAR", "url": "VARCHAR"},
            "timestamp": "VARCHAR"
        }') as payload,
    from events
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids and kind
        payload.type as event_subtype,
        coalesce(lower(trim(payload.type)) = 'error', false) as is_error,
        coalesce(contains(lower(payload.type), 'swap'), false) as is_swap,
        payload.stream_id,
        payload.request_id,
        payload.pipeline_id,
        payload.pipeline as pipeline_hint,
        payload.capability,
        payload.message,
        payload.params as params_json,

        -- orchestrator (present on some passthrough types only)
        {{ normalized_address('payload.orchestrator_info.address') }} as orchestrator_local_address,
        payload.orchestrator_info.url as orchestrator_url,
        {{ normalized_url('payload.orchestrator_info.url') }} as orchestrator_url_norm,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
