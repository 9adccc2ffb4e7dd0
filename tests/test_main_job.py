"""`naap run --once` on the embedded defaults: its own broker, a simulated day, the lake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "NAAP_"))}
    env["NAAP_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest.cli",
            "run",
            "--once",
            "--scenario",
            "smoke",
            "--hours",
            "0.25",
            "--no-serve",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_run_feeds_the_embedded_broker_and_fills_the_lake(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _run(data_dir)
    assert first.returncode == 0, first.stderr
    assert "starting the embedded broker" in first.stdout
    assert "Where to look" in first.stdout
    truth = json.loads((data_dir / "simulated" / "smoke.truth.json").read_text())
    summary = f"{truth['counts']['records']:,} consumed = {truth['counts']['accepted']:,} accepted"
    assert summary in first.stdout
    assert list((data_dir / "lake" / "raw_events").glob("event_date=*/*.parquet"))
    assert "publish: 27 tables" in first.stdout
    assert "explorer not started (--no-serve)" in first.stdout
    assert (data_dir / "publish" / "naap.db").exists()

    second = _run(data_dir)
    assert second.returncode == 0, second.stderr
    assert "replacing the previous embedded run's lake" in second.stdout
    assert summary in second.stdout
    assert len(list((data_dir / "publish" / "snapshots").glob("2*Z"))) == 2


def test_run_never_deletes_a_lake_it_did_not_create(tmp_path: Path) -> None:
    lake = tmp_path / "data" / "lake"
    (lake / "raw_events").mkdir(parents=True)
    result = _run(tmp_path / "data")
    assert result.returncode == 2
    assert "did not create" in result.stderr
    assert (lake / "raw_events").exists()
