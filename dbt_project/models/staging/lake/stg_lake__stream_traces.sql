with

events as (
    {{ deduplicated_events('stream_trace') }}
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
            "message": "VARCHAR",
            "client_source": "VARCHAR",
            "sender": {"type": "VARCHAR", "id": "VARCHAR"},
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
        lower(payload.type) as trace_type,
        payload.stream_id,
        payload.request_id,
        payload.pipeline_id,
        payload.pipeline as pipeline_hint,
        payload.message,
        payload.client_source,
        payload.sender.type as sender_type,
        payload.sender.id as sender_id,

        -- orchestrator (the hot wallet; on orchestrator_swap the one abandoned)
        {{ normalized_address('payload.orchestrator_info.address') }} as orchestrator_local_address,
        payload.orchestrator_info.url as orchestrator_url,
        {{ normalized_url('payload.orchestrator_info.url') }} as orchestrator_url_norm,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
