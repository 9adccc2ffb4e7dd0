{#- What each orchestrator currently offers: pipeline, model and GPU, as its
    latest capability snapshot within 24 h of the data clock shows. -#}
with

offers as (
    select * from {{ ref('int_capability_offers_current') }}
),

catalog as (
    select * from {{ ref('capability_catalog') }}
),

-- An offer whose pipeline is not in the catalog is a BYOC capability (id 37).
byoc_capability as (
    select * from catalog where capability_id = 37
),

deduplicated as (
    select * from offers
    qualify row_number() over (
        partition by orchestrator_address, pipeline_id, model_id, coalesce(gpu_id, '')
        order by observed_at desc, orchestrator_uri_norm
    ) = 1
),

published as (
    select
        o.orchestrator_address,
        coalesce(c.capability_id, -1) as capability_id,
        {{ capability_family('c.capability_id') }} as capability_family,
        coalesce(c.is_live, b.is_live) as supports_stream,
        o.pipeline_id,
        o.model_id,
        coalesce(o.gpu_id, '') as gpu_id,
        o.gpu_model_name,
        o.gpu_memory_bytes_total,
        o.hardware_present,
        o.orchestrator_uri,
        o.orchestrator_alias_address as orchestrator_local_address,
        {{ iso_utc('o.observed_at') }} as observed_at,
    from deduplicated as o
    left join catalog as c on c.pipeline_id = o.pipeline_id
    cross join byoc_capability as b
)

select * from published
