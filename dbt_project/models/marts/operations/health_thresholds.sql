{#- The thresholds the checks judge by, as the build's environment set them
    (the `health_thresholds` var, filled by ingest/warehouse/build.py from
    ingest/alerts/thresholds.py), so the system-health dashboard draws the lines
    in force. A dbt run without that var publishes no row, and draws no line. -#}
{%- set thresholds = var('health_thresholds') -%}

with

configured as (
    {%- for t in thresholds %}
    select
        {{ dbt.string_literal(t.setting) }} as setting,
        {{ t.threshold | float }}::double as threshold,
        {{ t.default_threshold | float }}::double as default_threshold,
        {{ dbt.string_literal(t.unit) }} as unit,
        {{ dbt.string_literal(t.bound) }} as bound,
        {{ dbt.string_literal(t.checks) }} as checks,
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        null::varchar as setting,
        null::double as threshold,
        null::double as default_threshold,
        null::varchar as unit,
        null::varchar as bound,
        null::varchar as checks,
    where false
    {%- endfor %}
)

select * from configured
