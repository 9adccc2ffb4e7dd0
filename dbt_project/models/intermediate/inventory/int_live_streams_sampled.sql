{#- The live-video sessions in flight at the data clock (reference-behaviour.md
    §0 and §3.12): not completed and seen within the last 30 minutes, each with
    its latest status sample (event_ts desc, event_id desc). The reference keeps
    every session that never closed; the 30 minutes keep a stream that stopped
    without closing from staying live forever (api-contract.md #7).

    Rebuilt whole by every build: only the status samples from the first signal
    of the earliest session in flight on are read, a literal bound that lets
    DuckDB skip the row groups of older history. -#}
{%- set in_flight_sql -%}
    select sessions.*, clock.data_clock_at,
    from {{ ref('int_sessions_attributed') }} as sessions
    cross join {{ ref('int_data_clock_bounds') }} as clock
    where not sessions.completed and sessions.last_seen > clock.data_clock_at - interval 30 minute
{%- endset -%}
{%- set samples_from = 'true' -%}
{%- if execute -%}
    {%- set first_seen = run_query('select min(first_seen) from (' ~ in_flight_sql ~ ')').columns[0].values()[0] -%}
    {%- set samples_from = "event_ts >= '" ~ first_seen.isoformat() ~ "'::timestamptz" if first_seen else 'false' -%}
{%- endif -%}

with

in_flight as (
    {{ in_flight_sql }}
),

statuses as (
    select * from {{ ref('stg_lake__stream_statuses') }}
    where {{ samples_from }}
),

latest_samples as (
    select
        {{ session_key('org', 'stream_id', 'request_id') }} as session_key,
        event_id as sample_event_id,
        event_ts as sampled_at,
        state,
        input_fps,
        output_fps,
        orchestrator_url,
    from statuses
    qualify row_number() over (
        partition by {{ session_key('org', 'stream_id', 'request_id') }}
        order by event_ts desc, event_id desc
    ) = 1
),

sampled as (
    select
        s.org,
        s.session_key,
        s.stream_id,
        s.request_id,
        s.gateway,
        s.orchestrator_address,
        s.orchestrator_uri,
        l.orchestrator_url,
        s.pipeline_id,
        s.model_id,
        s.gpu_id,
        s.gpu_model_name,
        l.state,
        l.input_fps,
        l.output_fps,
        l.sample_event_id,
        l.sampled_at,
        coalesce(s.started_at, s.first_seen) as started_at,
        s.first_seen,
        s.last_seen,
        s.data_clock_at,
    from in_flight as s
    left join latest_samples as l using (session_key)
)

select * from sampled
