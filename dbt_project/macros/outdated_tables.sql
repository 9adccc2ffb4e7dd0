{#- An on-run-start hook: an incremental table keeps rows computed by earlier
    builds, so a table whose rows an earlier version of the code computed is
    dropped, and its model builds it from scratch in this run. A table is
    outdated when
    - it lacks `built_at` (the model became incremental) or a column of its
      replaced key (the key changed): its scope cannot read it;
    - the code digest of its model differs from the one recorded when the table
      was last built on: the model's SQL, materialisation or key changed, or a
      project macro it calls, or an upstream model's or seed's code. Table
      models are recomputed every build, so a change there reaches the
      incremental tables below them through their digests.
    Only the selected models are checked and recorded, so that a partial build
    never drops a table it will not rebuild. A table with no digest recorded
    yet (built before this hook) adopts the current code's. -#}
{% macro drop_outdated_incremental_tables() -%}
    {%- if execute -%}
        {%- set models = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.config.materialized == 'incremental'
                and node.unique_id in selected_resources -%}
                {%- do models.append(node) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set digests = {} -%}
        {%- for node in models -%}
            {%- do code_digest(node.unique_id, digests) -%}
        {%- endfor -%}
        {%- set reasons = {} -%}
        {%- for name in tables_missing_key_columns(models) -%}
            {%- do reasons.update({name: 'it became incremental or changed its key'}) -%}
        {%- endfor -%}
        {%- set recorded = {} -%}
        {%- for row in run_query('select model, code_digest from ledger.model_code').rows -%}
            {%- do recorded.update({row[0]: row[1]}) -%}
        {%- endfor -%}
        {%- for node in models -%}
            {%- if node.alias not in reasons and recorded.get(node.alias, digests[node.unique_id]) != digests[node.unique_id] -%}
                {%- do reasons.update({node.alias: "its code changed, or that of a macro or model it reads"}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for name, reason in reasons.items() | sort -%}
            {%- set relation = adapter.get_relation(database=target.database, schema=target.schema, identifier=name) -%}
            {%- if relation is not none -%}
                {%- do log('rebuilding ' ~ name ~ ' from scratch: ' ~ reason, info=true) -%}
                {#- Through the adapter, so that its relation cache (and is_incremental()) forgets the table. -#}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if models -%}
            {%- set values = [] -%}
            {%- for node in models -%}
                {%- do values.append("('" ~ node.alias ~ "', '" ~ digests[node.unique_id] ~ "', " ~ build_stamp() ~ ")") -%}
            {%- endfor -%}
            {%- do run_query('insert or replace into ledger.model_code values ' ~ values | join(', ')) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The tables of these incremental models that lack `built_at` or a column of
    the model's replaced key. -#}
{% macro tables_missing_key_columns(models) -%}
    {%- set required = [] -%}
    {%- for node in models -%}
        {%- set key = replaced_key(node) or [] -%}
        {%- for column in ['built_at'] + ([key] if key is string else key) -%}
            {%- do required.append("('" ~ node.alias ~ "', '" ~ column ~ "')") -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not required -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set missing = run_query(
        "select distinct required.table_name"
        ~ " from (values " ~ required | join(', ') ~ ") as required(table_name, column_name)"
        ~ " join duckdb_tables() t on t.schema_name = '" ~ target.schema ~ "' and t.table_name = required.table_name"
        ~ " where not exists (select 1 from duckdb_columns() c where c.schema_name = t.schema_name"
        ~ " and c.table_name = t.table_name and c.column_name = required.column_name)"
    ) -%}
    {{ return(missing.columns[0].values() | list) }}
{%- endmacro %}

{#- The digest of a node's or project macro's code and of everything in this
    project it reads, memoised in `digests` by unique id. dbt's own macros and
    the sources are left out: they change with an upgrade or with data, not with
    this project's code. -#}
{% macro code_digest(unique_id, digests) -%}
    {%- if unique_id not in digests -%}
        {#- A placeholder first, so that mutually recursive macros end. -#}
        {%- do digests.update({unique_id: 'cycle'}) -%}
        {%- if unique_id.startswith('macro.') -%}
            {#- `graph` holds no macros: `.macro` is dbt's parsed macro behind the callable (_macros.yml). -#}
            {%- set macro = context[project_name][unique_id.split('.')[-1]].macro -%}
            {%- set parts = [macro.macro_sql] -%}
            {%- set depends_on = macro.depends_on.macros -%}
        {%- else -%}
            {%- set node = graph.nodes[unique_id] -%}
            {%- set parts = [node.checksum.checksum, node.config.materialized, replaced_key(node) | string] -%}
            {%- set depends_on = node.depends_on.macros + node.depends_on.get('nodes', []) -%}
        {%- endif -%}
        {%- for upstream in depends_on | sort -%}
            {%- if upstream.startswith('macro.' ~ project_name ~ '.') or upstream in graph.nodes -%}
                {%- do parts.append(code_digest(upstream, digests)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do digests.update({unique_id: local_md5(parts | join('|'))}) -%}
    {%- endif -%}
    {{ return(digests[unique_id]) }}
{%- endmacro %}
