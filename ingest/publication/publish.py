"""`naap publish`: the public marts, from the warehouse into the explorer's SQLite database
(`$NAAP_DATA_DIR/publish/naap.db`) and into a Parquet snapshot for researchers.

`publish()` is a plain function so the orchestration layer can wrap it as an asset.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.lake.store import Lake
from ingest.paths import database_path, publish_dir, snapshots_dir, warehouse_path
from ingest.publication.column_types import PublishError
from ingest.publication.mart_catalog import Mart, public_marts, semantics_version
from ingest.publication.snapshots import list_snapshots, prune_snapshots, table_files, write_snapshot
from ingest.publication.sqlite_export import Baseline, export_marts
from ingest.publication.status import write_status
from ingest.settings import Settings
from ingest.support.file_lock import exclusive_lock


@dataclass
class PublishResult:
    table_rows: dict[str, int] = field(default_factory=dict)
    rows_written: dict[str, int] = field(default_factory=dict)  # inserted or deleted
    rewritten: list[str] = field(default_factory=list)  # tables dropped and loaded again
    database: Path = Path()
    database_bytes: int = 0
    snapshot: Path = Path()
    snapshot_bytes: int = 0
    snapshot_bytes_written: int = 0  # the rest is linked from the previous snapshot
    snapshots_kept: int = 0
    status: dict = field(default_factory=dict)  # publish/status.json (ingest/publication/status.py)
    elapsed_s: float = 0.0


def publish(
    settings: Settings,
    keep: int | None = None,
    on_table: Callable[[str, int], None] | None = None,
    full: bool = False,
) -> PublishResult:
    """Export every public mart to SQLite (one transaction) and to a new snapshot; keep the newest `keep`.

    The database is updated from each table's difference with the newest snapshot when it still
    holds that snapshot's publication (see ingest/publication/sqlite_export.py); `full` rewrites every table.
    """
    started = time.monotonic()
    keep = settings.snapshots_keep if keep is None else keep
    if keep < 1:
        raise PublishError(f"keep must be at least 1 snapshot, not {keep}")
    warehouse = warehouse_path(settings)
    if not warehouse.exists():
        raise PublishError(f"there is no warehouse at {warehouse}; run `naap build` first")
    marts = public_marts()
    folder = publish_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    result = PublishResult(database=database_path(settings))
    # One publish at a time: two would interleave their snapshots and prunes.
    busy = PublishError(f"another publish is writing {folder}")
    with exclusive_lock(folder / ".lock", busy), _read_only(warehouse, settings) as duck:
        duck.execute("set TimeZone = 'UTC'")
        types = _mart_types(duck, marts)
        baseline = None if full else _baseline(snapshots_dir(settings))
        exports, version = export_marts(duck, marts, types, result.database, baseline, on_table)
        result.table_rows = {name: export.rows for name, export in exports.items()}
        result.rows_written = {name: export.written for name, export in exports.items()}
        result.rewritten = [name for name, export in exports.items() if export.whole]
        published_at = datetime.now(UTC)
        result.snapshot = write_snapshot(
            duck,
            marts,
            types,
            snapshots_dir(settings),
            published_at=published_at,
            built_at=datetime.fromtimestamp(warehouse.stat().st_mtime, UTC),
            semantics_version=semantics_version(),
            database_version=version,
            changed_days={name: export.changed_days for name, export in exports.items()},
        )
        # Before pruning: a file linked from the previous snapshot has a second link until then.
        files = [p.stat() for p in result.snapshot.rglob("*") if p.is_file()]
        result.snapshot_bytes = sum(f.st_size for f in files)
        result.snapshot_bytes_written = sum(f.st_size for f in files if f.st_nlink == 1)
        result.status = write_status(folder, duck, published_at, version, Lake(settings.lake_dir).lag())
    result.snapshots_kept = prune_snapshots(snapshots_dir(settings), keep)
    result.database_bytes = sum(
        p.stat().st_size for p in result.database.parent.glob(f"{result.database.name}*")
    )
    result.elapsed_s = time.monotonic() - started
    return result


def _baseline(root: Path) -> Baseline | None:
    newest = list_snapshots(root)[:1]
    if not newest:
        return None
    folder = root / newest[0]["snapshot"]
    files = {table["table"]: table_files(folder, table) for table in newest[0]["tables"]}
    return Baseline(files, newest[0]["database_version"])


def _mart_types(duck: duckdb.DuckDBPyConnection, marts: tuple[Mart, ...]) -> dict[str, dict[str, str]]:
    rows = duck.execute(
        "select table_name, column_name, data_type from information_schema.columns where table_schema = 'main'"
    ).fetchall()
    types: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        types.setdefault(table, {})[column] = data_type
    missing = [m.name for m in marts if m.name not in types]
    if missing:
        raise PublishError(f"the warehouse has no mart {', '.join(missing)}; run `naap build` first")
    return {m.name: types[m.name] for m in marts}


@contextmanager
def _read_only(warehouse: Path, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        con = duckdb.connect(
            str(warehouse),
            read_only=True,
            config={"memory_limit": settings.duckdb_memory_limit},
        )
    except duckdb.IOException as exc:
        raise PublishError(
            f"cannot read {warehouse} (is a build running?): {str(exc).splitlines()[0]}"
        ) from None
    with con:
        yield con
