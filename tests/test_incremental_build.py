"""Incremental builds: micro-batches with late and redelivered events give the
marts a full refresh gives, and a day range recomputes without changing them."""

from __future__ import annotations

import json
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from helpers.shared_builds import copy_workspace
from helpers.warehouse_tables import table_differences

from ingest.sandbox.simulate import load_scenario, simulate

pytestmark = pytest.mark.kafka

START = datetime(2026, 1, 8, 22, 30, tzinfo=UTC)  # two hours across midnight: two event dates
LATE_SHARE = 0.05


def _chunks(records: list[dict], topics: dict[str, str]) -> list[list[dict]]:
    """Three deliveries in time order; a share of the first is held back to the last (late by an hour)."""
    records = [{**r, "topic": topics[r["topic"]]} for r in records]
    first, second, third = records[: len(records) * 2 // 5], records[len(records) * 2 // 5 :], []
    rng = random.Random(7)
    late = set(rng.sample(range(len(first)), int(len(first) * LATE_SHARE)))
    third = [r for i, r in enumerate(first) if i in late]
    first = [r for i, r in enumerate(first) if i not in late]
    second, third = second[: len(second) * 2 // 3], second[len(second) * 2 // 3 :] + third
    return [first, second, third]


def _sla_rows(warehouse: Path) -> set[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return set(con.execute("select * exclude (built_at) from sla_hourly").fetchall())


@pytest.fixture(scope="module")
def micro_batched(broker, tmp_path_factory: pytest.TempPathFactory):
    from helpers.workspace import Workspace

    tmp = tmp_path_factory.mktemp("incremental")
    topics = ("network_events_inc", "streaming_events_inc")
    broker.create_topics(topics)
    workspace = Workspace(broker, tmp / "data", topics)
    result = simulate(load_scenario("smoke"), start=START, hours=2, seed=3)
    chunks = _chunks(result.records, {"network_events": topics[0], "streaming_events": topics[1]})
    sla_after = []
    for n, chunk in enumerate(chunks):
        path = tmp / f"chunk-{n}.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in chunk))
        workspace.naap("replay", str(path))
        workspace.naap("ingest", "--once")
        built = workspace.naap("build")
        sla_after.append(_sla_rows(workspace.data_dir / "warehouse.duckdb"))
    incremental = tmp / "incremental.duckdb"
    shutil.copy(workspace.data_dir / "warehouse.duckdb", incremental)
    return workspace, incremental, sla_after, built.stdout


@pytest.mark.slow
def test_an_incremental_build_recomputes_only_what_new_batches_touch(micro_batched) -> None:
    _, _, _, last_output = micro_batched
    assert "build: incremental:" in last_output
    sessions = int(last_output.split("build: incremental: ")[1].split(" sessions")[0].replace(",", ""))
    with duckdb.connect(str(micro_batched[1]), read_only=True) as con:
        total = con.execute("select count(*) from sessions").fetchone()[0]
    assert 0 < sessions < total


@pytest.mark.slow
def test_late_events_correct_earlier_hours(micro_batched) -> None:
    _, _, sla_after, _ = micro_batched
    changed_hours = {row[0] for row in sla_after[1] ^ sla_after[2]}
    first_hours = {row[0] for row in sla_after[0]}
    assert changed_hours & first_hours, "the late third of the first delivery changed none of its hours"


@pytest.mark.slow
def test_incremental_marts_equal_a_full_refresh(micro_batched, tmp_path: Path) -> None:
    shared, incremental, _, _ = micro_batched
    # A copy: the other tests read the micro-batched warehouse as the three builds left it.
    workspace = copy_workspace(shared, tmp_path / "data")
    output = workspace.naap("build", "--full-refresh").stdout
    assert "build: built from scratch" in output
    assert table_differences(incremental, workspace.data_dir / "warehouse.duckdb") == {}


@pytest.mark.slow
def test_a_day_range_rebuild_changes_nothing(micro_batched, tmp_path: Path) -> None:
    shared, incremental, _, _ = micro_batched
    workspace = copy_workspace(shared, tmp_path / "data")
    output = workspace.naap("build", "--start", "2026-01-09", "--end", "2026-01-09").stdout
    sessions = int(output.split("build: incremental: ")[1].split(" sessions")[0].replace(",", ""))
    assert sessions > 0
    assert table_differences(incremental, workspace.data_dir / "warehouse.duckdb") == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "2026-01-09"), "--start and --end go together"),
        (("--start", "2026-01-09", "--end", "2026-01-08"), "is before --start"),
        (("--start", "2026-01-08", "--end", "2026-01-08", "--full-refresh"), "drop --start/--end"),
        (("--start", "09/01/2026", "--end", "2026-01-09"), "is not a date"),
    ],
)
def test_bad_build_ranges_are_one_line_errors(workspace, args: tuple[str, ...], message: str) -> None:
    result = workspace.naap("build", *args, check=False)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.slow
def test_data_tests_read_the_recomputed_rows_unless_asked_for_all(micro_batched, tmp_path: Path) -> None:
    shared, _, _, _ = micro_batched
    # A copy, thrown away with the duplicate: no rebuild has to repair the shared warehouse.
    workspace = copy_workspace(shared, tmp_path / "data")
    warehouse = workspace.data_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into sla_hourly select * from sla_hourly limit 1")
    assert "test pass" in workspace.naap("build").stdout  # nothing recomputed: the old duplicate is not read
    result = workspace.naap("build", "--test-all", check=False)
    assert result.returncode == 2
    assert "unique_combination_of_columns_sla_hourly" in result.stderr
