{#- Build stamps (README "Incremental builds", macros/README.md).

    Every incremental model stamps its rows with `built_at`, the start of the dbt
    run that computed them (`build_stamp`). A model's newest stamp
    (`last_built_at`) is how far its inputs have been read: an upstream row
    stamped after it is new to this model, so a failed or partial build is caught
    up by the next one. -#}

{% macro build_stamp() -%}
    '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'::timestamp
{%- endmacro %}

{% macro last_built_at() -%}
    (select coalesce(max(built_at), '-infinity'::timestamp) from {{ this }})
{%- endmacro %}
