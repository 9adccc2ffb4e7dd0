{#- Discovery round-trip latency per hour and canonical orchestrator (§3.11);
    the wallet-to-address mapping is in int_discovery_latencies_aggregated. -#}
with

hourly as (
    select * from {{ ref('int_discovery_latencies_aggregated') }}
),

published as (
    select
        {{ iso_window('window_start') }} as window_start,
        org,
        orchestrator_address,
        sample_count,
        latency_ms_sum,
        latency_ms_sum / nullif(sample_count, 0) as avg_latency_ms,
        p50_latency_ms,
        p95_latency_ms,
        p99_latency_ms,
        min_latency_ms,
        max_latency_ms,
        uri_mapped_sample_count,
        local_address_mapped_sample_count,
        unmapped_sample_count,
        local_addresses,
        orchestrator_uris,
    from hourly
)

select * from published
