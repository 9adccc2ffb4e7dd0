"""The one Definitions object of the naap-warehouse code location."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.lake import lake
from orchestration.assets.publication import publication
from orchestration.assets.warehouse import dbt_resource, warehouse_models
from orchestration.checks import (
    batches_reconcile,
    newest_event_fresh,
    published_rows_match_marts,
    quarantine_rate,
)
from orchestration.health_checks import HEALTH_CHECKS
from orchestration.jobs import close_day_job, micro_batch_job
from orchestration.resources import warehouse_resource
from orchestration.schedules import close_day_schedule, micro_batch_schedule
from orchestration.sensors import alerts_sensor

defs = dg.Definitions(
    assets=[lake, warehouse_models, publication],
    asset_checks=[
        batches_reconcile,
        quarantine_rate,
        newest_event_fresh,
        published_rows_match_marts,
        *HEALTH_CHECKS,
    ],
    jobs=[micro_batch_job, close_day_job],
    schedules=[micro_batch_schedule, close_day_schedule],
    sensors=[alerts_sensor],
    resources={"warehouse": warehouse_resource(), "dbt": dbt_resource()},
)
