"""The lake layer: one ingest micro-batch materializes the three lake datasets.

Keys match the dbt sources (`lake.raw_events`, ...), so lineage runs straight
from Kafka through staging to the marts.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import dagster as dg

from ingest.pull.once import ingest_once
from orchestration.resources import WarehouseResource

LAKE_KEYS = {
    "raw_events": dg.AssetKey(["lake", "raw_events"]),
    "quarantine": dg.AssetKey(["lake", "quarantine"]),
    "ingest_batches": dg.AssetKey(["lake", "ingest_batches"]),
    "consumer_lag": dg.AssetKey(["lake", "consumer_lag"]),
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            LAKE_KEYS["raw_events"], description="Accepted gateway events (Parquet, by event_date)."
        ),
        dg.AssetSpec(LAKE_KEYS["quarantine"], description="Quarantined messages with their reason."),
        dg.AssetSpec(LAKE_KEYS["ingest_batches"], description="One manifest per committed micro-batch."),
        dg.AssetSpec(
            LAKE_KEYS["consumer_lag"],
            description="Messages each run left in Kafka, per topic (by measured_date).",
        ),
    ],
    group_name="lake",
    pool="duckdb",
)
def lake(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Pull every configured topic up to its end offsets, exactly once into the lake."""
    result = ingest_once(warehouse.settings())
    for warning in result.warnings:
        context.log.warning(warning)
    yield dg.MaterializeResult(
        asset_key=LAKE_KEYS["raw_events"],
        metadata={
            "dagster/row_count": result.accepted,
            "consumed": result.consumed,
            "remaining_lag": result.remaining_lag,
            "events_per_second": result.consumed / result.elapsed_s if result.elapsed_s else 0.0,
            "missing_topics": ", ".join(result.missing_topics),
        },
    )
    yield dg.MaterializeResult(
        asset_key=LAKE_KEYS["quarantine"],
        metadata={
            "dagster/row_count": result.quarantined,
            "by_reason": dg.MetadataValue.json(result.quarantine_reasons),
        },
    )
    yield dg.MaterializeResult(
        asset_key=LAKE_KEYS["ingest_batches"],
        metadata={
            "batches": len(result.batches),
            "batch_ids": ", ".join(b.batch_id for b in result.batches),
            "consumed": result.consumed,
            "accepted": result.accepted,
            "quarantined": result.quarantined,
        },
    )
    yield dg.MaterializeResult(
        asset_key=LAKE_KEYS["consumer_lag"],
        metadata={"lag_by_topic": dg.MetadataValue.json(result.lag_by_topic)},
    )
