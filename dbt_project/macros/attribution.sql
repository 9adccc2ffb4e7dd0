{#- The attribution of selections to capability offers (reference-behaviour.md
    §2.4, with the semantics.md fixes), for live-video selections and request jobs
    alike. Emits CTEs, the last of them `attribution_decisions`: one row per
    selection_id of `selections`, with the status, reason and winning offer.

    `selections` names a relation with selection_id, org, selected_at,
    observed_url_norm, observed_address, observed_pipeline_id (lower case, '' for
    any) and observed_model_id ('' for any); `observations` one with the columns of
    int_capability_observations_versioned it reads, `templates` the offers of each
    observation (int_capability_templates_unnested). A selection with a URL is
    looked up by URL only; otherwise by its address, canonical or alias.

    Freshness is measured from the latest observation of the offer at or before
    the selection (within 10 min: matched; older: stale), or from the first
    observation after it (within 30 s: future skew). Measuring from the latest
    observation, not from the start of an unchanged version, keeps the
    reference's behaviour now that versions ignore volatile fields. -#}
{% macro attribution_decisions(selections='selections', observations='observations', templates='templates') -%}
-- Every lookup below is by one of the selections' observed URL or address, so
-- only those identities are indexed: a micro-batch's few selections no longer
-- sort a month of observations for the as-of joins.
looked_up_identities as (
    select distinct org, observed_url_norm as identity_value,
    from {{ selections }} where coalesce(observed_url_norm, '') != ''
    union
    select distinct org, observed_address,
    from {{ selections }} where coalesce(observed_address, '') != ''
),

identity_index as (
    select * from (
        select org, 'uri' as identity_type, 0 as identity_priority, orchestrator_uri_norm as identity_value, *
            exclude (org),
        from {{ observations }} where orchestrator_uri_norm != ''
        union all
        select org, 'address', 1, orchestrator_address, * exclude (org),
        from {{ observations }}
        union all
        select org, 'alias', 2, orchestrator_alias_address, * exclude (org),
        from {{ observations }} where orchestrator_alias_address is not null
    ) as identities
    semi join looked_up_identities using (org, identity_value)
),

surfaces as (
    select distinct
        org, identity_type, identity_priority, identity_value, orchestrator_address, orchestrator_uri_norm,
    from identity_index
),

-- A selection with a URL is looked up by URL only; otherwise by its address.
lookups as (
    select *, 'uri' as identity_type, observed_url_norm as identity_value,
    from {{ selections }} where coalesce(observed_url_norm, '') != ''
    union all
    select *, 'address', observed_address,
    from {{ selections }} where coalesce(observed_url_norm, '') = '' and coalesce(observed_address, '') != ''
    union all
    select *, 'alias', observed_address,
    from {{ selections }} where coalesce(observed_url_norm, '') = '' and coalesce(observed_address, '') != ''
),

selection_surfaces as (
    select
        l.*,
        s.identity_priority,
        s.orchestrator_address as surface_address,
        s.orchestrator_uri_norm as surface_uri_norm,
    from lookups as l
    inner join surfaces as s using (org, identity_type, identity_value)
),

latest_before as (
    select
        ss.*,
        ix.event_id as observation_event_id,
        ix.entry_index as observation_entry_index,
        ix.observed_at,
        case when ss.selected_at - ix.observed_at <= interval 10 minute then 'matched' else 'stale' end
            as match_class,
    from selection_surfaces as ss
    asof join identity_index as ix
        on ss.org = ix.org
        and ss.identity_type = ix.identity_type
        and ss.identity_value = ix.identity_value
        and ss.surface_address = ix.orchestrator_address
        and ss.surface_uri_norm = ix.orchestrator_uri_norm
        and ss.selected_at >= ix.observed_at
),

first_after as (
    select
        ss.*,
        ix.event_id as observation_event_id,
        ix.entry_index as observation_entry_index,
        ix.observed_at,
        'future' as match_class,
    from selection_surfaces as ss
    asof join identity_index as ix
        on ss.org = ix.org
        and ss.identity_type = ix.identity_type
        and ss.identity_value = ix.identity_value
        and ss.surface_address = ix.orchestrator_address
        and ss.surface_uri_norm = ix.orchestrator_uri_norm
        and ss.selected_at < ix.observed_at
    where ix.observed_at - ss.selected_at <= interval 30 second
),

