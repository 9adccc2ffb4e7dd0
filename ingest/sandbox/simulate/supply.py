"""Supply-side events: `network_capabilities` snapshots, `discovery_results` and `worker_lifecycle`.

Snapshot entries imitate the network-capabilities fixture dumps: checksum-case addresses, keyed
`gpu_info`, PerCapability models with volatile `capacityInUse`, volatile GPU `memory_free`.
"""

from __future__ import annotations

from random import Random
from typing import Any
from urllib.parse import urlsplit

from ingest.sandbox.simulate.scenario import (
    BATCH_CAPABILITY_IDS,
    LIVE_PIPELINE,
    Gateway,
    Gpu,
    Orchestrator,
    Scenario,
)
from ingest.sandbox.simulate.wire import Emitter

LIVE_CAPABILITY = 35
LLM_CAPABILITY = 33
BYOC_CAPABILITY = 37
# Transcoding capabilities every node advertises (fixture dumps).
_TRANSCODING = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 26)
_RUNNER_VERSION = "0.14.0"
# Advertised prices per request capability (wei per unit), magnitudes from the fixture dumps.
BATCH_PRICE = 4_768_371
LLM_PRICE = 56_909_258
BYOC_PRICE = 2_500
_LLM_CAPACITY = 16


def worker_url(orch: Orchestrator, index: int) -> str:
    return f"http://{urlsplit(orch.uri).hostname}:{8100 + index}"


def emit_capability_snapshots(em: Emitter, rng: Random, scenario: Scenario) -> None:
    """One snapshot per org every capabilities_interval_s, the first at the window start.

    Each org's gateways take turns; every advertised orchestrator is in every snapshot, so a live
    selection is never more than one interval (<= 10 min) after a snapshot of its URI.
    """
    advertised = [o for o in scenario.orchestrators if o.advertised]
    interval_ms = int(scenario.supply.capabilities_interval_s * 1000)
    for gateways in _gateways_by_org(scenario).values():
        ts, turn = em.start_ms, 0
        while ts < em.end_ms:
            gw = gateways[turn % len(gateways)]
            em.emit(gw.topic, "network_capabilities", ts, gw.address, [_entry(o, rng) for o in advertised])
            ts += interval_ms
            turn += 1


def _gateways_by_org(scenario: Scenario) -> dict[str, list[Gateway]]:
    by_org: dict[str, list[Gateway]] = {}
    for gw in scenario.gateways:
        by_org.setdefault(gw.org, []).append(gw)
    return by_org


def _entry(orch: Orchestrator, rng: Random) -> dict[str, Any]:
    capacities = dict.fromkeys(_TRANSCODING, 1)
    per_capability: dict[str, dict[str, Any]] = {}
    prices: list[dict[str, Any]] = []

    def offer(cap: int, model: str, capacity: int, price: int | None) -> None:
        capacities[cap] = capacities.get(cap, 0) + capacity
        models = per_capability.setdefault(str(cap), {"models": {}})["models"]
        models[model] = {
            "warm": True,
            "capacity": capacity,
            "capacityInUse": rng.randint(0, capacity),
            "runnerVersion": _RUNNER_VERSION,
        }
        if price is not None:
            prices.append({"pricePerUnit": price, "pixelsPerUnit": 1, "capability": cap, "constraint": model})

    for model in orch.live_models:
        offer(LIVE_CAPABILITY, model, 1, orch.price_wei_per_pixel)
    for b in orch.batch:
        offer(BATCH_CAPABILITY_IDS[b.name], b.model, 1, BATCH_PRICE)
    for model in orch.llm_models:
        offer(LLM_CAPABILITY, model, _LLM_CAPACITY, LLM_PRICE)
    for b in orch.byoc:
        capacities[BYOC_CAPABILITY] = capacities.get(BYOC_CAPABILITY, 0) + 1
        prices.append(
            {
                "pricePerUnit": BYOC_PRICE,
                "pixelsPerUnit": 1,
                "capability": BYOC_CAPABILITY,
                "constraint": b.name,
            }
        )
    constraints: dict[str, Any] = {"minVersion": orch.version}
    if per_capability:
        constraints["PerCapability"] = per_capability
    entry: dict[str, Any] = {
        "address": orch.address,
        "local_address": orch.hot_wallet,
        "orch_uri": orch.uri,
        "capabilities": {
            "bitstring": [sum(1 << cap for cap in capacities)],
            "capacities": {str(cap): n for cap, n in sorted(capacities.items())},
            "version": orch.version,
            "constraints": constraints,
        },
        "capabilities_prices": prices or None,
        "hardware": _hardware(orch, rng),
    }
    if orch.price_info is not None:
        entry["price_info"] = {"pricePerUnit": orch.price_info[0], "pixelsPerUnit": orch.price_info[1]}
    if orch.byoc:
        entry["capability_options"] = {b.name: [{"model": b.model}] for b in orch.byoc}
    return entry


