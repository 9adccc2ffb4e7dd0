"""Python data-quality checks on the lake and the publication (dbt tests arrive as checks of their own)."""

import sqlite3
from contextlib import closing

import dagster as dg
import duckdb

from ingest.alerts.thresholds import MAX_EVENT_AGE_MINUTES, MAX_QUARANTINE_RATE
from ingest.lake.views import create_lake_views
from ingest.paths import database_path, warehouse_path
from ingest.publication.mart_catalog import public_marts
from ingest.support.sql_text import quote_identifier
from orchestration.assets.lake import LAKE_KEYS
from orchestration.assets.publication import PUBLICATION_KEYS
from orchestration.resources import WarehouseResource


def _lake(warehouse: WarehouseResource) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_lake_views(con, warehouse.settings().lake_dir)
    return con


@dg.asset_check(
    asset=LAKE_KEYS["ingest_batches"],
    blocking=True,
    description="consumed = accepted + quarantined, every batch",
)
def batches_reconcile(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with _lake(warehouse) as con:
        bad, batches = con.execute(
            "select count(*) filter (where consumed != accepted + quarantined), count(*) from lake.ingest_batches"
        ).fetchone()
    return dg.AssetCheckResult(passed=bad == 0, metadata={"batches": batches, "unreconciled_batches": bad})


@dg.asset_check(
    asset=LAKE_KEYS["quarantine"],
    blocking=True,
    description="Quarantined share of consumed messages over the last 24 h of batches is under NAAP_MAX_QUARANTINE_RATE",
)
def quarantine_rate(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    limit = MAX_QUARANTINE_RATE.value()
    with _lake(warehouse) as con:
        quarantined, consumed = con.execute(
            "select coalesce(sum(quarantined), 0), coalesce(sum(consumed), 0) from lake.ingest_batches "
            "where finished_at >= (select max(finished_at) from lake.ingest_batches) - interval 24 hour"
        ).fetchone()
    rate = quarantined / consumed if consumed else 0.0
    return dg.AssetCheckResult(
        passed=rate <= limit, metadata={"quarantine_rate": rate, "limit": limit, "consumed": consumed}
    )


@dg.asset_check(
    asset=LAKE_KEYS["raw_events"],
    description="The newest accepted event is under NAAP_MAX_EVENT_AGE_MINUTES old (gateways are still reporting)",
)
def newest_event_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    limit = MAX_EVENT_AGE_MINUTES.value()
    with _lake(warehouse) as con:
        newest, age_minutes = con.execute(
            "select max(event_ts), extract(epoch from now() - max(event_ts)) / 60 from lake.raw_events"
        ).fetchone()
    return dg.AssetCheckResult(
        passed=age_minutes is not None and age_minutes <= limit,
        # A stale feed is a warning: the warehouse is still right about what it has.
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"newest_event": str(newest), "age_minutes": age_minutes or 0.0, "limit_minutes": limit},
    )


@dg.asset_check(
    asset=PUBLICATION_KEYS["explorer_db"],
    description="Every published table has exactly the rows of its mart in the warehouse",
)
def published_rows_match_marts(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    settings = warehouse.settings()
    with duckdb.connect(str(warehouse_path(settings)), read_only=True) as duck:
        marts = {
            m.name: duck.execute(f"select count(*) from main.{quote_identifier(m.name)}").fetchone()[0]
            for m in public_marts()
        }
    with closing(sqlite3.connect(f"file:{database_path(settings)}?mode=ro", uri=True)) as lite:
        published = {
            name: lite.execute(f"select count(*) from {quote_identifier(name)}").fetchone()[0]
            for name in marts
        }
    mismatched = {name: [marts[name], published[name]] for name in marts if marts[name] != published[name]}
    return dg.AssetCheckResult(
        passed=not mismatched,
        metadata={"tables": len(marts), "mismatched": dg.MetadataValue.json(mismatched)},
    )
