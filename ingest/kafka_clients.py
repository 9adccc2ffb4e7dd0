"""kafka-python clients built from the settings, with errors a user can act on."""

from __future__ import annotations

from typing import TypeVar

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from ingest.settings import KafkaSettings

# An unreachable broker should fail a batch in seconds, not after kafka-python's 30 s default.
BOOTSTRAP_TIMEOUT_MS = 8_000

Client = TypeVar("Client", KafkaConsumer, KafkaProducer)


class KafkaUnavailableError(RuntimeError):
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
    try:
        return client(**kafka.client_config(), bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS, **options)
    except (KafkaError, OSError) as exc:
        raise KafkaUnavailableError(
            f"cannot reach Kafka at {kafka.bootstrap_servers} ({type(exc).__name__}: {exc}); "
            "check KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_* settings"
        ) from None
