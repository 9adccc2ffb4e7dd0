"""`naap replay`: every input shape, the topic override, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.sandbox.replay import ReplayError, read_messages

ENVELOPE = {
    "id": "e-1",
    "type": "ai_stream_status",
    "timestamp": "1767908945298",
    "gateway": "",
    "data": {"a": 1},
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_array_of_capture_records(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", json.dumps([{"topic": "t1", "value": ENVELOPE}]))
    [message] = read_messages(path)
    assert (message.topic, message.key) == ("t1", b"e-1")
    assert json.loads(message.value) == ENVELOPE


def test_jsonl_of_envelopes_needs_and_takes_the_topic(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "e.jsonl", json.dumps(ENVELOPE) + "\n\n" + json.dumps({**ENVELOPE, "id": "e-2"}) + "\n"
    )
    messages = list(read_messages(path, "t9"))
    assert [m.topic for m in messages] == ["t9", "t9"]
    assert [m.key for m in messages] == [b"e-1", b"e-2"]
    with pytest.raises(ReplayError, match=r"e\.jsonl:1: no topic for this item; pass --topic"):
        list(read_messages(path))


def test_string_values_are_sent_verbatim(tmp_path: Path) -> None:
    broken = '{"id": "x", "type": '
    path = _write(tmp_path / "b.jsonl", json.dumps({"topic": "t1", "key": "k", "value": broken}))
    [message] = read_messages(path)
    assert (message.value, message.key) == (broken.encode(), b"k")


def test_topic_override_beats_the_record_topic(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", json.dumps([{"topic": "streaming-events", "value": ENVELOPE}]))
    [message] = read_messages(path, "streaming_events")
    assert message.topic == "streaming_events"


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("bad.json", '[{"topic": ', r"bad\.json: not a valid JSON array"),
        ("bad.jsonl", json.dumps(ENVELOPE) + "\n{oops\n", r"bad\.jsonl:2: not valid JSON"),
        ("num.json", "[1]", r"num\.json: item 1: expected an object"),
    ],
)
def test_bad_files_name_the_place(tmp_path: Path, name: str, text: str, error: str) -> None:
    with pytest.raises(ReplayError, match=error):
        list(read_messages(_write(tmp_path / name, text), "t"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match=r"nope\.json: cannot open"):
        list(read_messages(tmp_path / "nope.json"))


@pytest.mark.kafka
def test_replay_through_the_cli_into_the_lake(workspace, tmp_path: Path) -> None:
    array = _write(
        tmp_path / "a.json",
        json.dumps(
            [{"topic": workspace.topics[0], "value": ENVELOPE}, {"topic": "ignored", "value": "{junk"}]
        ),
    )
    jsonl = _write(tmp_path / "b.jsonl", json.dumps({**ENVELOPE, "id": "e-2"}) + "\n")
    result = workspace.naap("replay", str(array), str(jsonl), "--topic", workspace.topics[1])
    assert "3 messages" in result.stdout and f"{workspace.topics[1]} 3" in result.stdout
    workspace.naap("ingest", "--once")
    assert sorted(workspace.lake_rows(columns="event_id, topic")) == [
        ("e-1", workspace.topics[1]),
        ("e-2", workspace.topics[1]),
    ]
    assert workspace.lake_rows("quarantine", "reason, raw_text") == [("invalid_json", "{junk")]


@pytest.mark.kafka
def test_replay_errors_exit_2_with_one_line(workspace, tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", "{oops\n")
    for path in (tmp_path / "absent.json", bad):
        result = workspace.naap("replay", str(path), check=False)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("naap: error: ")


@pytest.mark.kafka
def test_replay_warns_when_ingest_will_not_read_the_topic(workspace, capture_path: Path) -> None:
    result = workspace.naap("replay", str(capture_path))
    assert "topic 'streaming-events' is not in NAAP_TOPICS" in result.stderr
