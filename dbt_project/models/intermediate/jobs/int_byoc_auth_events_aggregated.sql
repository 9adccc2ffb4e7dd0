{#- BYOC authentication results per hour (reference-behaviour.md §3.7). The
    webhook result names no capability, only the pipeline: it falls back to the
    pipeline rather than being dropped; rows with neither are dropped. -#}
with

auth_events as (
    select * from {{ ref('stg_lake__byoc_auth_events') }}
),

named as (
    select
        *,
        coalesce(nullif(trim(capability), ''), nullif(trim(pipeline), '')) as capability_name,
    from auth_events
),

hourly as (
    select
        date_trunc('hour', event_ts) as window_start,
        org,
        capability_name,
        count(*) as total_events,
        count(*) filter (where is_success) as success_count,
        count(*) filter (where not is_success) as failure_count,
        count(*) filter (where event_subtype = 'job_auth_webhook_result') as webhook_events,
        count(*) filter (where event_subtype = 'job_credential_verify_result') as credential_verify_events,
    from named
    where capability_name is not null
    group by all
)

select * from hourly
