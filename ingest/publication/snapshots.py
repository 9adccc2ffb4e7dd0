"""Parquet snapshots of the public marts for researchers: one folder per publish, named by its UTC
time, with a manifest.json, a `latest` pointer, and only the newest N kept.

Each table is a folder of Parquet files, one per UTC day of its time column (`<table>/<YYYY-MM-DD>.parquet`,
rows without a time in `<table>/undated.parquet`): read a table with `read_parquet('<table>/*.parquet')`.
A micro-batch changes the rows of a few days, so a publish writes only the days whose rows changed
since the previous snapshot and hard-links the others from it: each snapshot is whole, and an
unchanged file costs no write and no space.

A snapshot is written into a hidden `.partial-*` folder and renamed into place once its manifest
is complete, so a listed snapshot is always whole.
"""

import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from ingest.publication.column_types import parquet_select, refusing_wide_integers
from ingest.publication.mart_catalog import Mart
from ingest.support.sql_text import quote_identifier, quote_literal

LATEST = "latest"
MANIFEST = "manifest.json"
PARTIAL_PREFIX = ".partial-"
UNDATED = "undated"


def write_snapshot(
    duck: duckdb.DuckDBPyConnection,
    marts: tuple[Mart, ...],
    duck_types: dict[str, dict[str, str]],
    root: Path,
    *,
    published_at: datetime,
    built_at: datetime,
    semantics_version: str,
    database_version: int,
    changed_days: dict[str, set[str] | None] | None = None,
) -> Path:
    """Write every mart into a new snapshot; `changed_days` names, per table, the only days whose rows
    changed since the newest snapshot (None: unknown), whose other days are linked from it."""
    name = f"{published_at:%Y%m%dT%H%M%S}.{published_at.microsecond // 1000:03d}Z"
    partial = root / f"{PARTIAL_PREFIX}{name}"
    partial.mkdir(parents=True)
    newest = list_snapshots(root)[:1]
    previous = {t["table"]: t for t in newest[0]["tables"]} if newest else {}
    changed_days = changed_days or {}
    tables = []
    for mart in marts:
        reusable = None
        if changed_days.get(mart.name) is not None and mart.name in previous:
            reusable = (root / newest[0]["snapshot"], previous[mart.name], changed_days[mart.name])
        tables.append(_write_table(duck, mart, duck_types[mart.name], partial, reusable))
    # The hours the data covers; other time columns (ingest wall clock, snapshot times) would blur it.
    hourly = [t["time_range"] for t in tables if t["time_column"] == "window_start" and t["rows"]]
    manifest = {
        "snapshot": name,
        "semantics_version": semantics_version,
        "published_at": _iso(published_at),
        "warehouse_built_at": _iso(built_at),
        # naap.db's user_version once this publication committed: the next publish updates the
        # database from this snapshot only while the two still match.
        "database_version": database_version,
        "time_range": {
            "from": min((r["from"] for r in hourly), default=None),
            "to": max((r["to"] for r in hourly), default=None),
        },
        "tables": tables,
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    final = root / name
    partial.rename(final)
    _point_latest(root, name)
    return final


def day_expression(mart: Mart) -> str:
    """The day file a row of the mart's snapshot form belongs in, as SQL over that form."""
    column = mart.time_column
    if column is None:
        return quote_literal(UNDATED)
    # Every time column is published as ISO-8601 text (or a date): its first ten characters are the day.
    return f"coalesce(left({quote_identifier(column)}::varchar, 10), {quote_literal(UNDATED)})"


def table_files(root: Path, table: dict) -> list[Path]:
    """The Parquet files of a table in a snapshot's manifest."""
    return [root / entry["file"] for entry in table["files"]]


def list_snapshots(root: Path) -> list[dict]:
    """Every complete snapshot's manifest, newest first."""
    if not root.is_dir():
        return []
    found = [
        json.loads((path / MANIFEST).read_text())
        for path in root.iterdir()
        if path.is_dir()
        and not path.is_symlink()
        and not path.name.startswith(".")
        and (path / MANIFEST).exists()
    ]
    return sorted(found, key=lambda m: m["snapshot"], reverse=True)


def prune_snapshots(root: Path, keep: int) -> int:
    """Delete all but the newest `keep` snapshots, and any partial one a failed publish left; how many remain."""
    for path in root.glob(f"{PARTIAL_PREFIX}*"):
        shutil.rmtree(path)
    snapshots = list_snapshots(root)
    for manifest in snapshots[keep:]:
        shutil.rmtree(root / manifest["snapshot"])
    return min(len(snapshots), keep)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_table(
    duck: duckdb.DuckDBPyConnection,
    mart: Mart,
    types: dict[str, str],
    folder: Path,
    reusable: tuple[Path, dict, set[str]] | None,
) -> dict:
    """The mart's day files in `folder`/<table>/, the unchanged ones linked from `reusable`'s
    (the previous snapshot's folder, its manifest entry for the table, the days that changed)."""
    table = f"main.{quote_identifier(mart.name)}"
    # The day of a row reads the same on the mart's own time column: only that column is scanned.
    days = {day for (day,) in duck.execute(f"select distinct {day_expression(mart)} from {table}").fetchall()}
    with refusing_wide_integers(mart):
        kept: dict[str, dict] = {}
        if reusable:
            previous_root, previous, changed = reusable
            kept = {e["file"]: e for e in previous["files"] if _day_of(e["file"]) in days - changed}
            for file in kept:
                (folder / file).parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(previous_root / file, folder / file)
        written = sorted(days - {_day_of(file) for file in kept})
        files = {**kept, **_write_days(duck, mart, types, written, folder)}
    schema = duck.execute(f"describe {parquet_select(mart, types)}").fetchall()
    column = mart.time_column
    bounds = (None, None)
    if column:
        quoted = quote_identifier(column)
        bounds = duck.execute(
            f"select min({quoted}), max({quoted}) from ({parquet_select(mart, types)})"
        ).fetchall()[0]
    entries = [files[file] for file in sorted(files)]
    descriptions = {c.name: c.description for c in mart.columns}
    return {
        "table": mart.name,
        "rows": sum(e["rows"] for e in entries),
        "bytes": sum(e["bytes"] for e in entries),
        "files": entries,
        "grain": list(mart.grain),
        "time_column": column,
        "time_range": {"from": bounds[0], "to": bounds[1]},
        "columns": [{"name": n, "type": t, "description": descriptions[n]} for n, t, *_ in schema],
    }


def _write_days(
    duck: duckdb.DuckDBPyConnection, mart: Mart, types: dict[str, str], days: list[str], folder: Path
) -> dict[str, dict]:
    """Write the mart's rows of `days`, a file per day, in one pass; their manifest entries."""
    if not days:
        return {}
    table = mart.name
    staging = folder / f".{table}"
    wanted = ", ".join(quote_literal(day) for day in days)
    # The rows are picked by row id on the day column alone, so only they are read whole.
    picked = f"rowid in (select rowid from main.{quote_identifier(table)} where {day_expression(mart)} in ({wanted}))"
    rows = parquet_select(mart, types, where=picked)
    duck.execute(
        f"copy (select *, {day_expression(mart)} as _day from ({rows})) to {quote_literal(str(staging))}"
        " (format parquet, compression zstd, partition_by (_day))"
    )
    (folder / table).mkdir(exist_ok=True)
    entries = {}
    for day in days:
        # One file per day: DuckDB splits a partition only when asked to (file_size_bytes).
        [written] = (staging / f"_day={day}").iterdir()
        file = f"{table}/{day}.parquet"
        written.rename(folder / file)
        [(count,)] = duck.execute(
            f"select count(*) from read_parquet({quote_literal(str(folder / file))})"
        ).fetchall()
        size = (folder / file).stat().st_size
        entries[file] = {"file": file, "rows": count, "bytes": size, "sha256": sha256_of(folder / file)}
    shutil.rmtree(staging)
    return entries


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link shares the unchanged file; a file system without them gets a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _day_of(file: str) -> str:
    return Path(file).stem


def _point_latest(root: Path, name: str) -> None:
    temporary = root / f".{LATEST}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(name)
    os.replace(temporary, root / LATEST)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
