"""Accept or quarantine consumed messages, in bulk, with DuckDB's JSON reader.

Parsing one message at a time in Python would cost more than the Kafka client
itself; DuckDB parses a whole batch of envelopes in C++ on every core. The
rules live in `classify.sql` so they read as the contract they implement.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import duckdb
import pyarrow as pa

from ingest.lake.contract import (
    ACCEPTED_FAMILIES,
    MAX_MESSAGE_BYTES,
    SCOPE_CLIENT_NOISE_SUBTYPES,
    STREAM_TRACE_SUBTYPES,
)
from ingest.support.sql_text import quote_literal

# What the consumer hands over: one row per Kafka message.
MESSAGES_SCHEMA = pa.schema(
    [
        ("org", pa.string()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("kafka_timestamp", pa.timestamp("ms", tz="UTC")),
        ("key", pa.string()),
        ("raw_text", pa.string()),
        ("value_bytes", pa.int64()),
        ("utf8_ok", pa.bool_()),
    ]
)


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(quote_literal(v) for v in values) + ")"


@cache
def classify_sql() -> str:
    template = resources.files("ingest.lake").joinpath("classify.sql").read_text()
    return (
        template.replace("{max_message_bytes}", str(MAX_MESSAGE_BYTES))
        .replace("{accepted_families}", _sql_list(ACCEPTED_FAMILIES))
        .replace("{stream_trace_subtypes}", _sql_list(STREAM_TRACE_SUBTYPES))
        .replace("{scope_noise_subtypes}", _sql_list(SCOPE_CLIENT_NOISE_SUBTYPES))
    )


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # No progress bar: a long classification would draw one into `naap run`'s output.
    con.execute("set enable_progress_bar = false")
    con.execute("set TimeZone = 'UTC'")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    return con


def classify(
    messages: pa.Table,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """Return `messages` with envelope columns, `event_date` and `reason` (NULL = accepted).

    Row order and row count are those of the input: nothing is dropped here.
    """
    con = con or connect()
    con.register("messages", messages.cast(MESSAGES_SCHEMA))
    try:
        return con.sql(classify_sql()).to_arrow_table()
    finally:
        con.unregister("messages")
