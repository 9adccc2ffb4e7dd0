"""Jobs: the micro-batch (ingest, then build what it touched) and the close of a day."""

import dagster as dg

from orchestration.assets.lake import LAKE_KEYS

micro_batch_job = dg.define_asset_job(
    "micro_batch",
    selection=dg.AssetSelection.all(),
    description="Ingest new Kafka messages into the lake, then build the models incrementally.",
)

close_day_job = dg.define_asset_job(
    "close_day",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*LAKE_KEYS.values()),
    description="Recompute every session and hour of one day from the lake (also the backfill job).",
)
