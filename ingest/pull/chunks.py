"""Kafka messages gathered column-wise, turned into an Arrow table in bulk.

The per-message work in Python is kept to pulling four attributes; UTF-8
validation and lengths run over whole columns in Arrow's C++.
"""

from __future__ import annotations

from bisect import bisect_left

import pyarrow as pa
import pyarrow.compute as pc

from ingest.lake.classify import MESSAGES_SCHEMA
from ingest.lake.store import TopicPartitionKey


class MessageChunk:
    def __init__(self) -> None:
        self.orgs: list[str] = []
        self.topics: list[str] = []
        self.partitions: list[int] = []
        self.offsets: list[int] = []
        self.timestamps: list[int | None] = []
        self.keys: list[bytes | None] = []
        self.values: list[bytes | None] = []

    def __len__(self) -> int:
        return len(self.offsets)

    def take(
        self, key: TopicPartitionKey, org: str, messages: list, expected: int, end: int
    ) -> tuple[int, int, int] | None:
        """Append the messages with offsets in [expected, end); returns (first, last, count).

        A fetch may repeat offsets already taken or run past the target; offsets
        rise within a partition, so both edges are found by bisection.
        """
        offsets = [m.offset for m in messages]
        lo = bisect_left(offsets, expected)
        hi = bisect_left(offsets, end)
        if lo >= hi:
            return None
        taken = messages[lo:hi]
        count = hi - lo
        self.orgs.extend([org] * count)
        self.topics.extend([key[0]] * count)
        self.partitions.extend([key[1]] * count)
        self.offsets.extend(offsets[lo:hi])
        self.timestamps.extend([m.timestamp if m.timestamp >= 0 else None for m in taken])
        self.keys.extend([m.key for m in taken])
        self.values.extend([m.value for m in taken])
        return offsets[lo], offsets[hi - 1], count

    def to_table(self) -> pa.Table:
        values = pa.array(self.values, pa.binary()).fill_null(b"")
        raw_text, utf8_ok = _as_text(values)
        keys, _ = _as_text(pa.array(self.keys, pa.binary()))
        return pa.table(
            {
                "org": self.orgs,
                "topic": self.topics,
                "partition": self.partitions,
                "offset": self.offsets,
                "kafka_timestamp": self.timestamps,
                "key": keys,
                "raw_text": raw_text,
                "value_bytes": pc.binary_length(values).cast(pa.int64()),
                "utf8_ok": utf8_ok,
            },
            schema=MESSAGES_SCHEMA,
        )


def _as_text(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The column as UTF-8 text, invalid bytes escaped as \\xNN, and which rows were valid."""
    try:
        return column.cast(pa.string()), pa.array([True] * len(column), pa.bool_())
    except pa.ArrowInvalid:
        pass
    texts, valid = [], []
    for raw in column.to_pylist():
        if raw is None:
            texts.append(None)
            valid.append(True)
            continue
        try:
            texts.append(raw.decode("utf-8"))
            valid.append(True)
        except UnicodeDecodeError:
            texts.append(raw.decode("utf-8", "backslashreplace"))
            valid.append(False)
    return pa.array(texts, pa.string()), pa.array(valid, pa.bool_())
