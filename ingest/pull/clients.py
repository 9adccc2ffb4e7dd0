"""kafka-python clients built from the settings, with errors a user can act on."""

from __future__ import annotations

import threading
from typing import TypeVar

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from ingest.errors import NaapError
from ingest.settings import KafkaSettings

# An unreachable broker should fail a batch in seconds, not after kafka-python's 30 s default.
BOOTSTRAP_TIMEOUT_MS = 8_000

Client = TypeVar("Client", KafkaConsumer, KafkaProducer)


class KafkaUnavailableError(NaapError, RuntimeError):
    """The configured brokers could not be reached."""


def make_consumer(kafka: KafkaSettings) -> KafkaConsumer:
    return _connect(
        KafkaConsumer,
        kafka,
        group_id=kafka.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # Large fetches amortise kafka-python's per-request overhead.
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
        max_poll_records=20_000,
        request_timeout_ms=30_000,
    )


def make_producer(kafka: KafkaSettings) -> KafkaProducer:
    return _connect(
        KafkaProducer,
        kafka,
        linger_ms=20,
        batch_size=512 * 1024,
        # Oversized test messages (just over 1 MiB) must reach the broker.
        max_request_size=4 * 1024 * 1024,
        acks=1,
        max_block_ms=10_000,
    )


def _connect(client: type[Client], kafka: KafkaSettings, **options: object) -> Client:
    threads_before = set(threading.enumerate())
    try:
        return client(**kafka.client_config(), bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS, **options)
    except (KafkaError, OSError) as exc:
        _stop_io_loops(set(threading.enumerate()) - threads_before)
        raise KafkaUnavailableError(
            f"cannot reach Kafka at {kafka.bootstrap_servers} ({type(exc).__name__}: {exc}); "
            "check KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_* settings"
        ) from None


def _stop_io_loops(threads: set[threading.Thread]) -> None:
    """Stop the IO threads of a client whose constructor failed.

    kafka-python starts its IO loop before bootstrapping and leaves it running when
    bootstrapping fails; a thread alive at exit keeps DuckDB's extension from being
    finalised, which then prints a page of leak reports under our one-line error.
    """
    for thread in threads:
        loop = getattr(getattr(thread, "_target", None), "__self__", None)
        if thread.name.startswith("kafka-io-") and hasattr(loop, "stop"):
            loop.stop(timeout_ms=1_000)


def topic_ids(consumer: KafkaConsumer, topics: set[str]) -> dict[str, str]:
    """The Kafka topic id (one per incarnation of a topic) of each topic whose broker reports one.

    kafka-python keeps the ids of its metadata responses on the client's cluster
    view; the consumer has no public accessor for them.
    """
    cluster = consumer._client.cluster
    if not topics <= cluster.topics():
        consumer.topics()  # refreshes the metadata
    ids = {topic: cluster.topic_id(topic) for topic in topics}
    return {topic: str(topic_id) for topic, topic_id in ids.items() if topic_id}
