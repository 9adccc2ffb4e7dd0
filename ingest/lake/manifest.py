"""A batch's manifest: the one row of `ingest_batches/` whose write is the batch's commit point.

The fields are the columns of `schema.INGEST_BATCHES`, in order (a test holds them together),
so the runner that fills a manifest, the lake that writes it and the positions folded from it
share one type instead of a dict whose keys each must spell alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import pyarrow as pa

from ingest.lake.schema import INGEST_BATCHES


@dataclass(frozen=True)
class PartitionRange:
    """What one batch took of one topic-partition (`schema.PARTITION_RANGE`)."""

    topic: str
    # The topic's incarnation (Kafka topic id), None where the broker has none.
    topic_id: str | None
    partition: int
    org: str
    # None where the batch only moved past offsets that held no record (gaps, markers).
    first_offset: int | None
    last_offset: int | None
    next_offset: int
    consumed: int


@dataclass(frozen=True)
class BatchManifest:
    batch_id: str
    started_at: datetime
    finished_at: datetime
    duration_s: float
    consumed: int
    accepted: int
    quarantined: int
    bytes: int
    quarantine_reasons: dict[str, int]
    partitions: tuple[PartitionRange, ...]
    # The batch's data files, relative to the lake root.
    files: tuple[str, ...]

    def reconciles(self) -> bool:
        """Every consumed message was accepted or quarantined, once."""
        return self.accepted + self.quarantined == self.consumed

    def to_table(self) -> pa.Table:
        row = asdict(self)
        row["quarantine_reasons"] = [{"reason": r, "count": n} for r, n in self.quarantine_reasons.items()]
        return pa.Table.from_pylist([row], schema=INGEST_BATCHES)
