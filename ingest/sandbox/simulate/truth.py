"""Ground truth: what the warehouse must compute from the generated events.

Session facts are derived from the envelopes each session actually emitted (after the window cut and
before delivery noise, so duplicates cannot change them), by the rules of reference-behaviour.md §2 as
amended by semantics.md. The hourly figures built from them are in truth_hours.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ingest.sandbox.simulate.clock import HOUR_MS, hour_of, iso, iso_hour
from ingest.sandbox.simulate.scenario import LIVE_PIPELINE, Orchestrator, Scenario

EXCUSABLE_SUBSTRINGS = (
    "no orchestrators available",
    "mediamtx ingest disconnected",
    "whip disconnected",
    "missing video",
    "ice connection state failed",
    "user disconnected",
)
RUNNING_STATES = frozenset({"ONLINE", "DEGRADED_INPUT", "DEGRADED_INFERENCE"})
CANONICAL_PIPELINES = frozenset(
    {
        "live-video-to-video",
        "text-to-image",
        "image-to-image",
        "image-to-video",
        "text-to-video",
        "audio-to-text",
        "text-to-speech",
        "upscale",
        "llm",
        "image-to-text",
        "segment-anything-2",
        "noop",
    }
)
_MODEL_LIKE_HINTS = {
    "streamdiffusion": "streamdiffusion",
    "streamdiffusion-sdxl": "streamdiffusion-sdxl",
    "streamdiffusion-sdxl-v2v": "streamdiffusion-sdxl-v2v",
    "streamdiffusion-sdxl-faceid": "streamdiffusion-sdxl-faceid",
    "pip_sdxl-turbo": "streamdiffusion-sdxl",
    "pip_sd-turbo": "streamdiffusion-sdxl",
    "pip_sdxl-turbo-v2v": "streamdiffusion-sdxl-v2v",
    "pip_sdxl-turbo-faceid": "streamdiffusion-sdxl-faceid",
}
_TAIL_MIN_SAMPLES = 3


def normalize(pipeline_hint: str, model_hint: str) -> tuple[str, str]:
    """reference-behaviour.md §2.3."""
    hint = pipeline_hint.strip().lower()
    pipeline = hint if hint in CANONICAL_PIPELINES else ""
    model = model_hint.strip()
    if not model and hint in _MODEL_LIKE_HINTS:
        model = _MODEL_LIKE_HINTS[hint]
        pipeline = pipeline or LIVE_PIPELINE
    if not pipeline and model.lower().startswith("streamdiffusion"):
        pipeline = LIVE_PIPELINE
    if pipeline and pipeline == model.lower():
        pipeline = ""
    return pipeline, model


@dataclass(frozen=True)
class AttributionIndex:
    """What a capability snapshot makes resolvable: every advertised orchestrator is in every snapshot."""

    by_uri: dict[str, Orchestrator]
    advertised_aliases: frozenset[str]
    advertised_addresses: frozenset[str]

    @classmethod
    def of(cls, scenario: Scenario) -> AttributionIndex:
        advertised = [o for o in scenario.orchestrators if o.advertised]
        return cls(
            {o.uri.lower(): o for o in scenario.orchestrators},
            frozenset(o.hot_wallet.lower() for o in advertised if o.hot_wallet.lower() != o.address.lower()),
            frozenset(o.address.lower() for o in advertised),
        )


@dataclass
class HourRow:
    samples: int = 0
    fps: list[float] = field(default_factory=list)
    positive: int = 0
    running: int = 0
    errors: int = 0
    tail: bool = False

    @property
    def weak(self) -> bool:
        return self.positive == 0 and self.running == 0 and self.samples < _TAIL_MIN_SAMPLES


@dataclass
class SessionTruth:
    entry: dict[str, Any]  # the public per-session truth
    hours: dict[int, HourRow]
    started_ms: int | None
    last_seen_ms: int
    ptff_ms: int | None
    e2e_ms: int | None
    startup_ms: int | None


class _Evidence:
    """What §2.2 collects per session, accumulated one envelope at a time."""

    def __init__(self) -> None:
        self.firsts: dict[str, int] = {}  # trace subtype -> earliest envelope ts
        self.counts: dict[str, int] = {}  # trace subtype -> count
        self.hours: dict[int, HourRow] = {}  # status samples per hour
        self.selection_rows: list[tuple[int, int, str, str, str, bool]] = []
        self.hints: dict[str, tuple[int, str]] = {"status": (0, ""), "trace": (0, ""), "event": (0, "")}
        self.start_times: list[int] = []
        self.error_messages: list[str] = []
        self.stream_id = self.request_id = ""
        self.last_seen = 0

    def add(self, envelope: dict[str, Any]) -> None:
        ts, data, family = int(envelope["timestamp"]), envelope["data"], envelope["type"]
        self.last_seen = max(self.last_seen, ts)
        self.stream_id = data.get("stream_id") or self.stream_id
        self.request_id = data.get("request_id") or self.request_id
        subtype = data["type"]
        if family == "stream_trace":
            self.firsts[subtype] = min(ts, self.firsts.get(subtype, ts))
            self.counts[subtype] = self.counts.get(subtype, 0) + 1
            self._hint("trace", ts, data.get("pipeline", ""))
            if not subtype.startswith("runner_"):  # runner edges never select (§2.4)
                self._selection(ts, 1, envelope["id"], data, subtype == "orchestrator_swap")
        elif family == "ai_stream_status":
            self._hint("status", ts, data["pipeline"])
            self._selection(ts, 2, envelope["id"], data, False)
            fps, error = data["inference_status"]["fps"], data["inference_status"]["last_error"]
            row = self.hours.setdefault(hour_of(ts), HourRow())
            row.samples += 1
            row.fps.append(fps)
            row.positive += fps > 0
            row.running += data["state"] in RUNNING_STATES
            row.errors += isinstance(error, str) and error not in ("", "null")
            self.start_times.append(data["start_time"])
        else:
            self._hint("event", ts, data.get("pipeline", ""))
            self._selection(ts, 3, envelope["id"], data, "swap" in subtype.lower())
            if subtype.lower() == "error":
                self.error_messages.append(data.get("message", ""))

    def _hint(self, source: str, ts: int, value: str) -> None:
        if value and ts >= self.hints[source][0]:
            self.hints[source] = (ts, value)

    def _selection(self, ts: int, priority: int, event_id: str, data: dict[str, Any], swap: bool) -> None:
        info = data.get("orchestrator_info") or {}
        url = info.get("url") or ""
        identity = (info.get("address") or "").strip().lower() or url.strip().lower()
        if identity:
            self.selection_rows.append((ts, priority, event_id, identity, url, swap))

    def total(self, field_name: str) -> int:
        return sum(getattr(row, field_name) for row in self.hours.values())

    def span(self, start_subtype: str, end_subtype: str) -> int | None:
        return _span(self.firsts.get(start_subtype), self.firsts.get(end_subtype))


def summarize_session(
    kind: str,
    label: str,
    org: str,
    gateway: str,
    evidence: list[dict[str, Any]],
    index: AttributionIndex,
    truncated: bool,
) -> SessionTruth | None:
    """Derive one session's truth from its emitted evidence envelopes (None if nothing was emitted)."""
    if not evidence:
        return None
    ev = _Evidence()
    for envelope in evidence:
        ev.add(envelope)
    requested = ev.counts.get("gateway_receive_stream_request", 0) > 0
    playable = ev.counts.get("gateway_receive_few_processed_segments", 0) > 0
    no_orch = ev.counts.get("gateway_no_orchestrators_available", 0) > 0
    selections = _selections(ev.selection_rows)
    selection_outcome = "selected" if selections else ("no_orch" if no_orch else "unknown")
    startup_outcome, excusal = _startup_outcome(requested, playable, selection_outcome, ev.error_messages)
    samples = ev.total("samples")
    loading_only = samples > 0 and ev.total("running") == 0
    zero_output = samples > 0 and ev.total("positive") == 0
    attribution = _attribute(selections, index, no_orch)
    if attribution["orch"] is not None:
        orch = attribution["orch"]
        pipeline, model, gpu_id = LIVE_PIPELINE, orch.live_models[0], orch.gpus[0].id
    else:
        hint = next((value for _ts, value in ev.hints.values() if value), "")
        (pipeline, model), gpu_id = normalize(hint, ""), ""
    started = ev.firsts.get("gateway_receive_stream_request")
    startup = ev.span("gateway_receive_stream_request", "gateway_receive_first_processed_segment")
    e2e = ev.span("gateway_send_first_ingest_segment", "runner_send_first_processed_segment")
    first_start_time = min(ev.start_times) if ev.start_times else None
    ptff = _span(first_start_time, ev.firsts.get("gateway_receive_few_processed_segments"))
    health = (samples > 0) + playable + (samples > 0 and not (loading_only and zero_output))
    _mark_tail(ev.hours, started, ev.last_seen)
    hours = sorted(ev.hours)
    entry = {
        "org": org,
        "session_key": f"{org}|{ev.stream_id or '_missing_stream'}|{ev.request_id or '_missing_request'}",
        "stream_id": ev.stream_id,
        "request_id": ev.request_id,
        "gateway": gateway,
        "kind": kind,
        "coverage_case": label,
        "requested": requested,
        "playable": playable,
        "startup_outcome": startup_outcome,
        "excusal_reason": excusal,
        "selection_outcome": selection_outcome,
        "completed": ev.counts.get("gateway_ingest_stream_closed", 0) > 0,
        "swap_count": ev.counts.get("orchestrator_swap", 0),
        "orchestrator_address": attribution["address"],
        "orchestrator_uri": attribution["uri"],
        "attribution_expected": attribution["status"],
        "attribution_reason": attribution["reason"],
        "pipeline_id": pipeline,
        "model_id": model,
        "gpu_id": gpu_id,
        "startup_latency_ms": startup,
        "e2e_latency_ms": e2e,
        "prompt_to_playable_latency_ms": ptff,
        "status_samples": samples,
        "output_fps_sum": math.fsum(fps for row in ev.hours.values() for fps in row.fps),
        "loading_only": loading_only,
        "zero_output": zero_output,
        "error_samples": ev.total("errors"),
        "health_signal_count": health,
        "started_at": iso(started) if started is not None else None,
        "last_seen": iso(ev.last_seen),
        "status_hours": [iso_hour(h) for h in hours],
        "tail_artifact_hours": [iso_hour(h) for h in hours if ev.hours[h].tail],
        "truncated": truncated,
    }
    return SessionTruth(entry, ev.hours, started, ev.last_seen, ptff, e2e, startup)


