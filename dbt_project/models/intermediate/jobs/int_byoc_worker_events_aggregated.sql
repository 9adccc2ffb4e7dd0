{#- BYOC worker observations per hour (reference-behaviour.md §1.6, worker_lifecycle;
    api-contract.md #21): every lifecycle event of a worker, whatever its type,
    is an observation of it, as in the reference, and the counts per type keep
    the unregistrations and exhaustions the reference folds away. Events naming
    no capability are left out: no job or offer can be matched to them. -#}
with

worker_events as (
    select * from {{ ref('stg_lake__worker_lifecycle_events') }}
    where coalesce(trim(capability), '') != ''
),

aggregated as (
    select
        date_trunc('hour', event_ts) as window_start,
        coalesce(orchestrator_address, '') as orchestrator_address,
        capability as capability_name,
        coalesce(worker_url, '') as worker_url,
        coalesce(arg_max(orchestrator_url_norm, (event_ts, event_id)), '') as orchestrator_uri,
        coalesce(
            arg_max(model_id, (event_ts, event_id)) filter (where coalesce(trim(model_id), '') != ''), ''
        ) as model_id,
        arg_max(price_per_unit, (event_ts, event_id)) filter (where price_per_unit is not null) as price_per_unit,
        arg_max(event_subtype, (event_ts, event_id)) as last_event_type,
        count(*) as observation_count,
        count(*) filter (where event_subtype = 'worker_registered') as registered_count,
        count(*) filter (where event_subtype = 'worker_unregistered') as unregistered_count,
        count(*) filter (where event_subtype = 'worker_capacity_exhausted') as capacity_exhausted_count,
        max(event_ts) as last_seen,
    from worker_events
    group by all
)

select * from aggregated
