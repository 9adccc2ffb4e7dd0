"""Produce captured or simulated events into Kafka.

Input files are a JSON array or JSON Lines. Each item is either a capture record
`{"topic": ..., "value": ...}` (the shape of the network captures and of
`naap simulate` output) or a bare envelope. A string `value` is sent verbatim,
so broken messages replay exactly as they were seen.
"""

from __future__ import annotations

import gc
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from ingest.errors import NaapError
from ingest.pull.clients import make_producer
from ingest.settings import KafkaSettings


class ReplayError(NaapError, ValueError):
    """An input file or item that cannot be replayed; the message names where."""


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes | None
    value: bytes


@dataclass
class ProduceResult:
    sent: int
    by_topic: dict[str, int]
    bytes: int
    duration_s: float

    @property
    def rate(self) -> float:
        return self.sent / self.duration_s if self.duration_s > 0 else 0.0


def read_messages(path: Path, topic_override: str | None = None) -> Iterator[Message]:
    """Yield the messages of one file, lazily for JSON Lines."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ReplayError(f"{path}: cannot open ({exc.strerror})") from None
    with handle:
        head = handle.read(1024).lstrip()
        handle.seek(0)
        if head.startswith(b"["):
            try:
                items = orjson.loads(handle.read())
            except orjson.JSONDecodeError as exc:
                raise ReplayError(f"{path}: not a valid JSON array ({exc})") from None
            for index, item in enumerate(items, start=1):
                yield to_message(item, topic_override, f"{path}: item {index}")
            return
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ReplayError(
                    f"{path}:{line_no}: not valid JSON ({exc}); expected a JSON array or JSON Lines"
                ) from None
            yield to_message(item, topic_override, f"{path}:{line_no}")


def to_message(item: object, topic_override: str | None, where: str) -> Message:
    if not isinstance(item, dict):
        raise ReplayError(
            f"{where}: expected an object (envelope or capture record), got {type(item).__name__}"
        )
    if "value" in item and "topic" in item:
        topic = topic_override or item["topic"]
        value = item["value"]
        key = item.get("key")
        if key is None and isinstance(value, dict):
            key = value.get("id")
    else:
        topic, value, key = topic_override, item, item.get("id")
    if not topic or not isinstance(topic, str):
        raise ReplayError(f"{where}: no topic for this item; pass --topic")
    payload = value.encode("utf-8") if isinstance(value, str) else orjson.dumps(value)
    key_bytes = str(key).encode("utf-8") if key not in (None, "") else None
    return Message(topic, key_bytes, payload)


def produce(
    messages: Iterable[Message],
    kafka: KafkaSettings,
    on_progress: Callable[[int, float], None] | None = None,
) -> ProduceResult:
    """Send messages with a batching producer; fails loudly if any is not delivered."""
    producer = make_producer(kafka)
    by_topic: Counter[str] = Counter()
    failures: list[BaseException] = []
    sent = size = 0
    partitions: dict[str, list[int]] = {}
    t0 = last_report = time.monotonic()
    try:
        for message in messages:
            if message.topic not in partitions:
                partitions[message.topic] = _partitions(producer, message.topic)
            choices = partitions[message.topic]
            # kafka-python's default partitioner is murmur2 in pure Python (~20 us a
            # message); crc32 spreads keys as evenly at C speed.
            partition = choices[(zlib.crc32(message.key) if message.key else sent) % len(choices)]
            future = producer.send(message.topic, key=message.key, value=message.value, partition=partition)
            future.add_errback(failures.append)
            by_topic[message.topic] += 1
            sent += 1
            size += len(message.value)
            if on_progress and time.monotonic() - last_report >= 2.0:
                last_report = time.monotonic()
                on_progress(sent, last_report - t0)
        producer.flush()
    finally:
        producer.close()
    if failures:
        raise ReplayError(f"{len(failures)} of {sent} messages were not delivered: {failures[0]}")
    return ProduceResult(sent, dict(sorted(by_topic.items())), size, time.monotonic() - t0)


def produce_records(
    records: list[dict],
    kafka: KafkaSettings,
    on_progress: Callable[[int, float], None] | None = None,
) -> ProduceResult:
    """Produce in-memory capture records (the simulator's output)."""
    messages = (to_message(r, None, f"record {n}") for n, r in enumerate(records, start=1))
    # A million live record dicts make every full GC pass crawl through them while
    # producing; freezing keeps them out of the collector's sight (about 1.7x faster).
    gc.freeze()
    try:
        return produce(messages, kafka, on_progress)
    finally:
        gc.unfreeze()


def _partitions(producer: KafkaProducer, topic: str) -> list[int]:
    try:
        found = producer.partitions_for(topic)
    except KafkaError:
        found = None
    if not found:
        raise ReplayError(f"topic {topic!r} does not exist on the broker; create it or pass --topic")
    return sorted(found)
