"""The lake as DuckDB views: the dbt sources `lake.raw_events`, `lake.quarantine`,
`lake.ingest_batches`, `lake.consumer_lag`, and the table `lake.landed_batches`.

`read_parquet` fails on a glob that matches nothing (and DuckDB 2.0's
`allow_empty` trips an internal error with Hive partitions), yet an empty
quarantine is the normal state of a healthy lake. So each view is (re)created
before a build: over the files when there are any, else as an empty relation
of the same columns. Paths are absolute, so the views work from any directory.

`lake.landed_batches` fixes, for the whole build, the batches staging may
take as read (`Lake.landed_batches`): a batch still being moved into the lake
is left whole to the next build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.lake.schema import CONSUMER_LAG, INGEST_BATCHES, QUARANTINE, RAW_EVENTS
from ingest.lake.store import BATCHES_DIR, LAG_HISTORY_DIR, QUARANTINE_DIR, RAW_EVENTS_DIR, Lake
from ingest.support.sql_text import quote_identifier, quote_literal

SCHEMA = "lake"
DATASETS: dict[str, tuple[str, pa.Schema, str]] = {
    "raw_events": (RAW_EVENTS_DIR, RAW_EVENTS, "event_date"),
    "quarantine": (QUARANTINE_DIR, QUARANTINE, "event_date"),
    "ingest_batches": (BATCHES_DIR, INGEST_BATCHES, "batch_date"),
    "consumer_lag": (LAG_HISTORY_DIR, CONSUMER_LAG, "measured_date"),
}


def create_lake_views(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> dict[str, int]:
    """(Re)create the views and the published-batch table; returns the Parquet files behind each view."""
    con.execute(f"create schema if not exists {SCHEMA}")
    files = {}
    for name, (folder, schema, partition) in DATASETS.items():
        pattern = str(lake_dir.resolve() / folder / f"{partition}=*" / "*.parquet")
        count = con.execute("select count(*) from glob(?)", [pattern]).fetchone()[0]
        if count:
            body = f"select * from read_parquet({quote_literal(pattern)}, hive_partitioning = true, union_by_name = true)"
        else:
            body = _empty_relation(schema, partition)
        con.execute(f"create or replace view {SCHEMA}.{name} as {body}")
        files[name] = count
    con.execute(f"create or replace table {SCHEMA}.landed_batches (batch_id varchar primary key)")
    con.execute(
        f"insert into {SCHEMA}.landed_batches select unnest(?::varchar[])",
        [Lake(lake_dir).landed_batches()],
    )
    return files


def _empty_relation(schema: pa.Schema, partition: str) -> str:
    columns = [
        f"cast(null as {_duckdb_type(field.type)}) as {quote_identifier(field.name)}" for field in schema
    ]
    columns.append(f"cast(null as date) as {quote_identifier(partition)}")
    return "select " + ", ".join(columns) + " where false"


def _duckdb_type(arrow_type: pa.DataType) -> str:
    """DuckDB's name for an Arrow type, as DuckDB itself maps it when reading Parquet."""
    return str(duckdb.from_arrow(pa.table({"c": pa.array([], arrow_type)})).types[0])
