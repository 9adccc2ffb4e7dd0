"""The alerts sensor: each incident (a failed check or run) to NAAP_ALERT_WEBHOOK_URL once, and its end.

It runs in the daemon, beside the runs it judges, so a webhook that is down or slow never holds
up a micro-batch: a message that could not be delivered is tried again on the next evaluation,
and the cursor remembers only what was delivered. With no URL set, incidents show in the
sensor's log and its tick history in the UI. Every evaluation also writes the open incidents
beside the publication, where /healthz lists them (ingest/alerts/incidents.py).
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import json
import os
from dataclasses import asdict, replace
from datetime import UTC, datetime

import dagster as dg

from ingest.alerts.incidents import Incident, at_least, changes, min_severity, write_incidents
from ingest.alerts.webhook import message, post
from ingest.paths import publish_dir
from orchestration.resources import WarehouseResource

EVALUATION_INTERVAL_S = 30
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(value: object) -> str:
    shown = getattr(value, "value", value)
    return (f"{shown:.4g}" if isinstance(shown, float) else str(shown))[:200]


def check_incidents(
    instance: dg.DagsterInstance,
    repository: dg.RepositoryDefinition,
    minimum: str,
    announced: dict[str, Incident],
) -> dict[str, Incident]:
    """Checks whose newest evaluation failed at `minimum` or above.

    A check planned by a run that has not evaluated it (still running, or stopped before it) keeps
    the state it was announced in.
    """
    graph = repository.asset_graph
    keys = sorted(graph.asset_check_keys, key=lambda key: (key.asset_key.to_user_string(), key.name))
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    found = {}
    for key, record in latest.items():
        ident = f"check:{key.asset_key.to_user_string()}:{key.name}"
        if record.status.value == "SUCCEEDED":
            continue
        if record.status.value != "FAILED" or record.event is None:
            if ident in announced:
                found[ident] = announced[ident]
            continue
        evaluation = record.event.dagster_event.event_specific_data
        severity = evaluation.severity.value
        if not at_least(severity, minimum):
            continue
        description = graph.get_check_spec(key).description or "a dbt test found rows that break it"
        fields = {name: _text(value) for name, value in list(evaluation.metadata.items())[:8]}
        found[ident] = Incident(
            id=ident,
            severity=severity,
            summary=f"check {key.name} on {key.asset_key.to_user_string()} failed: {description}",
            fields={**fields, "run": record.run_id[:8]},
            opened_at=_iso(record.create_timestamp),
        )
    return found


def run_incidents(instance: dg.DagsterInstance, repository: dg.RepositoryDefinition) -> dict[str, Incident]:
    """Jobs whose newest finished run failed: an ingest, build or publish that did not complete."""
    found = {}
    for job in repository.get_all_jobs():
        if job.name.startswith("__"):
            continue  # Dagster's implicit asset job: its runs are named by the jobs that launched them
        records = instance.get_run_records(dg.RunsFilter(job_name=job.name, statuses=FINISHED), limit=1)
        if not records or records[0].dagster_run.status != dg.DagsterRunStatus.FAILURE:
            continue
        run = records[0].dagster_run
        failed = [
            s.step_key
            for s in instance.get_run_step_stats(run.run_id)
            if s.status and s.status.value == "FAILURE"
        ]
        where = f" at step {', '.join(failed)}" if failed else ""
        found[f"run:{job.name}"] = Incident(
            id=f"run:{job.name}",
            severity="ERROR",
            summary=f"a {job.name} run failed{where}; the next run retries what it left",
            fields={"run": run.run_id[:8], "partition": run.tags.get("dagster/partition", "-")},
            opened_at=_iso(records[0].end_time or records[0].create_timestamp.timestamp()),
        )
    return found


@dg.sensor(
    minimum_interval_seconds=EVALUATION_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Announces each incident (a failed check or run) to NAAP_ALERT_WEBHOOK_URL once, and its end",
)
def alerts_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SkipReason:
    minimum = min_severity()
    announced = {key: Incident.from_dict(value) for key, value in json.loads(context.cursor or "{}").items()}
    current = {
        **check_incidents(context.instance, context.repository_def, minimum, announced),
        **run_incidents(context.instance, context.repository_def),
    }
    # An incident still open keeps the time it was first announced.
    current = {
        k: replace(v, opened_at=announced[k].opened_at) if k in announced else v for k, v in current.items()
    }
    write_incidents(publish_dir(warehouse.settings()), current)

    url = os.environ.get("NAAP_ALERT_WEBHOOK_URL", "").strip()
    delivered = dict(announced)
    pending = changes(announced, current)
    failure, undelivered = None, 0
    for incident, resolved in [*((i, False) for i in pending.opened), *((i, True) for i in pending.resolved)]:
        if url and failure is None:
            failure = post(url, message(incident, resolved))
        if url and failure:
            undelivered += 1
            continue
        if resolved:
            context.log.info(f"resolved: {incident.summary}")
            delivered.pop(incident.id)
        else:
            context.log.warning(f"[{incident.severity}] {incident.summary}")
            delivered[incident.id] = incident
    context.update_cursor(json.dumps({key: asdict(value) for key, value in sorted(delivered.items())}))
    if failure:
        context.log.warning(f"{failure}; {undelivered} message(s) will be retried on the next evaluation")
    open_list = ", ".join(sorted(current)) or "none"
    return dg.SkipReason(f"{len(current)} open incident(s): {open_list}")
