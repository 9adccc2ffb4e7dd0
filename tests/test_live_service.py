"""`naap run` as a live service: the feed, the Dagster daemon ticking micro-batches, the explorer.

One run of the real thing on the smoke scenario (a real broker, code server, daemon, webserver
and explorer, each its own process): two ticks land and show in /healthz and in a mart, SIGTERM leaves no
process and no port behind, and a second start continues the history instead of simulating it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from helpers.processes import free_port, naap_env

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

BATCH_LINE = re.compile(r"^batch \S+: ([0-9,]+) events; .*data clock (\S+) \(run ([0-9a-f]{8})\)$")


class LiveRun:
    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port, self.dagster_port = free_port(), free_port()
        self.explorer = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = naap_env(data_dir)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest.cli", "run", "--scenario", "smoke", "--hours", "0.25",
             "--port", str(self.port), "--dagster-port", str(self.dagster_port)],
            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, timeout_s: float) -> re.Match:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output(), re.MULTILINE)
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(f"no {pattern!r} within {timeout_s:.0f} s:\n{self.output()}")

    def batch_lines(self) -> list[re.Match]:
        return [m for m in map(BATCH_LINE.match, self.output().splitlines()) if m]

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.explorer + path, timeout=10)

    def stop(self) -> float:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return time.monotonic() - started


def processes_of(data_dir: Path, with_pids: bool = False) -> list:
    """Every process whose environment names this data dir: all that `naap run` started."""
    marker = f"NAAP_DATA_DIR={data_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
                found.append((int(proc.name), command) if with_pids else command)
        except OSError:
            continue
    return found


def left_behind(data_dir: Path, grace_s: float = 3.0) -> list:
    """What is still running of the service once `naap run` has exited. The resource tracker that
    multiprocessing starts for the initial load's parallel pull (ingest/pull/parallel.py) is a child
    of `naap run` itself and exits when it reads EOF from it, a moment after: allow it that moment."""
    deadline = time.monotonic() + grace_s
    while (found := processes_of(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def batches_published(run: LiveRun) -> int:
    answer = run.get("/naap.json?sql=select+count(*)+as+n+from+ingest_batches&_shape=array")
    return answer.json()[0]["n"]


def test_the_live_service_ticks_publishes_stops_cleanly_and_continues(tmp_path) -> None:
    data_dir = tmp_path / "data"
    run = LiveRun(data_dir, tmp_path / "run-1.log")
    try:
        run.wait_for(r"^run: explorer +http", timeout_s=150)
        assert "run: simulate: 0.25 h of 'smoke'" in run.output()
        first = run.get("/healthz").json()
        assert first["status"] == "ok"
        initial_batches = batches_published(run)

        seen: list[tuple[str, int]] = []
        # Ticks are on the minute: the first can be up to a minute away, plus about 15 s to start.
        deadline = time.monotonic() + 210
        while len(seen) < 2 and time.monotonic() < deadline:
            lines = run.batch_lines()
            if len(lines) > len(seen):
                health = run.get("/healthz").json()
                seen.append((health["last_batch_finished_at"], batches_published(run)))
                assert health["data_clock"] == lines[len(seen) - 1].group(2)
            time.sleep(1)
        assert len(seen) == 2, f"fewer than two ticks landed:\n{run.output()}"
        # Each tick is a new batch in the published ingest_batches mart and a newer /healthz.
        assert initial_batches < seen[0][1] < seen[1][1]
        assert first["last_batch_finished_at"] < seen[0][0] < seen[1][0]
        assert int(run.batch_lines()[0].group(1).replace(",", "")) > 0  # the live feed's events
        # The daemon's alerts sensor has looked, and found nothing wrong.
        assert run.get("/healthz").json()["incidents"] == []
    finally:
        elapsed = run.stop()
    assert elapsed < 20, run.output()
    assert re.search(r"^run: stopped in [0-9.]+ s", run.output(), re.MULTILINE)
    assert left_behind(data_dir) == []
    assert not listening(run.port) and not listening(run.dagster_port)
    [location] = yaml.safe_load((data_dir / "dagster" / "workspace.yaml").read_text())["load_from"]
    assert not listening(location["grpc_server"]["port"])  # the code server's

    again = LiveRun(data_dir, tmp_path / "run-2.log")
    try:
        again.wait_for(r"^run: explorer +http", timeout_s=90)
        output = again.output()
        assert "run: continuing the simulated history" in output
        assert "run: simulate:" not in output
        assert batches_published(again) >= seen[1][1]
        # A part that dies stops the whole service, with one line saying which.
        [explorer] = [
            pid for pid, command in processes_of(data_dir, with_pids=True) if "cli serve" in command
        ]
        os.kill(explorer, signal.SIGKILL)
        assert again.process.wait(timeout=30) == 1
    finally:
        if again.process.poll() is None:
            again.stop()
    assert re.search(r"^run: error: the explorer was killed by SIGKILL", again.output(), re.MULTILINE)
    assert left_behind(data_dir) == []
    assert not listening(again.port) and not listening(again.dagster_port)
