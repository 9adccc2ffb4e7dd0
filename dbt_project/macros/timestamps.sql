{#- The one timestamp rule of semantics.md, for payload fields (the envelope's is
    applied at ingest): a number or numeric string >= 1e12 is ms, >= 1e9 is
    seconds (fractions kept), otherwise ISO-8601 (no zone = UTC), otherwise NULL. -#}
{% macro to_utc_ts(text_expression) -%}
    (
        case
            when try_cast(trim({{ text_expression }}) as double) >= 1e12
                and try_cast(trim({{ text_expression }}) as double) < 253402300800000
                then to_timestamp(try_cast(trim({{ text_expression }}) as double) / 1000)
            when try_cast(trim({{ text_expression }}) as double) >= 1e9
                and try_cast(trim({{ text_expression }}) as double) < 1e12
                then to_timestamp(try_cast(trim({{ text_expression }}) as double))
            when try_cast(trim({{ text_expression }}) as double) is null
                then try_cast(trim({{ text_expression }}) as timestamptz)
        end
    )
{%- endmacro %}

{#- Public tables carry UTC timestamps as ISO-8601 text (semantics.md). -#}
{% macro iso_utc(timestamp_expression) -%}
    strftime({{ timestamp_expression }}, '%Y-%m-%dT%H:%M:%S.%g')
{%- endmacro %}

{#- Milliseconds from one edge to another; NULL when either is missing or the end
    precedes the start (reference-behaviour.md §2.8: never 0-filled). -#}
{% macro latency_ms(start_expression, end_expression) -%}
    case
        when {{ end_expression }} >= {{ start_expression }}
            then (epoch_ms({{ end_expression }}) - epoch_ms({{ start_expression }}))
    end
{%- endmacro %}

{#- An hour window's start, as public tables key it: UTC ISO-8601 to the second. -#}
{% macro iso_window(timestamp_expression) -%}
    strftime({{ timestamp_expression }}, '%Y-%m-%dT%H:%M:%S')
{%- endmacro %}
