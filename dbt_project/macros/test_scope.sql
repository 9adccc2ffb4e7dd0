{#- How generic data tests read a model (README "Incremental builds",
    macros/README.md): dbt's `get_where_subquery` dispatches to this adapter
    override. Var `test_scope` (dbt_project.yml, default `all`) chooses the rows
    this run recomputed (`built`) or every row (`all`). -#}

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
