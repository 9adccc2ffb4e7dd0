"""The explorer's SQLite database, updated in place in one transaction per publish.

Datasette keeps its connections open, so a new file renamed over the old one would not be
seen until a restart. Instead the database is in WAL mode and a publish changes it inside one
write transaction: a reader sees the previous publication until the COMMIT and the new one from
then on, never a missing or half-filled table (tests/test_explorer.py reads through Datasette
while publishing to prove it).

A micro-batch changes a few hundred rows of nearly every mart, so rewriting whole tables would
cost what the whole history weighs, every five minutes. When the database still holds the
publication of the newest snapshot (its `user_version` is the version that snapshot was published
with), each table is brought up to date from its difference with that snapshot's Parquet files:
the grains of the mart's rows that are not in the snapshot (for a mart stamped with `built_at`,
its rows recomputed after the snapshot's newest stamp) and those that left the mart are
deleted, and the mart's rows of those grains inserted. A table is rewritten whole when there is
no such snapshot, when its columns or indexes changed, or when a large share of its rows changed.
The days of the rows that changed (in the snapshot and in the mart) tell the next snapshot which of
its day files to write (ingest/publication/snapshots.py).
"""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlite_utils

from ingest.publication.column_types import (
    PublishedColumn,
    PublishError,
    parquet_expressions,
    parquet_select,
    refusing_wide_integers,
    sqlite_columns,
    sqlite_select,
)
from ingest.publication.mart_catalog import Mart
from ingest.publication.snapshots import day_expression
from ingest.support.sql_text import quote_identifier, quote_literal

FETCH_ROWS = 10_000
# Past this share of a table's rows (and this many rows), one bulk load and one index build beat
# that many keyed upserts.
DIFFERENCE_LIMIT = 0.25
DIFFERENCE_ALWAYS_APPLIED = 1_000
# When a build last recomputed a row (an incremental mart's lineage column).
STAMP_COLUMN = "built_at"


@dataclass(frozen=True)
class Baseline:
    """The newest snapshot: each table's Parquet files, and the database version it was published with."""

    files: dict[str, list[Path]]
    database_version: int


@dataclass(frozen=True)
class TableExport:
    rows: int  # in the table once published
    written: int  # rows inserted or deleted (a changed row counts once)
    whole: bool  # dropped and loaded again rather than updated from its difference
    # The snapshot days holding a changed row, before or after; None when not known (rewritten whole).
    changed_days: set[str] | None = None


def export_marts(
    duck: duckdb.DuckDBPyConnection,
    marts: tuple[Mart, ...],
    duck_types: dict[str, dict[str, str]],
    path: Path,
    baseline: Baseline | None = None,
    on_table: Callable[[str, int], None] | None = None,
) -> tuple[dict[str, TableExport], int]:
    """Bring every table of the database at `path` to the marts, atomically; the tables and the new version."""
    exports: dict[str, TableExport] = {}
    db = sqlite_utils.Database(path)
    try:
        db.enable_wal()
        # Freed pages are zeroed, so bytes of a dropped table or row never linger in the file.
        db.conn.execute("PRAGMA secure_delete = ON")
        with db.atomic():
            (previous,) = db.execute("PRAGMA user_version").fetchone()
            # user_version is a signed 32-bit integer; publishes are serialised, so a counter suffices.
            version = previous % (2**31 - 1) + 1
            if baseline is None or baseline.database_version != previous or not _holds(db, marts):
                baseline = None
                _drop_all_tables(db)
            for mart in marts:
                exports[mart.name] = _export(db, duck, mart, duck_types[mart.name], baseline)
                if on_table:
                    on_table(mart.name, exports[mart.name].rows)
            # The header's user_version changes inside the same transaction as the tables.
            db.conn.execute(f"PRAGMA user_version = {version}")
        # Fold the WAL back into the file when no reader holds it; a busy reader just
        # leaves it for the next publish.
        db.conn.execute("PRAGMA busy_timeout = 250")
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return exports, version


def _holds(db: sqlite_utils.Database, marts: tuple[Mart, ...]) -> bool:
    """Whether the database has a table for each mart and no other (besides full-text search)."""
    searched = [m.name for m in marts if m.full_text]
    tables = {name for name in db.table_names() if not any(name.startswith(f"{t}_fts") for t in searched)}
    return tables == {m.name for m in marts}


