{#- Accepted events of one family, each (org, dedup_key) once: a redelivered
    message never reaches an aggregate. The first delivery wins.

    A build reads only landed batches (`lake.landed_batches`, fixed when
    the lake views are made), and incrementally only those this model has not
    read yet (`ledger.staged_batches`, written by a post-hook in the model's own
    transaction), plus every row of an event date inside the build range, which
    is restaged. So each batch is read once per family, whether or not it held
    any of it. A delivery whose key is already staged is dropped. `staged_key`
    is the column holding `dedup_key` in the staging model. -#}
{% macro deduplicated_events(event_type, dedup_key='event_id', staged_key='event_id') -%}
    {{- config(post_hook="{{ record_staged_batches() }}") -}}
    {%- set lake = source('lake', 'raw_events') -%}
    {%- set scope = incremental_scope(
        'select distinct event_date from ' ~ lake ~ ' where ' ~ in_build_range('event_date')
    ) -%}
    {%- set unread = unread_batches_sql(scope is not none) -%}
    with lake_events as (
        select *, {{ dedup_key }} as dedup_key,
        from {{ lake }}
        where event_type = '{{ event_type }}'
            and (
                -- The literal lower bound lets Parquet statistics skip older batches' row groups.
                (batch_id >= {{ oldest_batch(unread) }} and batch_id in ({{ unread }}))
                {%- if build_range_given() %}
                or event_date in (select event_date from {{ scope }})
                {%- endif %}
            )
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

{#- The landed batches this model has not read (every one when it is built
    from scratch), as a query. `rows_name_batches`: the model's rows carry the
    batch they came from, which a model staged before the ledger existed reads. -#}
{% macro unread_batches_sql(incremental, rows_name_batches=true) -%}
    {%- set published = 'select batch_id from ' ~ source('lake', 'landed_batches') -%}
    {%- if not incremental -%}
        {{ return(published) }}
    {%- endif -%}
    {%- set read = "select batch_id from ledger.staged_batches where model = '" ~ this.identifier ~ "'" -%}
    {%- if rows_name_batches and run_query('select count(*) from (' ~ read ~ ')').columns[0].values()[0] == 0 -%}
        {#- Staged before the ledger existed: its rows name the batches it read. -#}
        {%- set read = 'select batch_id from ' ~ this -%}
    {%- endif -%}
    {{ return(published ~ ' except ' ~ read) }}
{%- endmacro %}

{% macro oldest_batch(batches_sql) -%}
    {%- if not execute -%}
        {{ return('null') }}
    {%- endif -%}
    {%- set oldest = run_query('select min(batch_id) from (' ~ batches_sql ~ ')').columns[0].values()[0] -%}
    {{ return('null' if oldest is none else "'" ~ oldest ~ "'") }}
{%- endmacro %}

{#- The post-hook of every event-family model: it has read every landed batch. -#}
{% macro record_staged_batches() -%}
    insert into ledger.staged_batches (model, batch_id, built_at)
    select '{{ this.identifier }}', batch_id, {{ build_stamp() }}
    from (
        select batch_id from {{ source('lake', 'landed_batches') }}
        except
        select batch_id from ledger.staged_batches where model = '{{ this.identifier }}'
    )
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
