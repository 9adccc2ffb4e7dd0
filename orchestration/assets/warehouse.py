"""The dbt layers (staging, intermediate, marts) as assets, from one DbtProject.

They are partitioned by UTC day. A micro-batch run (`recompute_days=False`,
`test_all=False`) builds incrementally, recomputing and testing only what the
new batches touch; any other partitioned run (a backfill, the daily close, one
day materialized from the UI) recomputes every session, hour and staged event
of its days on top of that (`naap build --start/--end`) and tests every row.
The dbt command line and environment are `naap build`'s (`dbt_invocation`).
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from functools import cached_property
from importlib.metadata import version

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from ingest.lake.views import create_lake_views
from ingest.paths import DBT_PROJECT_DIR, warehouse_path
from ingest.warehouse.build import DbtInvocation, dbt_executable, dbt_invocation
from orchestration.manifest import prepare_manifest
from orchestration.partitions import daily_partitions
from orchestration.resources import WarehouseResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Every entry point (dagster dev, dagster-webserver, dagster-daemon, definitions validate,
# a run worker) loads this module; each finds a manifest parsed from the models as they are.
prepare_manifest(dbt_project)


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's resource, without two start-up costs every run paid for nothing (about 5.5 s).

    dagster-dbt runs `dbt --version` in a subprocess to learn the engine's version, and builds an
    in-process dbt adapter (loading every macro) for column and row-count metadata, which these
    assets never fetch. The dbt it runs is the dbt-core installed beside this Python
    (`dbt_executable`), so the version is the installed package's.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    return WarehouseDbtResource(project_dir=dbt_project, dbt_executable=dbt_executable())


class WarehouseBuildConfig(dg.Config):
    recompute_days: bool = True
    full_refresh: bool = False
    test_all: bool = True
    # False for a micro-batch: the not-null and accepted-values tests wait for the daily close.
    close_tests: bool = True


def days_to_recompute(
    context: dg.AssetExecutionContext, config: WarehouseBuildConfig
) -> tuple[date, date] | None:
    """The run's UTC days (first, last), for one partition key as for a range; None for a micro-batch."""
    if not config.recompute_days or not (context.has_partition_key or context.has_partition_key_range):
        return None
    window = context.partition_time_window
    # The window's end is exclusive; dbt_invocation takes the last day.
    return window.start.date(), window.end.date() - timedelta(days=1)


def dbt_build_invocation(
    context: dg.AssetExecutionContext, config: WarehouseBuildConfig, warehouse: WarehouseResource
) -> DbtInvocation:
    days = None if config.full_refresh else days_to_recompute(context, config)
    return dbt_invocation(
        warehouse.settings(), config.full_refresh, None, days, config.test_all, config.close_tests
    )


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values`, while dagster-dbt starts dbt (it passes os.environ on)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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
    invocation = dbt_build_invocation(context, config, warehouse)
    with environment(invocation.env):
        running = dbt.cli(invocation.args, context=context, target_path=invocation.target_path)
    yield from running.stream()
