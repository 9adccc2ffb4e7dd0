{#- One orchestrator (canonical address) as the last 24 h before the data clock
    show it: its identities, what it offers, and the live sessions credited to it. -#}
with

clock as (
    select * from {{ ref('int_data_clock_bounds') }}
),

observations as (
    select * from {{ ref('int_capability_observations_versioned') }}
    where observed_at >= (select window_from from clock)
),

latest as (
    select * from observations
    qualify row_number() over (partition by orchestrator_address order by observed_at desc, event_id desc) = 1
),

seen as (
    select
        orchestrator_address,
        min(observed_at) as first_observed_at,
        count(distinct orchestrator_uri_norm) as uri_count,
    from observations
    group by all
),

offers as (
    select
        orchestrator_address,
        count(distinct (pipeline_id, model_id)) as offer_count,
        count(distinct gpu_id) as gpu_count,
        string_agg(distinct pipeline_id, ', ' order by pipeline_id) as pipelines,
    from {{ ref('int_capability_offers_current') }}
    group by all
),

sessions as (
    select
        orchestrator_address,
        count(*) filter (where requested_seen) as requested_sessions_24h,
        count(*) filter (where startup_outcome = 'success') as startup_success_sessions_24h,
    from {{ ref('int_sessions_attributed') }}
    where orchestrator_address is not null and last_seen >= (select window_from from clock)
    group by all
),

published as (
    select
        l.orchestrator_address,
        coalesce(l.orchestrator_alias_address, '') as orchestrator_local_address,
        l.orchestrator_uri,
        s.uri_count,
        coalesce(o.offer_count, 0) as offer_count,
        coalesce(o.gpu_count, 0) as gpu_count,
        coalesce(o.pipelines, '') as pipelines,
        coalesce(x.requested_sessions_24h, 0) as requested_sessions_24h,
        coalesce(x.startup_success_sessions_24h, 0) as startup_success_sessions_24h,
        {{ iso_utc('s.first_observed_at') }} as first_observed_at,
        {{ iso_utc('l.observed_at') }} as last_observed_at,
    from latest as l
    inner join seen as s using (orchestrator_address)
    left join offers as o using (orchestrator_address)
    left join sessions as x using (orchestrator_address)
)

select * from published
