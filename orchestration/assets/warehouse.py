"""The dbt layers (staging, intermediate, marts) as assets, from one DbtProject.

They are partitioned by UTC day. A micro-batch run (`recompute_days=False`,
`test_all=False`) builds incrementally, recomputing and testing only what the
new batches touch; any other partitioned run (a backfill, the daily close)
recomputes every session, hour and staged event of its days on top of that
(`naap build --start/--end`) and tests every row.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import json
from datetime import timedelta

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from ingest.dbt_build import PROJECT_DIR, build_vars, dbt_executable, warehouse_path
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
    test_all: bool = True


def dbt_build_args(context: dg.AssetExecutionContext, config: WarehouseBuildConfig) -> list[str]:
    if config.full_refresh:
        return ["build", "--full-refresh"]
    days = None
    if config.recompute_days and context.has_partition_key_range:
        window = context.partition_time_window
        # The window's end is exclusive; build_vars takes the last day.
        days = (window.start.date(), window.end.date() - timedelta(days=1))
    return ["build", "--vars", json.dumps(build_vars(days, config.test_all))]


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
