{#- The live-video streams in flight at the data clock, with their latest status
    sample: a current-state table, rebuilt whole by every build. -#}
with

streams as (
    select * from {{ ref('int_live_streams_sampled') }}
),

published as (
    select
        -- keys
        org,
        session_key,
        stream_id,
        request_id,
        gateway,

        -- attribution
        coalesce(orchestrator_address, '') as orchestrator_address,
        orchestrator_uri,
        orchestrator_url,
        pipeline_id,
        model_id,
        coalesce(gpu_id, '') as gpu_id,
        gpu_model_name,

        -- latest status sample
        state,
        input_fps,
        output_fps,
        sample_event_id,
        {{ iso_utc('sampled_at') }} as sampled_at,

        -- timings
        {{ iso_utc('started_at') }} as started_at,
        {{ iso_utc('first_seen') }} as first_seen,
        {{ iso_utc('last_seen') }} as last_seen,
        epoch(last_seen) - epoch(started_at) as duration_s,
        {{ iso_utc('data_clock_at') }} as data_clock,
    from streams
)

select * from published
