{#- One AI batch job per (org, request_id) (reference-behaviour.md §1.6, §3.6): the
    latest completed event (event_ts desc, event_id desc) is the job; the earliest
    received event at or before it is its selection time.

    Incrementally, a job is reassembled from all its events when any of them was
    staged since the last build or falls inside the build range. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'request_id']},
) }}
{%- set scope = request_scope(ref('stg_lake__ai_batch_requests')) -%}

with

batch_events as (
    select * from {{ ref('stg_lake__ai_batch_requests') }}
    where coalesce(trim(request_id), '') != '' {{ within_scope(scope, '(org, request_id)', 'org, request_id') }}
),

receipts as (
    select
        org,
        request_id,
        event_ts,
    from batch_events
    where event_subtype in ('ai_batch_request_received', 'received')
),

latest_completions as (
    select *
    from batch_events
    where is_completed
        and coalesce(trim(pipeline), '') != ''
    qualify row_number() over (
        partition by org, request_id
        order by event_ts desc, event_id desc
    ) = 1
),

first_receipts as (
    select
        latest_completions.org,
        latest_completions.request_id,
        min(receipts.event_ts) as received_at,
    from latest_completions
    inner join receipts
        on receipts.org = latest_completions.org
        and receipts.request_id = latest_completions.request_id
        and receipts.event_ts <= latest_completions.event_ts
    group by all
),

jobs as (
    select
        latest_completions.org,
        latest_completions.request_id,
        latest_completions.event_id as completed_event_id,
        coalesce({{ normalized_address('latest_completions.gateway') }}, '') as gateway,
        latest_completions.pipeline,
        coalesce(latest_completions.model_id, '') as model_id,
        coalesce(latest_completions.orchestrator_url, '') as orchestrator_url,
        coalesce(latest_completions.orchestrator_url_norm, '') as orchestrator_uri,
        case
            when coalesce(trim(latest_completions.orchestrator_url), '') != '' then 'selected'
            when not coalesce(latest_completions.is_success, false)
                and latest_completions.error_type = 'no_orchestrators' then 'no_orch'
            else 'unknown'
        end as selection_outcome,
        coalesce(latest_completions.is_success, false) as is_success,
        latest_completions.tries,
        latest_completions.duration_ms,
        latest_completions.latency_score,
        latest_completions.price_per_unit,
        nullif(latest_completions.error_type, '') as error_type,
        nullif(latest_completions.error_message, '') as error_message,
        first_receipts.received_at,
        latest_completions.event_ts as completed_at,
        date_trunc('hour', coalesce(latest_completions.event_ts, first_receipts.received_at)) as window_start,
        {{ build_stamp() }} as built_at,
    from latest_completions
    left join first_receipts
        on first_receipts.org = latest_completions.org
        and first_receipts.request_id = latest_completions.request_id
)

select * from jobs
