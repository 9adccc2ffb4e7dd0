"""Schedules: a micro-batch every NAAP_MICROBATCH_CRON, and the close of yesterday."""

import os
from datetime import timedelta

import dagster as dg

from orchestration.jobs import close_day_job, micro_batch_job

DEFAULT_MICROBATCH_CRON = "* * * * *"
CLOSE_DAY_CRON = "30 0 * * *"  # half an hour into the UTC day: yesterday's stragglers are in

# A micro-batch builds and tests what its batches touched, not the whole of today, and leaves
# the not-null and accepted-values tests to the daily close (ingest/warehouse/build.py).
INCREMENTAL_RUN_CONFIG = {
    "ops": {
        "warehouse_models": {"config": {"recompute_days": False, "test_all": False, "close_tests": False}}
    }
}
# Runs that have not finished: a micro-batch tick finding one of these skips.
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
# Past these, run monitoring (orchestration/dagster.yaml) cancels a run whose worker died.
MICRO_BATCH_MAX_RUNTIME_S = 30 * 60
CLOSE_DAY_MAX_RUNTIME_S = 4 * 3600


@dg.schedule(
    cron_schedule=os.environ.get("NAAP_MICROBATCH_CRON") or DEFAULT_MICROBATCH_CRON,
    job=micro_batch_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def micro_batch_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    tick = context.scheduled_execution_time
    # One micro-batch at a time, and none waiting behind a long backfill: the next tick after it
    # ends drains everything that arrived meanwhile, so a skipped tick loses nothing.
    if context.instance.get_runs_count(dg.RunsFilter(job_name=micro_batch_job.name, statuses=UNFINISHED)):
        return dg.SkipReason("a micro-batch is still queued or running; the next tick catches up")
    return dg.RunRequest(
        run_key=f"micro_batch:{tick.isoformat()}",
        partition_key=tick.date().isoformat(),
        run_config=INCREMENTAL_RUN_CONFIG,
        tags={"dagster/max_runtime": str(MICRO_BATCH_MAX_RUNTIME_S)},
    )


@dg.schedule(
    cron_schedule=CLOSE_DAY_CRON,
    job=close_day_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def close_day_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(
        run_key=f"close_day:{yesterday}",
        partition_key=yesterday,
        tags={"dagster/max_runtime": str(CLOSE_DAY_MAX_RUNTIME_S)},
    )
