with

events as (
    {{ deduplicated_events('network_capabilities') }}
),

parsed as (
    select
        *,
        -- The payload is an array of orchestrator entries; a lone object counts as
        -- one entry (the reference silently fans it out to nothing).
        json_transform(
            case when json_type(data_json) = 'OBJECT' then '[' || data_json || ']' else data_json end,
            '[{
                "address": "VARCHAR",
                "local_address": "VARCHAR",
                "orch_uri": "VARCHAR",
                "uri": "VARCHAR",
                "capabilities": "JSON",
                "capabilities_prices": "JSON",
                "price_info": {"pricePerUnit": "DOUBLE", "pixelsPerUnit": "DOUBLE"},
                "hardware": "JSON",
                "capability_options": "JSON"
            }]'
        ) as entry_list,
    from events
),

entries as (
    select
        *,
        unnest(entry_list) as entry,
        unnest(range(1, len(entry_list) + 1)) as entry_index,
    from parsed
),

renamed as (
    select
        {{ envelope_columns() }},
        entry_index,

        -- identities
        {{ normalized_address('entry.address') }} as orchestrator_address,
        {{ normalized_address('entry.local_address') }} as orchestrator_local_address,
        coalesce(nullif(trim(entry.local_address), ''), entry.address) as orchestrator_name,
        coalesce(entry.orch_uri, entry.uri) as orchestrator_uri,
        {{ normalized_url('coalesce(entry.orch_uri, entry.uri)') }} as orchestrator_uri_norm,

        -- capabilities
        entry.capabilities ->> '$.version' as capabilities_version,
        entry.capabilities ->> '$.constraints.minVersion' as min_version,
        entry.price_info.pricePerUnit as global_price_per_unit,
        entry.price_info.pixelsPerUnit as global_pixels_per_unit,
        coalesce(json_array_length(entry.hardware) > 0, false) as has_hardware,
        entry.capabilities as capabilities_json,
        entry.capabilities_prices as capabilities_prices_json,
        entry.hardware as hardware_json,
        entry.capability_options as capability_options_json,
    from entries
)

select * from renamed