matches as (
    select
        m.*,
        t.pipeline_id,
        t.model_id,
        t.gpu_id,
        t.gpu_model_name,
        t.gpu_memory_bytes_total,
        t.hardware_present,
        t.orchestrator_uri,
        case m.match_class when 'matched' then 1 when 'future' then 2 else 3 end as class_rank,
    from (select * from latest_before union all select * from first_after) as m
    inner join {{ templates }} as t
        on t.event_id = m.observation_event_id and t.entry_index = m.observation_entry_index
),

best_class as (
    select * from matches
    qualify class_rank = min(class_rank) over (partition by selection_id)
),

compatible as (
    select * from best_class
    where (observed_pipeline_id = '' or lower(pipeline_id) = observed_pipeline_id)
        and (observed_model_id = '' or lower(model_id) = lower(observed_model_id))
),

best_identity as (
    select * from compatible
    qualify identity_priority = min(identity_priority) over (partition by selection_id)
),

summarised as (
    select
        *,
        count(distinct (surface_address, surface_uri_norm, lower(pipeline_id), lower(model_id)))
            over (partition by selection_id) as distinct_surfaces,
        count(distinct gpu_id) over (partition by selection_id) as distinct_gpus,
        bool_and(hardware_present) over (partition by selection_id) as all_hardware,
        row_number() over (
            partition by selection_id order by observed_at desc, observation_event_id, gpu_id nulls last
        ) as preference,
    from best_identity
),

chosen as (
    select * from summarised where preference = 1
),

had_candidates as (
    select distinct selection_id from best_class
),

-- Whether the observed hot wallet would have matched as an alias or a canonical
-- address, in any time class (an observation no later than 30 s after selection).
fallback_matches as (
    select
        s.selection_id,
        bool_or(ix.identity_type = 'alias') as alias_seen,
        bool_or(ix.identity_type = 'address') as address_seen,
    from {{ selections }} as s
    inner join identity_index as ix
        on ix.org = s.org
        and ix.identity_value = s.observed_address
        and ix.identity_type in ('alias', 'address')
        and ix.observed_at <= s.selected_at + interval 30 second
    group by all
),

flagged as (
    select
        s.*,
        h.selection_id is not null as had_candidates,
        coalesce(f.alias_seen, false) as alias_seen,
        coalesce(f.address_seen, false) as address_seen,
    from {{ selections }} as s
    left join had_candidates as h using (selection_id)
    left join fallback_matches as f using (selection_id)
),

attribution_decisions as (
    select
        s.selection_id,
        c.match_class,
        case
            when c.selection_id is null then 'unresolved'
            when c.distinct_surfaces > 1 then 'ambiguous'
            when not c.hardware_present then 'hardware_less'
            when c.match_class = 'stale' then 'stale'
            else 'resolved'
        end as attribution_status,
        case
            -- semantics.md: no compatible candidate is unresolved, never a fallback to all.
            when c.selection_id is null and s.had_candidates then 'incompatible_candidates'
            when c.selection_id is null and coalesce(s.observed_url_norm, '') != '' and s.alias_seen
                then 'missing_uri_snapshot_local_alias_present'
            when c.selection_id is null and coalesce(s.observed_url_norm, '') != '' and s.address_seen
                then 'missing_uri_snapshot_address_match_present'
            when c.selection_id is null then 'missing_candidate'
            when c.distinct_surfaces > 1 then 'ambiguous_candidates'
            when not c.hardware_present then 'matched_without_hardware'
            when c.match_class = 'stale' then 'stale_candidate'
            when c.match_class = 'future' then 'future_skew'
            else 'matched'
        end as attribution_reason,
        case when c.distinct_surfaces = 1 then c.surface_address end as orchestrator_address,
        case when c.distinct_surfaces = 1 then c.orchestrator_uri end as orchestrator_uri,
        case when c.distinct_surfaces = 1 then c.pipeline_id end as pipeline_id,
        case when c.distinct_surfaces = 1 then c.model_id end as model_id,
        -- Several GPUs behind one surface: the session cannot be pinned to one of them.
        case
            when c.distinct_surfaces != 1 then null
            when c.all_hardware and c.distinct_gpus > 1 then ''
            else c.gpu_id
        end as gpu_id,
        case when c.distinct_surfaces = 1 and c.distinct_gpus <= 1 then c.gpu_model_name end as gpu_model_name,
        case when c.distinct_surfaces = 1 and c.distinct_gpus <= 1 then c.gpu_memory_bytes_total end
            as gpu_memory_bytes_total,
        c.observation_event_id as capability_event_id,
        c.observed_at as capability_observed_at,
    from flagged as s
    left join chosen as c using (selection_id)
)
{%- endmacro %}
