"""Live video-to-video sessions: what happens in each (a plan) and the wire events it produces.

Shapes and cadences follow the 2026-01-08 capture (reference-behaviour.md §1.6, §1.7): trace edges with
`orchestrator_info` empty on request/no-orch/close, status samples every ~10 s, ingest metrics every ~5 s,
payments at start and then as refills. The outcome kinds are described in ingest/sandbox/scenarios/README.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from ingest.sandbox.simulate.arrivals import Weighted, arrival_times
from ingest.sandbox.simulate.clock import HOUR_MS, hour_of
from ingest.sandbox.simulate.payments import LivePayer, PaymentLedger, emit_live_payments
from ingest.sandbox.simulate.scenario import Gateway, Normal, Orchestrator, Scenario
from ingest.sandbox.simulate.supply import discovery_data
from ingest.sandbox.simulate.wire import Emitter, base36, hex_id

KINDS = (
    "success",
    "no_orchestrator",
    "unexcused_failure",
    "excusable_failure",
    "loading_only",
    "zero_output",
    "swap",
    "unrequested",
)
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
# Sessions start a little after the window opens, so the first capability snapshot precedes them.
_FIRST_SESSION_OFFSET_MS = 1_000
_COVERAGE_SPACING_MS = 15_000
_COVERAGE_DURATION_MS = 150_000


@dataclass(frozen=True)
class SessionPlan:
    kind: str
    label: str  # the coverage case a scripted session stands for; "" for random sessions
    t0: int
    gateway: Gateway
    model: str
    orch: Orchestrator | None
    swap_to: Orchestrator | None
    duration_ms: int
    unclosed: bool


@dataclass
class LiveContext:
    em: Emitter
    rng: Random
    scenario: Scenario
    ledger: PaymentLedger
    used_ids: set[str] = field(default_factory=set)

    def unique(self, make: Callable[[], str]) -> str:
        # Membership checks only: the set is never iterated, so hash randomisation cannot leak in.
        while True:
            value = make()
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value


class LivePlanner:
    """Turns the scenario's live demand into session plans."""

    def __init__(self, scenario: Scenario, rng: Random) -> None:
        self.scenario, self.rng = scenario, rng
        self.live = scenario.demand.live
        self.gateways = Weighted(scenario.gateways, [g.weight for g in scenario.gateways])
        self.servers: dict[str, Weighted[Orchestrator]] = {}
        for model in sorted({m for o in scenario.orchestrators for m in o.live_models}):
            servers = [o for o in scenario.orchestrators if model in o.live_models]
            self.servers[model] = Weighted(servers, [o.weight for o in servers])

    def random_plans(self, start_ms: int, end_ms: int, scale: float) -> list[SessionPlan]:
        plans = []
        first = start_ms + _FIRST_SESSION_OFFSET_MS
        for model, per_hour in self.live.sessions_per_hour.items():
            for t0 in arrival_times(self.rng, per_hour * scale, first, end_ms, self.scenario.demand):
                plans.append(self._random_plan(model, t0))
        return plans

    def _random_plan(self, model: str, t0: int) -> SessionPlan:
        rng, live = self.rng, self.live
        gateway = self.gateways.pick(rng)
        if rng.random() < live.no_orchestrator_rate:
            return self._plan("no_orchestrator", t0, gateway, model, None)
        orch = self.servers[model].pick(rng)
        profile, u = orch.profile, rng.random()
        kind, cumulative = "success", 0.0
        for probability, outcome in (
            (profile.startup_failure, "failure"),
            (profile.loading_only, "loading_only"),
            (profile.no_output, "zero_output"),
            (profile.swap, "swap"),
        ):
            cumulative += probability
            if u < cumulative:
                kind = outcome
                break
        if kind == "failure":
            kind = "excusable_failure" if rng.random() < live.excusable_failure_share else "unexcused_failure"
        if kind == "success" and rng.random() < live.unrequested_rate:
            kind = "unrequested"
        return self._plan(kind, t0, gateway, model, orch)

    def _plan(
        self, kind: str, t0: int, gateway: Gateway, model: str, orch: Orchestrator | None, label: str = ""
    ) -> SessionPlan:
        rng = self.rng
        swap_to = self.swap_target(orch, model) if kind == "swap" and orch is not None else None
        if kind == "swap" and swap_to is None:
            kind = "success"
        d = self.live.duration
        duration = d.median_s * math.exp(d.sigma * rng.gauss(0.0, 1.0))
        duration_ms = int(1000 * min(max(duration, d.min_s), d.max_s))
        if kind == "no_orchestrator":
            duration_ms = rng.randint(1_500, 3_000)
        elif kind in ("unexcused_failure", "excusable_failure"):
            duration_ms = rng.randint(4_000, 26_000)
        elif kind == "loading_only":
            duration_ms = min(duration_ms, rng.randint(20_000, 120_000))
        elif kind == "swap":
            duration_ms = max(duration_ms, 60_000)
        unclosed = rng.random() < self.live.unclosed_rate
        return SessionPlan(kind, label, t0, gateway, model, orch, swap_to, duration_ms, unclosed)

    def swap_target(self, orch: Orchestrator, model: str) -> Orchestrator | None:
        """Another server of the model behind a different hot wallet.

        With the same hot wallet the identity (lower-cased address) would not change, so the reference
        would keep the abandoned orchestrator as the session's final selection (§2.4).
        """
        servers = self.servers[model]
        candidates = [o for o in servers.items if o.hot_wallet.lower() != orch.hot_wallet.lower()]
        return self.rng.choice(candidates) if candidates else None

    def coverage_plans(self, start_ms: int, end_ms: int) -> list[SessionPlan]:
        """One scripted session per outcome kind and labelled edge case (guarantee_coverage)."""
        if not self.live.sessions_per_hour:
            return []
        model = next(iter(self.live.sessions_per_hour))
        servers = self.servers[model].items
        advertised = [o for o in servers if o.advertised]
        hidden = [o for o in servers if not o.advertised]
        if not advertised:
            return []
        main = advertised[0]
        cases: list[tuple[str, str, Orchestrator | None]] = [(k, k, main) for k in KINDS]
        cases[1] = ("no_orchestrator", "no_orchestrator", None)
        cases.append(("success", "unclosed", main))
        if hidden:
            cases.append(("success", "unresolved", hidden[0]))
        gateways = self.scenario.gateways
        plans = []
        for i, (kind, label, orch) in enumerate(cases):
            t0 = start_ms + _FIRST_SESSION_OFFSET_MS + i * _COVERAGE_SPACING_MS + self.rng.randint(0, 999)
            plan = self._plan(kind, t0, gateways[i % len(gateways)], model, orch, label)
            if kind in ("success", "zero_output", "swap", "unrequested"):
                plan = _replace(plan, duration_ms=_COVERAGE_DURATION_MS)
            plans.append(_replace(plan, unclosed=label == "unclosed"))
        boundary = hour_of(start_ms) + HOUR_MS
        crossing = self._plan("success", boundary - 90_000, gateways[0], model, main, "hour_crossing")
        plans.append(_replace(crossing, duration_ms=240_000, unclosed=False))
        # A loading-only stream that starts 15 s before the hour and closes 12 s after it: one LOADING
        # sample on each side, so the second hour is a terminal-tail artifact (reference-behaviour §2.9).
        tail = self._plan(
            "loading_only", boundary - 15_000, gateways[-1], model, main, "rollover_terminal_tail"
        )
        plans.append(_replace(tail, duration_ms=27_000, unclosed=False))
        first = start_ms + _FIRST_SESSION_OFFSET_MS
        return [p for p in plans if p.t0 >= first and p.t0 + p.duration_ms < end_ms]


def _replace(plan: SessionPlan, **changes: Any) -> SessionPlan:
    return SessionPlan(**{**plan.__dict__, **changes})


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
