"""Settings read from environment variables (documented in README.md and .env.example).

Read once per command, never at import time, so tests and Dagster resources can
override them per call.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import NaapError

DEFAULT_TOPICS = ("network_events", "streaming_events")
DEFAULT_TOPIC_ORGS = {"network_events": "daydream", "streaming_events": "cloudspe"}
DEFAULT_CONSUMER_GROUP = "naap-warehouse"
DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"
# The explorer's limit per client address (api-contract.md 5.7): requests per second sustained, and the
# burst a client that has been quiet may send at once.
DEFAULT_API_RATE = 100.0
DEFAULT_API_BURST = 200
_MEMORY_SIZE = re.compile(r"[0-9]+(\.[0-9]+)?\s*([KMGT]i?B)", re.IGNORECASE)


class SettingsError(NaapError, ValueError):
    """A setting has a value the warehouse cannot use."""


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str | None
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    consumer_group: str = DEFAULT_CONSUMER_GROUP

    def client_config(self) -> dict[str, object]:
        """Keyword arguments shared by every kafka-python client we build."""
        if not self.bootstrap_servers:
            raise SettingsError("KAFKA_BOOTSTRAP_SERVERS is not set")
        config: dict[str, object] = {
            "bootstrap_servers": [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()],
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            config["sasl_mechanism"] = self.sasl_mechanism
            config["sasl_plain_username"] = self.sasl_username
            config["sasl_plain_password"] = self.sasl_password
        if self.ssl_cafile:
            config["ssl_cafile"] = self.ssl_cafile
        return config


@dataclass(frozen=True)
class RateLimitSettings:
    """Token buckets per client address; `rate` None: no limit (NAAP_API_RATE=off or 0)."""

    rate: float | None = DEFAULT_API_RATE
    burst: int = DEFAULT_API_BURST


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    topics: tuple[str, ...]
    topic_orgs: Mapping[str, str]
    kafka: KafkaSettings
    ingest_interval_s: float = 60.0
    batch_max_events: int = 250_000
    ingest_workers: int = 2
    snapshots_keep: int = 7
    # DuckDB's own default is 80 % of RAM; the profile in dbt_project/profiles.yml has the same default.
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    api_rate_limit: RateLimitSettings = RateLimitSettings()
    api_time_limit_ms: int | None = None

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    def org_for(self, topic: str) -> str:
        """The org of a topic: the configured map, else the topic's own name (semantics.md)."""
        return self.topic_orgs.get(topic, topic)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            data_dir=Path(env.get("NAAP_DATA_DIR") or "./data").expanduser().resolve(),
            topics=parse_topics(env.get("NAAP_TOPICS")),
            topic_orgs=parse_topic_orgs(env.get("NAAP_TOPIC_ORGS")),
            kafka=KafkaSettings(
                bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
                security_protocol=env.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT",
                sasl_mechanism=env.get("KAFKA_SASL_MECHANISM") or None,
                sasl_username=env.get("KAFKA_SASL_USERNAME") or None,
                sasl_password=env.get("KAFKA_SASL_PASSWORD") or None,
                ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
                consumer_group=env.get("KAFKA_CONSUMER_GROUP") or DEFAULT_CONSUMER_GROUP,
            ),
            ingest_interval_s=_positive_float(env, "NAAP_INGEST_INTERVAL_S", 60.0),
            batch_max_events=int(_positive_float(env, "NAAP_BATCH_MAX_EVENTS", 250_000)),
            ingest_workers=_positive_int(env, "NAAP_INGEST_WORKERS", os.cpu_count() or 1),
            snapshots_keep=_positive_int(env, "NAAP_SNAPSHOTS_KEEP", 7),
            duckdb_memory_limit=_memory_size(env, "NAAP_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
            # Every command checks it, so `naap run` refuses a bad value at its start, not when it
            # starts the explorer after building.
            api_rate_limit=parse_rate_limit(env),
            api_time_limit_ms=parse_api_time_limit_ms(env),
        )


def parse_topics(value: str | None) -> tuple[str, ...]:
    if not value:
        return DEFAULT_TOPICS
    topics = tuple(dict.fromkeys(t.strip() for t in value.split(",") if t.strip()))
    if not topics:
        raise SettingsError(f"NAAP_TOPICS={value!r} names no topic")
    return topics


def parse_topic_orgs(value: str | None) -> dict[str, str]:
    if not value:
        return dict(DEFAULT_TOPIC_ORGS)
    orgs: dict[str, str] = {}
    for pair in value.split(","):
        if not pair.strip():
            continue
        topic, sep, org = pair.partition("=")
        if not sep or not topic.strip() or not org.strip():
            raise SettingsError(f"NAAP_TOPIC_ORGS entry {pair!r} is not of the form topic=org")
        orgs[topic.strip()] = org.strip()
    return orgs


def parse_rate_limit(env: Mapping[str, str] | None = None) -> RateLimitSettings:
    """NAAP_API_RATE (requests per second, fractions allowed; `off` or 0 disables the limit) and
    NAAP_API_BURST (a positive whole number). Also read by the explorer's plugin on its own, for
    `datasette serve` with these plugins."""
    env = os.environ if env is None else env
    raw_burst = (env.get("NAAP_API_BURST") or "").strip()
    try:
        burst = int(raw_burst) if raw_burst else DEFAULT_API_BURST
    except ValueError:
        raise SettingsError(f"NAAP_API_BURST={raw_burst!r} must be a whole number of requests") from None
    if burst < 1:
        raise SettingsError(f"NAAP_API_BURST={raw_burst!r} must be at least 1 request")
    raw = (env.get("NAAP_API_RATE") or "").strip()
    if raw.lower() == "off":
        return RateLimitSettings(rate=None, burst=burst)
    try:
        rate = float(raw) if raw else DEFAULT_API_RATE
    except ValueError:
        raise SettingsError(f"NAAP_API_RATE={raw!r} is not a number (requests per second, or off)") from None
    if rate == 0:
        return RateLimitSettings(rate=None, burst=burst)
    if not math.isfinite(rate) or rate < 0:
        raise SettingsError(f"NAAP_API_RATE={raw!r} must be a positive number of requests per second, or off")
    return RateLimitSettings(rate=rate, burst=burst)


def parse_api_time_limit_ms(env: Mapping[str, str] | None = None) -> int | None:
    """NAAP_API_TIME_LIMIT_MS: the `/v1` queries' time limit in milliseconds (unset: Datasette's
    own `sql_time_limit_ms`, which also caps it). Read by the explorer's `/v1` plugin."""
    env = os.environ if env is None else env
    raw = (env.get("NAAP_API_TIME_LIMIT_MS") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(
            f"NAAP_API_TIME_LIMIT_MS={raw!r} must be a whole number of milliseconds, at least 1"
        )
    return int(raw)


def _memory_size(env: Mapping[str, str], name: str, default: str) -> str:
    value = (env.get(name) or default).strip()
    if not _MEMORY_SIZE.fullmatch(value):
        raise SettingsError(f"{name}={value!r} must be a size such as 4GB or 512MB")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _positive_float(env, name, default)
    if value != int(value):
        raise SettingsError(f"{name}={env[name]!r} must be a whole number")
    return int(value)


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be positive")
    return value
