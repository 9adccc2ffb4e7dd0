"""One test's topics, data dir and environment on the shared embedded broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb

from ingest.sandbox.broker import EmbeddedBroker
from ingest.settings import Settings


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
        from ingest.sandbox.simulate import load_scenario, simulate, write_simulation

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
