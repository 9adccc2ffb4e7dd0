"""Ingest throughput against the client limit, measured in the same run.

Produces N simulated events (default 1M) into the embedded broker, then alternates
(a) a raw librdkafka drain of the topic (confluent-kafka, consume only),
(c) a kafka-python drain (the fixed stack's client, consume only) and
(b) `naap ingest --once` into a fresh lake, and prints the medians and the ratios.

    python tests/benchmarks/bench_ingest.py [--events 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from confluent_kafka import Consumer, Producer, TopicPartition
from kafka import TopicPartition as KafkaTopicPartition

from ingest.pull.clients import make_consumer
from ingest.sandbox.broker import EmbeddedBroker
from ingest.sandbox.simulate import load_scenario, simulate
from ingest.settings import KafkaSettings

TOPIC = "bench_events"
EVENTS_PER_SIMULATED_DAY = 1_111_018  # network-day at scale 1
PARTITIONS = 3


def simulated_values(events: int, chunk_hours: int = 1) -> list[tuple[bytes | None, bytes]]:
    """At least `events` wire messages from the network-day scenario, cut to `events`.

    The day is simulated `chunk_hours` at a time and kept only as bytes, about
    0.8 KB a message against about 2 KB as the simulator's dicts.
    """
    start = datetime(2026, 1, 8, tzinfo=UTC)
    # Hour-long runs cut the sessions that span hours: about 0.83 of a whole day's events.
    scale = max(1.0, 1.3 * events / EVENTS_PER_SIMULATED_DAY)
    out: list[tuple[bytes | None, bytes]] = []
    for chunk in range(24 // chunk_hours):
        result = simulate(
            load_scenario("network-day"),
            start=start + timedelta(hours=chunk * chunk_hours),
            hours=chunk_hours,
            seed=3 + chunk,
            scale=scale,
        )
        out.extend(wire_message(record) for record in result.records)
        del result
    if len(out) < events:
        raise SystemExit(f"the simulated day has {len(out):,} events, fewer than {events:,}")
    return out[:events]


def wire_message(record: dict) -> tuple[bytes | None, bytes]:
    """A simulated record as Kafka sends it: (key, value bytes); a string value is sent verbatim."""
    value = record["value"]
    # orjson's bytes keep the 4 KB buffer they were written into (4.4 KB a 750-byte message, measured);
    # an exact copy is 0.8 KB. Without it 5M kept messages took 23 GB and were OOM-killed.
    payload = value.encode() if isinstance(value, str) else bytes(memoryview(orjson.dumps(value)))
    return (record["key"].encode() if record["key"] else None, payload)


def produce(bootstrap: str, messages: list[tuple[bytes | None, bytes]], topic: str = TOPIC) -> float:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 1 << 20, "message.max.bytes": 4 << 20}
    )
    t0 = time.perf_counter()
    for key, value in messages:
        while True:
            try:
                producer.produce(topic, value=value, key=key)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush()
    return time.perf_counter() - t0


def librdkafka_drain(bootstrap: str, expected: int) -> float:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-drain-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "fetch.max.bytes": 64 << 20,
            "max.partition.fetch.bytes": 8 << 20,
        }
    )
    consumer.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
    seen = 0
    t0 = time.perf_counter()
    while seen < expected:
        for message in consumer.consume(num_messages=10_000, timeout=1.0):
            if message.error() is None:
                seen += 1
    elapsed = time.perf_counter() - t0
    consumer.close()
    return elapsed


def kafka_python_drain(bootstrap: str, expected: int) -> float:
    """The fixed stack's own client limit: kafka-python consume-only, configured as ingest configures it."""
    consumer = make_consumer(KafkaSettings(bootstrap_servers=bootstrap))
    partitions = [KafkaTopicPartition(TOPIC, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)
    for partition in partitions:
        consumer.seek(partition, 0)
    seen = 0
    t0 = time.perf_counter()
    while seen < expected:
        seen += sum(len(batch) for batch in consumer.poll(timeout_ms=1000).values())
    elapsed = time.perf_counter() - t0
    consumer.close()
    return elapsed


def naap_ingest(bootstrap: str, expected: int) -> tuple[float, float]:
    """Wall time of the whole command (process start included) and its own batch time."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "NAAP_DATA_DIR": data_dir,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "NAAP_TOPICS": TOPIC,
        }
        t0 = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "ingest.cli", "ingest", "--once"], env=env, capture_output=True, text=True
        )
        wall = time.perf_counter() - t0
        if result.returncode != 0:
            raise SystemExit(f"naap ingest failed:\n{result.stderr}")
        summary = next(line for line in result.stdout.splitlines() if " consumed = " in line)
        consumed = int(summary.split(" consumed")[0].rsplit(" ", 1)[1].replace(",", ""))
        if consumed != expected:
            raise SystemExit(f"naap ingest consumed {consumed:,}, expected {expected:,}")
        inner = float(summary.split(" quarantined in ")[1].split(" s")[0])
        return wall, inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    messages = simulated_values(args.events)
    size = sum(len(v) for _, v in messages)
    print(f"simulated {len(messages):,} events ({size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f} s")

    with EmbeddedBroker(log_path=Path(tempfile.gettempdir()) / "naap-bench-broker.log") as broker:
        broker.create_topics([TOPIC], partitions=PARTITIONS)
        produce_s = produce(broker.bootstrap_servers, messages)
        print(f"produced with librdkafka in {produce_s:.1f} s ({len(messages) / produce_s:,.0f} ev/s)")
        del messages

        drains, python_drains, walls, inners = [], [], [], []
        for run in range(1, args.repeats + 1):
            drains.append(librdkafka_drain(broker.bootstrap_servers, args.events))
            python_drains.append(kafka_python_drain(broker.bootstrap_servers, args.events))
            wall, inner = naap_ingest(broker.bootstrap_servers, args.events)
            walls.append(wall)
            inners.append(inner)
            print(
                f"run {run}: librdkafka drain {args.events / drains[-1]:,.0f} ev/s; "
                f"kafka-python drain {args.events / python_drains[-1]:,.0f} ev/s; "
                f"naap ingest --once {args.events / wall:,.0f} ev/s wall ({args.events / inner:,.0f} in batches)"
            )

    drain_rate = args.events / statistics.median(drains)
    python_rate = args.events / statistics.median(python_drains)
    ingest_rate = args.events / statistics.median(walls)
    print()
    print(f"median of {args.repeats} runs, {args.events:,} events, {PARTITIONS} partitions")
    print(f"  (a) librdkafka drain        {drain_rate:>10,.0f} ev/s")
    print(f"  (c) kafka-python drain      {python_rate:>10,.0f} ev/s (consume only, one process)")
    print(f"  (b) naap ingest --once      {ingest_rate:>10,.0f} ev/s (wall, process start included)")
    print(f"  ratio b/a                   {ingest_rate / drain_rate:>10.3f}   (target >= 0.2)")
    print(
        f"  ratio b/c                   {ingest_rate / python_rate:>10.3f}   (ingest vs its own client alone)"
    )


if __name__ == "__main__":
    main()
