{#- Session x hour rows for every hour with at least one status sample
    (reference-behaviour.md §2.9), with the terminal-tail flag: a weak last hour
    (fewer than 3 samples, no FPS > 0, no running state) after a weak hour, in a
    session that started before it, is an artifact of the stream closing and is
    kept out of SLA and GPU metrics. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_sessions_attributed')]) -%}
{%- set since = since_first_signal(scope, ref('int_session_signals_bounded')) -%}

with

statuses as (
    select
        *,
        {{ session_key('org', 'stream_id', 'request_id') }} as session_key,
        date_trunc('hour', event_ts) as window_start,
    from {{ ref('stg_lake__stream_statuses') }}
),

sessions as (
    select org, session_key, started_at, last_seen from {{ ref('int_sessions_attributed') }}
    where true {{ within_scope(scope, 'session_key') }}
),

hours as (
    select
        org,
        session_key,
        window_start,
        count(*) as status_samples,
        count(*) filter (where output_fps > 0) as fps_positive_samples,
        count(*) filter (where state in ('ONLINE', 'DEGRADED_INPUT', 'DEGRADED_INFERENCE')) as running_state_samples,
        count(*) filter (where state = 'DEGRADED_INPUT') as degraded_input_samples,
        count(*) filter (where state = 'DEGRADED_INFERENCE') as degraded_inference_samples,
        count(*) filter (where has_error) as error_samples,
        coalesce(sum(output_fps), 0) as output_fps_sum,
        coalesce(sum(input_fps), 0) as input_fps_sum,
        coalesce(sum(e2e_latency_ms) filter (where e2e_latency_ms > 0), 0) as status_e2e_latency_sum_ms,
        count(*) filter (where e2e_latency_ms > 0) as status_e2e_latency_sample_count,
    from statuses
    where session_key is not null and {{ since }} {{ within_scope(scope, 'session_key') }}
    group by all
),

weakness as (
    select
        h.*,
        s.started_at,
        s.last_seen,
        h.fps_positive_samples = 0 and h.running_state_samples = 0 and h.status_samples < 3 as is_weak,
    from hours as h
    inner join sessions as s using (org, session_key)
),

flagged as (
    select
        *,
        coalesce(s.started_at < s.window_start, false)
            and s.last_seen >= s.window_start
            and s.last_seen < s.window_start + interval 1 hour
            and s.is_weak
            and coalesce(lag(s.is_weak) over (partition by s.org, s.session_key order by s.window_start), true)
            as is_terminal_tail_artifact,
        {{ build_stamp() }} as built_at,
    from weakness as s
)

select * from flagged
