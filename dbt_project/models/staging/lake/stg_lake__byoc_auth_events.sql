with

events as (
    {{ deduplicated_events('job_auth') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "type": "VARCHAR",
            "capability": "VARCHAR",
            "success": "BOOLEAN",
            "error": "VARCHAR",
            "stream_name": "VARCHAR",
            "stream_id": "VARCHAR",
            "pipeline": "VARCHAR",
            "pipeline_id": "VARCHAR",
            "gateway_host": "VARCHAR",
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
        payload.capability,
        payload.stream_name,
        payload.stream_id,
        payload.pipeline,
        payload.pipeline_id,
        payload.gateway_host,

        -- orchestrator
        {{ normalized_address('payload.orchestrator_info.address') }} as orchestrator_address,
        payload.orchestrator_info.url as orchestrator_url,
        {{ normalized_url('payload.orchestrator_info.url') }} as orchestrator_url_norm,

        -- outcome
        payload.success as is_success,
        payload.error as error_message,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
