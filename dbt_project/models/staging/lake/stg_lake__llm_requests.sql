with

events as (
    {{ deduplicated_events('ai_llm_request') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "type": "VARCHAR",
            "request_id": "VARCHAR",
            "model": "VARCHAR",
            "orch_url": "VARCHAR",
            "streaming": "BOOLEAN",
            "prompt_tokens": "BIGINT",
            "completion_tokens": "BIGINT",
            "total_tokens": "BIGINT",
            "max_tokens_requested": "BIGINT",
            "token_utilization": "DOUBLE",
            "finish_reason": "VARCHAR",
            "total_duration_ms": "DOUBLE",
            "tokens_per_second": "DOUBLE",
            "latency_score": "DOUBLE",
            "price_per_unit": "DOUBLE",
            "ttft_ms": "DOUBLE",
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
        coalesce(payload.type in ('llm_request_completed', 'llm_stream_completed'), false) as is_completed,
        payload.request_id,
        payload.model as model_id,
        payload.streaming as is_streaming,

        -- orchestrator
        payload.orch_url as orchestrator_url,
        {{ normalized_url('payload.orch_url') }} as orchestrator_url_norm,

        -- tokens
        payload.prompt_tokens,
        payload.completion_tokens,
        payload.total_tokens,
        payload.max_tokens_requested,
        payload.token_utilization,
        payload.finish_reason,

        -- performance and price
        payload.total_duration_ms,
        payload.ttft_ms as time_to_first_token_ms,
        payload.tokens_per_second,
        payload.latency_score,
        payload.price_per_unit,
        payload.error as error_message,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
