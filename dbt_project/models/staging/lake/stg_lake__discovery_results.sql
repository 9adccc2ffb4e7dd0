with

events as (
    {{ deduplicated_events('discovery_results') }}
),

parsed as (
    select
        *,
        json_transform(
            data_json,
            '[{"address": "VARCHAR", "url": "VARCHAR", "latency_ms": "VARCHAR"}]'
        ) as result_list,
    from events
),

results as (
    select
        *,
        unnest(result_list) as result,
        unnest(range(1, len(result_list) + 1)) as entry_index,
    from parsed
),

renamed as (
    select
        {{ envelope_columns() }},
        entry_index,

        -- the orchestrator found (its hot wallet) and how fast it answered
        {{ normalized_address('result.address') }} as orchestrator_local_address,
        result.url as orchestrator_url,
        {{ normalized_url('result.url') }} as orchestrator_url_norm,
        coalesce(try_cast(trim(result.latency_ms) as integer), 0) as latency_ms,
    from results
)

select * from renamed
