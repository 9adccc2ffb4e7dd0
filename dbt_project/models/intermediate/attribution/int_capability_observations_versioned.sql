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

-- The version columns share one ordering, so DuckDB sorts a surface's
-- observations once for all of them: the observed times never decrease along it,
-- so the newest version start so far is the row's, and the first one after the
-- row is the next version's.
versioned as (
    select
        *,
        sum(is_new_version::int) over later as version_number,
        max(case when is_new_version then observed_at end) over later as version_valid_from,
        min(case when is_new_version then observed_at end) over (
            surface rows between 1 following and unbounded following
        ) as next_version_from,
    from changes
    window
        surface as (
            partition by org, orchestrator_address, orchestrator_uri_norm
            order by observed_at, event_id, entry_index
        ),
        later as (surface rows unbounded preceding)
)

select
    * exclude (version_valid_from, next_version_from),
    md5(concat_ws('|', org, orchestrator_address, orchestrator_uri_norm, version_number)) as version_id,
    version_valid_from,
    -- Open-ended for the latest version (or one that starts at the same instant as the next).
    nullif(next_version_from, version_valid_from) as version_valid_to,
from versioned
