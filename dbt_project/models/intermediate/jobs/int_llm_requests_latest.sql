{#- One LLM request per (org, request_id): the latest completed event
    (llm_request_completed or llm_stream_completed) by (event_ts desc, event_id desc);
    llm_request_started is not a result and is ignored (reference-behaviour.md §1.6).

    Incrementally, a request is decided again when one of its results is new or
    inside the build range. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'request_id']},
) }}
{%- set scope = request_scope(ref('stg_lake__llm_requests'), 'is_completed') -%}

with

llm_events as (
    select * from {{ ref('stg_lake__llm_requests') }}
    where is_completed
        and coalesce(trim(request_id), '') != '' {{ within_scope(scope, '(org, request_id)', 'org, request_id') }}
),

latest_results as (
    select * exclude (built_at), {{ build_stamp() }} as built_at,
    from llm_events
    qualify row_number() over (
        partition by org, request_id
        order by event_ts desc, event_id desc
    ) = 1
)

select * from latest_results
