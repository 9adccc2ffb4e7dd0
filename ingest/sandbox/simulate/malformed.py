"""Messages the ingest must quarantine, each built so that exactly one reason applies.

Reasons are checked in the order of ingest.lake.contract.QUARANTINE_REASONS (first match wins); every
builder below is valid with respect to all the reasons that come before its own.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Any

from ingest.lake.contract import MAX_MESSAGE_BYTES
from ingest.sandbox.simulate.scenario import Scenario
from ingest.sandbox.simulate.wire import Emitter

Builder = Callable[[Emitter, int], tuple[Any, str | None]]  # -> (value, key)


def _envelope(em: Emitter, ts: int, family: str, data: Any) -> dict[str, Any]:
    return {"id": em.new_id(), "type": family, "timestamp": str(ts), "gateway": "", "data": data}


def _trace_data(subtype: str, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "orchestrator_info": {"address": "", "url": ""},
        "pipeline_id": "",
        "request_id": "",
        "stream_id": "",
        "timestamp": 0,
        "type": subtype,
    }


def _truncated_json(em: Emitter, ts: int) -> tuple[Any, str | None]:
    text = f'{{"id": "{em.new_id()}", "type": "stream_trace", "timestamp": "{ts}", "gateway": "", "data": {{"type"'
    return text, None


def _json_array(em: Emitter, ts: int) -> tuple[Any, str | None]:
    return "[1,2]", None


def _empty_id(em: Emitter, ts: int) -> tuple[Any, str | None]:
    value = _envelope(em, ts, "ai_stream_events", {"type": "params_update", "params": {}})
    value["id"] = ""
    return value, None


def _absent_id(em: Emitter, ts: int) -> tuple[Any, str | None]:
    value = _envelope(em, ts, "discovery_results", [])
    del value["id"]
    return value, None


def _absent_type(em: Emitter, ts: int) -> tuple[Any, str | None]:
    value = _envelope(em, ts, "", {"note": "producer forgot the family"})
    del value["type"]
    return value, value["id"]


def _empty_type(em: Emitter, ts: int) -> tuple[Any, str | None]:
    value = _envelope(em, ts, "", {})
    return value, value["id"]


def _bad_timestamp(em: Emitter, ts: int) -> tuple[Any, str | None]:
    value = _envelope(em, ts, "stream_trace", _trace_data("gateway_receive_stream_request"))
    value["timestamp"] = "yesterday"
    return value, value["id"]


def _family(name: str, data: Any) -> Builder:
    def build(em: Emitter, ts: int) -> tuple[Any, str | None]:
        value = _envelope(em, ts, name, data)
        return value, value["id"]

    return build


# (reason, builder) in the order they are emitted; a run cycles through them from the top.
KINDS: tuple[tuple[str, Builder], ...] = (
    ("invalid_json", _truncated_json),
    ("invalid_json", _json_array),
    ("missing_event_id", _empty_id),
    ("missing_event_id", _absent_id),
    ("missing_type", _absent_type),
    ("missing_type", _empty_type),
    ("bad_timestamp", _bad_timestamp),
    (
        "unsupported_event_family",
        _family("pipelines_api_request", {"pipeline": "text-to-image", "status": 200}),
    ),
    ("unsupported_event_family", _family("webrtc_stats", {"peer": "whip", "rtt_ms": 42})),
    (
        "ignored_stream_trace_non_core_app",
        _family(
            "stream_trace", _trace_data("app_send_stream_request", sender={"id": "daydream", "type": "app"})
        ),
    ),
    (
        "ignored_stream_trace_scope_client_noise",
        _family("stream_trace", _trace_data("stream_heartbeat", client_source="scope")),
    ),
    (
        "ignored_stream_trace_scope_client_noise",
        _family("stream_trace", _trace_data("pipeline_loaded", client_source="scope")),
    ),
    (
        "unsupported_stream_trace_type",
        _family("stream_trace", _trace_data("stream_orchestrator_token_refresh")),
    ),
)
# Comfortably over the limit once encoded, whatever the encoder's spacing.
OVERSIZED_BYTES = MAX_MESSAGE_BYTES + 64 * 1024


def emit_malformed(em: Emitter, rng: Random, scenario: Scenario, hours: float) -> None:
    """Spread malformed_per_hour × hours messages evenly over the window, cycling through KINDS, and
    put the oversized message (if enabled) in the middle of the window."""
    topics = list(dict.fromkeys(g.topic for g in scenario.gateways))
    window = em.end_ms - em.start_ms
    count = round(scenario.noise.malformed_per_hour * hours)
    for i in range(count):
        ts = em.start_ms + (2 * i + 1) * window // (2 * count)
        reason, build = KINDS[i % len(KINDS)]
        value, key = build(em, ts)
        em.emit_quarantined(topics[i % len(topics)], key, value, ts, reason)
    if scenario.noise.oversized_message:
        ts = em.start_ms + window // 2 + rng.randint(0, 999)
        padding = "x" * OVERSIZED_BYTES
        value = _envelope(
            em, ts, "ai_stream_events", {"type": "params_update", "params": {"prompt": padding}}
        )
        em.emit_quarantined(topics[0], value["id"], value, ts, "oversized_message")
