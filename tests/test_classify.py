"""The accepted-event contract, one rule at a time (no broker needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from ingest.lake.classify import classify
from ingest.lake.contract import ACCEPTED_FAMILIES, MAX_MESSAGE_BYTES

KAFKA_MS = 1767900000000


def _classify_texts(texts: list[str | bytes]) -> list[dict]:
    raw = [t if isinstance(t, bytes) else t.encode() for t in texts]
    decoded = [r.decode("utf-8", "backslashreplace") for r in raw]
    table = pa.table(
        {
            "org": ["o"] * len(raw),
            "topic": ["t"] * len(raw),
            "partition": [0] * len(raw),
            "offset": list(range(len(raw))),
            "kafka_timestamp": pa.array([KAFKA_MS] * len(raw), pa.timestamp("ms", tz="UTC")),
            "key": [None] * len(raw),
            "raw_text": decoded,
            "value_bytes": [len(r) for r in raw],
            "utf8_ok": [_is_utf8(r) for r in raw],
        }
    )
    return classify(table).to_pylist()


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _env(**fields) -> str:
    envelope = {
        "id": "e1",
        "type": "ai_stream_status",
        "timestamp": "1767908945298",
        "gateway": "",
        "data": {},
    }
    envelope.update(fields)
    return json.dumps({k: v for k, v in envelope.items() if v is not ...})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ('"just a string"', "invalid_json"),
        (b'{"id": "\xff"}', "invalid_json"),
        (_env(id=""), "missing_event_id"),
        (_env(id=...), "missing_event_id"),
        (_env(id=None), "missing_event_id"),
        (_env(type=""), "missing_type"),
        (_env(type=7), "missing_type"),
        (_env(id={"a": 1}), "missing_event_id"),
        (_env(id=[1]), "missing_event_id"),
        (_env(type=None), "missing_type"),
        (_env(type="stream_trace", data=[1, 2]), "unsupported_stream_trace_type"),
        (_env(type="stream_trace", data="text"), "unsupported_stream_trace_type"),
        (_env(timestamp="yesterday"), "bad_timestamp"),
        (_env(timestamp=12345), "bad_timestamp"),
        (_env(timestamp=...), "bad_timestamp"),
        (_env(timestamp="1e400"), "bad_timestamp"),
        (_env(type="webrtc_stats"), "unsupported_event_family"),
        (_env(type="pipelines_api_request"), "unsupported_event_family"),
        (
            _env(type="stream_trace", data={"type": "app_send_stream_request"}),
            "ignored_stream_trace_non_core_app",
        ),
        (_env(type="stream_trace", data={"type": "APP_x"}), "ignored_stream_trace_non_core_app"),
        (
            _env(type="stream_trace", data={"type": "stream_heartbeat", "client_source": "Scope"}),
            "ignored_stream_trace_scope_client_noise",
        ),
        (_env(type="stream_trace", data={"type": "stream_heartbeat"}), "unsupported_stream_trace_type"),
        (
            _env(type="stream_trace", data={"type": "stream_orchestrator_token_refresh"}),
            "unsupported_stream_trace_type",
        ),
        (_env(type="stream_trace", data={}), "unsupported_stream_trace_type"),
        # Invalid id outranks the unsupported family: the first matching rule wins.
        (_env(id="", type="webrtc_stats"), "missing_event_id"),
    ],
)
def test_each_quarantine_reason(text: str | bytes, reason: str) -> None:
    [row] = _classify_texts([text])
    assert row["reason"] == reason


def test_oversized_outranks_everything() -> None:
    text = _env(data={"pad": "x" * MAX_MESSAGE_BYTES})
    at_limit = "{" + " " * (MAX_MESSAGE_BYTES - 2) + "}"
    rows = _classify_texts([text, at_limit])
    assert rows[0]["reason"] == "oversized_message"
    assert rows[1]["reason"] == "missing_event_id"  # exactly 1 MiB is not oversized


@pytest.mark.parametrize("family", ACCEPTED_FAMILIES)
def test_every_accepted_family(family: str) -> None:
    data = {"type": "gateway_receive_stream_request"} if family == "stream_trace" else [{"address": "0x1"}]
    [row] = _classify_texts([_env(type=family, data=data)])
    assert row["reason"] is None
    assert row["event_type"] == family
    assert json.loads(row["data_json"]) == data


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("1767908945298", datetime(2026, 1, 8, 21, 49, 5, 298000, tzinfo=UTC)),
        (1767908945298, datetime(2026, 1, 8, 21, 49, 5, 298000, tzinfo=UTC)),
        (1767908945.25, datetime(2026, 1, 8, 21, 49, 5, 250000, tzinfo=UTC)),
        ("1767908945", datetime(2026, 1, 8, 21, 49, 5, tzinfo=UTC)),
        (" 1767908945298 ", datetime(2026, 1, 8, 21, 49, 5, 298000, tzinfo=UTC)),
        ("2026-01-08T21:49:05.5Z", datetime(2026, 1, 8, 21, 49, 5, 500000, tzinfo=UTC)),
        ("2026-01-08T23:49:05+02:00", datetime(2026, 1, 8, 21, 49, 5, tzinfo=UTC)),
        ("2026-01-08 21:49:05", datetime(2026, 1, 8, 21, 49, 5, tzinfo=UTC)),
    ],
)
def test_one_timestamp_rule(timestamp, expected: datetime) -> None:
    [row] = _classify_texts([_env(timestamp=timestamp)])
    assert row["reason"] is None
    assert row["event_ts"] == expected
    assert row["event_date"] == expected.date()


def test_unusable_timestamp_falls_back_to_kafka_date_for_partitioning() -> None:
    [row] = _classify_texts([_env(timestamp="soon")])
    assert row["event_ts"] is None
    assert row["event_date"] == datetime.fromtimestamp(KAFKA_MS / 1000, UTC).date()


def test_envelope_fields_are_extracted() -> None:
    [row] = _classify_texts([_env(id=" abc ", gateway="0xGW", data={"k": [1, {"x": None}]})])
    assert (row["event_id"], row["gateway"]) == ("abc", "0xGW")
    assert json.loads(row["data_json"]) == {"k": [1, {"x": None}]}


def test_row_count_and_order_are_kept() -> None:
    texts = [_env(id=f"e{n}") if n % 3 else "garbage" for n in range(300)]
    rows = _classify_texts(texts)
    assert [r["offset"] for r in rows] == list(range(300))
    assert sum(r["reason"] is None for r in rows) == 200
