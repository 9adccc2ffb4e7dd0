{#- Accepted deliveries and staged events (first deliveries, semantics.md "Ingest")
    per UTC hour, org and event family; their difference is what staging dropped
    as redeliveries, besides the empty deliveries (discovery results and capability
    snapshots listing no entry, which stage no row). Events are counted by id: those
    models stage one row per entry an event lists.

    Incrementally, an hour is counted again when a batch staged since the last
    build has an event in it, or it lies inside the build range. Each staging
    table is read from the earliest scoped hour on (a literal bound, so DuckDB
    skips the row groups of older history). -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}
{#- Each event family's staging model, by the lake's event_type it stages. -#}
{%- set families = {
    'ai_batch_request': 'stg_lake__ai_batch_requests',
    'job_auth': 'stg_lake__byoc_auth_events',
    'job_gateway': 'stg_lake__byoc_gateway_events',
    'job_orchestrator': 'stg_lake__byoc_orchestrator_events',
    'job_payment': 'stg_lake__byoc_payment_events',
    'network_capabilities': 'stg_lake__capability_snapshots',
    'discovery_results': 'stg_lake__discovery_results',
    'ai_llm_request': 'stg_lake__llm_requests',
    'create_new_payment': 'stg_lake__payments',
    'create_signed_ticket': 'stg_lake__signed_tickets',
    'ai_stream_events': 'stg_lake__stream_events',
    'stream_ingest_metrics': 'stg_lake__stream_ingest_metrics',
    'ai_stream_status': 'stg_lake__stream_statuses',
    'stream_trace': 'stg_lake__stream_traces',
    'worker_lifecycle': 'stg_lake__worker_lifecycle_events',
} -%}
{%- set deliveries = ref('stg_lake__event_deliveries') -%}
{%- set scope_sql -%}
    select distinct {{ iso_window('event_hour') }} as window_start from {{ deliveries }}
    where built_at > {{ last_built_at() }} or {{ in_build_range('event_hour') }}
    union
    select window_start from {{ this }} where {{ in_build_range('window_start::timestamp') }}
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}
{%- set since = 'true' -%}
{%- if scope is not none -%}
    {%- set first_hour = run_query('select min(window_start) from ' ~ scope).columns[0].values()[0] -%}
    {%- set since = "event_ts >= '" ~ first_hour ~ "Z'::timestamptz" if first_hour else 'false' -%}
{%- endif %}

with

delivered as (
    select
        {{ iso_window('event_hour') }} as window_start,
        org,
        event_type,
        sum(delivered_count) as delivered_count,
        sum(empty_count) as empty_count,
    from {{ deliveries }}
    where true {{ within_hour_scope(scope, 'event_hour') }}
    group by all
),

staged as (
    {%- for event_type, model in families.items() %}
    select
        {{ iso_window("date_trunc('hour', event_ts)") }} as window_start,
        org,
        '{{ event_type }}' as event_type,
        count(distinct event_id) as staged_count,
    from {{ ref(model) }}
    -- An hour's staged rows are those of its event date (staging's key), as in the lake.
    where {{ since }} and event_date = event_ts::date {{ within_hour_scope(scope, "date_trunc('hour', event_ts)") }}
    group by all
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

counted as (
    select
        delivered.window_start,
        delivered.org,
        delivered.event_type,
        delivered.delivered_count,
        delivered.empty_count,
        coalesce(staged.staged_count, 0) as staged_count,
        {{ build_stamp() }} as built_at,
    from delivered
    left join staged using (window_start, org, event_type)
)

select * from counted
