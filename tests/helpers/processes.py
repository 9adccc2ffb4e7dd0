"""`naap` processes of the tests: a free port, the embedded defaults' environment, a serving explorer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx


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

    def __init__(
        self,
        args: list[str],
        data_dir: Path,
        log: Path,
        timeout_s: float,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_handle = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest.cli", *args, "--port", str(self.port)],
            env={**naap_env(data_dir), **(env or {})},
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
