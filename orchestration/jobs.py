"""Jobs: the micro-batch pulls what is new, then rebuilds the models."""

from __future__ import annotations

import dagster as dg

micro_batch_job = dg.define_asset_job(
    "micro_batch",
    selection=dg.AssetSelection.all(),
    description="Ingest new Kafka messages into the lake, then dbt build.",
)
