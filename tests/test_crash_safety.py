"""kill -9 at any instant, rerun, and every message is in the lake exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from kafka import KafkaProducer

from ingest.support.faults import POINTS

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _fill(workspace, count: int) -> int:
    producer = KafkaProducer(bootstrap_servers=workspace.broker.bootstrap_servers, linger_ms=5)
    for n in range(count):
        value = (
            b"not json"
            if n % 97 == 0
            else json.dumps(
                {
                    "id": f"id-{n}",
                    "type": "ai_stream_status",
                    "timestamp": str(1767908945298 + n * 1000),
                    "gateway": "",
                    "data": {"n": n, "pad": "p" * 200},
                }
            ).encode()
        )
        producer.send(workspace.topics[n % 2], value)
    producer.flush()
    producer.close()
    return count


def _assert_exactly_once(workspace, produced: int) -> None:
    columns = 'topic, partition, "offset"'
    keys = workspace.lake_rows("raw_events", columns) + workspace.lake_rows("quarantine", columns)
    duplicates = [k for k, n in Counter(keys).items() if n > 1]
    assert duplicates == []
    assert len(keys) == produced
    for topic in workspace.topics:
        for partition in {p for t, p, _ in keys if t == topic}:
            offsets = sorted(o for t, p, o in keys if (t, p) == (topic, partition))
            assert offsets == list(range(len(offsets))), f"gap in {topic}[{partition}]"
    assert sum(b["consumed"] for b in workspace.batches()) == produced
    assert not any((workspace.data_dir / "lake" / "_staging").glob("*"))


def test_crash_at_every_fault_point_then_rerun(workspace) -> None:
    produced = _fill(workspace, 3000)
    for point in POINTS:
        crashed = workspace.naap(
            "ingest", "--once", check=False, NAAP_FAULT_POINT=point, NAAP_BATCH_MAX_EVENTS="400"
        )
        assert crashed.returncode == -signal.SIGKILL, f"{point}: {crashed.stderr}"
    final = workspace.naap("ingest", "--once", NAAP_BATCH_MAX_EVENTS="400")
    assert "lag left 0" in final.stdout
    _assert_exactly_once(workspace, produced)


def _manifests(workspace) -> int:
    return len(list((workspace.data_dir / "lake" / "ingest_batches").glob("*/*.parquet")))


def test_sigkill_mid_parallel_drain_then_rerun(workspace) -> None:
    """Kill the parent of a two-worker drain while batches are landing; its workers die with it."""
    produced = _fill(workspace, 150_000)
    env = {**workspace.env, "NAAP_BATCH_MAX_EVENTS": "2000", "NAAP_INGEST_WORKERS": "2"}
    for round_ in range(1, 4):
        target = _manifests(workspace) + 3 * round_
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest.cli", "ingest", "--once"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while _manifests(workspace) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
    interrupted = len(workspace.lake_rows("raw_events", "1")) + len(workspace.lake_rows("quarantine", "1"))
    assert 0 < interrupted < produced, "the kills should land mid-drain"
    time.sleep(0.5)  # the orphaned workers' SIGKILL is asynchronous
    workspace.naap("ingest", "--once", NAAP_BATCH_MAX_EVENTS="2000", NAAP_INGEST_WORKERS="2")
    _assert_exactly_once(workspace, produced)
    writers = {batch["batch_id"].rsplit("-", 1)[1] for batch in workspace.batches() if batch["consumed"]}
    assert len(writers) >= 2, "the drain should have run on worker processes"
