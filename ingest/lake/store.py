"""The Parquet lake and its commit protocol.

A batch is durable, and its offsets consumed, exactly when its manifest exists in
`ingest_batches/`. The protocol, in order:

1. data files are written under `_staging/<batch_id>/` (temp file, fsync, rename);
2. the manifest is written (temp file, fsync, atomic rename): the commit point;
3. the staged files land: they are renamed into `raw_events/` and `quarantine/`;
4. the staging folder is removed and the positions cache rewritten.

Recovery (before every run, under the ingest lock) rolls committed batches forward
and deletes uncommitted staging folders, so a crash at any instant loses nothing
and duplicates nothing: the next run resumes from the offsets the manifests hold.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.errors import NaapError
from ingest.lake.manifest import BatchManifest, PartitionRange
from ingest.lake.schema import CONSUMER_LAG
from ingest.support.faults import crash_point
from ingest.support.file_lock import exclusive_lock

RAW_EVENTS_DIR = "raw_events"
QUARANTINE_DIR = "quarantine"
BATCHES_DIR = "ingest_batches"
LAG_HISTORY_DIR = "consumer_lag"
STAGING_DIR = "_staging"
STATE_FILE = "_state/positions.json"
LAG_FILE = "_state/consumer_lag.json"
LOCK_FILE = "_ingest.lock"
BATCH_ID_FORMAT = "%Y%m%dT%H%M%S%fZ"

TopicPartitionKey = tuple[str, int]


class LakeBusyError(NaapError, RuntimeError):
    """Another ingest process holds the lake."""


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_replace(src: Path, dst: Path) -> None:
    """Rename src over dst and make both the file and the rename durable."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    fsync_path(dst.parent)


def write_parquet_atomically(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, tmp, compression="zstd")
    fsync_path(tmp)
    atomic_replace(tmp, path)


def batch_date(batch_id: str) -> str:
    stamp = datetime.strptime(batch_id.split("-", 1)[0], BATCH_ID_FORMAT)
    return stamp.strftime("%Y-%m-%d")


def new_batch_id(after: str | None, now: datetime | None = None) -> str:
    """A batch id that sorts after `after`, even if the wall clock stepped back."""
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None)
    if after:
        previous = datetime.strptime(after.split("-", 1)[0], BATCH_ID_FORMAT)
        stamp = max(stamp, previous + timedelta(microseconds=1))
    return f"{stamp.strftime(BATCH_ID_FORMAT)}-{os.getpid():x}"


