"""The checks' thresholds: each an environment variable with a default, listed once.

The checks read theirs when they run (orchestration/checks.py, orchestration/health_checks.py);
every build also writes the values in force into the `health_thresholds` mart (through dbt vars,
ingest/warehouse/build.py), so the system-health dashboard draws the lines the checks judge by,
not the defaults. README.md "Alerts and system health" says why each default is what it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ingest.settings import SettingsError


@dataclass(frozen=True)
class Threshold:
    setting: str
    default: float
    unit: str
    # "ceiling": a check fails above it; "floor": below it; "window": not a bound, a span.
    bound: str
    checks: str

    def value(self) -> float:
        raw = os.environ.get(self.setting, "").strip()
        if not raw:
            return self.default
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(
                f"{self.setting} must be a number, got {raw!r} (unset: {self.default:g})"
            ) from None


MAX_QUARANTINE_RATE = Threshold("NAAP_MAX_QUARANTINE_RATE", 0.05, "0-1", "ceiling", "quarantine_rate")
# Also where /healthz turns `stale` (datasette/plugins/naap_health.py).
MAX_EVENT_AGE_MINUTES = Threshold("NAAP_MAX_EVENT_AGE_MINUTES", 60.0, "min", "ceiling", "newest_event_fresh")
MAX_CONSUMER_LAG = Threshold("NAAP_MAX_CONSUMER_LAG", 50_000.0, "messages", "ceiling", "consumer_lag_small")
MAX_PUBLICATION_AGE_MINUTES = Threshold(
    "NAAP_MAX_PUBLICATION_AGE_MINUTES", 15.0, "min", "ceiling", "publication_fresh"
)
MAX_QUARANTINE_REASON_JUMP = Threshold(
    "NAAP_MAX_QUARANTINE_REASON_JUMP", 0.02, "0-1", "ceiling", "quarantine_reason_steady"
)
MIN_ATTRIBUTION_RATE = Threshold("NAAP_MIN_ATTRIBUTION_RATE", 0.80, "0-1", "floor", "attribution_rate_high")
MIN_HEALTH_COVERAGE = Threshold(
    "NAAP_MIN_HEALTH_COVERAGE", 0.80, "0-1", "floor", "health_signal_coverage_high"
)
MAX_UNSERVED_RATE = Threshold(
    "NAAP_MAX_UNSERVED_RATE", 0.10, "0-1", "ceiling", "streaming_demand_served, request_demand_served"
)
MAX_REDELIVERY_RATE = Threshold("NAAP_MAX_REDELIVERY_RATE", 0.02, "0-1", "ceiling", "redelivery_rate_low")
MIN_VOLUME_RATIO = Threshold("NAAP_MIN_VOLUME_RATIO", 0.2, "ratio", "floor", "event_volume_steady")
# The window of the "last hours" checks, ending at the data clock.
HEALTH_WINDOW_HOURS = Threshold(
    "NAAP_HEALTH_WINDOW_HOURS",
    3.0,
    "h",
    "window",
    "attribution_rate_high, health_signal_coverage_high, streaming_demand_served, request_demand_served, "
    "redelivery_rate_low, event_volume_steady",
)

THRESHOLDS = (
    MAX_QUARANTINE_RATE,
    MAX_EVENT_AGE_MINUTES,
    MAX_CONSUMER_LAG,
    MAX_PUBLICATION_AGE_MINUTES,
    MAX_QUARANTINE_REASON_JUMP,
    MIN_ATTRIBUTION_RATE,
    MIN_HEALTH_COVERAGE,
    MAX_UNSERVED_RATE,
    MAX_REDELIVERY_RATE,
    MIN_VOLUME_RATIO,
    HEALTH_WINDOW_HOURS,
)


def thresholds_in_force() -> list[dict[str, str | float]]:
    """Every threshold with the value the environment gives it now, as the mart's rows."""
    return [
        {
            "setting": t.setting,
            "threshold": t.value(),
            "default_threshold": t.default,
            "unit": t.unit,
            "bound": t.bound,
            "checks": t.checks,
        }
        for t in THRESHOLDS
    ]
