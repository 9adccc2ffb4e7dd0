"""Where everything lives: the repository's own folders, and each stage's files under the data dir.

The data dir is `NAAP_DATA_DIR` (settings.py). Every path below it that more than one stage
reads is named here, so a stage finds another's files by calling one function, never by
rebuilding the path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.settings import Settings

REPO_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_DIR / "dbt_project"
DATASETTE_DIR = REPO_DIR / "datasette"
# The Dagster instance settings copied into every DAGSTER_HOME that `naap` prepares.
DAGSTER_INSTANCE_SETTINGS = REPO_DIR / "orchestration" / "dagster.yaml"
# The published SQLite database's name in Datasette (its URL path and its file's stem).
DATABASE_NAME = "naap"


def warehouse_path(settings: Settings) -> Path:
    """The DuckDB warehouse that dbt builds: one writer at a time."""
    return settings.data_dir / "warehouse.duckdb"


def dbt_dir(settings: Settings) -> Path:
    """dbt's target (manifest, run results) and logs of this data dir's builds."""
    return settings.data_dir / "dbt"


def publish_dir(settings: Settings) -> Path:
    """What `naap publish` writes: the explorer's database, its status and the snapshots."""
    return settings.data_dir / "publish"


def database_path(settings: Settings) -> Path:
    return publish_dir(settings) / f"{DATABASE_NAME}.db"


def snapshots_dir(settings: Settings) -> Path:
    return publish_dir(settings) / "snapshots"


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME of `naap dagster`, `naap backfill` and `naap run`: runs, schedules, event logs."""
    return settings.data_dir / "dagster"


def logs_dir(settings: Settings) -> Path:
    """The live service's child process logs (daemon, webserver, explorer, feed, broker)."""
    return settings.data_dir / "logs"
