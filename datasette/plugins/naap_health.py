"""Freshness of the publication: `/healthz` for monitors, and "data as of ..." on every page.

Both read `status.json`, which each publish writes beside the database (ingest/publication/status.py).
`/healthz` answers 200 whether the data is fresh (`ok`) or older than NAAP_MAX_EVENT_AGE_MINUTES
(`stale`), so a monitor reads the status from the body; 503 only when nothing is published yet.
It also lists the open incidents that the alerts sensor last wrote beside them
(ingest/alerts/incidents.py): `null` where no sensor watches (`naap run --once`), else a list.
"""

from datetime import UTC, datetime

from datasette import hookimpl
from datasette.utils.asgi import Response

from ingest.alerts.incidents import read_incidents
from ingest.alerts.thresholds import MAX_EVENT_AGE_MINUTES
from ingest.explorer.published import publish_folder
from ingest.publication.status import read_status
from ingest.settings import SettingsError

FIELDS = ("data_clock", "last_batch_finished_at", "published_at", "lag_messages")


def _status(datasette) -> dict | None:
    folder = publish_folder(datasette)
    return read_status(folder) if folder else None


def _max_age_minutes() -> float:
    try:
        return MAX_EVENT_AGE_MINUTES.value()
    except SettingsError:
        return MAX_EVENT_AGE_MINUTES.default


def health(status: dict | None, now: datetime) -> tuple[int, dict]:
    if status is None:
        return 503, {"status": "unpublished", **dict.fromkeys(FIELDS)}
    limit = _max_age_minutes()
    clock = status.get("data_clock")
    age_minutes = (now - datetime.fromisoformat(clock)).total_seconds() / 60 if clock else None
    fresh = age_minutes is not None and age_minutes <= limit
    body = {"status": "ok" if fresh else "stale", **{name: status.get(name) for name in FIELDS}}
    body["data_age_minutes"] = None if age_minutes is None else round(age_minutes, 2)
    body["max_event_age_minutes"] = limit
    return 200, body


async def healthz(datasette):
    folder = publish_folder(datasette)
    code, body = health(read_status(folder) if folder else None, datetime.now(UTC))
    body["incidents"] = read_incidents(folder) if folder else None
    return Response.json(body, status=code, headers={"Cache-Control": "no-store"})


@hookimpl
def register_routes():
    return [(r"^/healthz$", healthz)]


@hookimpl
def extra_template_vars(datasette):
    return {"naap_status": _status(datasette)}
