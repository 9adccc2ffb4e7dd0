{#- Startup errors that excuse a failed start (reference-behaviour.md §2.6):
    case-insensitive substrings of an ai_stream_events error message. -#}
{% macro is_excusable_error(message_expression) -%}
    coalesce(
        regexp_matches(
            lower({{ message_expression }}),
            'no orchestrators available|mediamtx ingest disconnected|whip disconnected'
            || '|missing video|ice connection state failed|user disconnected'
        ),
        false
    )
{%- endmacro %}
