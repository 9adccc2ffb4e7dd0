{#- The probabilistic-ticket payments of each hour, summed per orchestrator and the pipeline
    and model of the session each payment is linked to ('' when unlinked): what the /v1 KPI's
    dailyNetworkFeesEth and its pipeline and model filters read, an hour at a time instead of
    every payment. Rebuilt whole: a payment's session can be attributed after its hour.
    The same values as the payments and sessions marts, from the intermediates they publish. -#}
with

linked_payments as (
    select * from {{ ref('int_payments_linked') }}
),

attributed_sessions as (
    select org, session_key, pipeline_id, model_id from {{ ref('int_sessions_attributed') }}
),

hourly as (
    select
        {{ iso_window("date_trunc('hour', linked_payments.event_ts)") }} as window_start,
        linked_payments.org,
        coalesce(linked_payments.recipient_address, '') as orchestrator_address,
        coalesce(attributed_sessions.pipeline_id, '') as pipeline_id,
        coalesce(attributed_sessions.model_id, '') as model_id,
        count(*) as payment_count,
        count(linked_payments.session_key) as linked_payment_count,
        sum(linked_payments.num_tickets) as ticket_count,
        sum(linked_payments.face_value_wei * linked_payments.win_prob * linked_payments.num_tickets)
            as expected_value_wei_sum,
    from linked_payments
    left join attributed_sessions
        on attributed_sessions.org = linked_payments.org
        and attributed_sessions.session_key = linked_payments.session_key
    group by all
)

select * from hourly
