"""The dbt staging layer over a lake built from the real capture.

One warehouse per module: the 65-event capture delivered twice (two ingest
batches, so every event is redelivered), plus a few crafted events on the other
topic for encodings the capture lacks. Only the staging models are built.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers.workspace import Workspace

from ingest.paths import warehouse_path
from ingest.sandbox.broker import EmbeddedBroker
from ingest.warehouse.build import build

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CAPTURE = SHARED / "fixtures" / "capture-streaming-events-2026-01-08.json"

# The 15 accepted families and their staging models.
STAGING_MODELS = {
    "stream_trace": "stg_lake__stream_traces",
    "ai_stream_status": "stg_lake__stream_statuses",
    "ai_stream_events": "stg_lake__stream_events",
    "stream_ingest_metrics": "stg_lake__stream_ingest_metrics",
    "network_capabilities": "stg_lake__capability_snapshots",
    "discovery_results": "stg_lake__discovery_results",
    "create_new_payment": "stg_lake__payments",
    "create_signed_ticket": "stg_lake__signed_tickets",
    "ai_batch_request": "stg_lake__ai_batch_requests",
    "ai_llm_request": "stg_lake__llm_requests",
    "job_gateway": "stg_lake__byoc_gateway_events",
    "job_orchestrator": "stg_lake__byoc_orchestrator_events",
    "job_auth": "stg_lake__byoc_auth_events",
    "job_payment": "stg_lake__byoc_payment_events",
    "worker_lifecycle": "stg_lake__worker_lifecycle_events",
}
FAN_OUTS = {"stg_lake__capability_snapshots", "stg_lake__discovery_results"}
# Events per family in the capture (reference-behaviour.md §1.7).
CAPTURE_COUNTS = {
    "stream_trace": 6,
    "ai_stream_status": 17,
    "stream_ingest_metrics": 34,
    "create_new_payment": 6,
    "discovery_results": 1,
    "network_capabilities": 1,
}
FIRST_PAYMENT_ID = "9c838785-dc30-4725-9769-34cc47792393"
HOT_WALLET = "0x52cf2968b3dc6016778742d3539449a6597d5954"
CANONICAL = "0xd00354656922168815fcd1e51cbddb9e359e3c7f"
ORCH_URL = "https://rtav-orch2.xodeapp.xyz:28935"
START_TIME = datetime(2026, 1, 8, 21, 49, 5, 607000, tzinfo=UTC)


def _crafted_records(capture: list[dict], topic: str) -> list[dict]:
    """Status samples with start_time as float seconds and as ISO text, a worker
    lifecycle event re-drained under a new envelope id, and a payment with a
    client IP and a face value beyond int64."""
    status = next(r["value"] for r in capture if r["value"]["type"] == "ai_stream_status")
    payment = next(r["value"] for r in capture if r["value"]["type"] == "create_new_payment")
    values = []
    for n, start_time in enumerate([1767908945.607, "2026-01-08T21:49:05.607Z"]):
        value = copy.deepcopy(status)
        value["id"] = f"crafted-status-{n}"
        value["data"]["start_time"] = start_time
        values.append(value)
    worker = {
        "type": "worker_lifecycle",
        "timestamp": "1767908950000",
        "gateway": "",
        "data": {
            "type": "worker_registered",
            "id": "worker-event-1",
            "capability": "openai-chat-completions",
            "worker_url": "http://Worker.example:8100/",
            "price_per_unit": 2500,
            "worker_options": [{"model": "Qwen/Qwen2.5-14B-Instruct-AWQ"}],
            "orchestrator_info": {"address": "0xABCdef0000000000000000000000000000000001", "url": ORCH_URL},
            "timestamp": 1767908950000,
        },
    }
    values += [{**worker, "id": "crafted-worker-first"}, {**worker, "id": "crafted-worker-redrain"}]
    big = copy.deepcopy(payment)
    big["id"] = "crafted-payment-big"
    big["data"]["clientIP"] = "203.0.113.7"
    big["data"]["faceValue"] = "123456789012345678901234 WEI"
    values.append(big)
    return [{"topic": topic, "key": value["id"], "value": value} for value in values]


@pytest.fixture(scope="module")
def warehouse(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not CAPTURE.exists():
        pytest.skip(f"the shared fixtures are not beside this checkout ({CAPTURE.name} missing)")
    topics = ("network_events_staging", "streaming_events_staging")
    broker.create_topics(topics)
    workspace = Workspace(broker, tmp_path_factory.mktemp("staging") / "data", topics)
    crafted = workspace.data_dir.parent / "crafted.jsonl"
    records = _crafted_records(json.loads(CAPTURE.read_text()), topics[0])
    crafted.write_text("".join(json.dumps(r) + "\n" for r in records))
    # Two deliveries of everything, in two ingest batches.
    for _ in range(2):
        workspace.naap("replay", str(CAPTURE), "--topic", topics[1])
        workspace.naap("replay", str(crafted))
        workspace.naap("ingest", "--once")
    build(workspace.settings, select=["path:models/staging"])
    yield warehouse_path(workspace.settings)


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_capture_splits_by_family_into_the_staging_models(con) -> None:
    counts = {}
    for family, model in STAGING_MODELS.items():
        [(rows, events)] = con.execute(
            f"select count(*), count(distinct event_id) from {model} where org = 'cloudspe'"
        ).fetchall()
        counts[family] = events
        if model not in FAN_OUTS:
            assert rows == events, model
    assert {f: n for f, n in counts.items() if n} == CAPTURE_COUNTS
    assert sum(counts.values()) == 65


def test_redelivered_events_do_not_duplicate_staging_rows(con) -> None:
    [(raw, unique)] = con.execute("select count(*), count(distinct event_id) from lake.raw_events").fetchall()
    assert raw == 2 * unique  # every event arrived twice
    for model in STAGING_MODELS.values():
        grain = "event_id, entry_index" if model in FAN_OUTS else "event_id"
        [(duplicates,)] = con.execute(
            f"select count(*) from (select {grain} from {model} group by all having count(*) > 1)"
        ).fetchall()
        assert duplicates == 0, model
    # The first delivery is the one kept.
    [(kept, first)] = con.execute(
        "select max(s.ingested_at), min(r.ingested_at) from stg_lake__stream_statuses s"
        " join lake.raw_events r using (event_id)"
    ).fetchall()
    assert kept == first


def test_the_first_payment_is_parsed(con) -> None:
    [payment] = _rows(con, "select * from stg_lake__payments where event_id = ?", [FIRST_PAYMENT_ID])
    assert payment["face_value_wei"] == 2402400000000000
    assert payment["price_wei_per_pixel"] == pytest.approx(1635.021)
    assert payment["win_prob"] == pytest.approx(0.000999001)
    assert payment["num_tickets"] == 2
    assert payment["pipeline_hint"] == "streamdiffusion-sdxl-faceid"
    assert payment["manifest_capability_id"] == 35
    assert payment["recipient_address"] == CANONICAL
    assert payment["sender_address"] == "0x5ae4e42db3671370a0c25aff451e7482aaec3d0b"
    assert payment["orchestrator_url_norm"] == ORCH_URL
    assert payment["expected_value_wei"] == pytest.approx(2402400000000000 * 0.000999001 * 2)
    refills = _rows(
        con, "select request_id, manifest_capability_id from stg_lake__payments where org = 'cloudspe'"
    )
    assert sum(1 for r in refills if r["request_id"] == "db936fab") == 1
    assert sum(1 for r in refills if r["manifest_capability_id"] is None) == 5


def test_face_values_beyond_int64_stay_exact(con) -> None:
    [(face,)] = con.execute(
        "select face_value_wei from stg_lake__payments where event_id = 'crafted-payment-big'"
    ).fetchall()
    assert Decimal(face) == Decimal("123456789012345678901234")


def test_status_start_time_is_parsed_in_every_encoding(con) -> None:
    rows = _rows(con, "select org, started_at, state, output_fps from stg_lake__stream_statuses")
    assert {r["started_at"] for r in rows} == {START_TIME}  # int ms, float seconds, ISO text
    capture = [r for r in rows if r["org"] == "cloudspe"]
    assert sorted({r["state"] for r in capture}) == ["DEGRADED_INFERENCE", "ONLINE"]
    assert sum(r["output_fps"] for r in capture) / 17 == pytest.approx(271.99918 / 17, abs=1e-4)


def test_traces_carry_the_hot_wallet_lower_cased(con) -> None:
    rows = _rows(
        con,
        "select trace_type, orchestrator_local_address, orchestrator_url_norm, event_ts"
        " from stg_lake__stream_traces order by event_ts, trace_type",
    )
    assert rows[0]["trace_type"] == "gateway_receive_stream_request"
    assert rows[0]["orchestrator_local_address"] == ""
    assert {r["orchestrator_local_address"] for r in rows[1:]} == {HOT_WALLET}
    assert {r["orchestrator_url_norm"] for r in rows[1:]} == {ORCH_URL}


def test_discovery_has_one_element_with_its_latency(con) -> None:
    [result] = _rows(con, "select * from stg_lake__discovery_results")
    assert result["entry_index"] == 1
    assert result["latency_ms"] == 77
    assert result["orchestrator_local_address"] == HOT_WALLET
    assert result["orchestrator_url"] == ORCH_URL


def test_capability_entries_keep_identities_and_nested_json(con) -> None:
    [entry] = _rows(con, "select * from stg_lake__capability_snapshots")
    assert entry["entry_index"] == 1
    assert entry["orchestrator_address"] == CANONICAL
    assert entry["orchestrator_local_address"] == HOT_WALLET
    assert entry["orchestrator_name"] == "0x52CF2968b3DC6016778742D3539449a6597D5954"
    assert entry["orchestrator_uri_norm"] == ORCH_URL
    assert entry["capabilities_version"] == "0.8.8-3a5678ec-dirty"
    assert entry["has_hardware"] is True
    [hardware] = json.loads(entry["hardware_json"])
    assert hardware["gpu_info"]["0"]["id"] == "GPU-a8d13655-197b-2226-d09f-b4b81e07504b"
    [price] = json.loads(entry["capabilities_prices_json"])
    assert (price["capability"], price["pricePerUnit"]) == (35, 1618)
    assert "PerCapability" in json.loads(entry["capabilities_json"])["constraints"]


def test_worker_lifecycle_dedups_on_the_payload_id(con) -> None:
    rows = _rows(con, "select * from stg_lake__worker_lifecycle_events")
    # Two envelopes, each delivered twice: one lifecycle event.
    assert [r["lifecycle_id"] for r in rows] == ["worker-event-1"]
    assert rows[0]["event_id"] in ("crafted-worker-first", "crafted-worker-redrain")
    assert rows[0]["orchestrator_address"] == "0xabcdef0000000000000000000000000000000001"
    assert rows[0]["worker_url_norm"] == "http://worker.example:8100"
    assert rows[0]["model_id"] == "Qwen/Qwen2.5-14B-Instruct-AWQ"


def test_no_client_ip_column_leaves_staging(con) -> None:
    columns = con.execute(
        "select table_name, column_name from information_schema.columns where table_name like 'stg_lake__%'"
    ).fetchall()
    assert {table for table, _ in columns} >= set(STAGING_MODELS.values())
    assert [c for c in columns if c[1].lower().replace("_", "") == "clientip"] == []
    assert not any(
        "203.0.113.7" in str(v) for r in _rows(con, "select * from stg_lake__payments") for v in r.values()
    )
