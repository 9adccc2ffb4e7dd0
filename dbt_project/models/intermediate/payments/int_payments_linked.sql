{#- Payment ticket batches linked to live sessions (semantics.md "Money",
    reference-behaviour.md §3.10). Only the first payment of a payment session
    carries requestID; the first non-empty requestID of a sessionID (by event_ts,
    event_id) applies to all its tickets. A request id seen on a stream trace of the
    same org gives the stream id and so the session key. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id']},
) }}
{#- Recomputed: new payments and every payment of their payment sessions (a late
    first payment changes the session's request id), the payments linked to a
    request id that a new stream trace carries, and the build range. -#}
{%- set scope_sql -%}
    with new_payments as (
        select org, event_id, session_id from {{ ref('stg_lake__payments') }}
        where built_at > {{ last_built_at() }}
    ),
    new_trace_requests as (
        select org, request_id from {{ ref('stg_lake__stream_traces') }}
        where built_at > {{ last_built_at() }} and coalesce(trim(request_id), '') != ''
    )
    select org, event_id from new_payments
    union
    select org, event_id from {{ ref('stg_lake__payments') }}
    where (org, session_id) in (
        select org, session_id from new_payments where coalesce(trim(session_id), '') != ''
    )
    union
    select org, event_id from {{ this }}
    where (org, linked_request_id) in (select org, request_id from new_trace_requests)
    union
    select org, event_id from {{ ref('stg_lake__payments') }} where {{ in_build_range('event_ts') }}
{%- endset -%}
{%- set scope = incremental_scope(scope_sql) -%}
with

payments as (
    select * from {{ ref('stg_lake__payments') }}
    {%- if scope is not none %}
    -- By row id: the key probe reads two columns of every payment, and only the
    -- scoped payments are read whole.
    where rowid in (
        select rowid from {{ ref('stg_lake__payments') }}
        where true {{ within_scope(scope, '(org, event_id)', 'org, event_id') }}
    )
    {%- endif %}
),

-- Every payment of the sessions in scope: the session's request id needs them all.
session_payments as (
    select * from {{ ref('stg_lake__payments') }}
    {%- if scope is not none %}
    where (org, session_id) in (select org, session_id from payments)
    {%- endif %}
),

stream_traces as (
    select * from {{ ref('stg_lake__stream_traces') }}
),

session_requests as (
    select
        org,
        session_id,
        arg_min(request_id, (event_ts, event_id)) as session_request_id,
    from session_payments
    where coalesce(trim(session_id), '') != ''
        and coalesce(trim(request_id), '') != ''
    group by all
),

linked as (
    select
        payments.* replace ({{ build_stamp() }} as built_at),
        coalesce(nullif(trim(payments.request_id), ''), session_requests.session_request_id) as linked_request_id,
        case
            when coalesce(trim(payments.request_id), '') != '' then 'request_id'
            when session_requests.session_request_id is not null then 'session_id'
            else 'unlinked'
        end as link_method,
    from payments
    left join session_requests
        on session_requests.org = payments.org
        and session_requests.session_id = payments.session_id
),

-- The stream of each request id the scoped payments are linked to.
request_streams as (
    select
        org,
        request_id,
        min(stream_id) as stream_id,
    from stream_traces
    where coalesce(trim(request_id), '') != ''
        and coalesce(trim(stream_id), '') != ''
        and (org, request_id) in (select org, linked_request_id from linked)
    group by all
),

sessions_found as (
    select
        linked.*,
        request_streams.stream_id,
        case
            when request_streams.stream_id is not null
                then {{ session_key('linked.org', 'request_streams.stream_id', 'linked.linked_request_id') }}
        end as session_key,
    from linked
    left join request_streams
        on request_streams.org = linked.org
        and request_streams.request_id = linked.linked_request_id
)

select * from sessions_found
