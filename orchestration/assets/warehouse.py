"""The dbt layers (staging, intermediate, marts) as assets, from one DbtProject."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from ingest.dbt_build import PROJECT_DIR, dbt_executable, warehouse_path
from ingest.lake_views import create_lake_views
from orchestration.resources import WarehouseResource

dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
dbt_project.prepare_if_dev()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, pool="duckdb")
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build` over the lake; dbt tests arrive as asset checks."""
    settings = warehouse.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse_path(settings))) as con:
        create_lake_views(con, settings.lake_dir)
    yield from dbt.cli(["build"], context=context).stream()