def _hardware(orch: Orchestrator, rng: Random) -> list[dict[str, Any]] | None:
    """Live hosts list only their live model (see scenario validation); others list each offer on a GPU."""
    if not orch.gpus:
        return None
    if orch.live_models:
        return [_hw(LIVE_PIPELINE, orch.live_models[0], orch.gpus[0], rng)]
    offers = [(b.name, b.model) for b in orch.batch] + [(b.name, b.model) for b in orch.byoc]
    hardware = [
        _hw(name, model, orch.gpus[i % len(orch.gpus)], rng) for i, (name, model) in enumerate(offers)
    ]
    # LLM runners report no GPU details (fixture dumps).
    hardware += [{"pipeline": "llm", "model_id": model} for model in orch.llm_models]
    return hardware or None


def _hw(pipeline: str, model: str, gpu: Gpu, rng: Random) -> dict[str, Any]:
    info: dict[str, Any] = {"id": gpu.id, "name": gpu.name, "major": gpu.major}
    if gpu.minor is not None:
        info["minor"] = gpu.minor
    info["memory_free"] = gpu.memory_bytes - rng.randint(gpu.memory_bytes // 20, gpu.memory_bytes // 2)
    info["memory_total"] = gpu.memory_bytes
    return {"pipeline": pipeline, "model_id": model, "gpu_info": {"0": info}}


def discovery_data(
    rng: Random, chosen: Orchestrator, others: list[Orchestrator], size: int
) -> list[dict[str, str]]:
    """A gateway's discovery answer: hot wallets (lower case), URLs, latency as a string, fastest first."""
    pool = [o for o in others if o.uri != chosen.uri]
    picked = [chosen, *rng.sample(pool, min(size - 1, len(pool)))]
    rows = []
    for orch in picked:
        latency = max(5, int(rng.gauss(orch.profile.discovery_ms.mean, orch.profile.discovery_ms.stddev)))
        rows.append((latency, orch))
    rows.sort(key=lambda row: (row[0], row[1].uri))
    return [{"address": o.hot_wallet.lower(), "latency_ms": str(lat), "url": o.uri} for lat, o in rows]


def emit_worker_lifecycle(em: Emitter, rng: Random, scenario: Scenario) -> int:
    """Register every BYOC worker in each org, with occasional restarts and capacity exhaustion.

    Returns the number of re-drained registrations: the same payload (same data.id) re-sent under a new
    envelope id, as an orchestrator re-drains its outbox after a reconnect (one per org when enabled).
    """
    redrains = 0
    window_ms = em.end_ms - em.start_ms
    for gateways in _gateways_by_org(scenario).values():
        gw = gateways[0]
        redrain_pending = scenario.supply.worker_redrain
        workers = [(o, i, b) for o in scenario.orchestrators if o.advertised for i, b in enumerate(o.byoc)]
        for orch, index, offer in workers:
            registered_at = em.start_ms + rng.randint(1_000, 60_000)
            events = [("worker_registered", registered_at)]
            if rng.random() < 0.3:
                events.append(("worker_capacity_exhausted", em.start_ms + rng.randint(0, window_ms)))
            if rng.random() < 0.2:
                down_at = em.start_ms + rng.randint(0, window_ms)
                events += [
                    ("worker_unregistered", down_at),
                    ("worker_registered", down_at + rng.randint(10_000, 90_000)),
                ]
            for kind, ts in events:
                data = {
                    "capability": offer.name,
                    "id": em.new_id(),
                    "orchestrator_info": {"address": orch.address.lower(), "url": orch.uri},
                    "price_per_unit": BYOC_PRICE,
                    "timestamp": ts,
                    "type": kind,
                    "worker_options": [{"model": offer.model}],
                    "worker_url": worker_url(orch, index),
                }
                sent = em.emit(gw.topic, "worker_lifecycle", ts, gw.address, data)
                redrain_at = ts + rng.randint(120_000, 600_000)
                if redrain_pending and sent is not None and em.in_window(redrain_at):
                    em.deliver(
                        gw.topic, {**sent, "id": em.new_id(), "timestamp": str(redrain_at)}, redrain_at
                    )
                    redrains += 1
                    redrain_pending = False
    return redrains
