"""The micro-batch protocol: Kafka -> classified Parquet in the lake, exactly once (ingest/pull/once.py runs it).

Start positions come from the lake's manifests, never from the consumer group, so
a crash anywhere is repaired by rerunning. Offsets are committed to the consumer
group only after the batch is durable, for the benefit of standard lag tooling.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow.compute as pc
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from ingest.lake import classify
from ingest.lake.manifest import BatchManifest, PartitionRange
from ingest.lake.staged_files import StagedFiles
from ingest.lake.store import Lake, Positions, TopicPartitionKey, new_batch_id
from ingest.pull.chunks import MessageChunk
from ingest.pull.clients import topic_ids
from ingest.settings import Settings
from ingest.support.faults import crash_point

CHUNK_EVENTS = 50_000
POLL_TIMEOUT_MS = 500
STALL_TIMEOUT_S = 60.0


@dataclass
class Progress:
    consumed: int
    elapsed_s: float
    remaining_lag: int
    worker: str = ""

    @property
    def rate(self) -> float:
        return self.consumed / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class BatchResult:
    batch_id: str
    consumed: int
    accepted: int
    quarantined: int
    quarantine_reasons: dict[str, int]


@dataclass
class IngestResult:
    batches: list[BatchResult] = field(default_factory=list)
    missing_topics: list[str] = field(default_factory=list)
    recovery: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    remaining_lag: int = 0
    # Messages in each topic past the lake's positions when the run ended (new ones included).
    lag_by_topic: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def consumed(self) -> int:
        return sum(b.consumed for b in self.batches)

    @property
    def accepted(self) -> int:
        return sum(b.accepted for b in self.batches)

    @property
    def quarantined(self) -> int:
        return sum(b.quarantined for b in self.batches)

    @property
    def quarantine_reasons(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for batch in self.batches:
            totals.update(batch.quarantine_reasons)
        return dict(sorted(totals.items()))


ProgressCallback = Callable[[Progress], None]


@dataclass
class _Taken:
    """What a batch has taken so far: offsets per partition, messages, and counts by outcome."""

    first_offsets: dict[TopicPartitionKey, int] = field(default_factory=dict)
    last_offsets: dict[TopicPartitionKey, int] = field(default_factory=dict)
    consumed: int = 0
    # "accepted", "bytes", and one count per quarantine reason, filled on the classifying thread.
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, key: TopicPartitionKey, first: int, last: int, messages: int) -> None:
        self.first_offsets.setdefault(key, first)
        self.last_offsets[key] = last
        self.consumed += messages


class BatchRunner:
    """Drains a set of partitions in one or more committed batches."""

    def __init__(
        self,
        settings: Settings,
        lake: Lake,
        consumer: KafkaConsumer,
        result: IngestResult,
        on_progress: ProgressCallback | None,
        positions: Positions,
        keys: list[TopicPartitionKey],
        worker: str = "",
    ) -> None:
        self.settings = settings
        self.lake = lake
        self.consumer = consumer
        self.result = result
        self.on_progress = on_progress
        self.positions = positions
        # A worker of a parallel drain leaves the positions cache to its parent.
        self.worker = worker
        self.partitions = {key: TopicPartition(*key) for key in keys}
        self.targets: dict[TopicPartitionKey, int] = {}
        self.next_offset: dict[TopicPartitionKey, int] = {}
        self.topic_ids: dict[str, str] = {}
        self.watermark_known: set[TopicPartitionKey] = set()
        # Workers of a parallel drain share the two cores; one DuckDB thread each.
        self.duckdb = classify.connect(threads=1 if worker else None)

    def run(self) -> None:
        self._assign()
        started = time.monotonic()
        consumed_before = 0
        while True:
            batch = self._batch(started, consumed_before)
            self.result.batches.append(batch)
            consumed_before += batch.consumed
            if not self._pending():
                break
            self._seek_pending()
        self.result.remaining_lag = self._lag()

    def _assign(self) -> None:
        tps = list(self.partitions.values())
        if not tps:
            return
        beginnings = self.consumer.beginning_offsets(tps)
        ends = self.consumer.end_offsets(tps)
        self.topic_ids = topic_ids(self.consumer, {topic for topic, _ in self.partitions})
        for topic, topic_id in sorted(self.topic_ids.items()):
            if self.positions.is_recreated(topic, topic_id):
                self.result.warnings.append(
                    f"{topic} was recreated (topic id {self.positions.topic_ids[topic]} is now {topic_id}); "
                    "reading the new topic from its beginning"
                )
        for key, tp in self.partitions.items():
            start = self.positions.next_offset(key, self.topic_ids.get(key[0]))
            start = beginnings[tp] if start is None else start
            if start < beginnings[tp]:
                self.result.warnings.append(
                    f"{key[0]}[{key[1]}]: offsets {start}..{beginnings[tp] - 1} were deleted by "
                    "retention before they were ingested"
                )
                start = beginnings[tp]
            self.next_offset[key] = start
            self.targets[key] = ends[tp]
        self.consumer.assign(tps)
        self._seek_pending()

    def _refresh_targets(self) -> None:
        """Raise each target to the high watermark of the partition's first fetch.

        Some brokers (the embedded Tansu among them) answer ListOffsets with the
        base offset of the last record batch + 1, short of the real end; the
        high watermark in a fetch response is right on every broker we know.
        """
        for key in self.partitions.keys() - self.watermark_known:
            highwater = self.consumer.highwater(self.partitions[key])
            if highwater is None:
                continue
            self.watermark_known.add(key)
            self.targets[key] = max(self.targets[key], highwater)
            if self.next_offset[key] > self.targets[key]:
                self.result.warnings.append(
                    f"{key[0]}[{key[1]}]: the lake holds offsets up to {self.next_offset[key] - 1} but the "
                    f"topic ends at {self.targets[key]} and its broker reports no topic id to tell whether it "
                    "was recreated; nothing consumed from it"
                )
                self.targets[key] = self.next_offset[key]

    def _pending(self) -> list[TopicPartitionKey]:
        return [
            k
            for k in self.partitions
            if k not in self.watermark_known or self.next_offset[k] < self.targets[k]
        ]

    def _seek_pending(self) -> None:
        for key in self._pending():
            self.consumer.seek(self.partitions[key], self.next_offset[key])

    def _lag(self) -> int:
        return sum(self.targets[k] - self.next_offset[k] for k in self.partitions)

    def _batch(self, run_started: float, consumed_before: int) -> BatchResult:
        started_at = datetime.now(UTC)
        t0 = time.monotonic()
        batch_id = new_batch_id(self.positions.last_batch_id)
        staged = StagedFiles(self.lake.staging_path(batch_id), batch_id)
        batch_start = dict(self.next_offset)
        taken = self._take(staged, run_started, consumed_before)
        files = staged.close()
        reasons = {r: n for r, n in sorted(taken.counts.items()) if r not in ("accepted", "bytes")}
        manifest = BatchManifest(
            batch_id=batch_id,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            duration_s=time.monotonic() - t0,
            consumed=taken.consumed,
            accepted=taken.counts["accepted"],
            quarantined=sum(reasons.values()),
            bytes=taken.counts["bytes"],
            quarantine_reasons=reasons,
            partitions=tuple(
                self._range(key, taken) for key in self.partitions if self.next_offset[key] > batch_start[key]
            ),
            files=tuple(files),
        )
        if not manifest.reconciles():
            raise AssertionError(f"batch {batch_id} does not reconcile: {manifest}")
        self._commit(manifest)
        return BatchResult(batch_id, manifest.consumed, manifest.accepted, manifest.quarantined, reasons)

    def _take(self, staged: StagedFiles, run_started: float, consumed_before: int) -> _Taken:
        """Poll until the targets or the batch size, classifying each full chunk beside the polling."""
        taken = _Taken()
        chunk = MessageChunk()
        last_report = last_progress = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight: Future | None = None
            while self._pending() and taken.consumed < self.settings.batch_max_events:
                records = self.consumer.poll(
                    timeout_ms=POLL_TIMEOUT_MS,
                    max_records=min(20_000, self.settings.batch_max_events - taken.consumed),
                )
                crash_point("after_poll")
                self._refresh_targets()
                for tp, messages in records.items():
                    key = (tp.topic, tp.partition)
                    took = chunk.take(
                        key, self.settings.org_for(key[0]), messages, self.next_offset[key], self.targets[key]
                    )
                    if took:
                        taken.add(key, *took)
                        self.next_offset[key] = took[1] + 1
                        last_progress = time.monotonic()
                self._close_finished_partitions()
                if len(chunk) >= CHUNK_EVENTS:
                    in_flight = _submit(pool, in_flight, chunk, staged, taken.counts, self.duckdb)
                    chunk = MessageChunk()
                now = time.monotonic()
                if self.on_progress and now - last_report >= 2.0:
                    last_report = now
                    self.on_progress(
                        Progress(
                            consumed_before + taken.consumed, now - run_started, self._lag(), self.worker
                        )
                    )
                if now - last_progress > STALL_TIMEOUT_S:
                    self.result.warnings.append(
                        f"no messages for {STALL_TIMEOUT_S:.0f} s with {self._lag()} outstanding; "
                        "closing the batch early"
                    )
                    self._give_up_pending()
            _submit(pool, in_flight, chunk, staged, taken.counts, self.duckdb).result()
        return taken

    def _range(self, key: TopicPartitionKey, taken: _Taken) -> PartitionRange:
        first, last = taken.first_offsets.get(key), taken.last_offsets.get(key)
        return PartitionRange(
            topic=key[0],
            topic_id=self.topic_ids.get(key[0]),
            partition=key[1],
            org=self.settings.org_for(key[0]),
            first_offset=first,
            last_offset=last,
            next_offset=self.next_offset[key],
            consumed=0 if first is None or last is None else last - first + 1,
        )

    def _commit(self, manifest: BatchManifest) -> None:
        """The commit protocol (lake/store.py): manifest, landing, positions, then the group's offsets."""
        crash_point("before_manifest")
        self.lake.commit(manifest)
        crash_point("after_manifest")
        self.lake.land(manifest.batch_id, list(manifest.files))
        self.positions.apply(manifest.batch_id, manifest.partitions)
        if not self.worker:
            self.lake.save_positions(self.positions)
        crash_point("before_kafka_commit")
        self._commit_to_group(manifest)

    def _close_finished_partitions(self) -> None:
        for key in self.watermark_known.intersection(self._pending()):
            tp = self.partitions[key]
            # Transaction markers and compaction leave offset gaps: the fetch
            # position, not the last record seen, says whether the target is reached.
            if self.consumer.position(tp) >= self.targets[key]:
                self.next_offset[key] = self.targets[key]
        for key in self.watermark_known.difference(self._pending()):
            self.consumer.pause(self.partitions[key])

    def _give_up_pending(self) -> None:
        for key in self._pending():
            self.targets[key] = self.next_offset[key]

    def _commit_to_group(self, manifest: BatchManifest) -> None:
        offsets = {
            self.partitions[(p.topic, p.partition)]: OffsetAndMetadata(p.next_offset, "", -1)
            for p in manifest.partitions
        }
        if not offsets:
            return
        try:
            self.consumer.commit(offsets)
        except KafkaError as exc:
            # The lake is the authority; a failed group commit only makes lag tools stale.
            self.result.warnings.append(f"consumer-group commit failed ({exc}); the lake is unaffected")


def _submit(
    pool: ThreadPoolExecutor,
    in_flight: Future | None,
    chunk: MessageChunk,
    staged: StagedFiles,
    counts: Counter[str],
    con: duckdb.DuckDBPyConnection,
) -> Future:
    """Classify and write a chunk on the worker while the main thread keeps polling."""
    if in_flight is not None:
        in_flight.result()
    table = chunk.to_table()

    def work() -> None:
        if table.num_rows == 0:
            return
        classified = classify.classify(table, con)
        crash_point("mid_write")
        accepted, reasons = staged.write(classified, datetime.now(UTC))
        counts["accepted"] += accepted
        counts["bytes"] += pc.sum(table.column("value_bytes")).as_py()
        counts.update(reasons)

    return pool.submit(work)
