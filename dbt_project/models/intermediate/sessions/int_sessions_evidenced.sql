{#- Per-session evidence, all-time over the session key (reference-behaviour.md §2.2). -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_session_signals_unioned')]) -%}
{%- set since = since_first_signal(scope, ref('int_session_signals_bounded')) -%}

with

traces as (
    select
        *,
        {{ session_key('org', 'stream_id', 'request_id') }} as session_key,
    from {{ ref('stg_lake__stream_traces') }}
),

statuses as (
    select
        *,
        {{ session_key('org', 'stream_id', 'request_id') }} as session_key,
    from {{ ref('stg_lake__stream_statuses') }}
),

stream_events as (
    select
        *,
        {{ session_key('org', 'stream_id', 'request_id') }} as session_key,
    from {{ ref('stg_lake__stream_events') }}
),

trace_evidence as (
    select
        org,
        session_key,
        min(event_ts) filter (where trace_type = 'gateway_receive_stream_request') as started_at,
        min(event_ts) filter (where trace_type = 'gateway_send_first_ingest_segment') as first_ingest_at,
        min(event_ts) filter (where trace_type = 'runner_send_first_processed_segment') as runner_first_processed_at,
        min(event_ts) filter (where trace_type = 'gateway_receive_first_processed_segment') as first_processed_at,
        min(event_ts) filter (where trace_type = 'gateway_receive_few_processed_segments') as few_processed_at,
        count(*) filter (where trace_type = 'gateway_receive_stream_request') as started_count,
        count(*) filter (where trace_type = 'gateway_receive_few_processed_segments') as playable_seen_count,
        count(*) filter (where trace_type = 'gateway_no_orchestrators_available') as no_orch_count,
        count(*) filter (where trace_type = 'gateway_ingest_stream_closed') as completed_count,
        count(*) filter (where trace_type = 'orchestrator_swap') as swap_count,
        min(event_ts) as trace_first_seen,
        max(event_ts) as trace_last_seen,
        arg_max(pipeline_hint, event_ts) filter (where coalesce(trim(pipeline_hint), '') != '') as trace_pipeline_hint,
        arg_max(stream_id, event_ts) filter (where coalesce(trim(stream_id), '') != '') as trace_stream_id,
        arg_max(request_id, event_ts) filter (where coalesce(trim(request_id), '') != '') as trace_request_id,
        arg_max(gateway, event_ts) as trace_gateway,
    from traces
    where session_key is not null and {{ since }} {{ within_scope(scope, 'session_key') }}
    group by all
),

status_evidence as (
    select
        org,
        session_key,
        count(*) as status_sample_count,
        count(*) filter (where has_error) as status_error_sample_count,
        count(*) filter (where restart_count > 0) as restart_seen_count,
        count(*) filter (where state = 'DEGRADED_INPUT') as degraded_input_seen_count,
        count(*) filter (where state = 'DEGRADED_INFERENCE') as degraded_inference_seen_count,
        count(*) filter (where state = 'ONLINE') as online_seen_count,
        count(*) filter (where output_fps > 0) as positive_output_seen_count,
        count(*) filter (where state in ('ONLINE', 'DEGRADED_INPUT', 'DEGRADED_INFERENCE')) as running_state_samples_count,
        coalesce(sum(output_fps), 0) as output_fps_sum,
        min(started_at) as status_start_time,
        min(event_ts) as status_first_seen,
        max(event_ts) as status_last_seen,
        arg_max(pipeline_hint, event_ts) filter (where coalesce(trim(pipeline_hint), '') != '') as status_model_hint,
        arg_max(stream_id, event_ts) filter (where coalesce(trim(stream_id), '') != '') as status_stream_id,
        arg_max(request_id, event_ts) filter (where coalesce(trim(request_id), '') != '') as status_request_id,
        arg_max(gateway, event_ts) as status_gateway,
    from statuses
    where session_key is not null and {{ since }} {{ within_scope(scope, 'session_key') }}
    group by all
),

event_evidence as (
    select
        org,
        session_key,
        count(*) filter (where is_error) as startup_error_count,
        count(*) filter (where is_error and {{ is_excusable_error('message') }}) as excusable_error_count,
        min(event_ts) as event_first_seen,
        max(event_ts) as event_last_seen,
        arg_max(pipeline_hint, event_ts) filter (where coalesce(trim(pipeline_hint), '') != '') as event_pipeline_hint,
    from stream_events
    where session_key is not null and {{ since }} {{ within_scope(scope, 'session_key') }}
    group by all
),

session_keys as (
    select org, session_key from trace_evidence
    union
    select org, session_key from status_evidence
    union
    select org, session_key from event_evidence
),

evidence as (
    select
        k.org,
        k.session_key,
        coalesce(t.trace_stream_id, s.status_stream_id) as stream_id,
        coalesce(t.trace_request_id, s.status_request_id) as request_id,
        coalesce(s.status_gateway, t.trace_gateway) as gateway,
        t.started_at,
        t.first_ingest_at,
        t.runner_first_processed_at,
        t.first_processed_at,
        t.few_processed_at,
        coalesce(t.started_count, 0) as started_count,
        coalesce(t.playable_seen_count, 0) as playable_seen_count,
        coalesce(t.no_orch_count, 0) as no_orch_count,
        coalesce(t.completed_count, 0) as completed_count,
        coalesce(t.swap_count, 0) as swap_count,
        t.trace_pipeline_hint,
        coalesce(s.status_sample_count, 0) as status_sample_count,
        coalesce(s.status_error_sample_count, 0) as status_error_sample_count,
        coalesce(s.restart_seen_count, 0) as restart_seen_count,
        coalesce(s.degraded_input_seen_count, 0) as degraded_input_seen_count,
        coalesce(s.degraded_inference_seen_count, 0) as degraded_inference_seen_count,
        coalesce(s.online_seen_count, 0) as online_seen_count,
        coalesce(s.positive_output_seen_count, 0) as positive_output_seen_count,
        coalesce(s.running_state_samples_count, 0) as running_state_samples_count,
        coalesce(s.output_fps_sum, 0) as output_fps_sum,
        s.status_start_time,
        s.status_model_hint,
        coalesce(e.startup_error_count, 0) as startup_error_count,
        coalesce(e.excusable_error_count, 0) as excusable_error_count,
        e.event_pipeline_hint,
        t.trace_last_seen,
        s.status_last_seen,
        e.event_last_seen,
        least(t.trace_first_seen, s.status_first_seen, e.event_first_seen) as first_seen,
        greatest(t.trace_last_seen, s.status_last_seen, e.event_last_seen) as last_seen,
        {{ build_stamp() }} as built_at,
    from session_keys as k
    left join trace_evidence as t using (org, session_key)
    left join status_evidence as s using (org, session_key)
    left join event_evidence as e using (org, session_key)
)

select * from evidence
where last_seen is not null
