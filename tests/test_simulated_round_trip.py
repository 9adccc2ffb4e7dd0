"""A simulated scenario through the real broker and the real CLI, checked against its truth."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from ingest.lake.classify import classify
from ingest.sandbox.replay import read_messages
from ingest.sandbox.simulate import load_scenario, simulate, write_simulation

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sim") / "smoke.jsonl"
    result = simulate(load_scenario("smoke"), start=datetime(2026, 1, 8, 21, tzinfo=UTC), hours=0.25, seed=11)
    truth_path = write_simulation(result, out)
    return out, json.loads(Path(truth_path).read_text())


def test_simulated_events_parse_under_the_accepted_contract(smoke) -> None:
    path, truth = smoke
    messages = list(read_messages(path))
    raw = [m.value for m in messages]
    table = pa.table(
        {
            "org": [m.topic for m in messages],
            "topic": [m.topic for m in messages],
            "partition": [0] * len(raw),
            "offset": list(range(len(raw))),
            "kafka_timestamp": pa.array([0] * len(raw), pa.timestamp("ms", tz="UTC")),
            "key": [None] * len(raw),
            "raw_text": [r.decode("utf-8", "backslashreplace") for r in raw],
            "value_bytes": [len(r) for r in raw],
            "utf8_ok": [True] * len(raw),
        }
    )
    reasons = Counter(row["reason"] for row in classify(table).select(["reason"]).to_pylist())
    accepted = reasons.pop(None)
    assert accepted == truth["counts"]["accepted"]
    assert dict(reasons) == truth["counts"]["quarantined_by_reason"]


def test_every_event_lands_once_and_quarantine_matches_the_truth(workspace, tmp_path: Path) -> None:
    truth = workspace.replay_simulation(tmp_path, datetime(2026, 1, 8, 21, tzinfo=UTC), 0.25, seed=11)
    workspace.naap("ingest", "--once")

    columns = 'topic, partition, "offset"'
    keys = workspace.lake_rows("raw_events", columns) + workspace.lake_rows("quarantine", columns)
    assert len(keys) == len(set(keys)) == truth["counts"]["records"]
    quarantined = Counter(r[0] for r in workspace.lake_rows("quarantine", "reason"))
    assert dict(quarantined) == truth["counts"]["quarantined_by_reason"]
    families = Counter(r[0] for r in workspace.lake_rows("raw_events", "event_type"))
    assert dict(families) == truth["counts"]["by_family"]
    orgs = Counter(r[0] for r in workspace.lake_rows("raw_events", "org"))
    assert set(orgs) == {"daydream", "cloudspe"}
    [batch] = workspace.batches()
    assert batch["consumed"] == truth["counts"]["records"]
    assert batch["quarantined"] == truth["counts"]["quarantined"]
