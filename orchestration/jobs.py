"""Jobs: the micro-batch (ingest, then build what it touched) and the close of a day."""

import json
from pathlib import Path

import dagster as dg

from ingest.warehouse.build import CLOSE_ONLY_TAG, CLOSE_ONLY_TESTS
from orchestration.assets.lake import LAKE_KEYS
from orchestration.assets.warehouse import dbt_project, warehouse_models


def close_only_checks() -> dg.AssetSelection:
    """The checks of the dbt tests a micro-batch leaves to the daily close (CLOSE_ONLY_SELECTION).

    Read from the manifest: dagster-dbt's `build_dbt_asset_selection` cannot select by
    `test_name:` in this project (its in-process dbt selector fails on the singular tests).
    """
    nodes = json.loads(Path(dbt_project.manifest_path).read_text())["nodes"].values()
    names = {
        node["name"]
        for node in nodes
        if node["resource_type"] == "test"
        and (
            CLOSE_ONLY_TAG in node["tags"]
            or (node.get("test_metadata") or {}).get("name") in CLOSE_ONLY_TESTS
        )
    }
    return dg.AssetSelection.checks(*(key for key in warehouse_models.check_keys if key.name in names))


# A micro-batch does not plan the checks it leaves to the close: the daemon writes one event per
# planned check before the run starts (about 23 ms each on SQLite, over 4 s for these), and a
# check that cannot run would only show as skipped. One process per run: the steps run one after another anyway (one DuckDB writer, the `duckdb`
# pool), and a process per step would import Dagster and the dbt manifest again for each
# (about 5 s a step, most of a micro-batch on a small history).
micro_batch_job = dg.define_asset_job(
    "micro_batch",
    selection=dg.AssetSelection.all() - close_only_checks(),
    description="Ingest new Kafka messages into the lake, then build the models incrementally.",
    executor_def=dg.in_process_executor,
)

close_day_job = dg.define_asset_job(
    "close_day",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*LAKE_KEYS.values()),
    description="Recompute every session and hour of one day from the lake (also the backfill job).",
    executor_def=dg.in_process_executor,
)
