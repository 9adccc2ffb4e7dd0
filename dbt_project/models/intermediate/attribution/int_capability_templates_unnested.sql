{#- What each capability observation offers, as attribution templates
    (reference-behaviour.md §2.4): one per (hardware entry, GPU) when hardware is
    reported; one per builtin capability and model otherwise; a placeholder when
    the entry offers neither.

    Templates are a function of the projection an observation's version is hashed
    from, so each distinct projection is unnested once and joined back: the JSON
    walk is the costly part, and most of a month's snapshots repeat a projection.

    Incremental by observation: a build redoes the observations whose version
    was recomputed since the last one. -#}
{{ config(
    materialized='incremental', incremental_strategy='replace_scope',
    meta={'replaced_key': ['org', 'event_id', 'entry_index']},
) }}
{%- set scope = rebuilt_scope(ref('int_capability_observations_versioned'), ['org', 'event_id', 'entry_index']) -%}

with

observations as (
    select * from {{ ref('int_capability_observations_versioned') }}
    where true {{ within_rebuilt(scope) }}
),

projections as (
    select distinct on (projection_hash)
        projection_hash,
        has_hardware,
        hardware_json,
        capabilities_json,
    from {{ ref('int_capability_projections_hashed') }}
    semi join observations using (projection_hash)
    order by projection_hash, event_id, entry_index
),

catalog as (
    select * from {{ ref('capability_catalog') }}
),

hardware_entries as (
    select
        o.projection_hash,
        hardware.key::int as hardware_index,
        json_transform(hardware.value, '{"pipeline": "VARCHAR", "model_id": "VARCHAR", "gpu_info": "JSON"}')
            as entry,
    from projections as o, json_each(o.hardware_json) as hardware
    where o.has_hardware
),

hardware_gpus as (
    select
        h.projection_hash,
        h.hardware_index,
        h.entry.pipeline as pipeline_id,
        h.entry.model_id as model_id,
        json_transform(gpu.value, '{"id": "VARCHAR", "name": "VARCHAR", "memory_total": "BIGINT"}') as gpu,
    from hardware_entries as h
    left join json_each(h.entry.gpu_info) as gpu on true
),

hardware_templates as (
    select
        projection_hash,
        lower(trim(pipeline_id)) as pipeline_id,
        trim(model_id) as model_id,
        nullif(gpu.id, '') as gpu_id,
        gpu.name as gpu_model_name,
        nullif(gpu.memory_total, 0) as gpu_memory_bytes_total,
        gpu.id is not null as hardware_present,
    from hardware_gpus
    where coalesce(trim(pipeline_id), '') != ''
),

per_capability_models as (
    select
        o.projection_hash,
        capability.key::int as capability_id,
        model.key as model_id,
        json_transform(model.value, '{"warm": "BOOLEAN", "capacity": "BIGINT"}') as model,
    from projections as o,
        json_each(o.capabilities_json, '$.constraints.PerCapability') as capability,
        json_each(capability.value, '$.models') as model
    where not o.has_hardware
),

capability_templates as (
    select
        m.projection_hash,
        c.pipeline_id,
        trim(m.model_id) as model_id,
        null::varchar as gpu_id,
        null::varchar as gpu_model_name,
        null::bigint as gpu_memory_bytes_total,
        false as hardware_present,
    from per_capability_models as m
    inner join catalog as c on c.capability_id = m.capability_id
    where m.capability_id between 27 and 36
),

offered as (
    select * from hardware_templates
    union all
    select * from capability_templates
),

placeholders as (
    select
        o.projection_hash,
        '' as pipeline_id,
        '' as model_id,
        null::varchar as gpu_id,
        null::varchar as gpu_model_name,
        null::bigint as gpu_memory_bytes_total,
        false as hardware_present,
    from projections as o
    anti join offered as t using (projection_hash)
),

-- `union`, not `union all`: one GPU listed twice for the same model is one offer.
templates as (
    select * from offered
    union
    select * from placeholders
)

select
    o.org,
    o.event_id,
    o.entry_index,
    o.observed_at,
    o.version_id,
    o.orchestrator_address,
    o.orchestrator_alias_address,
    o.orchestrator_uri,
    o.orchestrator_uri_norm,
    t.pipeline_id,
    t.model_id,
    t.gpu_id,
    t.gpu_model_name,
    t.gpu_memory_bytes_total,
    t.hardware_present,
    {{ build_stamp() }} as built_at,
from templates as t
inner join observations as o using (projection_hash)
