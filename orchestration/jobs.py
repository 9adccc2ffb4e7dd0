"""Jobs: the micro-batch (ingest, then build what it touched) and the close of a day."""

import dagster as dg

from orchestration.assets.lake import LAKE_KEYS

# One process per run: the steps run one after another anyway (one DuckDB writer, the `duckdb`
# pool), and a process per step would import Dagster and the dbt manifest again for each
# (about 5 s a step, most of a micro-batch on a small history).
micro_batch_job = dg.define_asset_job(
    "micro_batch",
    selection=dg.AssetSelection.all(),
    description="Ingest new Kafka messages into the lake, then build the models incrementally.",
    executor_def=dg.in_process_executor,
)

close_day_job = dg.define_asset_job(
    "close_day",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*LAKE_KEYS.values()),
    description="Recompute every session and hour of one day from the lake (also the backfill job).",
    executor_def=dg.in_process_executor,
)
