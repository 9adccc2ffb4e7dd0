{#- Discovery round-trip latency per hour and orchestrator (reference-behaviour.md
    §3.11). Discovery names the hot wallet; it is mapped to the canonical address
    through the URL: the capability snapshot of the same org and URI nearest in
    time (the latest at or before the discovery, else the earliest after), else
    through the hot wallet when it is the local address of exactly one canonical
    address in that org's snapshots, else the hot wallet is kept.

    Incremental by hour: a build recomputes every hour holding a discovery that
    - was staged since the last build, or lies inside the build range;
    - may map through a new snapshot of its org and URI: every discovery from the
      newest older instant of that URI before the first new one on (all of them
      when there is none). Earlier discoveries keep their latest snapshot at or
      before them, and their earliest one after, which is older than any new one;
    - may map through a changed local-address alias: every discovery of an org
      and local address that a new snapshot pairs with a canonical address the
      older snapshots did not. -#}
{{ config(materialized='incremental', incremental_strategy='replace_scope', meta={'replaced_key': 'window_start'}) }}

{%- set accepted_discoveries -%}
    select * from {{ ref('stg_lake__discovery_results') }}
    where coalesce(orchestrator_local_address, '') != ''
        and latency_ms > 0
{%- endset -%}

{%- set addressed_snapshots -%}
    select * from {{ ref('stg_lake__capability_snapshots') }}
    where coalesce(orchestrator_address, '') != ''
{%- endset -%}

{%- set scope_sql -%}
    with discoveries as (
        {{ accepted_discoveries }}
    ),

    snapshots as (
        select *, built_at > {{ last_built_at() }} as is_new,
        from ({{ addressed_snapshots }})
    ),

    new_snapshots as (
        select * from snapshots where is_new
    ),

    old_snapshots as (
        select * from snapshots where not is_new
    ),

    new_uris as (
        select org, orchestrator_uri_norm, min(event_ts) as first_new_ts,
        from new_snapshots
        where orchestrator_uri_norm is not null
        group by all
    ),

    remapped_uris as (
        select
            new_uris.org,
            new_uris.orchestrator_uri_norm,
            coalesce(max(old_snapshots.event_ts), '-infinity'::timestamptz) as remapped_from,
        from new_uris
        left join old_snapshots
            on old_snapshots.org = new_uris.org
            and old_snapshots.orchestrator_uri_norm = new_uris.orchestrator_uri_norm
            and old_snapshots.event_ts < new_uris.first_new_ts
        group by all
    ),

    new_alias_pairs as (
        select org, orchestrator_local_address, orchestrator_address,
        from new_snapshots
        where coalesce(orchestrator_local_address, '') != ''
        except
        select org, orchestrator_local_address, orchestrator_address,
        from old_snapshots
        where coalesce(orchestrator_local_address, '') != ''
    )

    select date_trunc('hour', event_ts) as window_start,
    from discoveries
    where built_at > {{ last_built_at() }} or {{ in_build_range('event_ts') }}
    union
    select date_trunc('hour', discoveries.event_ts),
    from discoveries
    inner join remapped_uris
        on remapped_uris.org = discoveries.org
        and remapped_uris.orchestrator_uri_norm = discoveries.orchestrator_url_norm
        and discoveries.event_ts >= remapped_uris.remapped_from
    union
    select date_trunc('hour', event_ts),
    from discoveries
    semi join new_alias_pairs using (org, orchestrator_local_address)
{%- endset -%}

{%- set scope = incremental_scope(scope_sql) -%}

with

discoveries as (
    {{ accepted_discoveries }}
    {%- if scope is not none %}
        and date_trunc('hour', event_ts) in (select window_start from {{ scope }})
    {%- endif %}
),

snapshots as (
    {{ addressed_snapshots }}
),

-- One snapshot entry per (org, URI, instant), by the tie-break of §3.11, so the
-- as-of joins below are deterministic (a join on the URI alone grew with the
-- product of discoveries and snapshots). Only the URIs discovered in scope.
snapshot_instants as (
    select snapshots.org, snapshots.orchestrator_uri_norm, snapshots.event_ts, snapshots.orchestrator_address,
    from snapshots
    semi join discoveries
        on discoveries.org = snapshots.org
        and discoveries.orchestrator_url_norm = snapshots.orchestrator_uri_norm
    qualify row_number() over (
        partition by org, orchestrator_uri_norm, event_ts order by event_id desc, entry_index
    ) = 1
),

latest_before as (
    select
        discoveries.org,
        discoveries.event_id,
        discoveries.entry_index,
        snapshot_instants.orchestrator_address,
    from discoveries
    asof join snapshot_instants
        on snapshot_instants.org = discoveries.org
        and snapshot_instants.orchestrator_uri_norm = discoveries.orchestrator_url_norm
        and snapshot_instants.event_ts <= discoveries.event_ts
),

earliest_after as (
    select
        discoveries.org,
        discoveries.event_id,
        discoveries.entry_index,
        snapshot_instants.orchestrator_address,
    from discoveries
    asof join snapshot_instants
        on snapshot_instants.org = discoveries.org
        and snapshot_instants.orchestrator_uri_norm = discoveries.orchestrator_url_norm
        and discoveries.event_ts < snapshot_instants.event_ts
),

uri_matches as (
    select * from latest_before
    union all
    select * from earliest_after
    anti join latest_before using (org, event_id, entry_index)
),

local_aliases as (
    select
        org,
        orchestrator_local_address,
        min(orchestrator_address) as orchestrator_address,
    from snapshots
    where coalesce(orchestrator_local_address, '') != ''
    group by all
    having count(distinct orchestrator_address) = 1
),

mapped as (
    select
        discoveries.*,
        coalesce(
            uri_matches.orchestrator_address,
            local_aliases.orchestrator_address,
            discoveries.orchestrator_local_address
        ) as orchestrator_address,
        case
            when uri_matches.orchestrator_address is not null then 'uri'
            when local_aliases.orchestrator_address is not null then 'local_address'
            else 'unmapped'
        end as address_mapping,
    from discoveries
    left join uri_matches
        on uri_matches.org = discoveries.org
        and uri_matches.event_id = discoveries.event_id
        and uri_matches.entry_index = discoveries.entry_index
    left join local_aliases
        on local_aliases.org = discoveries.org
        and local_aliases.orchestrator_local_address = discoveries.orchestrator_local_address
),

hourly as (
    select
        date_trunc('hour', event_ts) as window_start,
        org,
        orchestrator_address,
        count(*) as sample_count,
        sum(latency_ms) as latency_ms_sum,
        quantile_cont(latency_ms, 0.5) as p50_latency_ms,
        quantile_cont(latency_ms, 0.95) as p95_latency_ms,
        quantile_cont(latency_ms, 0.99) as p99_latency_ms,
        min(latency_ms) as min_latency_ms,
        max(latency_ms) as max_latency_ms,
        count(*) filter (where address_mapping = 'uri') as uri_mapped_sample_count,
        count(*) filter (where address_mapping = 'local_address') as local_address_mapped_sample_count,
        count(*) filter (where address_mapping = 'unmapped') as unmapped_sample_count,
        string_agg(distinct orchestrator_local_address, ',' order by orchestrator_local_address) as local_addresses,
        string_agg(distinct orchestrator_url_norm, ',' order by orchestrator_url_norm) as orchestrator_uris,
    from mapped
    group by all
),

stamped as (
    select *, {{ build_stamp() }} as built_at,
    from hourly
)

select * from stamped
