{#- Each session attributed wholly to its final orchestrator: the latest decision
    (semantics.md "Sessions"), plus the swap it implies when its decisions
    resolved to two or more canonical orchestrators. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'session_key'}) }}
{%- set scope = session_scope([ref('int_sessions_classified'), ref('int_attribution_decisions_matched')]) -%}

with

sessions as (
    select * from {{ ref('int_sessions_classified') }}
    where true {{ within_scope(scope, 'session_key') }}
),

decisions as (
    select * from {{ ref('int_attribution_decisions_matched') }}
    where true {{ within_scope(scope, 'session_key') }}
),

latest_decision as (
    select * from decisions
    qualify row_number() over (partition by org, session_key order by selected_at desc, selection_id desc) = 1
),

resolved_orchestrators as (
    select
        org,
        session_key,
        count(distinct orchestrator_address) as resolved_orchestrator_count,
    from decisions
    where attribution_status in ('resolved', 'hardware_less')
    group by all
),

attributed as (
    select
        s.* replace ({{ build_stamp() }} as built_at),
        coalesce(d.attribution_status, 'unresolved') as attribution_status,
        coalesce(
            d.attribution_reason,
            case when s.no_orch_count > 0 then 'no_selection_no_orch_excused' else 'missing_candidate' end
        ) as attribution_reason,
        case when d.attribution_status in ('resolved', 'hardware_less', 'stale') then d.orchestrator_address end
            as orchestrator_address,
        case when d.attribution_status in ('resolved', 'hardware_less', 'stale') then d.orchestrator_uri end
            as orchestrator_uri,
        d.gpu_id,
        d.gpu_model_name,
        d.gpu_memory_bytes_total,
        d.capability_event_id,
        d.selection_id as final_selection_id,
        coalesce(nullif(d.pipeline_id, ''), s.status_model_hint, s.trace_pipeline_hint, s.event_pipeline_hint)
            as pipeline_hint,
        coalesce(d.model_id, '') as decided_model_id,
        not s.confirmed_swapped and coalesce(r.resolved_orchestrator_count, 0) >= 2 as inferred_swap,
    from sessions as s
    left join latest_decision as d using (org, session_key)
    left join resolved_orchestrators as r using (org, session_key)
),

normalized as (
    select
        *,
        confirmed_swapped or inferred_swap as total_swapped,
        {{ normalized_pipeline_and_model('pipeline_hint', 'decided_model_id') }},
    from attributed
)

select * from normalized
