"""The explorer's SQLite database, rewritten in place in one transaction per publish.

Datasette keeps its connections open, so a new file renamed over the old one would not be
seen until a restart. Instead the database is in WAL mode and a publish drops and recreates
every table inside one write transaction: a reader sees the previous publication until the
COMMIT and the new one from then on, never a missing or half-filled table
(tests/test_explorer.py reads through Datasette while publishing to prove it).
"""

import itertools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import sqlite_utils

from ingest.mart_catalog import Mart
from ingest.publish_schema import PublishError, quote_identifier, sqlite_columns, sqlite_select

# The filters people use, each indexed by its longest prefix present in a table
# (orchestrator_address with window_start also serves an orchestrator's time range).
FILTER_INDEXES = (
    ("orchestrator_address", "window_start"),
    ("window_start",),
    ("pipeline_id", "model_id"),
    ("model_id",),
    ("gpu_id",),
)
FULL_TEXT = {"orchestrators": ("orchestrator_address", "orchestrator_local_address", "orchestrator_uri")}
FETCH_ROWS = 10_000


def export_marts(
    duck: duckdb.DuckDBPyConnection,
    marts: tuple[Mart, ...],
    duck_types: dict[str, dict[str, str]],
    path: Path,
    on_table: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Replace every table of the database at `path` with the marts, atomically; rows per table."""
    rows: dict[str, int] = {}
    db = sqlite_utils.Database(path)
    try:
        db.enable_wal()
        # Freed pages are zeroed, so bytes of a dropped table never linger in the file.
        db.conn.execute("PRAGMA secure_delete = ON")
        with db.atomic():
            _drop_all_tables(db)
            for mart in marts:
                rows[mart.name] = _load(db, duck, mart, duck_types[mart.name])
                if on_table:
                    on_table(mart.name, rows[mart.name])
        # Fold the WAL back into the file when no reader holds it; a busy reader just
        # leaves it for the next publish.
        db.conn.execute("PRAGMA busy_timeout = 250")
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return rows


def _drop_all_tables(db: sqlite_utils.Database) -> None:
    # Full-text tables first: dropping one drops its shadow tables, which cannot be dropped alone.
    virtual = "select name from sqlite_master where type = 'table' and sql like 'CREATE VIRTUAL TABLE%'"
    for (name,) in db.execute(virtual).fetchall():
        db.table(name).drop()
    for name in db.table_names():
        db.table(name).drop()


def _load(
    db: sqlite_utils.Database, duck: duckdb.DuckDBPyConnection, mart: Mart, types: dict[str, str]
) -> int:
    columns = sqlite_columns(mart, types)
    names = [c.name for c in columns]
    table = db.table(mart.name)
    table.create(
        {c.name: c.sqlite_type for c in columns}, pk=mart.grain[0] if len(mart.grain) == 1 else mart.grain
    )
    # DuckDB's tuples already have SQLite's types, so they go straight to executemany: sqlite-utils'
    # insert_all would rebuild each row as a dict and inspect every value (5x slower on a network day).
    insert = f"insert into {quote_identifier(mart.name)} values ({', '.join('?' * len(names))})"
    count = 0
    try:
        cursor = duck.execute(sqlite_select(mart, columns))
        for batch in iter(lambda: cursor.fetchmany(FETCH_ROWS), []):
            db.conn.executemany(insert, batch)
            count += len(batch)
    except duckdb.ConversionException as exc:
        raise PublishError(
            f"mart {mart.name} has an integer beyond 64 bits; mark its column exact_decimal in the "
            f"mart YAML ({str(exc).splitlines()[0]})"
        ) from None
    except sqlite3.IntegrityError:
        raise PublishError(f"mart {mart.name} has two rows with the same grain {mart.grain}") from None
    for index in _filter_indexes(mart, names):
        table.create_index(index)
    if mart.name in FULL_TEXT:
        table.enable_fts(FULL_TEXT[mart.name], fts_version="FTS5", create_triggers=False)
    return count


def _filter_indexes(mart: Mart, names: list[str]) -> Iterator[tuple[str, ...]]:
    seen: set[tuple[str, ...]] = set()
    for wanted in FILTER_INDEXES:
        present = tuple(itertools.takewhile(names.__contains__, wanted))
        # The primary key already serves a prefix of the grain.
        if present and present != mart.grain[: len(present)] and present not in seen:
            seen.add(present)
            yield present
