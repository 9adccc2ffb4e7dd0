"""Load a scenario YAML file into its dataclasses (scenario.py), rejecting anything the simulator would misread.

Every key is documented in ingest/sandbox/scenarios/README.md. Errors name the file and the key path
(e.g. ``smoke.yaml: orchestrators[2].gpus[0].memory_bytes: expected an integer``).
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ingest.sandbox.simulate.errors import SimulationError
from ingest.sandbox.simulate.scenario import (
    BATCH_CAPABILITY_IDS,
    Delivery,
    Demand,
    Duration,
    Gateway,
    Gpu,
    JobDemand,
    LiveDemand,
    Noise,
    Offer,
    Orchestrator,
    Profile,
    Scenario,
    Supply,
)
from ingest.sandbox.simulate.yaml_section import ADDRESS, REQUIRED, Section
from ingest.settings import DEFAULT_TOPIC_ORGS

_SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# Attribution looks back at most 10 min from a selection to a snapshot (reference-behaviour.md §0).
MAX_CAPABILITIES_INTERVAL_S = 600.0


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario by name (a file under ingest/sandbox/scenarios/) or by path to a YAML file."""
    text, file, name = _read(name_or_path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SimulationError(f"{file}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse_scenario(raw, file, name)


def _read(name_or_path: str | Path) -> tuple[str, str, str]:
    text_name = str(name_or_path)
    if isinstance(name_or_path, Path) or text_name.endswith((".yaml", ".yml")) or "/" in text_name:
        path = Path(name_or_path)
        if not path.is_file():
            raise SimulationError(f"scenario file {text_name} does not exist")
        return path.read_text(encoding="utf-8"), path.name, path.stem
    if not _SCENARIO_NAME.match(text_name):
        raise SimulationError(f"scenario name {text_name!r} is neither a known name nor a .yaml path")
    folder = importlib.resources.files("ingest.sandbox") / "scenarios"
    resource = folder / f"{text_name}.yaml"
    if not resource.is_file():
        known = sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
        raise SimulationError(f"no scenario named {text_name!r}; known scenarios: {', '.join(known)}")
    return resource.read_text(encoding="utf-8"), f"scenarios/{text_name}.yaml", text_name


def parse_scenario(raw: Any, file: str, name: str) -> Scenario:
    top = Section(file, "", raw)
    description = top.text("description", "")
    default_start = _parse_start(top, "default_start")
    default_hours = top.number("default_hours", 1.0, low=1e-6)
    guarantee = top.boolean("guarantee_coverage", False)
    profiles = _parse_profiles(top)
    gateways = tuple(_parse_gateway(s) for s in top.sections("gateways", required=True))
    orchestrators = tuple(
        _parse_orchestrator(s, profiles) for s in top.sections("orchestrators", required=True)
    )
    demand = _parse_demand(top.section("demand"))
    noise_s = top.section("noise")
    noise = Noise(noise_s.number("malformed_per_hour", 0.0), noise_s.boolean("oversized_message", False))
    noise_s.finish()
    delivery = _parse_delivery(top.section("delivery"))
    supply_s = top.section("supply")
    supply = Supply(
        supply_s.number("capabilities_interval_s", 300.0, 1.0, MAX_CAPABILITIES_INTERVAL_S),
        supply_s.integer("discovery_candidates", 3, low=1),
        supply_s.boolean("worker_redrain", True),
    )
    supply_s.finish()
    top.finish()
    scenario = Scenario(
        name,
        description,
        default_start,
        default_hours,
        guarantee,
        gateways,
        orchestrators,
        demand,
        noise,
        delivery,
        supply,
    )
    _check_consistency(scenario, top)
    return scenario


def _parse_start(top: Section, key: str) -> datetime:
    value = top._get(key, "2026-01-08T00:00:00Z")
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise top.error(key, f"{value!r} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        raise top.error(key, "needs a UTC offset, e.g. 2026-01-08T21:50:00Z")
    return parsed.astimezone(UTC)


def _parse_profiles(top: Section) -> dict[str, Profile]:
    profiles = {"default": _parse_profile("default", Section(top.file, "profiles.default", {}))}
    section = top.section("profiles")
    for key in section.value:
        profiles[str(key)] = _parse_profile(str(key), section.section(str(key)))
    return profiles


def _parse_profile(name: str, s: Section) -> Profile:
    profile = Profile(
        name=name,
        startup_failure=s.probability("startup_failure", 0.02),
        no_output=s.probability("no_output", 0.01),
        loading_only=s.probability("loading_only", 0.01),
        swap=s.probability("swap", 0.02),
        degraded_sample=s.probability("degraded_sample", 0.03),
        job_failure=s.probability("job_failure", 0.03),
        fps=s.normal("fps", 16.0, 2.0),
        startup_ms=s.normal("startup_ms", 2600.0, 600.0),
        e2e_ms=s.normal("e2e_ms", 110.0, 30.0),
        discovery_ms=s.normal("discovery_ms", 80.0, 30.0),
        job_ms=s.normal("job_ms", 3000.0, 1200.0),
    )
    if profile.startup_failure + profile.no_output + profile.loading_only + profile.swap > 1.0:
        raise s.error("startup_failure", "startup_failure + no_output + loading_only + swap must be <= 1")
    s.finish()
    return profile


def _parse_gateway(s: Section) -> Gateway:
    address = s.text("address", "")
    if address and not ADDRESS.match(address):
        raise s.error("address", f"{address!r} is not '' or a 0x-prefixed 40-hex-digit address")
    topic = s.text("topic", "network_events")
    broadcaster = s.address("broadcaster", address or None)
    gateway = Gateway(
        address, topic, DEFAULT_TOPIC_ORGS.get(topic, topic), s.number("weight", 1.0, low=1e-9), broadcaster
    )
    s.finish()
    return gateway


def _parse_orchestrator(s: Section, profiles: Mapping[str, Profile]) -> Orchestrator:
    address = s.address("address")
    profile_name = s.text("profile", "default")
    if profile_name not in profiles:
        raise s.error("profile", f"unknown profile {profile_name!r} (defined: {', '.join(profiles)})")
    gpus = tuple(_parse_gpu(g) for g in s.sections("gpus"))
    price_info = None
    if "price_info" in s.value:
        p = s.section("price_info")
        price_info = (p.integer("price_per_unit", REQUIRED, low=1), p.integer("pixels_per_unit", 1, low=1))
        p.finish()
    orch = Orchestrator(
        address=address,
        hot_wallet=s.address("hot_wallet", address),
        uri=s.text("uri"),
        version=s.text("version", "0.8.8"),
        profile=profiles[profile_name],
        weight=s.number("weight", 1.0, low=1e-9),
        advertised=s.boolean("advertised", True),
        gpus=gpus,
        live_models=s.strings("live_models"),
        batch=tuple(_parse_offer(o, "pipeline") for o in s.sections("batch")),
        llm_models=s.strings("llm_models"),
        byoc=tuple(_parse_offer(o, "capability") for o in s.sections("byoc")),
        price_wei_per_pixel=s.integer("price_wei_per_pixel", 1600, low=1),
        price_info=price_info,
    )
    if orch.live_models and (len(orch.live_models) != 1 or len(gpus) != 1):
        # Live sessions are selected by URI with no model hint, so a second model or GPU behind the
        # same URI makes the reference attribution ambiguous or GPU-less (reference-behaviour.md §2.4).
        raise s.error(
            "live_models", "an orchestrator serving live video needs exactly one live model and one GPU"
        )
    for offer in orch.batch:
        if offer.name not in BATCH_CAPABILITY_IDS:
            raise s.error("batch", f"pipeline {offer.name!r} is not one of {', '.join(BATCH_CAPABILITY_IDS)}")
    s.finish()
    return orch


def _parse_gpu(s: Section) -> Gpu:
    gpu_id = s.text("id")
    if not gpu_id.startswith("GPU-"):
        raise s.error("id", f"{gpu_id!r} is not an NVML UUID of the form GPU-xxxxxxxx-...")
    minor = s.integer("minor", -1, low=-1)
    gpu = Gpu(
        gpu_id,
        s.text("name"),
        s.integer("memory_bytes", REQUIRED, low=1),
        s.integer("major", 8),
        None if minor < 0 else minor,
    )
    s.finish()
    return gpu


def _parse_offer(s: Section, name_key: str) -> Offer:
    offer = Offer(s.text(name_key), s.text("model"))
    s.finish()
    return offer


def _parse_demand(s: Section) -> Demand:
    live_s = s.section("live")
    duration_s = live_s.section("duration_s")
    duration = Duration(
        duration_s.number("median", 360.0, low=1.0),
        duration_s.number("sigma", 1.0),
        duration_s.number("min", 20.0, low=1.0),
        duration_s.number("max", 7200.0, low=1.0),
    )
    if duration.min_s > duration.max_s:
        raise duration_s.error("min", "must not exceed max")
    duration_s.finish()
    live = LiveDemand(
        sessions_per_hour=live_s.rates("sessions_per_hour"),
        duration=duration,
        no_orchestrator_rate=live_s.probability("no_orchestrator_rate", 0.02),
        excusable_failure_share=live_s.probability("excusable_failure_share", 0.4),
        unclosed_rate=live_s.probability("unclosed_rate", 0.03),
        unrequested_rate=live_s.probability("unrequested_rate", 0.005),
        benign_error_rate=live_s.probability("benign_error_rate", 0.05),
        params_update_rate=live_s.probability("params_update_rate", 0.1),
        close_error_rate=live_s.probability("close_error_rate", 0.1),
    )
    live_s.finish()
    demand = Demand(
        diurnal_amplitude=s.probability("diurnal_amplitude", 0.0),
        diurnal_peak_hour=s.number("diurnal_peak_hour", 18.0, 0.0, 24.0),
        live=live,
        ai_batch=_parse_jobs(s.section("ai_batch"), "jobs_per_hour", streams=False),
        llm=_parse_jobs(s.section("llm"), "requests_per_hour", streams=True),
        byoc=_parse_jobs(s.section("byoc"), "jobs_per_hour", streams=True),
    )
    s.finish()
    return demand


def _parse_jobs(s: Section, rate_key: str, streams: bool) -> JobDemand:
    streaming_share = s.probability("streaming_share", 0.5) if streams else 0.0
    jobs = JobDemand(s.rates(rate_key), s.probability("no_orchestrator_rate", 0.02), streaming_share)
    s.finish()
    return jobs


def _parse_delivery(s: Section) -> Delivery:
    delivery = Delivery(
        s.probability("duplicate_rate", 0.001),
        s.probability("late_rate", 0.0005),
        s.number("late_delay_min_s", 600.0, low=60.0),
        s.number("late_delay_max_s", 10800.0, low=60.0),
    )
    if delivery.late_delay_min_s > delivery.late_delay_max_s:
        raise s.error("late_delay_min_s", "must not exceed late_delay_max_s")
    if delivery.duplicate_rate + delivery.late_rate > 1.0:
        raise s.error("duplicate_rate", "duplicate_rate + late_rate must be <= 1")
    s.finish()
    return delivery


def _check_consistency(scenario: Scenario, top: Section) -> None:
    """Cross-references a per-key check cannot see: every demanded thing must have a server."""
    uris: dict[str, int] = {}
    for i, orch in enumerate(scenario.orchestrators):
        if orch.uri in uris:
            raise top.error(
                f"orchestrators[{i}].uri", f"{orch.uri!r} is also used by orchestrators[{uris[orch.uri]}]"
            )
        uris[orch.uri] = i
    seen: dict[tuple[str, str], int] = {}
    for i, gw in enumerate(scenario.gateways):
        key = (gw.topic, gw.address)
        if key in seen:
            raise top.error(f"gateways[{i}]", f"same topic and address as gateways[{seen[key]}]")
        seen[key] = i
    orchs = scenario.orchestrators
    served = {
        "demand.live.sessions_per_hour": {m for o in orchs for m in o.live_models},
        "demand.ai_batch.jobs_per_hour": {b.name for o in orchs if o.advertised for b in o.batch},
        "demand.llm.requests_per_hour": {m for o in orchs if o.advertised for m in o.llm_models},
        "demand.byoc.jobs_per_hour": {b.name for o in orchs if o.advertised for b in o.byoc},
    }
    demanded = {
        "demand.live.sessions_per_hour": scenario.demand.live.sessions_per_hour,
        "demand.ai_batch.jobs_per_hour": scenario.demand.ai_batch.per_hour,
        "demand.llm.requests_per_hour": scenario.demand.llm.per_hour,
        "demand.byoc.jobs_per_hour": scenario.demand.byoc.per_hour,
    }
    for key, rates in demanded.items():
        for name in rates:
            if name not in served[key]:
                raise SimulationError(f"{top.file}: {key}: no (advertised) orchestrator serves {name!r}")
