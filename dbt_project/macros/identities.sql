{#- Identity normalisation of reference-behaviour.md §1.4, for staging models. -#}

{#- An address (orchestrator, sender, recipient, ...): trimmed and lower-cased, so
    EIP-55 checksum case and lower case compare equal. -#}
{% macro normalized_address(text_expression) -%}
    lower(trim({{ text_expression }}))
{%- endmacro %}

{#- A URL's join form: trimmed, lower-cased, one trailing '/' removed. The raw URL
    is kept beside it. -#}
{% macro normalized_url(text_expression) -%}
    regexp_replace(lower(trim({{ text_expression }})), '/$', '')
{%- endmacro %}
