"""One line per finished Dagster run of the warehouse, read from the instance's run storage.

`naap run` prints these instead of dbt's log (which stays in the run's compute logs and in
`$NAAP_DATA_DIR/dbt/logs/`): when the tick was, how many events it ingested, how long its
ingest, build and publish steps took, and the data clock it published.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from ingest.publication.status import read_status
from orchestration.schedules import UNFINISHED

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
STEPS = {"lake": "ingest", "warehouse_models": "build", "publication": "publish"}


@dataclass(frozen=True)
class RunLine:
    run_id: str
    job: str
    status: str
    started_at: datetime | None
    events: int | None
    step_seconds: dict[str, float]
    failed_step: str | None
    data_clock: str | None

    def text(self, ui_url: str) -> str:
        when = f"{self.started_at:%H:%M:%S}Z" if self.started_at else "?"
        label = "batch" if self.job == "micro_batch" else self.job
        steps = ", ".join(f"{STEPS[k]} {s:.1f} s" for k, s in self.step_seconds.items() if k in STEPS)
        events = f"{self.events:,} events; " if self.events is not None else ""
        if self.status != "SUCCESS":
            where = f" at {STEPS.get(self.failed_step or '', self.failed_step)}" if self.failed_step else ""
            return f"{label} {when}: {self.status}{where}; {steps or 'no step ran'}; see {ui_url}/runs/{self.run_id}"
        return f"{label} {when}: {events}{steps}; data clock {self.data_clock or '-'} (run {self.run_id[:8]})"


class RunWatcher:
    """The runs that finished since the last call, oldest first."""

    def __init__(self, instance: dg.DagsterInstance, publish_dir: Path) -> None:
        self.instance = instance
        self.publish_dir = publish_dir
        self.since = datetime.now(UTC)
        self.seen: set[str] = set()

    def new_lines(self) -> Iterator[RunLine]:
        records = self.instance.get_run_records(
            dg.RunsFilter(statuses=FINISHED, updated_after=self.since),
            order_by="update_timestamp",
            ascending=True,
        )
        for record in records:
            run = record.dagster_run
            if run.run_id in self.seen:
                continue
            self.seen.add(run.run_id)
            yield self._line(run, record.start_time)

    def _line(self, run: dg.DagsterRun, start_time: float | None) -> RunLine:
        stats = {s.step_key: s for s in self.instance.get_run_step_stats(run.run_id)}
        seconds = {k: s.end_time - s.start_time for k, s in stats.items() if s.start_time and s.end_time}
        failed = next((k for k, s in stats.items() if s.status and s.status.value == "FAILURE"), None)
        events = None
        lake = stats.get("lake")
        for entry in lake.materialization_events if lake else []:
            materialization = entry.asset_materialization
            if materialization and materialization.asset_key == dg.AssetKey(["lake", "raw_events"]):
                events = materialization.metadata["consumed"].value
        status = read_status(self.publish_dir) or {}
        return RunLine(
            run_id=run.run_id,
            job=run.job_name,
            status=run.status.value,
            started_at=datetime.fromtimestamp(start_time, UTC) if start_time else None,
            events=events,
            step_seconds=seconds,
            failed_step=failed,
            data_clock=status.get("data_clock"),
        )


def fail_unfinished_runs(instance: dg.DagsterInstance, why: str) -> int:
    """Mark the runs left queued or running by a stopped or killed service as failed; how many."""
    runs = instance.get_runs(dg.RunsFilter(statuses=UNFINISHED))
    for run in runs:
        instance.report_run_failed(run, message=why)
    return len(runs)
