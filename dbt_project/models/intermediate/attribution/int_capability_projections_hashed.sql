{#- Capability snapshot entries with the hash of their semantic projection
    (semantics.md "Sessions"). The projection leaves out the volatile fields
    (memory_free, capacityInUse) that make nearly every raw snapshot differ.

    Row by row, so a build hashes only the snapshots staged since the last one
    (and those of the build range): hashing a month of JSON took seconds. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id']},
) }}
{%- set scope = incremental_scope(
    'select distinct org, event_id from ' ~ ref('stg_lake__capability_snapshots')
    ~ ' where built_at > ' ~ last_built_at() ~ ' or ' ~ in_build_range('event_ts')
) -%}

with

snapshots as (
    select * from {{ ref('stg_lake__capability_snapshots') }}
    where coalesce(orchestrator_address, '') != '' {{ within_scope(scope, '(org, event_id)', 'org, event_id') }}
),

hashed as (
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
        {{ build_stamp() }} as built_at,
    from snapshots
)

select * from hashed