def _drop_all_tables(db: sqlite_utils.Database) -> None:
    # Full-text tables first: dropping one drops its shadow tables, which cannot be dropped alone.
    virtual = "select name from sqlite_master where type = 'table' and sql like 'CREATE VIRTUAL TABLE%'"
    for (name,) in db.execute(virtual).fetchall():
        db.table(name).drop()
    for name in db.table_names():
        db.table(name).drop()


def _export(
    db: sqlite_utils.Database,
    duck: duckdb.DuckDBPyConnection,
    mart: Mart,
    types: dict[str, str],
    baseline: Baseline | None,
) -> TableExport:
    columns = sqlite_columns(mart, types)
    try:
        with refusing_wide_integers(mart):
            if baseline:
                updated = _apply_difference(db, duck, mart, types, columns, baseline.files.get(mart.name, []))
                if updated:
                    return updated
            return _rewrite(db, duck, mart, columns)
    except sqlite3.IntegrityError:
        raise PublishError(f"mart {mart.name} has two rows with the same grain {mart.grain}") from None


def _rewrite(
    db: sqlite_utils.Database, duck: duckdb.DuckDBPyConnection, mart: Mart, columns: list[PublishedColumn]
) -> TableExport:
    names = [c.name for c in columns]
    db.table(f"{mart.name}_fts").drop(ignore=True)
    table = db.table(mart.name)
    table.drop(ignore=True)
    table.create(
        {c.name: c.sqlite_type for c in columns}, pk=mart.grain[0] if len(mart.grain) == 1 else mart.grain
    )
    count = _insert(db, mart, names, duck.execute(sqlite_select(mart, columns)))
    for index in mart.indexes:
        table.create_index(index)
    if mart.full_text:
        table.enable_fts(mart.full_text, fts_version="FTS5", create_triggers=False)
    return TableExport(count, count, whole=True)


def _apply_difference(
    db: sqlite_utils.Database,
    duck: duckdb.DuckDBPyConnection,
    mart: Mart,
    types: dict[str, str],
    columns: list[PublishedColumn],
    snapshot_files: list[Path],
) -> TableExport | None:
    """Delete the grains that changed or left since the snapshot, insert the mart's changed rows; None if unfit."""
    names = [c.name for c in columns]
    table = db.table(mart.name)
    indexes = {tuple(index.columns) for index in table.indexes if index.origin == "c"}
    if not snapshot_files or [c.name for c in table.columns] != names:
        return None
    if indexes != set(mart.indexes):
        return None
    if mart.full_text and table.detect_fts() is None:
        return None
    current = parquet_select(mart, types)
    snapshot = f"read_parquet([{', '.join(quote_literal(str(f)) for f in snapshot_files)}])"
    if _shape(duck, current) != _shape(duck, f"select * from {snapshot}"):
        return None
    grain = ", ".join(quote_identifier(g) for g in mart.grain)
    [(rows,)] = duck.execute(f"select count(*) from main.{quote_identifier(mart.name)}").fetchall()
    day = day_expression(mart)
    changed_rows = duck.sql(
        f"select {grain}, {day} as _day from ({_changed_rows(duck, mart, types, snapshot, names)})"
    ).to_arrow_table()
    changed = changed_rows.drop_columns(["_day"])
    if changed.num_rows > max(DIFFERENCE_LIMIT * rows, DIFFERENCE_ALWAYS_APPLIED):
        return None
    days_before, found = _snapshot_days(duck, mart, snapshot, changed)
    gone = changed.schema.empty_table()
    [(snapshot_rows,)] = duck.execute(f"select count(*) from {snapshot}").fetchall()
    # Grains are unique, so the mart holds the snapshot's rows less those gone plus the new ones;
    # only when the counts say some are gone is every grain of both sides compared.
    if rows != snapshot_rows + changed.num_rows - found:
        gone = duck.sql(
            f"select {grain} from {snapshot} except select {grain} from ({current})"
        ).to_arrow_table()
        if changed.num_rows + gone.num_rows > max(DIFFERENCE_LIMIT * rows, DIFFERENCE_ALWAYS_APPLIED):
            return None
        days_before |= _snapshot_days(duck, mart, snapshot, gone)[0]
    changed_days = set(changed_rows.column("_day").to_pylist()) | days_before
    quoted = quote_identifier(mart.name)
    # Deleted then inserted rather than INSERT OR REPLACE: a grain may hold a NULL (request_demand_hourly's
    # capability_id), and SQLite's primary key treats NULLs as distinct, so a replace would add a row.
    db.conn.executemany(
        f"delete from {quoted} where " + " and ".join(f"{quote_identifier(g)} is ?" for g in mart.grain),
        [*_rows(gone), *_rows(changed)],
    )
    # The changed grains are in the snapshot's form; the mart's rows are matched in that form too.
    with _grain_in(duck, mart, changed, parquet_expressions(mart, types)) as changed_grain:
        inserted = _insert(db, mart, names, duck.execute(sqlite_select(mart, columns, changed_grain)))
    (published,) = db.execute(f"select count(*) from {quoted}").fetchone()
    if published != rows or inserted != changed.num_rows:
        return None  # not what the snapshot promised (the file was edited?): the caller rewrites it whole
    if mart.full_text and (inserted or gone.num_rows):
        table.rebuild_fts()  # the full-text index has no triggers; rebuilt from the table
    return TableExport(rows, inserted + gone.num_rows, whole=False, changed_days=changed_days)


