{#- BYOC authentication results per hour (reference-behaviour.md §3.7). The
    webhook result names no capability, only the pipeline: it falls back to the
    pipeline rather than being dropped; rows with neither are dropped. -#}
with

hourly as (
    select * from {{ ref('int_byoc_auth_events_aggregated') }}
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        * exclude (window_start),
        success_count / nullif(success_count + failure_count, 0) as success_rate,
    from hourly
)

select * from published
