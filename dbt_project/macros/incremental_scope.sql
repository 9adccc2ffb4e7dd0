{#- Incremental scopes (README "Incremental builds", macros/README.md).

    A model's scope is the set of keys (session keys, hours, event dates) touched
    by upstream rows stamped after its own newest stamp (macros/stamps.sql), plus
    every key inside the build range (macros/build_range.sql) when one is given.
    The scope is written to a table in the `scope` schema before the model runs;
    the model recomputes exactly those keys from its full inputs, reading them
    through the `within_*` filters below, and the `replace_scope` strategy
    (macros/replace_scope_strategy.sql) replaces them in the target. -#}

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

{#- The keys (`key`, the model's replaced key) of the rows `upstream` recomputed
    since this model's last build: the scope of a model that reshapes its
    upstream row by row. -#}
{% macro rebuilt_scope(upstream, key) -%}
    {{ return(incremental_scope(
        'select ' ~ scope_key(key) ~ ' from ' ~ upstream ~ ' where built_at > ' ~ last_built_at()
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

{#- A replaced key as SQL: one column, or a list of columns (compared as a row). -#}
{% macro scope_key(key) -%}
    {{ key if key is string else key | join(', ') }}
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
