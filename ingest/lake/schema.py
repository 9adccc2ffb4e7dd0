"""Column layout of the Parquet lake's datasets."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

RAW_EVENTS = pa.schema(
    [
        ("org", pa.string()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("kafka_timestamp", TS),
        ("key", pa.string()),
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("event_ts", TS),
        ("gateway", pa.string()),
        ("data_json", pa.string()),
        ("ingested_at", TS),
        ("batch_id", pa.string()),
    ]
)

QUARANTINE = pa.schema([*RAW_EVENTS, ("reason", pa.string()), ("raw_text", pa.string())])

PARTITION_RANGE = pa.struct(
    [
        ("topic", pa.string()),
        ("topic_id", pa.string()),  # the topic's incarnation (Kafka topic id), null if the broker has none
        ("partition", pa.int32()),
        ("org", pa.string()),
        ("first_offset", pa.int64()),
        ("last_offset", pa.int64()),
        ("next_offset", pa.int64()),
        ("consumed", pa.int64()),
    ]
)

REASON_COUNT = pa.struct([("reason", pa.string()), ("count", pa.int64())])

INGEST_BATCHES = pa.schema(
    [
        ("batch_id", pa.string()),
        ("started_at", TS),
        ("finished_at", TS),
        ("duration_s", pa.float64()),
        ("consumed", pa.int64()),
        ("accepted", pa.int64()),
        ("quarantined", pa.int64()),
        ("bytes", pa.int64()),
        ("quarantine_reasons", pa.list_(REASON_COUNT)),
        ("partitions", pa.list_(PARTITION_RANGE)),
        ("files", pa.list_(pa.string())),
    ]
)

# One row per topic each time an ingest run measures what it left in Kafka.
CONSUMER_LAG = pa.schema(
    [
        ("measured_at", TS),
        ("topic", pa.string()),
        ("lag", pa.int64()),
        # The newest batch committed when it was measured; null before the first.
        ("after_batch_id", pa.string()),
    ]
)
