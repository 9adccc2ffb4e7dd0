"""Parquet snapshots of the public marts for researchers: one folder per publish, named by its UTC
time, with a manifest.json, a `latest` pointer, and only the newest N kept.

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

from ingest.mart_catalog import Mart
from ingest.publish_schema import parquet_select, quote_literal, refusing_wide_integers

LATEST = "latest"
MANIFEST = "manifest.json"
PARTIAL_PREFIX = ".partial-"
# The column a table's time range is read from: the first of these it has.
TIME_COLUMNS = (
    "window_start",
    "event_date",
    "paid_at",
    "completed_at",
    "started_at",
    "last_observed_at",
    "observed_at",
)


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
) -> Path:
    name = f"{published_at:%Y%m%dT%H%M%S}.{published_at.microsecond // 1000:03d}Z"
    partial = root / f"{PARTIAL_PREFIX}{name}"
    partial.mkdir(parents=True)
    tables = [_write_table(duck, mart, duck_types[mart.name], partial) for mart in marts]
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


def _write_table(duck: duckdb.DuckDBPyConnection, mart: Mart, types: dict[str, str], folder: Path) -> dict:
    path = folder / f"{mart.name}.parquet"
    literal = quote_literal(str(path))
    with refusing_wide_integers(mart):
        duck.execute(f"copy ({parquet_select(mart, types)}) to {literal} (format parquet, compression zstd)")
    schema = duck.execute(f"describe select * from read_parquet({literal})").fetchall()
    descriptions = {c.name: c.description for c in mart.columns}
    time_column = next((c for c in TIME_COLUMNS if c in descriptions), None)
    bounds = (None, None)
    if time_column:
        bounds = duck.execute(
            f'select min("{time_column}"), max("{time_column}") from read_parquet({literal})'
        ).fetchone()
    return {
        "table": mart.name,
        "file": path.name,
        "rows": duck.execute(f"select count(*) from read_parquet({literal})").fetchone()[0],
        "bytes": path.stat().st_size,
        "sha256": sha256_of(path),
        "grain": list(mart.grain),
        "time_column": time_column,
        "time_range": {"from": bounds[0], "to": bounds[1]},
        "columns": [{"name": n, "type": t, "description": descriptions[n]} for n, t, *_ in schema],
    }


def _point_latest(root: Path, name: str) -> None:
    temporary = root / f".{LATEST}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(name)
    os.replace(temporary, root / LATEST)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
