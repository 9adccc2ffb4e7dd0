"""Publication: the explorer's SQLite database and a Parquet snapshot, from the marts."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import dagster as dg
from dagster_dbt import get_asset_key_for_model

from ingest.publication.mart_catalog import public_marts
from ingest.publication.publish import publish
from orchestration.assets.warehouse import warehouse_models
from orchestration.resources import WarehouseResource

PUBLICATION_KEYS = {
    "explorer_db": dg.AssetKey(["publication", "explorer_db"]),
    "snapshots": dg.AssetKey(["publication", "snapshots"]),
}

MART_KEYS = [get_asset_key_for_model([warehouse_models], mart.name) for mart in public_marts()]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PUBLICATION_KEYS["explorer_db"],
            deps=MART_KEYS,
            description="The public marts in SQLite ($NAAP_DATA_DIR/publish/naap.db), served by Datasette.",
        ),
        dg.AssetSpec(
            PUBLICATION_KEYS["snapshots"],
            deps=MART_KEYS,
            description="Parquet snapshots of the public marts with a manifest, for download.",
        ),
    ],
    group_name="publication",
    pool="duckdb",
    # Published once after a ranged backfill, in the same run.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def publication(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """`naap publish`: one transaction into the explorer's database, one new snapshot."""
    result = publish(warehouse.settings())
    yield dg.MaterializeResult(
        asset_key=PUBLICATION_KEYS["explorer_db"],
        metadata={
            "dagster/row_count": sum(result.table_rows.values()),
            "rows_by_table": dg.MetadataValue.json(result.table_rows),
            "bytes": result.database_bytes,
            "path": str(result.database),
        },
    )
    yield dg.MaterializeResult(
        asset_key=PUBLICATION_KEYS["snapshots"],
        metadata={
            "snapshot": str(result.snapshot),
            "bytes": result.snapshot_bytes,
            "bytes_written": result.snapshot_bytes_written,
            "kept": result.snapshots_kept,
        },
    )
