{#- Accepted events of one family, each (org, event_id) once: a redelivered
    message never reaches an aggregate. The first delivery wins. -#}
{% macro deduplicated_events(event_type, dedup_key='event_id') -%}
    select *
    from {{ source('lake', 'raw_events') }}
    where event_type = '{{ event_type }}'
    qualify row_number() over (
        partition by org, {{ dedup_key }}
        order by ingested_at, topic, "partition", "offset"
    ) = 1
{%- endmacro %}

{#- The envelope columns every staged event keeps: identity, org, time, gateway,
    lake partition and ingest time. -#}
{% macro envelope_columns() -%}
    event_id,
    org,
    event_ts,
    gateway,
    event_date,
    ingested_at
{%- endmacro %}
