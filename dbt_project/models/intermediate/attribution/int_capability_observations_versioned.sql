{#- Capability snapshot entries as observations of versioned offers
    (semantics.md "Sessions"): a new version starts only when the semantic
    projection changes. The projection leaves out the volatile fields
    (memory_free, capacityInUse) that make nearly every raw snapshot differ. -#}
with

snapshots as (
    select * from {{ ref('stg_lake__capability_snapshots') }}
    where coalesce(orchestrator_address, '') != ''
),

projected as materialized (
    select
        org,
        event_id,
        entry_index,
        event_ts as observed_at,
        orchestrator_address,
        -- The hot wallet is an alias only when it is a real, different address.
        case
            when regexp_full_match(orchestrator_local_address, '0x[0-9a-f]{40}')
                and orchestrator_local_address != orchestrator_address
                then orchestrator_local_address
        end as orchestrator_alias_address,
        orchestrator_uri,
        coalesce(orchestrator_uri_norm, '') as orchestrator_uri_norm,
        has_hardware,
        hardware_json,
        capabilities_json,
        md5(concat_ws(
            '|',
            orchestrator_address,
            coalesce(orchestrator_local_address, ''),
            coalesce(orchestrator_uri_norm, ''),
            regexp_replace(coalesce(capabilities_json::varchar, ''), '"capacityInUse":-?[0-9.eE+]+,?', '', 'g'),
            coalesce(capabilities_prices_json::varchar, ''),
            coalesce(global_price_per_unit::varchar, ''),
            regexp_replace(coalesce(hardware_json::varchar, ''), '"memory_free":-?[0-9.eE+]+,?', '', 'g')
        )) as projection_hash,
    from snapshots
),

-- The windows run over the keys only: carrying the JSON columns through each of
-- them cost more than the rest of the model together.
keys as (
    select org, event_id, entry_index, observed_at, orchestrator_address, orchestrator_uri_norm, projection_hash,
    from projected
),

changes as (
    select
        *,
        projection_hash is distinct from lag(projection_hash) over surface as is_new_version,
    from keys
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
),

versions as (
    select
        org,
        event_id,
        entry_index,
        is_new_version,
        version_number,
        version_id,
        version_valid_from,
        -- Open-ended for the latest version; otherwise until the next version starts.
        max(case when next_observation_version_from != version_valid_from then next_observation_version_from end)
            over (partition by version_id) as version_valid_to,
    from bounded
)

select
    p.*,
    v.* exclude (org, event_id, entry_index),
from projected as p
inner join versions as v using (org, event_id, entry_index)
