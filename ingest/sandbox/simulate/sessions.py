"""Live video-to-video sessions: what happens in each, as a plan (the outcome kinds are described in
ingest/sandbox/scenarios/README.md); session_events.py turns a plan into its wire events.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from ingest.sandbox.simulate.arrivals import Weighted, arrival_times
from ingest.sandbox.simulate.clock import HOUR_MS, hour_of
from ingest.sandbox.simulate.payments import PaymentLedger
from ingest.sandbox.simulate.scenario import Gateway, Orchestrator, Scenario
from ingest.sandbox.simulate.wire import Emitter

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
