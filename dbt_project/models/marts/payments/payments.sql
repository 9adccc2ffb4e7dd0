{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id']},
) }}
{%- set scope = rebuilt_scope(ref('int_payments_linked'), ['org', 'event_id']) -%}

with

linked_payments as (
    select * from {{ ref('int_payments_linked') }}
    where true {{ within_rebuilt(scope) }}
),

published as (
    select
        event_id,
        org,
        {{ iso_utc('event_ts') }} as paid_at,
        {{ iso_window("date_trunc('hour', event_ts)") }} as window_start,
        coalesce({{ normalized_address('gateway') }}, '') as gateway,

        -- session link
        session_id as payment_session_id,
        nullif(trim(request_id), '') as reported_request_id,
        linked_request_id as request_id,
        stream_id,
        session_key,
        link_method,
        case when session_key is not null then 'resolved' else 'unresolved' end as link_status,

        -- what was paid for
        manifest_id,
        manifest_capability_id,
        pipeline_hint,
        nullif(capability, '') as capability,

        -- parties
        sender_address,
        recipient_address as orchestrator_address,
        orchestrator_url,
        orchestrator_url_norm as orchestrator_uri,

        -- money
        face_value_wei,
        win_prob,
        num_tickets,
        face_value_wei * num_tickets as face_value_total_wei,
        face_value_wei * win_prob as expected_value_per_ticket_wei,
        face_value_wei * win_prob * num_tickets as expected_value_wei,
        price_wei_per_pixel,
        face_value_text,
        price_text,
        built_at,
    from linked_payments
)

select * from published
