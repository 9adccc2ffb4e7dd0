"""Ingest behaviour at the edges: empty topics, dead brokers, huge messages, new topics."""

from __future__ import annotations

import json

import duckdb
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from ingest.sandbox.broker import free_port

pytestmark = pytest.mark.kafka


def _produce(workspace, topic: str, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=workspace.broker.bootstrap_servers, max_request_size=4 << 20)
    for value in values:
        producer.send(topic, value)
    producer.flush()
    producer.close()


def _envelope(n: int, family: str = "ai_stream_status") -> bytes:
    return json.dumps(
        {
            "id": f"id-{n}",
            "type": family,
            "timestamp": str(1767908945298 + n),
            "gateway": "",
            "data": {"n": n},
        }
    ).encode()


def test_empty_topics_make_a_zero_batch(workspace) -> None:
    result = workspace.naap("ingest", "--once")
    assert "0 consumed = 0 accepted + 0 quarantined" in result.stdout
    [batch] = workspace.batches()
    assert (batch["consumed"], batch["accepted"], batch["quarantined"]) == (0, 0, 0)
    assert batch["partitions"] == [] and batch["files"] == []


def test_unreachable_broker_is_one_clear_line_and_writes_nothing(workspace) -> None:
    result = workspace.naap(
        "ingest", "--once", check=False, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}"
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("naap: error: cannot reach Kafka at 127.0.0.1:")
    assert not workspace.data_dir.exists()


def test_oversized_message_is_quarantined_not_fatal(workspace) -> None:
    big = json.dumps(
        {
            "id": "big",
            "type": "ai_stream_status",
            "timestamp": "1767908945298",
            "data": {"blob": "x" * (1024 * 1024)},
        }
    ).encode()
    _produce(workspace, workspace.topics[0], [_envelope(1), big, _envelope(2)])
    workspace.naap("ingest", "--once")
    assert sorted(r[0] for r in workspace.lake_rows(columns="event_id")) == ["id-1", "id-2"]
    [(reason, size)] = workspace.lake_rows("quarantine", "reason, length(raw_text)")
    assert reason == "oversized_message" and size == len(big)


def test_batches_reconcile_and_partition_ranges_are_recorded(workspace) -> None:
    values = [_envelope(n) for n in range(500)] + [b"{broken", b"\xff\xfe not utf-8"]
    _produce(workspace, workspace.topics[0], values)
    workspace.naap("ingest", "--once", NAAP_BATCH_MAX_EVENTS="150")
    batches = workspace.batches()
    assert len(batches) >= 4
    for batch in batches:
        assert batch["consumed"] == batch["accepted"] + batch["quarantined"]
        assert batch["consumed"] == sum(p["consumed"] for p in batch["partitions"])
        assert batch["quarantined"] == sum(r["count"] for r in batch["quarantine_reasons"])
    assert sum(b["consumed"] for b in batches) == 502
    reasons = workspace.lake_rows("quarantine", "reason, raw_text")
    assert sorted(r[0] for r in reasons) == ["invalid_json", "invalid_json"]
    assert any("\\xff\\xfe" in r[1] for r in reasons)


def test_offsets_are_committed_to_the_consumer_group(workspace) -> None:
    _produce(workspace, workspace.topics[1], [_envelope(n) for n in range(40)])
    workspace.naap("ingest", "--once", KAFKA_CONSUMER_GROUP="lag-tools")
    consumer = KafkaConsumer(bootstrap_servers=workspace.broker.bootstrap_servers, group_id="lag-tools")
    try:
        partitions = consumer.partitions_for_topic(workspace.topics[1])
        committed = sum(consumer.committed(TopicPartition(workspace.topics[1], p)) or 0 for p in partitions)
    finally:
        consumer.close()
    assert committed == 40


