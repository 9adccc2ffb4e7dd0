"""Run a command and report its wall time and the peak RSS of its whole process tree.

`naap build` runs dbt in a child process and `naap ingest` runs worker processes, so the
parent's own rusage would miss them: a sampler thread sums VmRSS over the tree every
100 ms (Linux /proc). The peak is therefore a sampled lower bound, close for anything
that holds its memory longer than a sample.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.1


@dataclass(frozen=True)
class Run:
    seconds: float
    stdout: str
    peak_rss_bytes: int

    @property
    def peak_rss_gb(self) -> float:
        return self.peak_rss_bytes / 1e9


def run_sampled(args: list[str], env: dict[str, str]) -> Run:
    """Run `args`; raise SystemExit with the tail of stderr if it fails."""
    t0 = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_S):
            peak[0] = max(peak[0], tree_rss_bytes(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - t0
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args[-3:])} failed (exit {process.returncode}):\n{stderr[-2000:]}")
    return Run(seconds, stdout, peak[0])


def tree_rss_bytes(pid: int) -> int:
    """VmRSS of `pid` and all its descendants; processes that exit meanwhile count as 0."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += _rss_bytes(current)
        pending.extend(_children(current))
    return total


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return children
