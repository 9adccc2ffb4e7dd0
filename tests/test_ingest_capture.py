"""The real 65-event capture, end to end through the CLI and the embedded broker."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.kafka


def test_real_capture_is_accepted_whole(workspace, capture_path: Path) -> None:
    records = json.loads(capture_path.read_text())
    expected_types = Counter(r["value"]["type"] for r in records)

    replay = workspace.naap("replay", str(capture_path), "--topic", workspace.topics[1])
    assert "65 messages" in replay.stdout
    ingest = workspace.naap("ingest", "--once")

    rows = workspace.lake_rows(columns="event_type, org, event_id, event_ts, data_json")
    assert len(rows) == 65
    assert Counter(r[0] for r in rows) == expected_types
    assert {r[1] for r in rows} == {"cloudspe"}
    assert {r[2] for r in rows} == {r["value"]["id"] for r in records}
    assert workspace.lake_rows("quarantine") == []
    assert "65 consumed = 65 accepted + 0 quarantined" in ingest.stdout

    # The payload survives as JSON equal to the original `data`.
    by_id = {r["value"]["id"]: r["value"]["data"] for r in records}
    assert all(json.loads(r[4]) == by_id[r[2]] for r in rows)
    first = min(rows, key=lambda r: r[3])
    assert first[3].isoformat() == "2026-01-08T21:49:05.298000+00:00"


def test_capture_lands_in_its_event_date_partition(workspace, capture_path: Path) -> None:
    workspace.naap("replay", str(capture_path), "--topic", workspace.topics[1])
    workspace.naap("ingest", "--once")
    partitions = sorted(p.name for p in (workspace.data_dir / "lake" / "raw_events").iterdir())
    assert partitions == ["event_date=2026-01-08"]