def test_new_topics_are_picked_up_on_the_next_batch(workspace) -> None:
    extra = workspace.topics[0] + "_late"
    topics = ",".join((*workspace.topics, extra))
    first = workspace.naap("ingest", "--once", NAAP_TOPICS=topics)
    assert f"topic '{extra}' does not exist yet" in first.stdout
    workspace.broker.create_topics([extra], partitions=2)
    _produce(workspace, extra, [_envelope(n) for n in range(7)])
    workspace.naap("ingest", "--once", NAAP_TOPICS=topics)
    rows = workspace.lake_rows(columns="topic, org")
    assert rows == [(extra, extra)] * 7  # an unmapped topic is its own org


def test_a_second_run_consumes_only_new_messages(workspace) -> None:
    _produce(workspace, workspace.topics[0], [_envelope(n) for n in range(30)])
    workspace.naap("ingest", "--once")
    _produce(workspace, workspace.topics[0], [_envelope(n) for n in range(30, 45)])
    second = workspace.naap("ingest", "--once")
    assert "15 consumed" in second.stdout
    offsets = workspace.lake_rows(columns='partition, "offset"')
    assert len(offsets) == len(set(offsets)) == 45


@pytest.mark.slow  # a dbt build
def test_a_recreated_topic_is_read_from_its_beginning_even_when_it_outgrew_the_old_one(workspace) -> None:
    topic = workspace.topics[1]
    # Each incarnation starts with an unreadable message, quarantined at the same offset 0.
    _produce(workspace, topic, [b"not json", *(_envelope(n) for n in range(2))])
    workspace.naap("ingest", "--once")
    workspace.broker.delete_topics([topic])
    workspace.broker.create_topics([topic], partitions=1)
    # More messages than the old incarnation had: offsets alone cannot tell it was recreated.
    _produce(workspace, topic, [b"not json", *(_envelope(n) for n in range(100, 105))])
    result = workspace.naap("ingest", "--once")
    assert f"ingest: warning: {topic} was recreated" in result.stdout
    assert sorted(workspace.lake_rows(columns="event_id")) == [
        (f"id-{n}",) for n in (0, 1, 100, 101, 102, 103, 104)
    ]
    incarnations = {
        p["topic_id"] for b in workspace.batches() for p in b["partitions"] if p["topic"] == topic
    }
    assert len(incarnations) == 2 and None not in incarnations

    again = workspace.naap("ingest", "--once")
    assert "0 consumed" in again.stdout and "was recreated" not in again.stdout

    # Staging keys quarantined messages by incarnation too, so its grain test holds.
    workspace.naap("build", "--select", "stg_lake__quarantined_events")
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb"), read_only=True) as con:
        quarantined = con.execute(
            "select topic_id, kafka_offset from stg_lake__quarantined_events"
        ).fetchall()
    assert sorted(quarantined) == sorted((incarnation, 0) for incarnation in incarnations)


def test_the_lag_left_after_a_run_is_measured_per_topic_and_saved_for_publish(workspace) -> None:
    from ingest.lake.store import Lake
    from ingest.pull.clients import make_consumer
    from ingest.pull.once import ingest_once, list_partitions, measure_lag

    # Several produce calls: Tansu reports a partition's end as its last record batch's start + 1.
    for n in range(4):
        _produce(workspace, workspace.topics[0], [_envelope(n)])
    result = ingest_once(workspace.settings)
    assert result.consumed == 4
    lake = Lake(workspace.settings.lake_dir)
    saved = lake.lag()
    assert saved["topics"] == result.lag_by_topic == {workspace.topics[0]: 0, workspace.topics[1]: 0}
    assert saved["measured_at"]

    for n in range(4, 10):
        _produce(workspace, workspace.topics[1], [_envelope(n)])
    consumer = make_consumer(workspace.settings.kafka)
    try:
        keys, _ = list_partitions(consumer, workspace.topics)
        lag = measure_lag(consumer, keys, lake.positions())
    finally:
        consumer.close()
    assert lag == {workspace.topics[0]: 0, workspace.topics[1]: 6}
