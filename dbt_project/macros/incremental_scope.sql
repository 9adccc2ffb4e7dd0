{#- Incremental builds by scope (README "Incremental builds").

    Every incremental model stamps its rows with `built_at`, the start of the dbt
    run that computed them. A model's scope is the set of keys (session keys,
    hours, event dates) touched by upstream rows stamped after its own newest
    stamp, plus every key inside the build range (vars `range_start`/`range_end`,
    dates, end exclusive) when one is given. The scope is written to a table in
    the `scope` schema before the model runs; the model recomputes exactly those
    keys from its full inputs, and the `replace_scope` strategy deletes every
    scoped key from the target and inserts the recomputed rows. A key whose
    recomputation is empty therefore disappears, as it would in a full refresh. -#}

{% macro build_stamp() -%}
    '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'::timestamp
{%- endmacro %}

{% macro last_built_at() -%}
    (select coalesce(max(built_at), '-infinity'::timestamp) from {{ this }})
{%- endmacro %}

{% macro build_range_given() -%}
    {{ return(var('range_start', none) and var('range_end', none)) }}
{%- endmacro %}

{#- A predicate: true for a timestamp or date inside the build range, false
    (nothing forced) when no range is given. -#}
{% macro in_build_range(column) -%}
    {%- if build_range_given() -%}
        ({{ column }} >= '{{ var('range_start') }}'::date and {{ column }} < '{{ var('range_end') }}'::date)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{% macro scope_relation_of(relation) -%}
    {{ return(api.Relation.create(
        database=relation.database, schema='scope', identifier=relation.identifier, type='table'
    )) }}
{%- endmacro %}

{#- Writes the scope of the model being built and returns its relation, or none
    when the model is built from scratch (first run or --full-refresh). -#}
{% macro incremental_scope(scope_sql) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set scope_relation = scope_relation_of(this) -%}
    {%- do run_query('create or replace table ' ~ scope_relation ~ ' as ' ~ scope_sql) -%}
    {{ return(scope_relation) }}
{%- endmacro %}

{#- The requests (org, request_id) with an event in `staged` (a staging model)
    staged since this model's last build or inside the build range; `predicate`
    narrows the events. A job model reassembles each of them from all its events. -#}
{% macro request_scope(staged, predicate='true') -%}
    {{ return(incremental_scope(
        'select distinct org, request_id from ' ~ staged
        ~ ' where (built_at > ' ~ last_built_at() ~ ' or ' ~ in_build_range('event_ts') ~ ')'
        ~ " and coalesce(trim(request_id), '') != '' and " ~ predicate
    )) }}
{%- endmacro %}

{#- The keys of the rows `upstream` recomputed since this model's last build: the
    scope of a model that reshapes its upstream row by row. -#}
{% macro rebuilt_scope(upstream, unique_key) -%}
    {{ return(incremental_scope(
        'select ' ~ scope_key(unique_key) ~ ' from ' ~ upstream ~ ' where built_at > ' ~ last_built_at()
    )) }}
{%- endmacro %}

{#- The sessions whose rows any of `change_feeds` (relations with session_key and
    built_at) recomputed since this model's last build, plus every session with a
    signal inside the build range, plus the sessions `also_sql` selects. -#}
{% macro session_scope(change_feeds, also_sql=none) -%}
    {%- set scope_sql -%}
        {%- for feed in change_feeds %}
        select session_key from {{ feed }} where built_at > {{ last_built_at() }}
        union
        {%- endfor %}
        {%- if also_sql %}
        {{ also_sql }}
        union
        {%- endif %}
        select session_key from {{ ref('int_session_signals_unioned') }} where {{ in_build_range('event_ts') }}
    {%- endset -%}
    {{ return(incremental_scope(scope_sql)) }}
{%- endmacro %}

{#- The hours to recompute in an hourly mart: from the first hour of the earliest
    session recomputed since the mart's last build onwards (a late event can move
    a session's hours, and a day's scores depend on the 7 days before it), plus
    every hour inside the build range. Hours are in the mart's ISO text form. -#}
{% macro hour_scope(hour_rows, hour_column='window_start') -%}
    {%- set scope_sql -%}
        with earliest as (
            select min(date_trunc('hour', first_seen)) as first_hour
            from {{ ref('int_sessions_attributed') }}
            where built_at > {{ last_built_at() }}
        )
        select distinct {{ iso_window(hour_column) }} as window_start
        from {{ hour_rows }}
        where {{ hour_column }} >= (select first_hour from earliest) or {{ in_build_range(hour_column) }}
        union
        select window_start from {{ this }}
        where window_start >= (select {{ iso_window('first_hour') }} from earliest)
            or {{ in_build_range('window_start::timestamp') }}
    {%- endset -%}
    {{ return(incremental_scope(scope_sql)) }}
{%- endmacro %}

{#- A predicate keeping the signals at or after the first signal of any session in
    `scope`, read from `firsts` (int_session_signals_bounded). No event of a scoped
    session is older, and DuckDB skips the row groups whose event times are all
    older, so a micro-batch stops reading all history. True when building from
    scratch, false when no scoped session has a signal. -#}
{% macro since_first_signal(scope, firsts) -%}
    {%- if scope is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set first_ts = run_query(
        'select min(first_signal_at) from ' ~ firsts
        ~ ' where session_key in (select session_key from ' ~ scope ~ ')'
    ).columns[0].values()[0] -%}
    {%- if first_ts is none -%}
        {{ return('false') }}
    {%- endif -%}
    {{ return("event_ts >= '" ~ first_ts.isoformat() ~ "'::timestamptz") }}
{%- endmacro %}

{#- A filter keeping the upstream rows of a rebuilt_scope: those stamped after this
    model's last build, the same rows as the scope's keys when the model shares its
    upstream's grain. DuckDB skips the row groups of older stamps instead of probing
    every key, and reads no other column of the rows it skips. Nothing when building
    from scratch. -#}
{% macro within_rebuilt(scope) -%}
    {%- if scope is not none -%}
        and built_at > {{ last_built_at() }}
    {%- endif -%}
{%- endmacro %}

{#- A filter keeping the rows whose key is in scope (the scope rows `where` keeps);
    nothing when building from scratch. -#}
{% macro within_scope(scope, column, key='session_key', where=none) -%}
    {%- if scope is not none -%}
        and {{ column }} in (select {{ key }} from {{ scope }}{{ ' where ' ~ where if where }})
    {%- endif -%}
{%- endmacro %}

{#- A unique key as SQL: one column, or a list of columns (compared as a row). -#}
{% macro scope_key(unique_key) -%}
    {{ unique_key if unique_key is string else unique_key | join(', ') }}
{%- endmacro %}

{#- The `replace_scope` incremental strategy: delete every scoped key, insert the
    recomputed rows, in the materialisation's one transaction. -#}
{% macro get_incremental_replace_scope_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set key = scope_key(arg_dict['unique_key']) -%}
    {%- set scope_relation = scope_relation_of(target) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} where ({{ key }}) in (select {{ key }} from {{ scope_relation }});
    insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ arg_dict['temp_relation'] }};
{%- endmacro %}

{#- A filter keeping the hour rows in an hour scope (`lookback` widens it to the
    days before the earliest scoped hour); nothing when building from scratch. -#}
{% macro within_hour_scope(scope, column, lookback=none) -%}
    {%- if scope is not none and lookback -%}
        and {{ column }} >= (select min(window_start)::timestamp - interval {{ lookback }} from {{ scope }})
    {%- elif scope is not none -%}
        and {{ iso_window(column) }} in (select window_start from {{ scope }})
    {%- endif -%}
{%- endmacro %}

{#- Data tests of a generic kind read the model through this macro. With var
    `test_scope: built` (`naap build` and micro-batches), a model that stamps
    `built_at` is tested on the rows this run recomputed, so a build's tests cost
    what the build touched; the daily close and `--test-all` test every row. -#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set clauses = [where] if where else [] -%}
    {%- if var('test_scope', 'all') == 'built' and execute -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- if 'built_at' in columns -%}
            {%- do clauses.append('built_at = ' ~ build_stamp()) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if clauses -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ clauses | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
