"""kafka-python clients built from the settings, with errors a user can act on."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from ingest.settings import KafkaSettings


class KafkaUnavailableError(RuntimeError):
    """The configured brokers could not be reached."""


def _unreachable(kafka: KafkaSettings, exc: Exception) -> KafkaUnavailableError:
    return KafkaUnavailableError(
        f"cannot reach Kafka at {kafka.bootstrap_servers} ({type(exc).__name__}: {exc}); "
        "check KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_* settings"
    )


# An unreachable broker should fail a batch in seconds, not after kafka-python's 30 s default.
BOOTSTRAP_TIMEOUT_MS = 8_000


def make_consumer(kafka: KafkaSettings) -> KafkaConsumer:
    try:
        return KafkaConsumer(
            **kafka.client_config(),
            group_id=kafka.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # Large fetches amortise kafka-python's per-request overhead.
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            max_poll_records=20_000,
            request_timeout_ms=30_000,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except (KafkaError, OSError) as exc:
        raise _unreachable(kafka, exc) from None


def make_producer(kafka: KafkaSettings) -> KafkaProducer:
    try:
        return KafkaProducer(
            **kafka.client_config(),
            linger_ms=20,
            batch_size=512 * 1024,
            # Oversized test messages (just over 1 MiB) must reach the broker.
            max_request_size=4 * 1024 * 1024,
            acks=1,
            max_block_ms=10_000,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except (KafkaError, OSError) as exc:
        raise _unreachable(kafka, exc) from None
