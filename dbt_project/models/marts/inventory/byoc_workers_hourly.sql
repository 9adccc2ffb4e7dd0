{#- BYOC worker observations per hour: which workers each orchestrator ran for
    each capability, with their model and price (api-contract.md #13-15, #21). -#}
with

worker_hours as (
    select * from {{ ref('int_byoc_worker_events_aggregated') }}
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        orchestrator_address,
        orchestrator_uri,
        capability_name,
        worker_url,
        model_id,
        price_per_unit,
        observation_count,
        registered_count,
        unregistered_count,
        capacity_exhausted_count,
        last_event_type,
        {{ iso_utc('last_seen') }} as last_seen,
    from worker_hours
)

select * from published
