{#- The GPUs each orchestrator currently reports, with what they serve. The
    physical estimate counts distinct GPU ids per orchestrator: one GPU serving
    several models or BYOC capabilities is listed once per offer but is one card. -#}
with

offers as (
    select * from {{ ref('int_capability_offers_current') }}
    where gpu_id is not null
),

gpus as (
    select
        orchestrator_address,
        gpu_id,
        max(gpu_model_name) as gpu_model_name,
        max(gpu_memory_bytes_total) as gpu_memory_bytes_total,
        count(distinct (pipeline_id, model_id)) as offer_count,
        string_agg(distinct pipeline_id || ':' || model_id, ', ' order by pipeline_id || ':' || model_id)
            as offers,
        max(observed_at) as observed_at,
    from offers
    group by all
),

published as (
    select
        orchestrator_address,
        gpu_id,
        gpu_model_name,
        gpu_memory_bytes_total,
        offer_count,
        offers,
        count(*) over (partition by orchestrator_address) as orchestrator_physical_gpu_count,
        {{ iso_utc('observed_at') }} as observed_at,
    from gpus
)

select * from published
