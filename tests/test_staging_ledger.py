"""Staging reads each published lake batch once per event family, holds or not
any of the family, and never a batch whose files are still being moved in."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import duckdb
import pytest
from test_staging import CAPTURE, STAGING_MODELS

from ingest.paths import warehouse_path
from ingest.warehouse.build import build

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

DAY_MS = 86_400_000
FIRST_MS = 1767908950000  # 2026-01-08


# The event-family models, the data clock and the delivery counts, which read each batch once too.
LEDGER_MODELS = [*STAGING_MODELS.values(), "stg_lake__data_clock", "stg_lake__event_deliveries"]


def _worker_events(topic: str) -> list[dict]:
    """Two worker registrations a day apart: one batch, two event dates, two lake files."""
    records = []
    for n in range(2):
        stamp = FIRST_MS + n * DAY_MS
        value = {
            "id": f"ledger-worker-{n}",
            "type": "worker_lifecycle",
            "timestamp": str(stamp),
            "gateway": "",
            "data": {
                "type": "worker_registered",
                "id": f"ledger-worker-event-{n}",
                "capability": "openai-chat-completions",
                "worker_url": "http://worker.example:8100/",
                "price_per_unit": 2500,
                "orchestrator_info": {"address": "0x" + "ab" * 20, "url": "https://orch.example:8935"},
                "timestamp": stamp,
            },
        }
        records.append({"topic": topic, "key": value["id"], "value": value})
    return records


def _ledger(warehouse: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select model, batch_id from ledger.staged_batches").fetchall()
    ledger: dict[str, set[str]] = {}
    for model, batch_id in rows:
        ledger.setdefault(model, set()).add(batch_id)
    return ledger


def _staged_workers(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from stg_lake__worker_lifecycle_events").fetchone()[0]


def test_each_published_batch_is_read_once_per_family(workspace, tmp_path: Path) -> None:
    if not CAPTURE.exists():
        pytest.skip(f"the shared fixtures are not beside this checkout ({CAPTURE.name} missing)")
    staging = ["path:models/staging"]
    warehouse = warehouse_path(workspace.settings)
    workspace.naap("replay", str(CAPTURE), "--topic", workspace.topics[1])
    workspace.naap("ingest", "--once")
    (first,) = [batch["batch_id"] for batch in workspace.batches()]
    build(workspace.settings, select=staging)
    # Every family model read the batch, those with no event in it too.
    assert _ledger(warehouse) == {model: {first} for model in LEDGER_MODELS}
    assert _staged_workers(warehouse) == 0

    # A batch killed while its files move into the lake: committed, partly visible.
    workers = tmp_path / "workers.jsonl"
    workers.write_text("".join(json.dumps(record) + "\n" for record in _worker_events(workspace.topics[0])))
    workspace.naap("replay", str(workers))
    crashed = workspace.naap("ingest", "--once", check=False, NAAP_FAULT_POINT="mid_landing")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    second = workspace.batches()[-1]["batch_id"]
    visible = [row for row in workspace.lake_rows(columns="batch_id") if row[0] == second]
    assert len(visible) == 1, "expected one of the batch's two files in the lake"
    build(workspace.settings, select=staging)
    assert _ledger(warehouse) == {model: {first} for model in LEDGER_MODELS}
    assert _staged_workers(warehouse) == 0, "a half-landed batch was staged"

    # The next ingest rolls the batch forward; the next build reads all of it, once.
    workspace.naap("ingest", "--once")
    build(workspace.settings, select=staging)
    batches = {batch["batch_id"] for batch in workspace.batches()}
    assert {first, second} <= batches
    assert _ledger(warehouse) == {model: batches for model in LEDGER_MODELS}
    assert _staged_workers(warehouse) == 2