def _selections(rows: list[tuple[int, int, str, str, str, bool]]) -> list[tuple[int, str]]:
    """§2.4 selection events: first identity, explicit swaps, identity changes; (ts, observed url)."""
    selections, previous = [], None
    for ts, _priority, _event_id, identity, url, swap in sorted(rows):
        if previous is None or swap or identity != previous:
            selections.append((ts, url))
            previous = identity
    return selections


def _attribute(selections: list[tuple[int, str]], index: AttributionIndex, no_orch: bool) -> dict[str, Any]:
    """The latest decision, matched by URI. Snapshots of every advertised URI come at least every
    10 minutes from the window start, so an advertised URI always has an `exact` match."""
    if not selections:
        reason = "no_selection_no_orch_excused" if no_orch else "missing_candidate"
        return {"status": "unresolved", "reason": reason, "address": "", "uri": "", "orch": None}
    _ts, url = selections[-1]
    orch = index.by_uri.get(url.strip().lower())
    if orch is not None and orch.advertised:
        return {
            "status": "resolved",
            "reason": "matched",
            "address": orch.address.lower(),
            "uri": orch.uri,
            "orch": orch,
        }
    observed = orch.hot_wallet.lower() if orch is not None else ""
    if observed in index.advertised_aliases:
        reason = "missing_uri_snapshot_local_alias_present"
    elif observed in index.advertised_addresses:
        reason = "missing_uri_snapshot_address_match_present"
    else:
        reason = "missing_candidate"
    return {"status": "unresolved", "reason": reason, "address": "", "uri": "", "orch": None}


def _startup_outcome(requested: bool, playable: bool, selection: str, errors: list[str]) -> tuple[str, str]:
    """§2.5 in its public form: (success | excused | unexcused | unknown, excusal_reason)."""
    if not requested:
        return "unknown", "none"
    if playable:
        return "success", "none"
    if selection == "no_orch":
        return "excused", "no_orch"
    if errors and all(_excusable(m) for m in errors):
        return "excused", "excusable_error"
    return "unexcused", "none"


def _excusable(message: str) -> bool:
    lowered = message.lower()
    return any(s in lowered for s in EXCUSABLE_SUBSTRINGS)


def _span(start: int | None, end: int | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return end - start


def _mark_tail(hours: dict[int, HourRow], started: int | None, last_seen: int) -> None:
    """§2.9 terminal-tail artifact, comparing each status hour with the previous status hour."""
    previous_weak = True  # "zeros if none"
    for hour in sorted(hours):
        row = hours[hour]
        row.tail = (
            started is not None
            and started < hour
            and hour <= last_seen < hour + HOUR_MS
            and row.weak
            and previous_weak
        )
        previous_weak = row.weak
