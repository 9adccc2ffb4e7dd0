"""Ground truth by the hour: the SLA rows and streaming demand the warehouse's hourly marts must equal.

Built from the session facts of truth.py, by reference-behaviour.md §3.2 (SLA primitives, status hours,
terminal-tail filter modelled exactly) and §3.5 (streaming demand), as amended by semantics.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ingest.sandbox.simulate.clock import hour_of, iso_hour
from ingest.sandbox.simulate.truth import SessionTruth

# Health signals a requested session is expected to send (reference-behaviour.md §2.7).
_HEALTH_EXPECTED = 3


SLA_FIELDS = (
    "known_sessions_count",
    "requested_sessions",
    "startup_success_sessions",
    "no_orch_sessions",
    "startup_excused_sessions",
    "startup_failed_sessions",
    "loading_only_sessions",
    "zero_output_fps_sessions",
    "output_failed_sessions",
    "effective_failed_sessions",
    "confirmed_swapped_sessions",
    "inferred_swap_sessions",
    "total_swapped_sessions",
    "sessions_ending_in_error",
    "error_status_samples",
    "health_signal_count",
    "health_expected_signal_count",
    "status_samples",
    "prompt_to_first_frame_sum_ms",
    "prompt_to_first_frame_sample_count",
    "e2e_latency_sum_ms",
    "e2e_latency_sample_count",
    "startup_latency_sum_ms",
    "startup_latency_sample_count",
)
DEMAND_FIELDS = (
    "sessions_count",
    "known_sessions_count",
    "requested_sessions",
    "startup_success_sessions",
    "no_orch_sessions",
    "startup_excused_sessions",
    "startup_failed_sessions",
    "loading_only_sessions",
    "zero_output_fps_sessions",
    "effective_failed_sessions",
    "total_swapped_sessions",
    "sessions_ending_in_error",
    "error_status_samples",
    "health_signal_count",
    "health_expected_signal_count",
    "status_samples",
)


def _outcome_flags(s: SessionTruth) -> dict[str, int]:
    """Per-session flags that count only for requested sessions (§3.2 `req ∧ ...`)."""
    e = s.entry
    if not e["requested"]:
        return {}
    unexcused = e["startup_outcome"] == "unexcused"
    return {
        "known_sessions_count": 1,
        "requested_sessions": 1,
        "startup_success_sessions": e["startup_outcome"] == "success",
        "no_orch_sessions": e["selection_outcome"] == "no_orch",
        "startup_excused_sessions": e["startup_outcome"] == "excused",
        "startup_failed_sessions": unexcused,
        "loading_only_sessions": e["loading_only"],
        "zero_output_fps_sessions": e["zero_output"],
        "output_failed_sessions": e["loading_only"] or e["zero_output"],
        "effective_failed_sessions": unexcused or e["loading_only"] or e["zero_output"],
        "confirmed_swapped_sessions": e["swap_count"] > 0,
        "total_swapped_sessions": e["swap_count"] > 0,
        "sessions_ending_in_error": e["error_samples"] > 0,
    }


def sla_hours(sessions: Iterable[SessionTruth], attributed: bool) -> list[dict[str, Any]]:
    """§3.2 primitives over non-tail status hours: attributed rows (orchestrator_hours) keyed by
    (window_start, org, orchestrator_address, pipeline_id, model_id, gpu_id), or, for the rest,
    unattributed rows keyed by (window_start, org, pipeline_id, model_id, attribution_reason)."""
    groups: dict[tuple, dict[str, Any]] = {}
    for s in sessions:
        e = s.entry
        if (e["attribution_expected"] == "resolved") != attributed:
            continue
        flags = _outcome_flags(s)
        for hour, row in s.hours.items():
            if row.tail:
                continue
            where = (e["orchestrator_address"],) if attributed else ()
            what = (e["gpu_id"],) if attributed else (e["attribution_reason"],)
            key = (iso_hour(hour), e["org"], *where, e["pipeline_id"], e["model_id"], *what)
            group = groups.setdefault(key, {"fps": [], **dict.fromkeys(SLA_FIELDS, 0)})
            for name, value in flags.items():
                group[name] += int(value)
            group["error_status_samples"] += row.errors
            group["health_signal_count"] += e["health_signal_count"]
            group["health_expected_signal_count"] += _HEALTH_EXPECTED if e["requested"] else 0
            group["status_samples"] += row.samples
            group["fps"].extend(row.fps)
            for prefix, value in (
                ("prompt_to_first_frame", s.ptff_ms),
                ("e2e_latency", s.e2e_ms),
                ("startup_latency", s.startup_ms),
            ):
                if value is not None and value > 0:
                    group[f"{prefix}_sum_ms"] += value
                    group[f"{prefix}_sample_count"] += 1
    names = (
        ("window_start", "org", "orchestrator_address", "pipeline_id", "model_id", "gpu_id")
        if attributed
        else ("window_start", "org", "pipeline_id", "model_id", "attribution_reason")
    )
    return [_row(names, key, groups[key], SLA_FIELDS) for key in sorted(groups)]


def demand_hours(sessions: Iterable[SessionTruth]) -> list[dict[str, Any]]:
    """§3.5: a demand row at the session's start hour (else last-seen hour) unioned with its status hours."""
    groups: dict[tuple, dict[str, Any]] = {}
    for s in sessions:
        e = s.entry
        demand_hour = hour_of(s.started_ms if s.started_ms is not None else s.last_seen_ms)
        flags = _outcome_flags(s)
        for hour in sorted({demand_hour, *s.hours}):
            key = (iso_hour(hour), e["org"], e["gateway"], e["pipeline_id"], e["model_id"])
            group = groups.setdefault(key, {"fps": [], "minutes": [], **dict.fromkeys(DEMAND_FIELDS, 0)})
            group["sessions_count"] += 1
            row = s.hours.get(hour)
            if row is not None:
                group["status_samples"] += row.samples
                group["fps"].extend(row.fps)
            if hour != demand_hour:
                continue
            for name, value in flags.items():
                if name in DEMAND_FIELDS:
                    group[name] += int(value)
            group["error_status_samples"] += e["error_samples"]
            group["health_signal_count"] += e["health_signal_count"]
            group["health_expected_signal_count"] += _HEALTH_EXPECTED if e["requested"] else 0
            if s.started_ms is not None:
                group["minutes"].append(max(0, s.last_seen_ms - s.started_ms) / 60_000)
    names = ("window_start", "org", "gateway", "pipeline_id", "model_id")
    rows = []
    for key in sorted(groups):
        row = _row(names, key, groups[key], DEMAND_FIELDS)
        row["total_minutes"] = math.fsum(groups[key]["minutes"])
        rows.append(row)
    return rows


def _row(
    names: tuple[str, ...], key: tuple, group: dict[str, Any], fields: tuple[str, ...]
) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(names, key, strict=True))
    row.update({name: group[name] for name in fields})
    row["output_fps_sum"] = math.fsum(group["fps"])
    return row
