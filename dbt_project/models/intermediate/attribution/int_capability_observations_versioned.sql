{#- Capability snapshot entries as observations of versioned offers
    (semantics.md "Sessions"): a new version starts only when the semantic
    projection changes. The JSON stays in int_capability_projections_hashed.

    Incremental by observation: on each surface with an observation hashed since
    the last build, the observations from the start of the version holding the
    last older observation before the earliest new one are recomputed (the whole
    surface when there is none). Everything before that start keeps its version:
    the start still follows a different projection, and the versions before it
    still end there. The recomputed slice numbers its versions on from the ones
    before it. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', unique_key=['org', 'event_id', 'entry_index']) }}

{%- set hashed = ref('int_capability_projections_hashed') -%}

{%- set scope_sql -%}
    with new_observations as (
        select
            org, orchestrator_address, orchestrator_uri_norm,
            min((observed_at, event_id, entry_index)) as first_new,
        from {{ hashed }}
        where built_at > {{ last_built_at() }}
        group by all
    ),

    previous_versions as (
        select
            new_observations.org,
            new_observations.orchestrator_address,
            new_observations.orchestrator_uri_norm,
            arg_max(
                versions.version_number, (versions.observed_at, versions.event_id, versions.entry_index)
            ) as version_number,
        from new_observations
        inner join {{ this }} as versions
            on versions.org = new_observations.org
            and versions.orchestrator_address = new_observations.orchestrator_address
            and versions.orchestrator_uri_norm is not distinct from new_observations.orchestrator_uri_norm
            and (versions.observed_at, versions.event_id, versions.entry_index) < new_observations.first_new
        group by all
    ),

    slices as (
        select
            new_observations.org,
            new_observations.orchestrator_address,
            new_observations.orchestrator_uri_norm,
            coalesce(previous_versions.version_number, 1) as first_version,
        from new_observations
        left join previous_versions
            on previous_versions.org = new_observations.org
            and previous_versions.orchestrator_address = new_observations.orchestrator_address
            and previous_versions.orchestrator_uri_norm is not distinct from new_observations.orchestrator_uri_norm
    )

    select versions.org, versions.event_id, versions.entry_index,
    from {{ this }} as versions
    inner join slices
        on slices.org = versions.org
        and slices.orchestrator_address = versions.orchestrator_address
        and slices.orchestrator_uri_norm is not distinct from versions.orchestrator_uri_norm
        and versions.version_number >= slices.first_version
    union
    select org, event_id, entry_index,
    from {{ hashed }}
    where built_at > {{ last_built_at() }}
{%- endset -%}

{%- set scope = incremental_scope(scope_sql) -%}

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
    from {{ hashed }}
    where true {{ within_scope(scope, '(org, event_id, entry_index)', 'org, event_id, entry_index') }}
),

-- The versions before each recomputed slice: it numbers on from them.
earlier_versions as (
    {%- if scope is none %}
    select null::varchar as org, null::varchar as orchestrator_address, null::varchar as orchestrator_uri_norm,
        0 as version_count,
    where false
    {%- else %}
    select org, orchestrator_address, orchestrator_uri_norm, min(version_number) - 1 as version_count,
    from {{ this }}
    where true {{ within_scope(scope, '(org, event_id, entry_index)', 'org, event_id, entry_index') }}
    group by all
    {%- endif %}
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
        sum(is_new_version::int) over later as versions_so_far,
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
),

numbered as (
    select
        versioned.* exclude (versions_so_far),
        coalesce(earlier_versions.version_count, 0) + versioned.versions_so_far as version_number,
    from versioned
    left join earlier_versions
        on earlier_versions.org = versioned.org
        and earlier_versions.orchestrator_address = versioned.orchestrator_address
        and earlier_versions.orchestrator_uri_norm is not distinct from versioned.orchestrator_uri_norm
)

select
    * exclude (version_valid_from, next_version_from),
    md5(concat_ws('|', org, orchestrator_address, orchestrator_uri_norm, version_number)) as version_id,
    version_valid_from,
    -- Open-ended for the latest version (or one that starts at the same instant as the next).
    nullif(next_version_from, version_valid_from) as version_valid_to,
    {{ build_stamp() }} as built_at,
from numbered
