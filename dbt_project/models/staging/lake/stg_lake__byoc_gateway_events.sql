with

events as (
    {{ deduplicated_events('job_gateway') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "type": "VARCHAR",
            "request_id": "VARCHAR",
            "capability": "VARCHAR",
            "success": "BOOLEAN",
            "duration_ms": "DOUBLE",
            "http_status": "INTEGER",
            "error": "VARCHAR",
            "streaming": "BOOLEAN",
            "attempt_index": "INTEGER",
            "completed_at": "VARCHAR",
            "latency_ms": "DOUBLE",
            "available_capacity": "BIGINT",
            "orchestrators_found": "BIGINT",
            "orchestrator_info": {"address": "VARCHAR", "url": "VARCHAR"},
            "timestamp": "VARCHAR"
        }') as payload,
    from events
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids and kind (the short spelling `completed` is accepted too)
        payload.type as event_subtype,
        coalesce(payload.type in ('job_gateway_completed', 'completed'), false) as is_job,
        payload.request_id,
        payload.capability,
        payload.streaming as is_streaming,
        payload.attempt_index,

        -- orchestrator
        {{ normalized_address('payload.orchestrator_info.address') }} as orchestrator_address,
        payload.orchestrator_info.url as orchestrator_url,
        {{ normalized_url('payload.orchestrator_info.url') }} as orchestrator_url_norm,

        -- outcome
        payload.success as is_success,
        payload.duration_ms,
        payload.http_status,
        payload.error as error_message,
        payload.latency_ms,
        payload.available_capacity,
        payload.orchestrators_found,

        -- timestamps
        {{ to_utc_ts('payload.completed_at') }} as completed_at,
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
