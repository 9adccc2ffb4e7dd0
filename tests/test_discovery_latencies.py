"""Discovery latencies build incrementally by hour: a late snapshot remaps the
earlier discoveries of its URI, a new local-address alias remaps the discoveries
of that hot wallet, and the result equals a build from scratch."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from helpers.warehouse_tables import table_differences
from test_staging import CAPTURE

from ingest.paths import warehouse_path
from ingest.warehouse.build import build

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SELECT = ["+int_discovery_latencies_aggregated"]
URI, OTHER_URI, UNSNAPSHOTTED_URI = (
    "https://u.example:8935",
    "https://z.example:8935",
    "https://v.example:8935",
)
WALLET, OTHER_WALLET, LONE_WALLET = ("0x" + c * 40 for c in "123")
FIRST, SECOND, THIRD = ("0x" + c * 40 for c in "abc")


def _ms(hour: int, minute: int) -> int:
    return int(datetime(2026, 1, 8, hour, minute, tzinfo=UTC).timestamp() * 1000)


def _discovery(n: int, at: int, wallet: str, url: str) -> dict:
    data = [{"address": wallet, "latency_ms": str(50 + n), "url": url}]
    return {
        "id": f"discovery-{n}",
        "type": "discovery_results",
        "timestamp": str(at),
        "gateway": "",
        "data": data,
    }


def _snapshot(n: int, at: int, address: str, wallet: str, uri: str) -> dict:
    capture = json.loads(CAPTURE.read_text())
    entry = copy.deepcopy(
        next(r["value"] for r in capture if r["value"]["type"] == "network_capabilities")["data"][0]
    )
    entry.update(address=address, local_address=wallet, orch_uri=uri)
    return {
        "id": f"snapshot-{n}",
        "type": "network_capabilities",
        "timestamp": str(at),
        "gateway": "",
        "data": [entry],
    }


def _deliver(workspace, tmp_path: Path, values: list[dict]) -> None:
    path = tmp_path / f"{values[0]['id']}.jsonl"
    topic = workspace.topics[1]
    path.write_text("".join(json.dumps({"topic": topic, "key": v["id"], "value": v}) + "\n" for v in values))
    workspace.naap("replay", str(path))
    workspace.naap("ingest", "--once")
    build(workspace.settings, select=SELECT)


def _hours(warehouse: Path) -> dict[tuple[int, str], str]:
    """(hour, orchestrator) -> how its samples were mapped."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        rows = con.execute(
            "select hour(window_start), orchestrator_address, uri_mapped_sample_count,"
            " local_address_mapped_sample_count, unmapped_sample_count"
            " from int_discovery_latencies_aggregated"
        ).fetchall()
    kinds = ("uri", "local_address", "unmapped")
    return {(h, a): "+".join(k for k, n in zip(kinds, counts, strict=True) if n) for h, a, *counts in rows}


def test_late_snapshots_and_new_aliases_remap_earlier_hours(workspace, tmp_path: Path) -> None:
    if not CAPTURE.exists():
        pytest.skip(f"the shared fixtures are not beside this checkout ({CAPTURE.name} missing)")
    warehouse = warehouse_path(workspace.settings)
    _deliver(
        workspace,
        tmp_path,
        [
            _snapshot(1, _ms(9, 0), FIRST, WALLET, URI),
            _discovery(1, _ms(10, 10), WALLET, URI),
            _discovery(2, _ms(11, 10), WALLET, URI),
            _discovery(3, _ms(10, 20), LONE_WALLET, UNSNAPSHOTTED_URI),
        ],
    )
    assert _hours(warehouse) == {(10, FIRST): "uri", (11, FIRST): "uri", (10, LONE_WALLET): "unmapped"}

    # A snapshot of the URI at 10:30, late: the 11:10 discovery now maps through it.
    # Its local address pairs no earlier discovery, so only the URI rule can see the change.
    _deliver(workspace, tmp_path, [_snapshot(2, _ms(10, 30), SECOND, OTHER_WALLET, URI)])
    assert _hours(warehouse) == {(10, FIRST): "uri", (11, SECOND): "uri", (10, LONE_WALLET): "unmapped"}

    # A snapshot of another URI names the lone wallet as its local address: an alias.
    _deliver(workspace, tmp_path, [_snapshot(3, _ms(8, 0), THIRD, LONE_WALLET, OTHER_URI)])
    assert _hours(warehouse) == {(10, FIRST): "uri", (11, SECOND): "uri", (10, THIRD): "local_address"}

    incremental = tmp_path / "incremental.duckdb"
    shutil.copy(warehouse, incremental)
    build(workspace.settings, full_refresh=True, select=SELECT)
    assert table_differences(incremental, warehouse) == {}
