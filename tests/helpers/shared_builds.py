"""Warehouses built once per test session and shared by the tests that only read them.

A dbt build runs every one of the project's ~340 nodes however small the lake, so each
costs tens of seconds; many tests ask different questions of the same built input. They
read one shared build (DuckDB opened read_only), and a test that writes (a tamper, a
rebuild) works on its own copy of the data dir, which costs a file copy, not a build.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from helpers.workspace import Workspace


def copy_workspace(workspace: Workspace, data_dir: Path) -> Workspace:
    """A workspace on a copy of `workspace`'s data dir (lake, warehouse, dbt state), on the same topics.

    The warehouse's lake views keep naming the original lake until the copy's next build
    recreates them over its own; both lakes hold the same files. The copy must not produce
    to the topics: they belong to the original, whose lake has already consumed them.
    """
    shutil.copytree(workspace.data_dir, data_dir)
    return Workspace(workspace.broker, data_dir, workspace.topics)


def _fingerprint(data_dir: Path) -> str:
    """The warehouse's bytes and every other file's path and size: what a write would change."""
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(data_dir)}:{path.stat().st_size}\n".encode())
        if path.name == "warehouse.duckdb":
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class SharedBuild:
    """A data dir ingested and built once (`naap build`), shared read-only by the tests."""

    workspace: Workspace
    # What `naap build` printed, for the tests that check the build's own report.
    output: str
    # The simulator's truth, when the input was simulated.
    truth: dict[str, Any] | None = None
    _fingerprint: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self._fingerprint = _fingerprint(self.data_dir)

    @property
    def data_dir(self) -> Path:
        return self.workspace.data_dir

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def copy(self, data_dir: Path) -> Workspace:
        """This build's data dir copied for a test that writes to it (see `copy_workspace`)."""
        return copy_workspace(self.workspace, data_dir)

    def assert_untouched(self) -> None:
        """Sharing is sound only while no test writes: a test that did must take a copy instead."""
        assert _fingerprint(self.data_dir) == self._fingerprint, (
            f"a test wrote to the shared build in {self.data_dir}; it should work on SharedBuild.copy()"
        )


def build_capture(workspace: Workspace, capture: Path) -> SharedBuild:
    """The capture replayed onto the workspace's second topic, ingested once and built by `naap build`."""
    workspace.naap("replay", str(capture), "--topic", workspace.topics[1])
    workspace.naap("ingest", "--once")
    return SharedBuild(workspace, workspace.naap("build").stdout)


def build_smoke(workspace: Workspace, start: datetime, hours: float, seed: int) -> SharedBuild:
    """The smoke scenario simulated with `seed`, replayed, ingested once and built by `naap build`."""
    truth = workspace.replay_simulation(workspace.data_dir.parent, start, hours, seed=seed)
    workspace.naap("ingest", "--once")
    return SharedBuild(workspace, workspace.naap("build").stdout, truth)


def build_empty(workspace: Workspace) -> SharedBuild:
    """`naap build` on a lake nothing was ever ingested into."""
    return SharedBuild(workspace, workspace.naap("build").stdout)


class Prefetch:
    """Shared builds started on one background thread, each taken by the fixture that hands it out.

    A build is subprocesses (`naap replay`, `ingest`, `build`), so on a machine of two cores it
    runs beside the tests that come before its readers instead of in front of them.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shared-build")
        self._queued: dict[str, tuple[Future[SharedBuild], Callable[[], SharedBuild]]] = {}

    def submit(self, key: str, make: Callable[[], SharedBuild]) -> None:
        self._queued[key] = (self._pool.submit(make), make)

    def take(self, key: str, make: Callable[[], SharedBuild]) -> SharedBuild:
        """The build of `key`: the background's, else `make()` here (nothing queued under `key`).

        One the background has not begun yet is built here at once rather than waited for.
        """
        if key not in self._queued:
            return make()
        future, queued = self._queued.pop(key)
        return queued() if future.cancel() else future.result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
