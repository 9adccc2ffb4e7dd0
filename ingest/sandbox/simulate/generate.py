"""simulate(): run a scenario over a time window and return the produced records and their ground truth."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from random import Random
from typing import Any

from ingest.sandbox.simulate.clock import iso, to_ms
from ingest.sandbox.simulate.errors import SimulationError
from ingest.sandbox.simulate.jobs import JobWriter, RequestLedger
from ingest.sandbox.simulate.malformed import emit_malformed
from ingest.sandbox.simulate.payments import PaymentLedger
from ingest.sandbox.simulate.scenario import Scenario
from ingest.sandbox.simulate.scenario_file import load_scenario
from ingest.sandbox.simulate.session_events import LiveSessionWriter
from ingest.sandbox.simulate.sessions import LiveContext, LivePlanner
from ingest.sandbox.simulate.supply import emit_capability_snapshots, emit_worker_lifecycle
from ingest.sandbox.simulate.truth import AttributionIndex, SessionTruth, summarize_session
from ingest.sandbox.simulate.truth_hours import demand_hours, sla_hours
from ingest.sandbox.simulate.wire import Emitter

MAX_HOURS = 24 * 31


@dataclass(frozen=True)
class SimulationResult:
    records: list[dict[str, Any]]  # produce order; {"topic", "key", "value": envelope dict | raw str}
    truth: dict[str, Any]
    # When each record is produced (epoch ms): its event time, later for a late or repeated delivery.
    produce_ms: list[int] = field(default_factory=list)


def simulate(
    scenario: Scenario | str | Path,
    start: datetime | None = None,
    hours: float | None = None,
    seed: int = 7,
    scale: float = 1.0,
) -> SimulationResult:
    """Generate the scenario's traffic over [start, start + hours). Same arguments, same bytes.

    `start` and `hours` default to the scenario's default_start / default_hours; `scale` multiplies
    every demand rate (not noise counts).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    start = scenario.default_start if start is None else start
    hours = scenario.default_hours if hours is None else hours
    _check_arguments(start, hours, seed, scale)
    # A day is ~1M small acyclic dicts; cyclic-GC passes over them would cost ~40% of the run time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _simulate(scenario, start, hours, seed, scale)
    finally:
        if gc_was_enabled:
            gc.enable()


def _simulate(scenario: Scenario, start: datetime, hours: float, seed: int, scale: float) -> SimulationResult:
    start_ms = to_ms(start)
    end_ms = start_ms + round(hours * 3_600_000)

    # One seeded generator; each concern gets its own stream drawn from it in a fixed order, so adding
    # events of one kind does not reshuffle the others.
    root = Random(seed)
    supply_rng, live_rng, job_rng, noise_rng, delivery_rng, id_rng = (
        Random(root.getrandbits(64)) for _ in range(6)
    )
    em = Emitter(start_ms, end_ms, scenario.delivery, delivery_rng, id_rng)

    emit_capability_snapshots(em, supply_rng, scenario)
    redrains = emit_worker_lifecycle(em, supply_rng, scenario)
    payments = PaymentLedger()
    sessions = _run_live(em, live_rng, scenario, scale, payments)
    requests = RequestLedger()
    JobWriter(em, job_rng, scenario, requests).run(scale, scenario.guarantee_coverage)
    emit_malformed(em, noise_rng, scenario, hours)

    records, produce_ms = em.records_in_produce_order()
    quarantined = sum(em.quarantined_by_reason.values())
    truth = {
        "scenario": scenario.name,
        "seed": seed,
        "start": iso(start_ms),
        "hours": hours,
        "scale": scale,
        "counts": {
            "records": len(records),
            "by_topic": dict(sorted(em.by_topic.items())),
            "by_family": dict(sorted(em.by_family.items())),
            "accepted": len(records) - quarantined,
            "quarantined": quarantined,
            "quarantined_by_reason": dict(sorted(em.quarantined_by_reason.items())),
            "duplicate_deliveries": em.duplicate_deliveries,
            "late_deliveries": em.late_deliveries,
            "unique_accepted_events": len(records) - quarantined - em.duplicate_deliveries,
            "worker_lifecycle_redrains": redrains,
            "live_sessions": len(sessions),
        },
        "sessions": [s.entry for s in sessions],
        "orchestrator_hours": sla_hours(sessions, attributed=True),
        "unattributed_hours": sla_hours(sessions, attributed=False),
        "demand_hours": demand_hours(sessions),
        "request_hours": requests.truth(),
        "payments": payments.truth(),
    }
    return SimulationResult(records, truth, produce_ms)


def _check_arguments(start: datetime, hours: float, seed: int, scale: float) -> None:
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise SimulationError(f"start must be a timezone-aware datetime (e.g. UTC), got {start!r}")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_HOURS:
        raise SimulationError(f"hours must be a number in (0, {MAX_HOURS}], got {hours!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SimulationError(f"seed must be an integer, got {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 <= scale <= 1000:
        raise SimulationError(f"scale must be a number in [0, 1000], got {scale!r}")


def _run_live(
    em: Emitter, rng: Random, scenario: Scenario, scale: float, ledger: PaymentLedger
) -> list[SessionTruth]:
    planner = LivePlanner(scenario, rng)
    plans = planner.coverage_plans(em.start_ms, em.end_ms) if scenario.guarantee_coverage else []
    plans += planner.random_plans(em.start_ms, em.end_ms, scale)
    ctx = LiveContext(em, rng, scenario, ledger)
    index = AttributionIndex.of(scenario)
    sessions = []
    for plan in plans:
        writer = LiveSessionWriter(ctx, plan)
        evidence = writer.run()
        truncated = writer.end >= em.end_ms
        summary = summarize_session(
            plan.kind, plan.label, plan.gateway.org, plan.gateway.address, evidence, index, truncated
        )
        if summary is not None:
            sessions.append(summary)
    sessions.sort(key=lambda s: (s.entry["started_at"] or s.entry["last_seen"], s.entry["session_key"]))
    return sessions
