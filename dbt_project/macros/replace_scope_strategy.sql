{#- How an incremental model replaces its rows (README "Incremental builds",
    macros/README.md). Every incremental model sets incremental_strategy
    'replace_scope' (staging through dbt_project.yml), which dbt finds by name as
    `get_incremental_replace_scope_sql`. The model's `unique_key` is the key its
    scope holds (macros/incremental_scope.sql): the key deleted and replaced, not
    a uniqueness constraint (staging's `event_date`, sla_hourly's `window_start`).
    A key whose recomputation is empty therefore disappears, as it would in a
    full refresh. -#}

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
