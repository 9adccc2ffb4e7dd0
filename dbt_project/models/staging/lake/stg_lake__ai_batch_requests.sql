with

events as (
    {{ deduplicated_events('ai_batch_request') }}
),

parsed as (
    select
        *,
        -- client_ip is deliberately not read: client IPs never leave the lake.
        json_transform(data_json, '{
            "type": "VARCHAR",
            "request_id": "VARCHAR",
            "pipeline": "VARCHAR",
            "model_id": "VARCHAR",
            "orchestrator": "VARCHAR",
            "orch_url": "VARCHAR",
            "success": "BOOLEAN",
            "tries": "BIGINT",
            "duration_ms": "DOUBLE",
            "latency_score": "DOUBLE",
            "price_per_unit": "DOUBLE",
            "error_type": "VARCHAR",
            "error": "VARCHAR",
            "timestamp": "VARCHAR"
        }') as payload,
    from events
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids and kind
        payload.type as event_subtype,
        coalesce(payload.type in ('ai_batch_request_completed', 'completed'), false) as is_completed,
        payload.request_id,
        payload.pipeline,
        payload.model_id,

        -- orchestrator
        payload.orchestrator as requested_orchestrator,
        payload.orch_url as orchestrator_url,
        {{ normalized_url('payload.orch_url') }} as orchestrator_url_norm,

        -- outcome (completed events only)
        case when is_completed then payload.success end as is_success,
        payload.tries,
        payload.duration_ms,
        payload.latency_score,
        payload.price_per_unit,
        payload.error_type,
        payload.error as error_message,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
