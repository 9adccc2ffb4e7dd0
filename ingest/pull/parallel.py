"""Large drains on several processes, one disjoint set of partitions each.

kafka-python decodes records in pure Python, so one process tops out near one
core. A backlog (a backfill, a catch-up after downtime) is split across worker
processes; each commits its own batches, which stays exactly-once because their
partitions are disjoint and the parent holds the lake lock throughout. Workers die
with their parent (PR_SET_PDEATHSIG), so a killed ingest leaves no writer behind.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback

from kafka import KafkaConsumer, TopicPartition

from ingest.lake.store import Lake, Positions, TopicPartitionKey
from ingest.pull.clients import make_consumer, topic_ids
from ingest.pull.runner import BatchRunner, IngestResult, ProgressCallback
from ingest.settings import Settings
from ingest.support.subprocesses import die_with_parent

# Below this backlog a worker's start-up (~0.5 s of imports) costs more than it saves.
PARALLEL_MIN_LAG = 100_000


def plan_workers(
    consumer: KafkaConsumer,
    settings: Settings,
    keys: list[TopicPartitionKey],
    positions: Positions,
) -> list[list[TopicPartitionKey]]:
    """One group of partitions per process; a single group means drain in process."""
    workers = min(settings.ingest_workers, len(keys))
    if workers <= 1:
        return [keys]
    tps = [TopicPartition(*key) for key in keys]
    beginnings = consumer.beginning_offsets(tps)
    ends = consumer.end_offsets(tps)
    ids = topic_ids(consumer, {topic for topic, _ in keys})
    lag = {
        key: ends[tp] - max(positions.next_offset(key, ids.get(key[0])) or 0, beginnings[tp])
        for key, tp in zip(keys, tps, strict=True)
    }
    if sum(max(v, 0) for v in lag.values()) < PARALLEL_MIN_LAG:
        return [keys]
    groups: list[list[TopicPartitionKey]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for key in sorted(keys, key=lambda k: (-lag[k], k)):
        lightest = loads.index(min(loads))
        groups[lightest].append(key)
        loads[lightest] += max(lag[key], 0)
    return [group for group in groups if group]


def run_workers(
    settings: Settings,
    groups: list[list[TopicPartitionKey]],
    result: IngestResult,
    on_progress: ProgressCallback | None,
) -> None:
    context = multiprocessing.get_context("spawn")
    outcomes = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(settings, group, f"{n}/{len(groups)}", on_progress, outcomes),
            daemon=True,
        )
        for n, group in enumerate(groups, start=1)
    ]
    for process in processes:
        process.start()
    failures = []
    for _ in processes:
        worker_result, error = outcomes.get()
        if error:
            failures.append(error)
            continue
        result.batches.extend(worker_result.batches)
        result.warnings.extend(worker_result.warnings)
        result.remaining_lag += worker_result.remaining_lag
    for process in processes:
        process.join()
    result.batches.sort(key=lambda batch: batch.batch_id)
    if failures:
        raise RuntimeError("an ingest worker failed:\n" + failures[0])


def _worker(
    settings: Settings,
    keys: list[TopicPartitionKey],
    label: str,
    on_progress: ProgressCallback | None,
    outcomes: multiprocessing.Queue,
) -> None:
    die_with_parent(signal.SIGKILL)()
    try:
        lake = Lake(settings.lake_dir)
        consumer = make_consumer(settings.kafka)
        try:
            result = IngestResult()
            BatchRunner(settings, lake, consumer, result, on_progress, lake.positions(), keys, label).run()
        finally:
            consumer.close()
        outcomes.put((result, None))
    except Exception:
        outcomes.put((None, traceback.format_exc()))
