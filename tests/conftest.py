"""Shared fixtures: a real embedded broker, isolated topics and data dirs, a serving explorer,
and warehouses built once per session for the tests that only read them (started in the
background at the first test, their readers run last: see shared_build_prefetch).

The classes and helpers they hand out live in tests/helpers/."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from helpers.processes import Explorer
from helpers.shared_builds import Prefetch, SharedBuild, build_capture, build_empty, build_smoke
from helpers.workspace import Workspace

from ingest.sandbox.broker import EmbeddedBroker

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CAPTURE = SHARED / "fixtures" / "capture-streaming-events-2026-01-08.json"
_topic_numbers = itertools.count()
# The smoke scenario's window in the tests: an hour boundary, every family.
SMOKE_START = datetime(2026, 1, 8, 21, 50, tzinfo=UTC)


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


@pytest.fixture
def workspace(broker: EmbeddedBroker, tmp_path: Path) -> Workspace:
    n = next(_topic_numbers)
    topics = (f"network_events_{n}", f"streaming_events_{n}")
    broker.create_topics(topics)
    return Workspace(broker, tmp_path / "data", topics)


@pytest.fixture(scope="session")
def explorer_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Explorer]:
    """`naap run` on the smoke scenario (an hour boundary, every family), left serving its explorer."""
    tmp = tmp_path_factory.mktemp("explorer-run")
    args = ["run", "--once", "--scenario", "smoke", "--start", "2026-01-08T21:50:00Z", "--hours", "0.25"]
    explorer = Explorer(args, tmp / "data", tmp / "run.log", timeout_s=300)
    yield explorer
    explorer.stop()


def _session_workspace(
    broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Workspace:
    """A workspace of its own topics and data dir that lives as long as the session."""
    n = next(_topic_numbers)
    topics = (f"network_events_{n}", f"streaming_events_{n}")
    broker.create_topics(topics)
    return Workspace(broker, tmp_path_factory.mktemp(name) / "data", topics)


SHARED_BUILD_FIXTURES = ("capture_built", "smoke_built", "empty_built")
# `make test` runs two workers, each module whole on one (`--dist loadfile`, so a module's
# fixtures are made once); the longest modules go first so that the workers end together. The
# live service's is mostly waiting for its Dagster ticks, beside which the other worker builds.
FIRST = ("test_live_service.py", "test_orchestration.py", "test_incremental_build.py", "test_main_job.py")
IN_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))


def _shared_builds_read(item: pytest.Item) -> set[str]:
    return set(SHARED_BUILD_FIXTURES) & set(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Single process: the readers of a shared build run last, so its build overlaps the tests
    before them (see shared_build_prefetch). On a worker: the longest modules first."""
    if IN_WORKER:
        first = {name: n for n, name in enumerate(FIRST)}
        items.sort(key=lambda item: first.get(item.path.name, len(first)))
        return
    late = {item.path for item in items if _shared_builds_read(item)}
    items.sort(key=lambda item: item.path in late)  # stable: each module keeps its order


@pytest.fixture(scope="session", autouse=True)
def shared_build_prefetch(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prefetch]:
    """At the first test, start in the background the shared builds that this session's tests read."""
    # A worker of a parallel run is one of two already: it builds what it needs when needed.
    read = set() if IN_WORKER else set().union(*(_shared_builds_read(item) for item in request.session.items))
    prefetch = Prefetch()
    if read:
        broker = request.getfixturevalue("broker")
        # Workspaces (topics, directories) are made here: only the build itself runs on the thread.
        if "capture_built" in read and CAPTURE.exists():
            workspace = _session_workspace(broker, tmp_path_factory, "capture-built")
            prefetch.submit("capture", partial(build_capture, workspace, CAPTURE))
        # A module reading smoke_built(seed) names its seeds in SMOKE_SEEDS; any other builds on first use.
        seeds = {
            seed
            for item in request.session.items
            if "smoke_built" in _shared_builds_read(item)
            for seed in getattr(getattr(item, "module", None), "SMOKE_SEEDS", ())
        }
        for seed in sorted(seeds):
            workspace = _session_workspace(broker, tmp_path_factory, f"smoke-built-{seed}")
            prefetch.submit(f"smoke-{seed}", partial(build_smoke, workspace, SMOKE_START, 0.25, seed))
        if "empty_built" in read:
            prefetch.submit(
                "empty", partial(build_empty, _session_workspace(broker, tmp_path_factory, "empty-built"))
            )
    yield prefetch
    prefetch.shutdown()


@pytest.fixture(scope="session")
def capture_built(
    shared_build_prefetch: Prefetch, broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedBuild]:
    """The capture replayed, ingested and built by `naap build`, once: read it, or write to a `.copy()`."""
    if not CAPTURE.exists():
        pytest.skip(f"the shared fixtures are not beside this checkout ({CAPTURE.name} missing)")
    built = shared_build_prefetch.take(
        "capture",
        lambda: build_capture(_session_workspace(broker, tmp_path_factory, "capture-built"), CAPTURE),
    )
    yield built
    built.assert_untouched()


@pytest.fixture(scope="session")
def smoke_built(
    shared_build_prefetch: Prefetch, broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[int], SharedBuild]]:
    """smoke_built(seed): the smoke scenario simulated from SMOKE_START for 0.25 h with `seed`,
    replayed, ingested and built by `naap build`, once per seed: read it, or write to a `.copy()`."""
    builds: dict[int, SharedBuild] = {}

    def built(seed: int) -> SharedBuild:
        if seed not in builds:
            builds[seed] = shared_build_prefetch.take(
                f"smoke-{seed}",
                lambda: build_smoke(
                    _session_workspace(broker, tmp_path_factory, f"smoke-built-{seed}"),
                    SMOKE_START,
                    0.25,
                    seed,
                ),
            )
        return builds[seed]

    yield built
    for build in builds.values():
        build.assert_untouched()


@pytest.fixture(scope="session")
def empty_built(
    shared_build_prefetch: Prefetch, broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedBuild]:
    """`naap build` on an empty lake (its topics never produced to), once: read it, or write to a `.copy()`."""
    built = shared_build_prefetch.take(
        "empty", lambda: build_empty(_session_workspace(broker, tmp_path_factory, "empty-built"))
    )
    yield built
    built.assert_untouched()
