{#- The build range (vars `range_start`/`range_end`: dates, end exclusive; set
    by `naap build --start/--end` and the Dagster daily partitions). When one is
    given, every key inside it is recomputed too, on top of what the stamps
    scope: the way to restage and recompute whole days. -#}

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
