{#- One BYOC job per job_gateway_completed attempt, key (org, event_id)
    (reference-behaviour.md §3.6), with the model of the worker that serves the
    capability at that orchestrator. Completed events carry no worker URL, so the
    worker is matched on (org, capability, orchestrator_address): the latest
    worker_lifecycle event at or before completion within 30 days, else (the
    registration was not observed yet) the earliest one after it.

    Incrementally, an attempt is modelled again when it was staged since the last
    build or falls inside the build range, and when a worker event staged since then
    can change its match: on the attempt's (org, capability, orchestrator), a new
    worker instant at or before its completion (a closer latest-before), or, for an
    attempt matched to no worker or to one after it, a new instant after it. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id']},
) }}
{%- set scope_sql -%}
    with new_worker_keys as (
        select org, capability, orchestrator_address, min(event_ts) as first_ts, max(event_ts) as last_ts,
        from {{ ref('stg_lake__worker_lifecycle_events') }}
        where (built_at > {{ last_built_at() }} or {{ in_build_range('event_ts') }})
            and coalesce(capability, '') != ''
            and coalesce(orchestrator_address, '') != ''
        group by all
    )
    select org, event_id from {{ ref('stg_lake__byoc_gateway_events') }}
    where is_job and (built_at > {{ last_built_at() }} or {{ in_build_range('coalesce(completed_at, event_ts)') }})
    union
    select modelled.org, modelled.event_id
    from {{ this }} as modelled
    inner join new_worker_keys using (org, capability, orchestrator_address)
    where modelled.completed_at >= new_worker_keys.first_ts
        or (
            modelled.completed_at < new_worker_keys.last_ts
            and coalesce(modelled.worker_observed_at > modelled.completed_at, true)
        )
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}

with

attempts as (
    select * from {{ ref('stg_lake__byoc_gateway_events') }}
    where is_job {{ within_scope(scope, '(org, event_id)', 'org, event_id') }}
),

workers as (
    select * from {{ ref('stg_lake__worker_lifecycle_events') }}
    where coalesce(capability, '') != ''
        and coalesce(orchestrator_address, '') != ''
),

attempts_timed as (
    select
        *,
        coalesce(completed_at, event_ts) as finished_at,
    from attempts
),

-- One worker event per (org, capability, orchestrator, instant), the highest event
-- id, so the as-of joins below are deterministic and a matched instant names one
-- worker event. A join on the key alone grew with the product of attempts and a
-- month of worker events.
worker_instants as (
    select org, capability, orchestrator_address, event_ts, model_id, price_per_unit, worker_url, event_id,
    from workers
    qualify row_number() over (
        partition by org, capability, orchestrator_address, event_ts order by event_id desc
    ) = 1
),

-- The two as-of joins differ only in direction; each names the matched instant.
latest_before as (
    select attempts_timed.org, attempts_timed.event_id, worker_instants.event_ts as worker_ts,
    from attempts_timed
    asof join worker_instants
        on worker_instants.org = attempts_timed.org
        and worker_instants.capability = attempts_timed.capability
        and worker_instants.orchestrator_address = attempts_timed.orchestrator_address
        and worker_instants.event_ts <= attempts_timed.finished_at
    where worker_instants.event_ts > attempts_timed.finished_at - interval 30 days
),

earliest_after as (
    select attempts_timed.org, attempts_timed.event_id, worker_instants.event_ts as worker_ts,
    from attempts_timed
    asof join worker_instants
        on worker_instants.org = attempts_timed.org
        and worker_instants.capability = attempts_timed.capability
        and worker_instants.orchestrator_address = attempts_timed.orchestrator_address
        and attempts_timed.finished_at < worker_instants.event_ts
),

matched_instants as (
    select * from latest_before
    union all
    select * from earliest_after
    anti join latest_before using (org, event_id)
),

jobs as (
    select
        attempts_timed.org,
        attempts_timed.event_id,
        coalesce({{ normalized_address('attempts_timed.gateway') }}, '') as gateway,
        nullif(attempts_timed.request_id, '') as request_id,
        attempts_timed.capability,
        worker_instants.model_id,
        worker_instants.worker_url,
        worker_instants.price_per_unit,
        attempts_timed.attempt_index,
        attempts_timed.is_streaming,
        coalesce(attempts_timed.orchestrator_address, '') as orchestrator_address,
        coalesce(attempts_timed.orchestrator_url, '') as orchestrator_url,
        coalesce(attempts_timed.orchestrator_url_norm, '') as orchestrator_uri,
        case
            when coalesce(attempts_timed.orchestrator_address, '') != ''
                or coalesce(trim(attempts_timed.orchestrator_url), '') != '' then 'selected'
            when not coalesce(attempts_timed.is_success, false)
                and lower(coalesce(attempts_timed.error_message, '')) like '%no orchestrators%' then 'no_orch'
            else 'unknown'
        end as selection_outcome,
        coalesce(attempts_timed.is_success, false) as is_success,
        attempts_timed.duration_ms,
        attempts_timed.http_status,
        nullif(attempts_timed.error_message, '') as error_message,
        attempts_timed.event_ts,
        attempts_timed.finished_at as completed_at,
        date_trunc('hour', attempts_timed.finished_at) as window_start,
        matched_instants.worker_ts as worker_observed_at,
        {{ build_stamp() }} as built_at,
    from attempts_timed
    left join matched_instants using (org, event_id)
    left join worker_instants
        on worker_instants.org = attempts_timed.org
        and worker_instants.capability = attempts_timed.capability
        and worker_instants.orchestrator_address = attempts_timed.orchestrator_address
        and worker_instants.event_ts = matched_instants.worker_ts
)

select * from jobs