def _snapshot_days(
    duck: duckdb.DuckDBPyConnection, mart: Mart, snapshot: str, grains: pa.Table
) -> tuple[set[str], int]:
    """The snapshot days holding these grains, and how many of the grains it holds: a changed row
    may have moved to another day, or left."""
    if not grains.num_rows:
        return set(), 0
    with _grain_in(duck, mart, grains, {g: quote_identifier(g) for g in mart.grain}) as sought:
        found = duck.execute(
            f"select {day_expression(mart)}, count(*) from {snapshot} where {sought} group by all"
        ).fetchall()
    return {day for day, _ in found}, sum(count for _, count in found)


@contextmanager
def _grain_in(
    duck: duckdb.DuckDBPyConnection, mart: Mart, grains: pa.Table, columns: dict[str, str]
) -> Iterator[str]:
    """A predicate true for a row whose grain (each part as `columns` gives it) is one of `grains`,
    usable while the context is open. NULL parts match NULL, as in the grain's uniqueness."""
    keys = grains.rename_columns([f"_grain_{i}" for i in range(len(mart.grain))])
    match = " and ".join(f"_grain_{i} is not distinct from {columns[g]}" for i, g in enumerate(mart.grain))
    duck.register("grains_sought", keys)
    try:
        yield f"exists (select 1 from grains_sought where {match})"
    finally:
        duck.unregister("grains_sought")


def _changed_rows(
    duck: duckdb.DuckDBPyConnection, mart: Mart, types: dict[str, str], snapshot: str, names: list[str]
) -> str:
    """The mart's rows not in the snapshot, as a query.

    A mart whose rows carry `built_at` changes a row only by recomputing it in a
    build that started after every row the snapshot holds, so its rows stamped
    later are the changed ones (a hand-edited warehouse needs `publish --full`).
    That reads the stamps, and DuckDB skips the row groups of older ones, instead
    of comparing every column of both sides.
    """
    current = parquet_select(mart, types)
    if STAMP_COLUMN not in names:
        return f"{current} except select * from {snapshot}"
    [(since,)] = duck.execute(f"select max({STAMP_COLUMN}) from {snapshot}").fetchall()
    if since is None:
        return current
    # The snapshot holds the stamp as text; the mart's own column is compared, so its statistics apply.
    return parquet_select(mart, types, where=f"{STAMP_COLUMN} > {quote_literal(since)}::timestamp")


def _rows(table: pa.Table) -> list[tuple]:
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def _shape(duck: duckdb.DuckDBPyConnection, select: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in duck.execute(f"describe {select}").fetchall()]


def _insert(
    db: sqlite_utils.Database, mart: Mart, names: list[str], cursor: duckdb.DuckDBPyConnection
) -> int:
    # DuckDB's tuples already have SQLite's types, so they go straight to executemany: sqlite-utils'
    # insert_all would rebuild each row as a dict and inspect every value (5x slower on a network day).
    statement = f"insert into {quote_identifier(mart.name)} values ({', '.join('?' * len(names))})"
    count = 0
    for batch in iter(lambda: cursor.fetchmany(FETCH_ROWS), []):
        db.conn.executemany(statement, batch)
        count += len(batch)
    return count
