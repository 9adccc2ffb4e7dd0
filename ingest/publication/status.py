"""How fresh the publication is: `publish/status.json`, written by each publish, read by `/healthz`.

The explorer serves the published SQLite database and nothing of the warehouse or the lake, so a
publish writes down what it published from (the data clock, the newest batch, the consumer lag
the last ingest left) beside the database, renamed into place whole. Times are UTC ISO-8601.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

STATUS_FILE = "status.json"


def iso(moment: datetime | str | None) -> str | None:
    """UTC ISO-8601 with a Z; naive times (and the marts' ISO text) are the warehouse's, which are UTC."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def write_status(
    folder: Path,
    duck: duckdb.DuckDBPyConnection,
    published_at: datetime,
    database_version: int,
    lag: dict | None,
) -> dict:
    (data_clock,) = duck.execute("select max(data_clock_at) from main.stg_lake__data_clock").fetchone()
    (last_batch,) = duck.execute("select max(finished_at) from main.ingest_batches").fetchone()
    topics = (lag or {}).get("topics", {})
    status = {
        "published_at": iso(published_at),
        "data_clock": iso(data_clock),
        "last_batch_finished_at": iso(last_batch),
        "lag_messages": sum(topics.values()) if lag else None,
        "lag_by_topic": topics,
        "lag_measured_at": (lag or {}).get("measured_at"),
        "database_version": database_version,
    }
    tmp = folder / f".{STATUS_FILE}.tmp"
    tmp.write_text(json.dumps(status, indent=1))
    os.replace(tmp, folder / STATUS_FILE)
    return status


def read_status(folder: Path) -> dict | None:
    try:
        return json.loads((folder / STATUS_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
