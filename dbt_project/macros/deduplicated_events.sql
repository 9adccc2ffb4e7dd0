{#- Accepted events of one family, each (org, dedup_key) once: a redelivered
    message never reaches an aggregate. The first delivery wins.

    Incrementally, only lake rows of batches not yet staged are read (and every
    row of an event date inside the build range, which is restaged), and a
    delivery whose key is already staged is dropped. `staged_key` is the column
    holding `dedup_key` in the staging model. -#}
{% macro deduplicated_events(event_type, dedup_key='event_id', staged_key='event_id') -%}
    {%- set lake = source('lake', 'raw_events') -%}
    {%- set scope = incremental_scope(
        'select distinct event_date from ' ~ lake ~ ' where ' ~ in_build_range('event_date')
    ) -%}
    with lake_events as (
        select *, {{ dedup_key }} as dedup_key,
        from {{ lake }}
        where event_type = '{{ event_type }}'
        {%- if scope is not none %}
            -- A semi-join on the batch manifests, so only the new batches' files are read.
            and (
                batch_id in (
                    select batch_id from {{ source('lake', 'ingest_batches') }}
                    where batch_id not in (select batch_id from {{ this }} group by batch_id)
                )
                {%- if build_range_given() %}
                or event_date in (select event_date from {{ scope }})
                {%- endif %}
            )
        {%- endif %}
    ),

    first_deliveries as (
        select * from lake_events
        qualify row_number() over (
            partition by org, dedup_key
            order by ingested_at, topic, "partition", "offset"
        ) = 1
    )

    select * exclude (dedup_key) from first_deliveries as delivered
    {%- if scope is not none %}
    where not exists (
        select 1 from {{ this }} as staged
        where staged.org = delivered.org
            and staged.{{ staged_key }} = delivered.dedup_key
            and staged.event_date not in (select event_date from {{ scope }})
    )
    {%- endif %}
{%- endmacro %}

{#- The envelope columns every staged event keeps: identity, org, time, gateway,
    lake partition, ingest lineage and the build that staged it. -#}
{% macro envelope_columns() -%}
    event_id,
    org,
    event_ts,
    gateway,
    event_date,
    ingested_at,
    batch_id,
    {{ build_stamp() }} as built_at
{%- endmacro %}
