"""The dbt layers (staging, intermediate, marts) as assets, from one DbtProject.

They are partitioned by UTC day. A micro-batch run (`recompute_days=False`)
builds incrementally, recomputing only what the new batches touch; any other
partitioned run (a backfill, the daily close) recomputes every session, hour and
staged event of its days on top of that (`naap build --start/--end`).
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import json

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from ingest.dbt_build import PROJECT_DIR, dbt_executable, warehouse_path
from ingest.lake_views import create_lake_views
from orchestration.partitions import daily_partitions
from orchestration.resources import WarehouseResource

dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
dbt_project.prepare_if_dev()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


class WarehouseBuildConfig(dg.Config):
    recompute_days: bool = True
    full_refresh: bool = False


def dbt_build_args(context: dg.AssetExecutionContext, config: WarehouseBuildConfig) -> list[str]:
    if config.full_refresh:
        return ["build", "--full-refresh"]
    if not config.recompute_days or not context.has_partition_key_range:
        return ["build"]
    window = context.partition_time_window
    days = {"range_start": window.start.date().isoformat(), "range_end": window.end.date().isoformat()}
    return ["build", "--vars", json.dumps(days)]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
)
def warehouse_models(
    context: dg.AssetExecutionContext,
    config: WarehouseBuildConfig,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
):
    """`dbt build` over the lake; dbt tests arrive as asset checks."""
    settings = warehouse.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse_path(settings))) as con:
        create_lake_views(con, settings.lake_dir)
    yield from dbt.cli(dbt_build_args(context, config), context=context).stream()
