"""The lake's commit protocol without a broker: recovery, positions, batch ids."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pyarrow as pa

from ingest.lake.manifest import BatchManifest, PartitionRange
from ingest.lake.schema import INGEST_BATCHES, RAW_EVENTS
from ingest.lake.store import Lake, new_batch_id


def _manifest(batch_id: str, partitions: list[tuple[str, int, int]], files: list[str]) -> BatchManifest:
    return BatchManifest(
        batch_id=batch_id,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        finished_at=datetime(2026, 1, 1, tzinfo=UTC),
        duration_s=0.1,
        consumed=0,
        accepted=0,
        quarantined=0,
        bytes=0,
        quarantine_reasons={},
        partitions=tuple(PartitionRange(t, None, p, t, 0, o - 1, o, o) for t, p, o in partitions),
        files=tuple(files),
    )


def test_the_manifest_type_has_the_columns_of_ingest_batches() -> None:
    """BatchManifest and PartitionRange are the rows INGEST_BATCHES stores, field for column."""
    assert [f.name for f in fields(BatchManifest)] == INGEST_BATCHES.names
    assert [f.name for f in fields(PartitionRange)] == [
        f.name for f in INGEST_BATCHES.field("partitions").type.value_type
    ]
    manifest = _manifest(new_batch_id(None), [("t", 0, 5)], ["raw_events/x.parquet"])
    assert manifest.to_table().schema == INGEST_BATCHES


def _stage(lake: Lake, batch_id: str, relative: str) -> None:
    path = lake.staging_path(batch_id) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([], schema=RAW_EVENTS), path)


def test_recovery_rolls_committed_batches_forward_and_drops_the_rest(tmp_path) -> None:
    lake = Lake(tmp_path / "lake")
    committed, uncommitted = new_batch_id(None), None
    uncommitted = new_batch_id(committed)
    relative = f"raw_events/event_date=2026-01-01/part-{committed}.parquet"
    _stage(lake, committed, relative)
    _stage(lake, uncommitted, f"raw_events/event_date=2026-01-01/part-{uncommitted}.parquet")
    lake.commit(_manifest(committed, [("t", 0, 5)], [relative]))

    actions = lake.recover()

    assert actions == [
        f"rolled forward committed batch {committed}",
        f"discarded uncommitted batch {uncommitted}",
    ]
    assert lake.path(relative).exists()
    assert list(lake.path("_staging").iterdir()) == []
    assert lake.positions().offsets == {("t", 0): 5}


def test_positions_fold_cache_and_newer_manifests_and_survive_a_bad_cache(tmp_path) -> None:
    lake = Lake(tmp_path / "lake")
    first = new_batch_id(None)
    lake.commit(_manifest(first, [("t", 0, 5), ("t", 1, 3)], []))
    lake.save_positions(lake.positions())
    second = new_batch_id(first)
    lake.commit(_manifest(second, [("t", 0, 9)], []))

    assert lake.positions().offsets == {("t", 0): 9, ("t", 1): 3}
    lake.path("_state/positions.json").write_text("{corrupt")
    assert lake.positions().offsets == {("t", 0): 9, ("t", 1): 3}


def test_batch_ids_sort_after_the_last_even_if_the_clock_steps_back() -> None:
    later = new_batch_id(None, datetime(2026, 5, 1, tzinfo=UTC))
    earlier_clock = new_batch_id(later, datetime(2026, 4, 1, tzinfo=UTC))
    assert earlier_clock > later
    assert new_batch_id(None, datetime(2026, 5, 1, 12, tzinfo=UTC)).startswith("20260501T120000000000Z-")


def test_landed_batches_leave_out_a_batch_still_moving_in_whatever_its_id(tmp_path) -> None:
    """Parallel workers commit out of id order: a later id can be whole before an earlier one."""
    lake = Lake(tmp_path / "lake")
    earlier = new_batch_id(None)
    later = new_batch_id(earlier)
    for batch_id in (earlier, later):
        relative = f"raw_events/event_date=2026-01-01/part-{batch_id}.parquet"
        _stage(lake, batch_id, relative)
        lake.commit(_manifest(batch_id, [("t", 0, 5)], [relative]))
    lake.land(later, [f"raw_events/event_date=2026-01-01/part-{later}.parquet"])

    assert lake.landed_batches() == [later]
    lake.recover()
    assert lake.landed_batches() == [earlier, later]


def test_each_lag_measurement_is_kept_as_a_row_per_topic_in_the_days_file(tmp_path) -> None:
    import pyarrow.parquet as pq

    from ingest.lake.store import LAG_HISTORY_DIR

    lake = Lake(tmp_path)
    lake.save_lag({"a": 3, "b": 0}, None)
    lake.save_lag({}, "20260101T000000000000Z-1")  # the brokers did not answer: no row, not a zero
    lake.save_lag({"a": 1, "b": 7}, "20260101T000000000000Z-1")
    days = sorted((tmp_path / LAG_HISTORY_DIR).glob("measured_date=*/*.parquet"))
    rows = [row for day in days for row in pq.read_table(day).to_pylist()]
    assert [(r["topic"], r["lag"], r["after_batch_id"]) for r in rows] == [
        ("a", 3, None),
        ("b", 0, None),
        ("a", 1, "20260101T000000000000Z-1"),
        ("b", 7, "20260101T000000000000Z-1"),
    ]
    assert {day.parent.name for day in days} == {f"measured_date={r['measured_at'].date()}" for r in rows}
    # The latest stays where publish and the lag check read it.
    assert lake.lag()["topics"] == {"a": 1, "b": 7}
