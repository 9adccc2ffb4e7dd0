"""Incidents: what is wrong now, what changed since the last announcement, and the file /healthz reads.

An incident is open while the newest evaluation of a check failed at or above the configured
severity, or the newest finished run of a job failed. Whoever watches (the Dagster sensor,
orchestration/sensors.py) remembers the incidents it announced; `changes` says which of the
current ones are new and which announced ones have ended.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.settings import SettingsError

SEVERITIES = ("WARN", "ERROR")
DEFAULT_MIN_SEVERITY = "WARN"
INCIDENTS_FILE = "incidents.json"


@dataclass(frozen=True)
class Incident:
    id: str  # "check:<asset>:<check>" or "run:<job>": one incident per thing that can be wrong
    severity: str  # WARN or ERROR
    summary: str  # the one line a maintainer reads first
    fields: dict[str, str] = field(default_factory=dict)
    opened_at: str = ""  # UTC ISO-8601: when the failing evaluation or run was recorded

    @classmethod
    def from_dict(cls, values: Mapping) -> Incident:
        return cls(**{name: values[name] for name in ("id", "severity", "summary", "fields", "opened_at")})


@dataclass(frozen=True)
class Changes:
    opened: list[Incident]
    resolved: list[Incident]


def min_severity(env: Mapping[str, str] = os.environ) -> str:
    """NAAP_ALERT_MIN_SEVERITY: the least severe incident announced (WARN, the default, or ERROR)."""
    value = (env.get("NAAP_ALERT_MIN_SEVERITY") or DEFAULT_MIN_SEVERITY).strip().upper()
    if value not in SEVERITIES:
        raise SettingsError(f"NAAP_ALERT_MIN_SEVERITY must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return value


def at_least(severity: str, minimum: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(minimum)


def changes(announced: Mapping[str, Incident], current: Mapping[str, Incident]) -> Changes:
    """New incidents to announce, and announced ones that are over, each in a stable order."""
    return Changes(
        opened=[current[key] for key in sorted(current) if key not in announced],
        resolved=[announced[key] for key in sorted(announced) if key not in current],
    )


def write_incidents(folder: Path, incidents: Mapping[str, Incident]) -> None:
    """The open incidents, for /healthz: written whole and renamed into place."""
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps([asdict(incidents[key]) for key in sorted(incidents)], indent=1)
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".incidents-", delete=False) as handle:
        handle.write(body)
    os.replace(handle.name, folder / INCIDENTS_FILE)


def read_incidents(folder: Path) -> list[dict] | None:
    """The open incidents as last written; None when nothing watches (no file yet).

    The file is renamed into place whole, so a reader never sees half of one.
    """
    try:
        return json.loads((folder / INCIDENTS_FILE).read_text())
    except FileNotFoundError:
        return None
