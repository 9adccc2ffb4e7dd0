{#- Capability snapshot entries as observations of versioned offers
    (semantics.md "Sessions"): a new version starts only when the semantic
    projection changes. The JSON stays in int_capability_projections_hashed.

    Incremental by observation. On each surface with an observation hashed since
    the last build, a slice of its observations is recomputed, from:
    - the earliest new one, when every new one follows all older ones and keeps
      the projection of the newest older one (the usual micro-batch: nothing
      older changes);
    - else the start of the version holding the last older observation before
      the earliest new one (that version's end may move);
    - else, with no older observation before it, the whole surface.
    A slice carries on from the observation just before it: its projection, its
    version number and where its version started. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id', 'entry_index']},
) }}

{%- set hashed = ref('int_capability_projections_hashed') -%}
{%- set scope_sql -%}
    with new_rows as (
        select org, event_id, entry_index, observed_at, orchestrator_address, orchestrator_uri_norm, projection_hash,
        from {{ hashed }}
        where built_at > {{ last_built_at() }}
    ),

    new_observations as (
        select
            org, orchestrator_address, orchestrator_uri_norm,
            min((observed_at, event_id, entry_index)) as first_new,
            count(distinct projection_hash) as new_projections,
            any_value(projection_hash) as new_projection,
        from new_rows
        group by all
    ),

    older as (
        select
            new_observations.*,
            max((versions.observed_at, versions.event_id, versions.entry_index)) as last_older,
            arg_max(
                versions.version_number, (versions.observed_at, versions.event_id, versions.entry_index)
            ) filter (where (versions.observed_at, versions.event_id, versions.entry_index) < first_new)
                as previous_version,
            arg_max(
                versions.projection_hash, (versions.observed_at, versions.event_id, versions.entry_index)
            ) as last_projection,
        from new_observations
        left join {{ this }} as versions
            on versions.org = new_observations.org
            and versions.orchestrator_address = new_observations.orchestrator_address
            and versions.orchestrator_uri_norm is not distinct from new_observations.orchestrator_uri_norm
        group by all
    ),

    slices as (
        select
            org, orchestrator_address, orchestrator_uri_norm,
            case
                when last_older < first_new and new_projections = 1 and new_projection = last_projection
                    then 'new only'
                when previous_version is not null then 'version'
                else 'surface'
            end as slice,
            previous_version,
        from older
    )

    select versions.org, versions.event_id, versions.entry_index,
    from {{ this }} as versions
    inner join slices
        on slices.org = versions.org
        and slices.orchestrator_address = versions.orchestrator_address
        and slices.orchestrator_uri_norm is not distinct from versions.orchestrator_uri_norm
        and (
            slices.slice = 'surface'
            or (slices.slice = 'version' and versions.version_number >= slices.previous_version)
        )
    union
    select org, event_id, entry_index,
    from new_rows
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

-- The observation just before each recomputed slice: the slice carries on from it.
slice_context as (
    {%- if scope is none %}
    select null::varchar as org, null::varchar as orchestrator_address, null::varchar as orchestrator_uri_norm,
        null::varchar as projection_hash, 0 as version_number, null::timestamptz as version_valid_from,
    where false
    {%- else %}
    select
        versions.org,
        versions.orchestrator_address,
        versions.orchestrator_uri_norm,
        arg_max(versions.projection_hash, (versions.observed_at, versions.event_id, versions.entry_index))
            as projection_hash,
        arg_max(versions.version_number, (versions.observed_at, versions.event_id, versions.entry_index))
            as version_number,
        arg_max(versions.version_valid_from, (versions.observed_at, versions.event_id, versions.entry_index))
            as version_valid_from,
    from {{ this }} as versions
    semi join projections
        on projections.org = versions.org
        and projections.orchestrator_address = versions.orchestrator_address
        and projections.orchestrator_uri_norm is not distinct from versions.orchestrator_uri_norm
    anti join {{ scope }} as scoped
        on scoped.org = versions.org
        and scoped.event_id = versions.event_id
        and scoped.entry_index = versions.entry_index
    group by all
    {%- endif %}
),

surface_observations as (
    select
        projections.*,
        slice_context.projection_hash as context_projection_hash,
        coalesce(slice_context.version_number, 0) as context_version_number,
        slice_context.version_valid_from as context_version_valid_from,
    from projections
    left join slice_context
        on slice_context.org = projections.org
        and slice_context.orchestrator_address = projections.orchestrator_address
        and slice_context.orchestrator_uri_norm is not distinct from projections.orchestrator_uri_norm
),

changes as (
    select
        * exclude (context_projection_hash),
        projection_hash is distinct from coalesce(lag(projection_hash) over surface, context_projection_hash)
            as is_new_version,
    from surface_observations
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
        * exclude (context_version_number, context_version_valid_from),
        context_version_number + sum(is_new_version::int) over later as version_number,
        coalesce(max(case when is_new_version then observed_at end) over later, context_version_valid_from)
            as version_valid_from,
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
    {{ build_stamp() }} as built_at,
from versioned
