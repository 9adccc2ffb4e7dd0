{#- Payment ticket batches linked to live sessions (semantics.md "Money",
    reference-behaviour.md §3.10). Only the first payment of a payment session
    carries requestID; the first non-empty requestID of a sessionID (by event_ts,
    event_id) applies to all its tickets. A request id seen on a stream trace of the
    same org gives the stream id and so the session key. -#}
with

payments as (
    select * from {{ ref('stg_lake__payments') }}
),

stream_traces as (
    select * from {{ ref('stg_lake__stream_traces') }}
),

session_requests as (
    select
        org,
        session_id,
        arg_min(request_id, (event_ts, event_id)) as session_request_id,
    from payments
    where coalesce(trim(session_id), '') != ''
        and coalesce(trim(request_id), '') != ''
    group by all
),

request_streams as (
    select
        org,
        request_id,
        min(stream_id) as stream_id,
    from stream_traces
    where coalesce(trim(request_id), '') != ''
        and coalesce(trim(stream_id), '') != ''
    group by all
),

linked as (
    select
        payments.*,
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
