"""The accepted-event contract (semantics.md, reference-behaviour.md §1.2).

Every consumed message is accepted or quarantined with exactly one of
QUARANTINE_REASONS, checked in the order listed there.
"""

from __future__ import annotations

MAX_MESSAGE_BYTES = 1024 * 1024

ACCEPTED_FAMILIES = (
    "stream_trace",
    "ai_stream_status",
    "ai_stream_events",
    "stream_ingest_metrics",
    "network_capabilities",
    "discovery_results",
    "create_new_payment",
    "ai_batch_request",
    "ai_llm_request",
    "job_gateway",
    "job_payment",
    "job_orchestrator",
    "job_auth",
    "worker_lifecycle",
    # Not consumed by the reference; semantics.md adds it as the 15th family.
    "create_signed_ticket",
)

STREAM_TRACE_SUBTYPES = (
    "gateway_receive_stream_request",
    "gateway_ingest_stream_closed",
    "gateway_send_first_ingest_segment",
    "gateway_receive_first_processed_segment",
    "gateway_receive_few_processed_segments",
    "gateway_receive_first_data_segment",
    "gateway_no_orchestrators_available",
    "orchestrator_swap",
    "runner_receive_first_ingest_segment",
    "runner_send_first_processed_segment",
)

SCOPE_CLIENT_NOISE_SUBTYPES = (
    "stream_heartbeat",
    "pipeline_load_start",
    "pipeline_loaded",
    "session_created",
    "stream_started",
    "playback_ready",
    "session_closed",
    "stream_stopped",
    "pipeline_unloaded",
    "websocket_connected",
    "websocket_disconnected",
    "error",
)

# Order matters: the first matching reason wins.
QUARANTINE_REASONS = (
    "oversized_message",
    "invalid_json",
    "missing_event_id",
    "missing_type",
    "bad_timestamp",
    "unsupported_event_family",
    "ignored_stream_trace_non_core_app",
    "ignored_stream_trace_scope_client_noise",
    "unsupported_stream_trace_type",
)
