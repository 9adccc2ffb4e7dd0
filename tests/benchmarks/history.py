"""Several simulated network days through the real pipeline, and micro-batches on top of them.

Shared by the benchmarks that need history: each day is simulated on its own date (bounded
memory), produced with librdkafka onto the scenario's own topics (so both organisations stay
apart, as in production), and ingested with `naap ingest --once`; then one full `naap build`.
A micro-batch is the next few simulated minutes after the newest event, ingested and built
incrementally. The broker lives as long as the `History`, since the lake's positions refer to
its offsets.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_build import naap
from bench_ingest import produce, wire_message
from process_memory import Run

from ingest.sandbox.broker import EmbeddedBroker
from ingest.sandbox.simulate import load_scenario, simulate

START = datetime(2026, 1, 1, tzinfo=UTC)
TOPICS = ("network_events", "streaming_events")
MICRO_BATCH_HOURS = 5 / 60  # one micro-batch: the 5 simulated minutes after the newest event


@dataclass
class History:
    env: dict[str, str]
    bootstrap: str
    scale: float
    end: datetime = START
    seed: int = 42
    events: int = 0
    stages: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, hours: float) -> tuple[int, float]:
        """Simulate `hours` after the newest one, produce and ingest them; (events, ingest seconds)."""
        events = self.produce(hours)
        return events, self.ingest().seconds

    def produce(self, hours: float) -> int:
        """Simulate `hours` after the newest one and produce them (not ingested); the events produced."""
        t0 = time.perf_counter()
        records = simulate(
            load_scenario("network-day"), start=self.end, hours=hours, seed=self.seed, scale=self.scale
        ).records
        self.seed += 1
        self.end += timedelta(hours=hours)
        by_topic: dict[str, list[tuple[bytes | None, bytes]]] = defaultdict(list)
        for record in records:
            by_topic[record["topic"]].append(wire_message(record))
        del records
        t1 = time.perf_counter()
        self.stages["simulate"] += t1 - t0
        for topic, messages in by_topic.items():
            produce(self.bootstrap, messages, topic)
        self.stages["produce"] += time.perf_counter() - t1
        events = sum(len(m) for m in by_topic.values())
        self.events += events
        return events

    def ingest(self) -> Run:
        """`naap ingest --once` of everything produced so far."""
        run = naap(self.env, "ingest", "--once")
        self.stages["ingest"] += run.seconds
        return run

    def build(self) -> tuple[float, str]:
        """`naap build` (incremental after the first); seconds and its one-line scope summary."""
        run = naap(self.env, "build")
        scope = next((line for line in run.stdout.splitlines() if line.startswith("build: incremental:")), "")
        return run.seconds, scope.removeprefix("build: ")


def pipeline_env(data_dir: Path, bootstrap: str) -> dict[str, str]:
    """The environment of every `naap` command: this data dir and broker, both default topics."""
    env = {**os.environ, "NAAP_DATA_DIR": str(data_dir), "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    for name in ("NAAP_TOPICS", "NAAP_TOPIC_ORGS", "NAAP_FAULT_POINT"):
        env.pop(name, None)  # the defaults: both topics, each with its organisation
    return env


@contextmanager
def history(data_dir: Path, days: int, scale: float) -> Iterator[History]:
    """A broker and a data dir holding `days` simulated network days, ingested and built."""
    log = Path(tempfile.gettempdir()) / "naap-bench-history-broker.log"
    with EmbeddedBroker(log_path=log) as broker:
        broker.create_topics(TOPICS, partitions=3)
        made = History(pipeline_env(data_dir, broker.bootstrap_servers), broker.bootstrap_servers, scale)
        for _ in range(days):
            t_day = time.perf_counter()
            events, ingest_s = made.add(24)
            print(
                f"  {made.end - timedelta(days=1):%Y-%m-%d}: {events:,} events, ingested in {ingest_s:.1f} s "
                f"(day {time.perf_counter() - t_day:.0f} s)",
                flush=True,
            )
        made.stages["build"], _ = made.build()
        yield made
