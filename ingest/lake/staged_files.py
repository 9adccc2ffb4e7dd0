"""Parquet files of one batch, written under its staging folder.

One file per (dataset, event_date) per batch: each chunk of the batch is appended
as row groups, so a batch of any size leaves few files behind. A chunk's rows are
sorted by event type into row groups of ROW_GROUP_ROWS, so that a staging model,
which reads one event family, skips the row groups of the others by their
min/max statistics instead of decompressing every payload in the lake.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.lake.schema import QUARANTINE, RAW_EVENTS
from ingest.lake.store import QUARANTINE_DIR, RAW_EVENTS_DIR, fsync_path

ROW_GROUP_ROWS = 16_384


class StagedFiles:
    def __init__(self, staging: Path, batch_id: str) -> None:
        self.staging = staging
        self.batch_id = batch_id
        self._writers: dict[str, pq.ParquetWriter] = {}

    def write(self, classified: pa.Table, ingested_at: dt.datetime) -> tuple[int, dict[str, int]]:
        """Append a classified chunk; returns (accepted, quarantined by reason)."""
        n = classified.num_rows
        classified = classified.append_column(
            "ingested_at", pa.array([ingested_at] * n, RAW_EVENTS.field("ingested_at").type)
        ).append_column("batch_id", pa.array([self.batch_id] * n, pa.string()))
        accepted_mask = pc.is_null(classified.column("reason"))
        accepted = classified.filter(accepted_mask)
        quarantined = classified.filter(pc.invert(accepted_mask))
        self._append_by_date(RAW_EVENTS_DIR, accepted, RAW_EVENTS)
        self._append_by_date(QUARANTINE_DIR, quarantined, QUARANTINE)
        reasons = pc.value_counts(quarantined.column("reason")).to_pylist() if quarantined.num_rows else []
        return accepted.num_rows, {r["values"]: r["counts"] for r in reasons}

    def close(self) -> list[str]:
        """Close and fsync every file; returns their paths relative to the lake root.

        The staging folder is scratch space until the manifest commits it, so the
        files need no temp-and-rename of their own here.
        """
        relative_paths = sorted(self._writers)
        for relative in relative_paths:
            self._writers.pop(relative).close()
            fsync_path(self.staging / relative)
        for folder in {(self.staging / r).parent for r in relative_paths}:
            fsync_path(folder)
        return relative_paths

    def _append_by_date(self, dataset: str, table: pa.Table, schema: pa.Schema) -> None:
        if table.num_rows == 0:
            return
        dates = table.column("event_date")
        for date in pc.unique(dates).to_pylist():
            part = table.filter(pc.equal(dates, date)).select(schema.names).cast(schema).sort_by("event_type")
            relative = f"{dataset}/event_date={date.isoformat()}/part-{self.batch_id}.parquet"
            writer = self._writers.get(relative)
            if writer is None:
                path = self.staging / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(path, schema, compression="zstd")
                self._writers[relative] = writer
            writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
