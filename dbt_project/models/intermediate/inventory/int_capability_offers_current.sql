{#- The offers of each orchestrator surface (canonical address x URI) as its latest
    observation within 24 h of the data clock shows them. -#}
with

clock as (
    select * from {{ ref('int_data_clock_bounds') }}
),

templates as (
    select * from {{ ref('int_capability_templates_unnested') }}
),

latest_observations as (
    select org, event_id, entry_index, observed_at, orchestrator_address, orchestrator_uri_norm,
    from {{ ref('int_capability_observations_versioned') }}
    where observed_at >= (select window_from from clock)
    qualify row_number() over (
        partition by orchestrator_address, orchestrator_uri_norm
        order by observed_at desc, event_id desc, entry_index desc
    ) = 1
),

offers as (
    select
        t.*,
    from templates as t
    inner join latest_observations as o using (event_id, entry_index)
    where t.pipeline_id != ''
)

select * from offers
