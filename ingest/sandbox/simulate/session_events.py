"""The wire events of one live video-to-video session, from its plan (sessions.py).

Shapes and cadences follow the 2026-01-08 capture (reference-behaviour.md §1.6, §1.7): trace edges with
`orchestrator_info` empty on request/no-orch/close, status samples every ~10 s, ingest metrics every ~5 s,
payments at start and then as refills. The outcome kinds are described in ingest/sandbox/scenarios/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

from ingest.sandbox.simulate.payments import LivePayer, emit_live_payments
from ingest.sandbox.simulate.scenario import Normal, Orchestrator
from ingest.sandbox.simulate.sessions import LiveContext, SessionPlan
from ingest.sandbox.simulate.supply import discovery_data
from ingest.sandbox.simulate.wire import base36, hex_id

# Families whose envelopes make up a session's evidence (reference-behaviour.md §2.2).
EVIDENCE_FAMILIES = frozenset({"stream_trace", "ai_stream_status", "ai_stream_events"})
# One of each contains an excusable substring of reference-behaviour.md §2.6 (matched case-insensitively).
EXCUSABLE_MESSAGES = (
    "mediamtx ingest disconnected",
    "WHIP disconnected: peer connection closed",
    "missing video track",
    "ICE connection state failed",
    "user disconnected",
)
# None of these contains an excusable substring.
FATAL_MESSAGES = (
    "pipeline failed to start: CUDA out of memory",
    "runner exited with code 1",
    "timed out waiting for the first output frame",
)
_NO_ORCH_MESSAGE = "no orchestrators available"
_CLOSE_MESSAGE = "whip disconnected"
_BENIGN_ERROR = "[update_params] Error reloading pipeline: Failed to fetch image from URL: 403"
_SWAP_REASONS = ("orchestrator unresponsive", "inference stalled", "segment upload failed")
_EMPTY_INFO = {"address": "", "url": ""}
_STATUS_PERIOD_MS = 10_000
_INGEST_PERIOD_MS = 5_000


@dataclass
class _Segment:
    """The part of a session served by one orchestrator, as its status samples show it."""

    orch: Orchestrator
    info: dict[str, str]
    starts_at: int
    running_from: int | None  # samples before this (or all, when None) are LOADING
    fps_on: bool


class LiveSessionWriter:
    """Emits one session's events; run() returns the envelopes that make up its evidence."""

    def __init__(self, ctx: LiveContext, plan: SessionPlan) -> None:
        self.ctx, self.plan, self.rng = ctx, plan, ctx.rng
        self.topic, self.gw_address = plan.gateway.topic, plan.gateway.address
        self.stream_id = ctx.unique(lambda: f"stream-{base36(ctx.rng, 6)}-{base36(ctx.rng, 8)}")
        self.request_id = ctx.unique(lambda: hex_id(ctx.rng))
        self.evidence: list[dict[str, Any]] = []
        self.end = plan.t0 + plan.duration_ms
        live, rng = ctx.scenario.demand.live, ctx.rng
        # A sticky, non-fatal last_error from this time on (it marks error samples, not failures).
        self.benign_error_at = None
        if rng.random() < live.benign_error_rate:
            self.benign_error_at = plan.t0 + rng.randint(0, plan.duration_ms)
        self.params_change: tuple[int, dict[str, Any], str] | None = None
        if rng.random() < live.params_update_rate:
            new_params = {"height": 512, "prompt": "a watercolor city at night", "width": 512}
            self.params_change = (plan.t0 + rng.randint(0, plan.duration_ms), new_params, hex_id(rng, 32))

    # -- emission helpers -------------------------------------------------------------------------
    def put(self, family: str, ts: int, data: Any) -> None:
        envelope = self.ctx.em.emit(self.topic, family, ts, self.gw_address, data)
        if envelope is not None and family in EVIDENCE_FAMILIES:
            self.evidence.append(envelope)

    def trace(self, subtype: str, ts: int, info: dict[str, str], payload_lag_ms: int = 0) -> None:
        self.put(
            "stream_trace",
            ts,
            {
                "orchestrator_info": info,
                "pipeline_id": "",
                "request_id": self.request_id,
                "stream_id": self.stream_id,
                "timestamp": ts + payload_lag_ms,
                "type": subtype,
            },
        )

    def stream_event(self, ts: int, kind: str, **fields: Any) -> None:
        data = {
            **fields,
            "pipeline": self.plan.model,
            "pipeline_id": "",
            "request_id": self.request_id,
            "stream_id": self.stream_id,
            "timestamp": ts,
            "type": kind,
        }
        self.put("ai_stream_events", ts, data)

    def error(self, ts: int, message: str) -> None:
        self.stream_event(ts, "error", capability="live-video-to-video", message=message)

    # -- the session --------------------------------------------------------------------------------
    def run(self) -> list[dict[str, Any]]:
        plan, rng = self.plan, self.rng
        t0 = plan.t0
        if plan.kind != "unrequested":
            self.trace("gateway_receive_stream_request", t0, _EMPTY_INFO)
        if plan.kind == "no_orchestrator":
            self._no_orchestrator(t0)
            return self.evidence
        orch = plan.orch
        assert orch is not None  # planner invariant: only no_orchestrator plans lack one
        if plan.kind == "unrequested":
            # The request edge was lost (e.g. the gateway restarted): only status and transport remain.
            segment = _Segment(orch, _info(orch), t0, t0, True)
            self._status_series([segment], t0 - rng.randint(60_000, 600_000), t0)
            self._ingest_metrics(t0)
            return self.evidence
        self.put("discovery_results", t0 + rng.randint(150, 400), self._discovery(orch))
        start_time = t0 + rng.randint(250, 400)
        segments = self._startup(orch, t0)
        payment_legs = [(orch, t0, self.end)]
        if plan.kind == "swap":
            assert plan.swap_to is not None
            swap_at = self._swap(segments, plan.swap_to)
            payment_legs = [(orch, t0, swap_at), (plan.swap_to, swap_at, self.end)]
        for leg_orch, leg_start, leg_end in payment_legs:
            payer = LivePayer(
                self.topic,
                plan.gateway.org,
                plan.gateway,
                leg_orch,
                self.stream_id,
                self.request_id,
                plan.model,
            )
            pm_session = self.ctx.unique(lambda: hex_id(rng))
            emit_live_payments(self.ctx.em, rng, self.ctx.ledger, payer, leg_start, leg_end, pm_session)
        self._status_series(segments, start_time, t0)
        self._ingest_metrics(t0)
        self._extras()
        if plan.kind in ("unexcused_failure", "excusable_failure"):
            messages = EXCUSABLE_MESSAGES if plan.kind == "excusable_failure" else FATAL_MESSAGES
            self.error(self.end - rng.randint(200, 1_500), rng.choice(messages))
        if not plan.unclosed:
            self.trace("gateway_ingest_stream_closed", self.end, _EMPTY_INFO)
        return self.evidence

    def _no_orchestrator(self, t0: int) -> None:
        rng = self.rng
        self.put("discovery_results", t0 + rng.randint(150, 400), [])
        no_orch_at = t0 + rng.randint(400, 1_200)
        self.trace("gateway_no_orchestrators_available", no_orch_at, _EMPTY_INFO)
        if rng.random() < 0.5:
            self.error(no_orch_at + rng.randint(1, 50), _NO_ORCH_MESSAGE)
        if not self.plan.unclosed:
            self.trace("gateway_ingest_stream_closed", self.end, _EMPTY_INFO)

    def _discovery(self, orch: Orchestrator) -> list[dict[str, str]]:
        servers = [o for o in self.ctx.scenario.orchestrators if self.plan.model in o.live_models]
        return discovery_data(self.rng, orch, servers, self.ctx.scenario.supply.discovery_candidates)

    def _startup(self, orch: Orchestrator, t0: int) -> list[_Segment]:
        """First-orchestrator edges; returns the status segments of the first orchestrator."""
        rng, kind, info = self.rng, self.plan.kind, _info(orch)
        startup_ms = _draw(rng, orch.profile.startup_ms, 400, 30_000)
        ingest_at = t0 + int(startup_ms * rng.uniform(0.75, 0.9))
        self.trace("gateway_send_first_ingest_segment", ingest_at, info)
        self.trace("runner_receive_first_ingest_segment", ingest_at, info, payload_lag_ms=2)
        playable = kind in ("success", "swap") or (kind == "zero_output" and rng.random() < 0.5)
        if kind == "swap" and rng.random() < 0.3:
            playable = False  # a startup swap: the first orchestrator never produced output
        if not playable:
            running_from = ingest_at if kind == "zero_output" else None
            return [_Segment(orch, info, t0, running_from, False)]
        playable_at = self._processed_edges(orch, info, ingest_at, t0 + startup_ms)
        return [_Segment(orch, info, t0, playable_at, kind != "zero_output")]

    def _processed_edges(self, orch: Orchestrator, info: dict[str, str], ingest_at: int, due: int) -> int:
        """runner tx → first processed → few processed; returns the playable time."""
        rng = self.rng
        runner_tx = ingest_at + _draw(rng, orch.profile.e2e_ms, 20, 2_000)
        first_processed = max(due, runner_tx + rng.randint(30, 300))
        playable_at = first_processed + rng.randint(3_000, 4_500)
        self.trace("runner_send_first_processed_segment", runner_tx, info, payload_lag_ms=-1)
        self.trace("gateway_receive_first_processed_segment", first_processed, info)
        self.trace("gateway_receive_few_processed_segments", playable_at, info)
        return playable_at

    def _swap(self, segments: list[_Segment], new: Orchestrator) -> int:
        """Abandon the first orchestrator for `new`; returns the swap time."""
        rng, old = self.rng, segments[0]
        t0 = self.plan.t0
        if old.running_from is None:
            swap_at = t0 + rng.randint(5_000, 12_000)
        else:
            earliest = old.running_from + 5_000
            swap_at = max(earliest, t0 + int(self.plan.duration_ms * rng.uniform(0.2, 0.8)))
        self.end = max(self.end, swap_at + 30_000)
        self.put(
            "stream_trace",
            swap_at,
            {
                "message": rng.choice(_SWAP_REASONS),
                "orchestrator_info": old.info,  # the orchestrator being abandoned (§1.6)
                "pipeline": self.plan.model,
                "pipeline_id": "",
                "request_id": self.request_id,
                "stream_id": self.stream_id,
                "timestamp": swap_at,
                "type": "orchestrator_swap",
            },
        )
        info = _info(new)
        rx_at = swap_at + rng.randint(300, 800)
        self.trace("runner_receive_first_ingest_segment", rx_at, info, payload_lag_ms=2)
        if old.running_from is None:
            running_from = self._processed_edges(new, info, rx_at, rx_at + rng.randint(800, 2_500))
        else:
            running_from = rx_at + rng.randint(500, 1_500)
        segments.append(_Segment(new, info, rx_at, running_from, True))
        return swap_at

    def _status_series(self, segments: list[_Segment], start_time: int, first_at: int) -> None:
        """Status samples every ~10 s from start_time on, the first one not before `first_at`."""
        # The hot loop of the simulator: one random() per small integer instead of randint().
        rand, gauss, put = self.rng.random, self.rng.gauss, self.put
        benign_at, model = self.benign_error_at, self.plan.model
        stream_id, request_id = self.stream_id, self.request_id
        params: dict[str, Any] = {"height": 512, "width": 512}
        params_hash, params_at = hex_id(self.rng, 32), start_time
        change = self.params_change
        previous_ts, state, state_at, output_at = start_time, "", start_time, None
        ts = start_time + _STATUS_PERIOD_MS
        while ts < first_at:
            ts += _STATUS_PERIOD_MS
        while ts < self.end:
            segment = segments[0]
            if len(segments) > 1 and segments[1].starts_at <= ts:
                segment = segments[1]
            profile = segment.orch.profile
            if segment.running_from is None or ts < segment.running_from:
                new_state, fps = "LOADING", 0.0
            else:
                roll = rand()
                new_state = "ONLINE"
                if roll < profile.degraded_sample / 2:
                    new_state = "DEGRADED_INFERENCE"
                elif roll < profile.degraded_sample:
                    new_state = "DEGRADED_INPUT"
                fps = max(0.5, gauss(profile.fps.mean, profile.fps.stddev)) if segment.fps_on else 0.0
            if new_state != state:
                state, state_at = new_state, max(start_time, ts - 100 - int(rand() * 8_900))
            if fps > 0:
                output_at = ts - 40 - int(rand() * 80)
            if change is not None and change[0] <= ts:
                params_at, params, params_hash = change
            sticky = benign_at is not None and benign_at <= ts
            data_ts = ts + int(rand() * 4)
            put(
                "ai_stream_status",
                ts,
                {
                    "inference_status": {
                        "fps": fps,
                        "last_error": _BENIGN_ERROR if sticky else None,
                        "last_error_time": benign_at if sticky else None,
                        "last_output_time": output_at,
                        "last_params": params,
                        "last_params_hash": params_hash,
                        "last_params_update_time": params_at,
                        "last_restart_logs": None,
                        "last_restart_time": None,
                        "restart_count": 0,
                    },
                    "input_status": {
                        "fps": 17.0 + 7.0 * rand(),
                        "last_input_time": ts - 5 - int(rand() * 105),
                    },
                    "last_state_update_time": state_at,
                    "last_status_timestamp": previous_ts,
                    "orchestrator_info": segment.info,
                    "pipeline": model,
                    "pipeline_id": "",
                    "request_id": request_id,
                    "start_time": start_time,
                    "state": state,
                    "stream_id": stream_id,
                    "timestamp": data_ts,
                    "type": "status",
                },
            )
            previous_ts = data_ts
            ts += _STATUS_PERIOD_MS - 15 + int(rand() * 31)

    def _ingest_metrics(self, t0: int) -> None:
        """WHIP transport stats every ~5 s; byte and packet counters are cumulative (§1.6)."""
        rand, put, stream_id, request_id = self.rng.random, self.put, self.stream_id, self.request_id
        received = sent = video = audio = lost = 0
        ts = t0 + _INGEST_PERIOD_MS + 200 + int(rand() * 200)
        while ts < self.end:
            u = rand()
            received += 400_000 + int(u * 160_000)
            sent += 3_000 + int(u * 1_000)
            video += 380 + int(u * 80)
            audio += 250
            if u < 0.05:
                lost += 1
            put(
                "stream_ingest_metrics",
                ts,
                {
                    "pipeline_id": "",
                    "request_id": request_id,
                    "stats": {
                        "peer_conn_stats": {
                            "ID": "iceTransport",
                            "BytesReceived": received,
                            "BytesSent": sent,
                        },
                        "track_stats": [
                            {
                                "type": "video",
                                "jitter": 4.0 + 9.0 * rand(),
                                "packets_lost": lost,
                                "packets_received": video,
                                "packet_loss_pct": 100 * lost / video if lost else 0,
                                "rtt": 0,
                                "last_input_ts": (ts - t0 - 400) / 1000,
                                "last_output_ts": 0,
                                "latency": 0,
                            },
                            {
                                "type": "audio",
                                "jitter": 19.8 + 0.6 * rand(),
                                "packets_lost": 0,
                                "packets_received": audio,
                                "packet_loss_pct": 0,
                                "rtt": 0,
                                "last_input_ts": (ts - t0 - 450) / 1000,
                                "last_output_ts": 0,
                                "latency": 0,
                            },
                        ],
                        "conn_quality": "good",
                    },
                    "stream_id": stream_id,
                    "timestamp": ts,
                },
            )
            ts += _INGEST_PERIOD_MS - 10 + int(rand() * 21)

    def _extras(self) -> None:
        """Non-fatal stream events: a prompt update, and a disconnect error when a playable stream ends."""
        rng, plan = self.rng, self.plan
        if self.params_change is not None:
            at, params, _ = self.params_change
            self.stream_event(at, "params_update", params=params)
        close_error_rate = self.ctx.scenario.demand.live.close_error_rate
        if plan.kind in ("success", "swap") and not plan.unclosed and rng.random() < close_error_rate:
            self.error(self.end - rng.randint(50, 400), _CLOSE_MESSAGE)


def _info(orch: Orchestrator) -> dict[str, str]:
    # Live telemetry names the hot wallet, lower case, plus the service URI (§1.4).
    return {"address": orch.hot_wallet.lower(), "url": orch.uri}


def _draw(rng: Random, normal: Normal, low: int, high: int) -> int:
    return int(min(max(rng.gauss(normal.mean, normal.stddev), low), high))
