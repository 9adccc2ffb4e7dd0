{#- The live-session key (reference-behaviour.md §2.1): org|stream_id|request_id,
    '_missing_stream' / '_missing_request' for one absent id, NULL when both are
    absent or the org is empty (such events cannot join a session). -#}
{% macro session_key(org, stream_id, request_id) -%}
    case
        when coalesce({{ org }}, '') != ''
            and (coalesce(trim({{ stream_id }}), '') != '' or coalesce(trim({{ request_id }}), '') != '')
        then {{ org }}
            || '|' || coalesce(nullif(trim({{ stream_id }}), ''), '_missing_stream')
            || '|' || coalesce(nullif(trim({{ request_id }}), ''), '_missing_request')
    end
{%- endmacro %}
