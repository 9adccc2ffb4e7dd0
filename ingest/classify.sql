-- Classify consumed Kafka messages (semantics.md "Ingest"): every row leaves with
-- reason NULL (accepted) or exactly one quarantine reason, first match wins.
-- Placeholders in braces are filled from ingest/contract.py.
with parsed as (
    select
        *,
        not utf8_ok or value_bytes > {max_message_bytes} or raw_text is null as skip_parse,
    from messages
),

-- Parse each envelope once: every later step reads the extracted parts.
envelopes as (
    select
        *,
        not skip_parse and json_valid(raw_text) and starts_with(ltrim(raw_text), '{') as is_object,
    from parsed
),

fields as (
    select
        *,
        case when is_object then json_extract(
            raw_text,
            ['$.id', '$.type', '$.timestamp', '$.gateway', '$.data', '$.data.type', '$.data.client_source']
        ) end as parts,
    from envelopes
),

typed as (
    select
        *,
        case when json_type(parts[1]) in ('VARCHAR', 'BIGINT', 'UBIGINT')
            then nullif(trim(parts[1] ->> '$'), '') end as event_id,
        case when json_type(parts[2]) = 'VARCHAR' then nullif(trim(parts[2] ->> '$'), '') end as event_type,
        json_type(parts[3]) as ts_kind,
        parts[3] ->> '$' as ts_text,
        case when json_type(parts[4]) = 'VARCHAR' then parts[4] ->> '$' else '' end as gateway,
        parts[5]::varchar as data_json,
        lower(parts[6] ->> '$') as trace_subtype,
        lower(parts[7] ->> '$') as client_source,
    from fields
),

-- One timestamp rule everywhere: number >= 1e12 -> ms; >= 1e9 -> seconds; else ISO-8601.
timestamps as (
    select
        *,
        case
            when ts_kind in ('BIGINT', 'UBIGINT', 'DOUBLE') then try_cast(ts_text as double)
            when ts_kind = 'VARCHAR' then try_cast(trim(ts_text) as double)
        end as ts_number,
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
            when ts_number is null and ts_kind = 'VARCHAR' then try_cast(trim(ts_text) as timestamptz)
        end as parsed_ts,
    from timestamps
),

routed as (
    select
        *,
        case when isfinite(parsed_ts) then parsed_ts end as event_ts,
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
        when not list_contains({accepted_families}, event_type) then 'unsupported_event_family'
        when event_type = 'stream_trace' and starts_with(coalesce(trace_subtype, ''), 'app_')
            then 'ignored_stream_trace_non_core_app'
        when event_type = 'stream_trace' and client_source = 'scope'
            and list_contains({scope_noise_subtypes}, trace_subtype)
            then 'ignored_stream_trace_scope_client_noise'
        when event_type = 'stream_trace'
            and not list_contains({stream_trace_subtypes}, coalesce(trace_subtype, ''))
            then 'unsupported_stream_trace_type'
    end as reason,
from routed
