"""The one Definitions object of the naap-warehouse code location."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.lake import lake
from orchestration.assets.warehouse import dbt_resource, warehouse_models
from orchestration.checks import batches_reconcile, quarantine_rate
from orchestration.jobs import micro_batch_job
from orchestration.resources import warehouse_resource

defs = dg.Definitions(
    assets=[lake, warehouse_models],
    asset_checks=[batches_reconcile, quarantine_rate],
    jobs=[micro_batch_job],
    resources={"warehouse": warehouse_resource(), "dbt": dbt_resource()},
)
