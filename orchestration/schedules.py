"""Schedules: a micro-batch every NAAP_MICROBATCH_CRON, and the close of yesterday."""

import os
from datetime import timedelta

import dagster as dg

from orchestration.jobs import close_day_job, micro_batch_job

DEFAULT_MICROBATCH_CRON = "*/5 * * * *"
CLOSE_DAY_CRON = "30 0 * * *"  # half an hour into the UTC day: yesterday's stragglers are in

# A micro-batch builds and tests what its batches touched, not the whole of today.
INCREMENTAL_RUN_CONFIG = {
    "ops": {"warehouse_models": {"config": {"recompute_days": False, "test_all": False}}}
}


@dg.schedule(
    cron_schedule=os.environ.get("NAAP_MICROBATCH_CRON") or DEFAULT_MICROBATCH_CRON,
    job=micro_batch_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def micro_batch_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=f"micro_batch:{tick.isoformat()}",
        partition_key=tick.date().isoformat(),
        run_config=INCREMENTAL_RUN_CONFIG,
    )


@dg.schedule(
    cron_schedule=CLOSE_DAY_CRON,
    job=close_day_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def close_day_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=f"close_day:{yesterday}", partition_key=yesterday)
