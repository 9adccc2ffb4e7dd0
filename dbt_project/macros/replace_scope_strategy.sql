{#- How an incremental model replaces its rows (README "Incremental builds",
    macros/README.md). Every incremental model sets incremental_strategy
    'replace_scope' (staging through dbt_project.yml), which dbt finds by name as
    `get_incremental_replace_scope_sql`, and declares in its meta the key its
    scope holds (macros/incremental_scope.sql): `replaced_key`, the key deleted
    and replaced, not a uniqueness constraint (staging's `event_date`,
    sla_hourly's `window_start`). A key whose recomputation is empty therefore
    disappears, as it would in a full refresh. -#}

{#- The `replace_scope` incremental strategy: delete every scoped key, insert the
    recomputed rows, in the materialisation's one transaction. -#}
{% macro get_incremental_replace_scope_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set key = scope_key(replaced_key()) -%}
    {%- set scope_relation = scope_relation_of(target) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} where ({{ key }}) in (select {{ key }} from {{ scope_relation }});
    insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ arg_dict['temp_relation'] }};
{%- endmacro %}

{#- The replaced key of a model (a graph node, by default the model being built):
    its meta `replaced_key`, a column or a list of them. None for a model that
    does not use replace_scope; a compiler error naming the model for one that
    uses it without declaring the key. -#}
{% macro replaced_key(node=none) -%}
    {%- set of = node if node is not none else model -%}
    {%- if of.config.materialized != 'incremental' or of.config.incremental_strategy != 'replace_scope' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set key = (of.config.meta or {}).get('replaced_key') -%}
    {%- if not key -%}
        {%- do exceptions.raise_compiler_error(
            "model " ~ of.name ~ " uses incremental_strategy 'replace_scope' but declares no replaced_key:"
            ~ " set config(meta={'replaced_key': ...}) to the key its scope holds (macros/README.md)"
        ) -%}
    {%- endif -%}
    {{ return(key) }}
{%- endmacro %}
