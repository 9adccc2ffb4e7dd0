"""Shared fixtures: a real embedded broker, isolated topics and data dirs, the CLI."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import httpx
import pytest

from ingest.embedded_broker import EmbeddedBroker
from ingest.settings import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CAPTURE = SHARED / "fixtures" / "capture-streaming-events-2026-01-08.json"
_topic_numbers = itertools.count()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log) as running:
        yield running


@pytest.fixture
def capture_path() -> Path:
    if not CAPTURE.exists():
        pytest.skip(f"the shared fixtures are not beside this checkout ({CAPTURE.name} missing)")
    return CAPTURE


class Workspace:
    """One test's topics, data dir and environment, on the shared broker."""

    def __init__(self, broker: EmbeddedBroker, data_dir: Path, topics: tuple[str, ...]) -> None:
        self.broker = broker
        self.data_dir = data_dir
        self.topics = topics
        self.env = {
            **os.environ,
            "NAAP_DATA_DIR": str(data_dir),
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "NAAP_TOPICS": ",".join(topics),
            "NAAP_TOPIC_ORGS": f"{topics[0]}=daydream,{topics[1]}=cloudspe",
        }
        self.env.pop("NAAP_FAULT_POINT", None)

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    def naap(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "ingest.cli", *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"naap {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def replay_simulation(self, tmp_path: Path, start: datetime, hours: float, seed: int) -> dict:
        """Simulate the smoke scenario onto this test's topics, produce it, return the truth."""
        from ingest.simulate import load_scenario, simulate, write_simulation

        result = simulate(load_scenario("smoke"), start=start, hours=hours, seed=seed)
        topics = {"network_events": self.topics[0], "streaming_events": self.topics[1]}
        # Records are shared between a delivery and its redelivery, so copy, never mutate.
        result.records[:] = [{**r, "topic": topics[r["topic"]]} for r in result.records]
        path = tmp_path / "simulated.jsonl"
        truth = json.loads(Path(write_simulation(result, path)).read_text())
        self.naap("replay", str(path))
        return truth

    def lake_rows(self, dataset: str = "raw_events", columns: str = "*") -> list[tuple]:
        files = list((self.data_dir / "lake" / dataset).glob("event_date=*/*.parquet"))
        if not files:
            return []
        con = duckdb.connect()
        return con.execute(
            f"select {columns} from read_parquet(?, hive_partitioning = true)", [[str(f) for f in files]]
        ).fetchall()

    def batches(self) -> list[dict]:
        files = sorted((self.data_dir / "lake" / "ingest_batches").glob("batch_date=*/*.parquet"))
        if not files:
            return []
        con = duckdb.connect()
        cursor = con.execute("select * from read_parquet(?) order by batch_id", [[str(f) for f in files]])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def workspace(broker: EmbeddedBroker, tmp_path: Path) -> Workspace:
    n = next(_topic_numbers)
    topics = (f"network_events_{n}", f"streaming_events_{n}")
    broker.create_topics(topics)
    return Workspace(broker, tmp_path / "data", topics)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def naap_env(data_dir: Path) -> dict[str, str]:
    """The environment of a `naap` process on the embedded defaults, with its own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "NAAP_"))}
    env["NAAP_DATA_DIR"] = str(data_dir)
    return env


class Explorer:
    """A running `naap` process that ends serving the explorer, and the data dir it serves."""

    def __init__(self, args: list[str], data_dir: Path, log: Path, timeout_s: float) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_handle = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest.cli", *args, "--port", str(self.port)],
            env=naap_env(data_dir),
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._wait_until_serving(timeout_s)

    def _wait_until_serving(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"naap exited {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/-/versions.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        self.stop()
        raise AssertionError(f"the explorer did not answer within {timeout_s:.0f} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self._log_handle.close()


@pytest.fixture(scope="session")
def explorer_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Explorer]:
    """`naap run` on the smoke scenario (an hour boundary, every family), left serving its explorer."""
    tmp = tmp_path_factory.mktemp("explorer-run")
    args = ["run", "--scenario", "smoke", "--start", "2026-01-08T21:50:00Z", "--hours", "0.25"]
    explorer = Explorer(args, tmp / "data", tmp / "run.log", timeout_s=300)
    yield explorer
    explorer.stop()
