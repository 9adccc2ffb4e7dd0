"""The child processes of the live system, started, watched and stopped as one unit.

Each child runs in a session (process group) of its own, so a Ctrl-C at the terminal reaches
only `naap run`, which then stops the children in order, and a stop reaches everything a child
started: the daemon's code server, its run worker and the dbt build in flight. Each child also
gets SIGTERM if `naap run` itself dies (PR_SET_PDEATHSIG, Linux).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.support.subprocesses import die_with_parent


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


@dataclass
class Child:
    name: str  # as the user reads it: "the Dagster daemon"
    process: subprocess.Popen
    log: Path

    def exited(self) -> int | None:
        return self.process.poll()

    def last_log_line(self) -> str:
        try:
            lines = [line.strip() for line in self.log.read_text(errors="replace").splitlines()]
        except OSError:
            return ""
        return next((line for line in reversed(lines) if line), "")

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


class Children:
    """The running children, in start order."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: list[Child] = []

    def start(self, name: str, log_name: str, command: list[str], env: Mapping[str, str]) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{log_name}.log"
        with log.open("ab") as handle:
            process = subprocess.Popen(
                command,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        child = Child(name, process, log)
        self.running.append(child)
        return child

    def adopt(self, child: Child) -> None:
        self.running.append(child)

    def first_dead(self) -> Child | None:
        return next((child for child in self.running if child.exited() is not None), None)

    def stop(self, grace_s: float = 12.0) -> list[str]:
        """SIGTERM every child's group at once, SIGKILL what is left after `grace_s`; what was killed."""
        for child in self.running:
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        killed = []
        for child in self.running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed.append(child.name)
                child.signal_group(signal.SIGKILL)
                child.process.wait()
        # A grandchild that outlived its parent (a run worker, dbt) is still in the group.
        for child in self.running:
            child.signal_group(signal.SIGKILL)
        self.running.clear()
        return killed
