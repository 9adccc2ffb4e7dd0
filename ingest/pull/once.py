"""`naap ingest --once`: one pull of every configured topic into the lake, exactly once.

Under the lake's lock: recover what a crash left, find the partitions, drain them (in this
process, or on worker processes for a large backlog: ingest/pull/parallel.py), then measure
the lag left behind for /healthz. The batch protocol itself is ingest/pull/runner.py's.
"""

from __future__ import annotations

import time
from collections import Counter

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from ingest.lake.store import Lake, Positions, TopicPartitionKey
from ingest.pull.clients import make_consumer, topic_ids
from ingest.pull.parallel import plan_workers, run_workers
from ingest.pull.runner import BatchRunner, IngestResult, ProgressCallback
from ingest.settings import Settings


def ingest_once(settings: Settings, on_progress: ProgressCallback | None = None) -> IngestResult:
    """Consume every assigned partition up to the end offsets seen at the start."""
    started = time.monotonic()
    consumer = make_consumer(settings.kafka)  # fails before the lake is touched
    try:
        lake = Lake(settings.lake_dir)
        with lake.locked():
            result = IngestResult(recovery=lake.recover())
            positions = lake.positions()
            keys, result.missing_topics = list_partitions(consumer, settings.topics)
            groups = plan_workers(consumer, settings, keys, positions)
            if len(groups) == 1:
                BatchRunner(settings, lake, consumer, result, on_progress, positions, groups[0]).run()
            else:
                run_workers(settings, groups, result, on_progress)
                lake.save_positions(lake.positions())
            positions = lake.positions()
            result.lag_by_topic = measure_lag(consumer, keys, positions)
            lake.save_lag(result.lag_by_topic, positions.last_batch_id)
            result.elapsed_s = time.monotonic() - started
            return result
    finally:
        consumer.close()


def measure_lag(
    consumer: KafkaConsumer, keys: list[TopicPartitionKey], positions: Positions
) -> dict[str, int]:
    """Messages past the lake's position, per topic, from the brokers' end offsets now.

    A broker that under-reports its end offsets (the embedded Tansu, see _refresh_targets)
    makes this a lower bound.
    """
    tps = {key: TopicPartition(*key) for key in keys}
    if not tps:
        return {}
    try:
        ends = consumer.end_offsets(list(tps.values()))
        beginnings = consumer.beginning_offsets(list(tps.values()))
        ids = topic_ids(consumer, {topic for topic, _ in keys})
    except KafkaError:
        return {}
    lag: Counter[str] = Counter()
    for key, tp in tps.items():
        start = positions.next_offset(key, ids.get(key[0]))
        lag[key[0]] += max(0, ends[tp] - (beginnings[tp] if start is None else start))
    return dict(sorted(lag.items()))


def list_partitions(
    consumer: KafkaConsumer, topics: tuple[str, ...]
) -> tuple[list[TopicPartitionKey], list[str]]:
    """The partitions of the configured topics that exist now, and the topics that do not."""
    available = consumer.topics()
    keys: list[TopicPartitionKey] = []
    missing: list[str] = []
    for topic in topics:
        if topic not in available:
            missing.append(topic)
            continue
        keys.extend((topic, partition) for partition in sorted(consumer.partitions_for_topic(topic) or ()))
    return keys, missing
