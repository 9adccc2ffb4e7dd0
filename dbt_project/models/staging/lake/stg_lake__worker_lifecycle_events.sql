{#- One lifecycle event per orchestrator-assigned data.id: a re-drained event comes
    back under a new envelope id but the same data.id. -#}
{%- set lifecycle_id = "coalesce(nullif(trim(json_extract_string(data_json, '$.id')), ''), event_id)" -%}

with

events as (
    {{ deduplicated_events('worker_lifecycle', dedup_key=lifecycle_id, staged_key='lifecycle_id') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "type": "VARCHAR",
            "id": "VARCHAR",
            "capability": "VARCHAR",
            "worker_url": "VARCHAR",
            "price_per_unit": "DOUBLE",
            "worker_options": "JSON",
            "orchestrator_info": {"address": "VARCHAR", "url": "VARCHAR"},
            "timestamp": "VARCHAR"
        }') as payload,
    from events
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids and kind
        coalesce(nullif(trim(payload.id), ''), event_id) as lifecycle_id,
        payload.type as event_subtype,
        payload.capability,
        payload.worker_options ->> '$[0].model' as model_id,
        payload.worker_options as worker_options_json,
        payload.price_per_unit,

        -- orchestrator and worker
        {{ normalized_address('payload.orchestrator_info.address') }} as orchestrator_address,
        payload.orchestrator_info.url as orchestrator_url,
        {{ normalized_url('payload.orchestrator_info.url') }} as orchestrator_url_norm,
        payload.worker_url,
        {{ normalized_url('payload.worker_url') }} as worker_url_norm,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from parsed
)

select * from renamed
