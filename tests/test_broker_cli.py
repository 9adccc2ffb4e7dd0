"""`naap broker` in the foreground: it says so and exits when its broker process dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.processes import free_port, naap_env

pytestmark = pytest.mark.kafka


def children_of(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found = []
    for task in tasks.iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_naap_broker_exits_when_its_broker_process_is_killed(tmp_path) -> None:
    port = free_port()
    log = tmp_path / "broker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "broker", "--port", str(port)],
        env=naap_env(tmp_path / "data"), stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while "listening on" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        [tansu] = children_of(process.pid)
        os.kill(tansu, signal.SIGKILL)
        assert process.wait(timeout=10) == 2
    finally:
        if process.poll() is None:
            process.kill()
    assert "the embedded broker exited with code -9" in log.read_text()
