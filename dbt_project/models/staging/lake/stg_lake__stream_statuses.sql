with

events as (
    {{ deduplicated_events('ai_stream_status') }}
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
            "state": "VARCHAR",
            "start_time": "VARCHAR",
            "timestamp": "VARCHAR",
            "last_status_timestamp": "VARCHAR",
            "last_state_update_time": "VARCHAR",
            "orchestrator_info": {"address": "VARCHAR", "url": "VARCHAR"},
            "inference_status": {
                "fps": "DOUBLE",
                "latency_ms": "DOUBLE",
                "last_error": "VARCHAR",
                "last_error_time": "VARCHAR",
                "last_output_time": "VARCHAR",
                "last_params": "JSON",
                "last_params_hash": "VARCHAR",
                "last_params_update_time": "VARCHAR",
                "last_restart_logs": "JSON",
                "last_restart_time": "VARCHAR",
                "restart_count": "BIGINT"
            },
            "input_status": {"fps": "DOUBLE", "last_input_time": "VARCHAR"}
        }') as payload,
    from events
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids and state
        payload.type as event_subtype,
        payload.stream_id,
        payload.request_id,
        payload.pipeline_id,
        payload.pipeline as pipeline_hint,
        payload.state,

        -- orchestrator (the hot wallet)
        {{ normalized_address('payload.orchestrator_info.address') }} as orchestrator_local_address,
        payload.orchestrator_info.url as orchestrator_url,
        {{ normalized_url('payload.orchestrator_info.url') }} as orchestrator_url_norm,

        -- health
        payload.inference_status.fps as output_fps,
        payload.input_status.fps as input_fps,
        payload.inference_status.latency_ms as e2e_latency_ms,
        payload.inference_status.restart_count,
        payload.inference_status.last_error,
        coalesce(
            trim(payload.inference_status.last_error) not in ('', 'null'),
            false
        ) as has_error,
        payload.inference_status.last_params_hash,
        payload.inference_status.last_params as last_params_json,
        payload.inference_status.last_restart_logs as last_restart_logs_json,

        -- timestamps
        {{ to_utc_ts('payload.start_time') }} as started_at,
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
        {{ to_utc_ts('payload.last_status_timestamp') }} as last_status_at,
        {{ to_utc_ts('payload.last_state_update_time') }} as last_state_update_at,
        {{ to_utc_ts('payload.inference_status.last_output_time') }} as last_output_at,
        {{ to_utc_ts('payload.inference_status.last_params_update_time') }} as last_params_update_at,
        {{ to_utc_ts('payload.inference_status.last_error_time') }} as last_error_at,
        {{ to_utc_ts('payload.inference_status.last_restart_time') }} as last_restart_at,
        {{ to_utc_ts('payload.input_status.last_input_time') }} as last_input_at,
    from parsed
)

select * from renamed
