with

events as (
    {{ deduplicated_events('stream_ingest_metrics') }}
),

parsed as (
    select
        *,
        json_transform(data_json, '{
            "stream_id": "VARCHAR",
            "request_id": "VARCHAR",
            "pipeline_id": "VARCHAR",
            "timestamp": "VARCHAR",
            "stats": {
                "conn_quality": "VARCHAR",
                "peer_conn_stats": {"ID": "VARCHAR", "BytesReceived": "BIGINT", "BytesSent": "BIGINT"},
                "track_stats": [{
                    "type": "VARCHAR",
                    "jitter": "DOUBLE",
                    "packets_lost": "BIGINT",
                    "packets_received": "BIGINT",
                    "packet_loss_pct": "DOUBLE",
                    "rtt": "DOUBLE",
                    "latency": "DOUBLE",
                    "last_input_ts": "DOUBLE",
                    "last_output_ts": "DOUBLE"
                }]
            }
        }') as payload,
    from events
),

tracks as (
    select
        *,
        list_filter(payload.stats.track_stats, lambda track: lower(track.type) = 'video')[1] as video,
        list_filter(payload.stats.track_stats, lambda track: lower(track.type) = 'audio')[1] as audio,
    from parsed
),

renamed as (
    select
        {{ envelope_columns() }},

        -- ids
        payload.stream_id,
        payload.request_id,
        payload.pipeline_id,

        -- connection (cumulative per connection)
        payload.stats.conn_quality as connection_quality,
        payload.stats.peer_conn_stats.ID as peer_connection_id,
        payload.stats.peer_conn_stats.BytesReceived as received_bytes,
        payload.stats.peer_conn_stats.BytesSent as sent_bytes,

        -- video track
        video.jitter as video_jitter_ms,
        video.packets_received as video_packets_received,
        video.packets_lost as video_packets_lost,
        video.packet_loss_pct as video_packet_loss_pct,
        video.rtt as video_rtt,
        video.latency as video_latency,
        video.last_input_ts as video_last_input_s,

        -- audio track
        audio.jitter as audio_jitter_ms,
        audio.packets_received as audio_packets_received,
        audio.packets_lost as audio_packets_lost,
        audio.packet_loss_pct as audio_packet_loss_pct,
        audio.rtt as audio_rtt,
        audio.latency as audio_latency,
        audio.last_input_ts as audio_last_input_s,

        len(payload.stats.track_stats) as track_count,

        -- timestamps
        {{ to_utc_ts('payload.timestamp') }} as reported_at,
    from tracks
)

select * from renamed
