"""Shared fixtures: a real embedded broker, isolated topics and data dirs, a serving explorer.

The classes and helpers they hand out live in tests/helpers/."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.processes import Explorer
from helpers.workspace import Workspace

from ingest.embedded_broker import EmbeddedBroker

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