@dataclass
class Positions:
    """Next offset to consume per topic-partition, as the committed manifests say.

    A topic deleted and created again restarts its offsets at 0, so offsets are
    only comparable within one incarnation of a topic: its Kafka topic id.
    """

    offsets: dict[TopicPartitionKey, int]
    last_batch_id: str | None
    topic_ids: dict[str, str] = field(default_factory=dict)

    def apply(self, batch_id: str, partitions: Iterable[PartitionRange]) -> None:
        """Fold in the partitions a committed batch took."""
        for part in partitions:
            key = (part.topic, part.partition)
            if part.topic_id and self.is_recreated(part.topic, part.topic_id):
                self.offsets = {k: o for k, o in self.offsets.items() if k[0] != part.topic}
            if part.topic_id:
                self.topic_ids[part.topic] = part.topic_id
            self.offsets[key] = max(self.offsets.get(key, 0), part.next_offset)
        if self.last_batch_id is None or batch_id > self.last_batch_id:
            self.last_batch_id = batch_id

    def is_recreated(self, topic: str, topic_id: str | None) -> bool:
        """Whether the lake's offsets of `topic` belong to an earlier incarnation than `topic_id`."""
        recorded = self.topic_ids.get(topic)
        return bool(recorded and topic_id and recorded != topic_id)

    def next_offset(self, key: TopicPartitionKey, topic_id: str | None) -> int | None:
        """Where the lake left this partition of this incarnation of its topic; None if nowhere."""
        if self.is_recreated(key[0], topic_id):
            return None
        return self.offsets.get(key)

    def to_json(self) -> str:
        return json.dumps(
            {
                "last_batch_id": self.last_batch_id,
                "offsets": [[t, p, o] for (t, p), o in sorted(self.offsets.items())],
                "topic_ids": self.topic_ids,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Positions:
        data = json.loads(text)
        return cls({(t, p): o for t, p, o in data["offsets"]}, data["last_batch_id"], data["topic_ids"])


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the single-writer lock: two ingests never interleave their batches."""
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.path(LOCK_FILE), LakeBusyError(f"another ingest is writing {self.root}")):
            yield

    def manifest_path(self, batch_id: str) -> Path:
        return self.path(BATCHES_DIR, f"batch_date={batch_date(batch_id)}", f"{batch_id}.parquet")

    def manifest_paths(self) -> list[Path]:
        folder = self.path(BATCHES_DIR)
        if not folder.is_dir():
            return []
        return sorted(folder.glob("batch_date=*/*.parquet"), key=lambda p: p.stem)

    def staging_path(self, batch_id: str) -> Path:
        return self.path(STAGING_DIR, batch_id)

    def landed_batches(self) -> list[str]:
        """The committed batches whose files have all landed in the lake, oldest first.

        A manifest is written before its files are moved into the lake, and a
        batch's staging folder goes only once they all are. The manifests are
        listed before the staging folders: a batch committed in between is not
        seen, and one seen whose folder has gone is whole. Parallel workers commit
        out of id order, so this is a set, not a prefix of the batch ids.
        """
        committed = [path.stem for path in self.manifest_paths()]
        staging_root = self.path(STAGING_DIR)
        landing = {path.name for path in staging_root.iterdir()} if staging_root.is_dir() else set()
        return [batch_id for batch_id in committed if batch_id not in landing]

    def commit(self, manifest: BatchManifest) -> None:
        """Write the manifest (the commit point); `land` then moves the staged files in."""
        write_parquet_atomically(manifest.to_table(), self.manifest_path(manifest.batch_id))

    def land(self, batch_id: str, files: list[str]) -> None:
        """Rename a committed batch's staged files into the lake ("landing"; "publish" is the explorer's)."""
        staging = self.staging_path(batch_id)
        for moved, relative in enumerate(files):
            if moved:
                crash_point("mid_landing")
            staged = staging / relative
            if staged.exists():
                atomic_replace(staged, self.path(relative))
        shutil.rmtree(staging, ignore_errors=True)

    def recover(self) -> list[str]:
        """Finish committed batches and drop uncommitted ones; returns what was done."""
        actions: list[str] = []
        staging_root = self.path(STAGING_DIR)
        if not staging_root.is_dir():
            return actions
        for staging in sorted(staging_root.iterdir()):
            batch_id = staging.name
            manifest = self.manifest_path(batch_id) if _looks_like_batch_id(batch_id) else None
            if manifest is not None and manifest.exists():
                files = pq.read_table(manifest, columns=["files"]).column("files")[0].as_py()
                self.land(batch_id, files)
                actions.append(f"rolled forward committed batch {batch_id}")
            else:
                shutil.rmtree(staging, ignore_errors=True)
                actions.append(f"discarded uncommitted batch {batch_id}")
        return actions

    def positions(self) -> Positions:
        """Fold the cached positions with every manifest committed after the cache."""
        positions = self._cached_positions()
        for path in self.manifest_paths():
            if positions.last_batch_id is None or path.stem > positions.last_batch_id:
                [row] = pq.read_table(path, columns=["batch_id", "partitions"]).to_pylist()
                positions.apply(row["batch_id"], [PartitionRange(**part) for part in row["partitions"]])
        return positions

    def save_positions(self, positions: Positions) -> None:
        path = self.path(STATE_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(positions.to_json())
        fsync_path(tmp)
        atomic_replace(tmp, path)

    def save_lag(self, lag_by_topic: dict[str, int], after_batch_id: str | None) -> None:
        """What an ingest run left in Kafka: the latest for publish to pass on to /healthz, and a
        row per topic in the day's `consumer_lag/` file, which the system-health dashboard draws.

        The day's file is rewritten whole (a minute's schedule makes at most 1,440 measurements a
        day), so the history stays one small file a day rather than a file a batch.
        """
        now = datetime.now(UTC)
        path = self.path(LAG_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps({"measured_at": now.isoformat(timespec="seconds"), "topics": lag_by_topic}))
        atomic_replace(tmp, path)
        if not lag_by_topic:
            return  # the brokers did not answer: a gap in the history, not a zero
        measured = pa.Table.from_pylist(
            [
                {"measured_at": now, "topic": topic, "lag": lag, "after_batch_id": after_batch_id}
                for topic, lag in lag_by_topic.items()
            ],
            schema=CONSUMER_LAG,
        )
        day = self.path(LAG_HISTORY_DIR, f"measured_date={now.date().isoformat()}", "consumer_lag.parquet")
        if day.exists():
            measured = pa.concat_tables([pq.read_table(day, schema=CONSUMER_LAG), measured])
        write_parquet_atomically(measured, day)

    def lag(self) -> dict | None:
        try:
            return json.loads(self.path(LAG_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _cached_positions(self) -> Positions:
        path = self.path(STATE_FILE)
        try:
            return Positions.from_json(path.read_text())
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            # The cache is only an accelerator: the manifests are the truth.
            return Positions({}, None)


def _looks_like_batch_id(name: str) -> bool:
    try:
        batch_date(name)
    except ValueError:
        return False
    return True
