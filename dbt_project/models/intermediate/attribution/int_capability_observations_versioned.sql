{#- Capability snapshot entries as observations of versioned offers
    (semantics.md "Sessions"): a new version starts only when the semantic
    projection changes. The JSON stays in int_capability_projections_hashed:
    these windows run over a month of snapshots on every build. -#}
with

projections as (
    select
        org,
        event_id,
        entry_index,
        observed_at,
        orchestrator_address,
        orchestrator_alias_address,
        orchestrator_uri,
        orchestrator_uri_norm,
        projection_hash,
    from {{ ref('int_capability_projections_hashed') }}
),

changes as (
    select
        *,
        projection_hash is distinct from lag(projection_hash) over surface as is_new_version,
    from projections
    window surface as (
        partition by org, orchestrator_address, orchestrator_uri_norm
        order by observed_at, event_id, entry_index
    )
),

numbered as (
    select
        *,
        sum(is_new_version::int) over (
            partition by org, orchestrator_address, orchestrator_uri_norm
            order by observed_at, event_id, entry_index
            rows unbounded preceding
        ) as version_number,
    from changes
),

versioned as (
    select
        *,
        md5(concat_ws('|', org, orchestrator_address, orchestrator_uri_norm, version_number)) as version_id,
        min(observed_at) over version as version_valid_from,
    from numbered
    window version as (partition by org, orchestrator_address, orchestrator_uri_norm, version_number)
),

bounded as (
    select
        *,
        lead(version_valid_from) over (
            partition by org, orchestrator_address, orchestrator_uri_norm
            order by observed_at, event_id, entry_index
        ) as next_observation_version_from,
    from versioned
)

select
    * exclude (next_observation_version_from),
    -- Open-ended for the latest version; otherwise until the next version starts.
    max(case when next_observation_version_from != version_valid_from then next_observation_version_from end)
        over (partition by version_id) as version_valid_to,
from bounded
