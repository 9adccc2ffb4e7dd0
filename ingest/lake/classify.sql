-- Classify consumed Kafka messages (semantics.md "Ingest"): every row leaves with
-- reason NULL (accepted) or exactly one quarantine reason, first match wins.
-- Placeholders in braces are filled from ingest/lake/contract.py.
with parsed as (
    select
        *,
        not utf8_ok or value_bytes > {max_message_bytes} or raw_text is null as skip_parse,
    from messages
),

-- Parse each envelope once into typed parts; scalars arrive as their text.
envelopes as (
    select
        *,
        case when not skip_parse and starts_with(ltrim(raw_text), '{') then try(json_transform(
            raw_text,
            '{"id": "JSON", "type": "JSON", "timestamp": "VARCHAR", "gateway": "VARCHAR", "data": "JSON"}'
        )) end as envelope,
    from parsed
),

fields as (
    select
        *,
        envelope is not null as is_object,
    from envelopes
),

typed as (
    select
        *,
        -- An id is a string or an integer; a type is a string. Anything else is missing.
        case when json_type(envelope.id) in ('VARCHAR', 'BIGINT', 'UBIGINT')
            then nullif(trim(envelope.id ->> '$'), '') end as event_id,
        case when json_type(envelope.type) = 'VARCHAR'
            then nullif(trim(envelope.type ->> '$'), '') end as event_type,
        trim(envelope.timestamp) as ts_text,
        coalesce(envelope.gateway, '') as gateway,
        envelope.data::varchar as data_json,
    from fields
),

-- One timestamp rule everywhere: number >= 1e12 -> ms; >= 1e9 -> seconds; else ISO-8601.
timestamps as (
    select
        *,
        try_cast(ts_text as double) as ts_number,
    from typed
),

stamped as (
    select
        *,
        case
            when not isfinite(ts_number) then null
            -- Below year 10000: anything later is not a clock reading.
            when ts_number >= 1e12 and ts_number < 253402300800000 then to_timestamp(ts_number / 1000)
            when ts_number >= 1e9 and ts_number < 1e12 then to_timestamp(ts_number)
            when ts_number is null then try_cast(ts_text as timestamptz)
        end as parsed_ts,
    from timestamps
),

-- Only stream_trace routing looks inside the payload, so only those rows pay for it.
routed as (
    select
        *,
        case when isfinite(parsed_ts) then parsed_ts end as event_ts,
        case when event_type = 'stream_trace'
            then json_transform(data_json, '{"type": "VARCHAR", "client_source": "VARCHAR"}')
        end as trace,
    from stamped
)

select
    org,
    topic,
    partition,
    "offset",
    kafka_timestamp,
    key,
    event_id,
    event_type,
    event_ts,
    gateway,
    data_json,
    raw_text,
    value_bytes,
    cast(coalesce(event_ts, kafka_timestamp, now()) as date) as event_date,
    case
        when value_bytes > {max_message_bytes} then 'oversized_message'
        when not is_object then 'invalid_json'
        when event_id is null then 'missing_event_id'
        when event_type is null then 'missing_type'
        when event_ts is null then 'bad_timestamp'
        when event_type not in {accepted_families} then 'unsupported_event_family'
        when event_type = 'stream_trace' and starts_with(lower(coalesce(trace.type, '')), 'app_')
            then 'ignored_stream_trace_non_core_app'
        when event_type = 'stream_trace' and lower(trace.client_source) = 'scope'
            and lower(trace.type) in {scope_noise_subtypes}
            then 'ignored_stream_trace_scope_client_noise'
        when event_type = 'stream_trace'
            and lower(coalesce(trace.type, '')) not in {stream_trace_subtypes}
            then 'unsupported_stream_trace_type'
    end as reason,
from routed
