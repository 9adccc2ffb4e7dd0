"""A scenario as the simulator reads it: frozen dataclasses, one per section of the YAML file.

`scenario_file.load_scenario` builds one from a file and rejects what the simulator would
misread; every key is documented in ingest/sandbox/scenarios/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

LIVE_PIPELINE = "live-video-to-video"
# Builtin request pipelines and their capability ids (reference-behaviour.md §1.6, catalog seed).
BATCH_CAPABILITY_IDS = {
    "text-to-image": 27,
    "image-to-image": 28,
    "image-to-video": 29,
    "upscale": 30,
    "audio-to-text": 31,
    "segment-anything-2": 32,
    "image-to-text": 34,
    "text-to-speech": 36,
}


@dataclass(frozen=True)
class Normal:
    mean: float
    stddev: float


@dataclass(frozen=True)
class Profile:
    name: str
    startup_failure: float
    no_output: float
    loading_only: float
    swap: float
    degraded_sample: float
    job_failure: float
    fps: Normal
    startup_ms: Normal
    e2e_ms: Normal
    discovery_ms: Normal
    job_ms: Normal


@dataclass(frozen=True)
class Gpu:
    id: str
    name: str
    memory_bytes: int
    major: int
    minor: int | None


@dataclass(frozen=True)
class Offer:
    """A request capability an orchestrator serves: (pipeline or BYOC capability name, model)."""

    name: str
    model: str


@dataclass(frozen=True)
class Orchestrator:
    address: str
    hot_wallet: str
    uri: str
    version: str
    profile: Profile
    weight: float
    advertised: bool
    gpus: tuple[Gpu, ...]
    live_models: tuple[str, ...]
    batch: tuple[Offer, ...]
    llm_models: tuple[str, ...]
    byoc: tuple[Offer, ...]
    price_wei_per_pixel: int
    price_info: tuple[int, int] | None


@dataclass(frozen=True)
class Gateway:
    address: str
    topic: str
    org: str
    weight: float
    broadcaster: str


@dataclass(frozen=True)
class Duration:
    median_s: float
    sigma: float
    min_s: float
    max_s: float


@dataclass(frozen=True)
class LiveDemand:
    sessions_per_hour: Mapping[str, float]
    duration: Duration
    no_orchestrator_rate: float
    excusable_failure_share: float
    unclosed_rate: float
    unrequested_rate: float
    benign_error_rate: float
    params_update_rate: float
    close_error_rate: float


@dataclass(frozen=True)
class JobDemand:
    per_hour: Mapping[str, float]
    no_orchestrator_rate: float
    streaming_share: float


@dataclass(frozen=True)
class Demand:
    diurnal_amplitude: float
    diurnal_peak_hour: float
    live: LiveDemand
    ai_batch: JobDemand
    llm: JobDemand
    byoc: JobDemand


@dataclass(frozen=True)
class Noise:
    malformed_per_hour: float
    oversized_message: bool


@dataclass(frozen=True)
class Delivery:
    duplicate_rate: float
    late_rate: float
    late_delay_min_s: float
    late_delay_max_s: float


@dataclass(frozen=True)
class Supply:
    capabilities_interval_s: float
    discovery_candidates: int
    worker_redrain: bool


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    default_start: datetime
    default_hours: float
    guarantee_coverage: bool
    gateways: tuple[Gateway, ...]
    orchestrators: tuple[Orchestrator, ...]
    demand: Demand
    noise: Noise
    delivery: Delivery
    supply: Supply
