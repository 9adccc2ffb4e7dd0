with

events as (
    {{ deduplicated_events('job_orchestrator') }}
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
            "worker_url": "VARCHAR",
            "charged_compute": "BOOLEAN",
            "price_per_unit": "DOUBLE",
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
        payload.request_id,
        payload.capability,

        -- orchestrator and worker
        {{ normalized_address('payload.orchestrator_info.address') }} as orchestrator_address,
        payload.orchestrator_info.url as orchestrator_url,
        {{ normalized_url('payload.orchestrator_info.url') }} as orchestrator_url_norm,
        payload.worker_url,
        {{ normalized_url('payload.worker_url') }} as worker_url_norm,

        -- outcome
        payload.success as is_success,
        payload.duration_ms,
        payload.http_status,
        payload.error as error_message,
        payload.charged_compute as is_compute_charged,
        payload.price_per_unit,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
