"""Capability versions: the model's own SQL over hand-written observations in DuckDB.

int_capability_observations_versioned runs as tests/model_sql.py renders it; the rows
below pin where a version starts and ends on a surface (org, address, URI), and that
a build adding observations, late or at the end, equals a build from scratch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers.model_sql import IncrementalModel, utc_database

TABLE = "int_capability_observations_versioned"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
VERSION_COLUMNS = "event_id, version_number, version_id, version_valid_from, version_valid_to, is_new_version"

Row = tuple[str, int, str, int]  # surface address, minute, event id, projection hash


class Warehouse:
    """The hashed observations and the versions table, built as dbt would."""

    def __init__(self) -> None:
        self.con = utc_database(
            "create table int_capability_projections_hashed (org varchar, event_id varchar, entry_index int,"
            " observed_at timestamptz, orchestrator_address varchar, orchestrator_alias_address varchar,"
            " orchestrator_uri varchar, orchestrator_uri_norm varchar, projection_hash varchar, built_at timestamp)",
        )
        self.model = IncrementalModel(self.con, TABLE, "org, event_id, entry_index")

    def build(self, rows: list[Row]) -> None:
        """Hash `rows` in a new build, then build the versions: from scratch the first time."""
        stamp = self.model.stamp()
        self.con.executemany(
            f"insert into int_capability_projections_hashed values ('org', ?, 1, ?, ?, null, 'u', 'u', ?, {stamp})",
            [(event, T0 + timedelta(minutes=minute), address, f"h{h}") for address, minute, event, h in rows],
        )
        self.model.build(stamp)

    def versions(self) -> dict[str, tuple]:
        found = self.con.execute(f"select {VERSION_COLUMNS} from {TABLE}").fetchall()
        return {event: tuple(rest) for event, *rest in found}


def versions(rows: list[Row]) -> dict[str, tuple]:
    """Each row's version columns, by event id, from a build from scratch."""
    warehouse = Warehouse()
    warehouse.build(rows)
    return warehouse.versions()


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_a_version_runs_until_the_projection_changes_and_may_come_back() -> None:
    got = versions([("0xa", 0, "e1", 1), ("0xa", 5, "e2", 1), ("0xa", 10, "e3", 2), ("0xa", 15, "e4", 1)])
    assert [got[e][0] for e in ("e1", "e2", "e3", "e4")] == [1, 1, 2, 3]
    assert [got[e][4] for e in ("e1", "e2", "e3", "e4")] == [True, False, True, True]
    # Every observation of a version carries its bounds; the newest version is open-ended.
    assert got["e1"][2:4] == got["e2"][2:4] == (at(0), at(10))
    assert got["e3"][2:4] == (at(10), at(15))
    assert got["e4"][2:4] == (at(15), None)
    assert got["e1"][1] == got["e2"][1] and len({got[e][1] for e in ("e1", "e3", "e4")}) == 3


def test_surfaces_are_versioned_apart() -> None:
    got = versions([("0xa", 0, "a1", 1), ("0xb", 1, "b1", 1), ("0xa", 2, "a2", 2), ("0xb", 3, "b2", 1)])
    assert (got["a2"][0], got["b2"][0]) == (2, 1)
    assert got["b1"][2:4] == got["b2"][2:4] == (at(1), None)
    assert got["a1"][1] != got["b1"][1]


@pytest.mark.parametrize("later_hash", [1, 2])
def test_same_instant_observations_order_by_event_id(later_hash: int) -> None:
    got = versions([("0xa", 0, "e1", 1), ("0xa", 0, "e2", later_hash), ("0xa", 5, "e3", 3)])
    if later_hash == 1:
        assert [got[e][0] for e in ("e1", "e2", "e3")] == [1, 1, 2]
        assert got["e1"][3] == at(5)
    else:
        # A version that starts at the same instant as the next one has no span: it stays open-ended.
        assert [got[e][0] for e in ("e1", "e2", "e3")] == [1, 2, 3]
        assert got["e1"][2:4] == (at(0), None)
        assert got["e2"][2:4] == (at(0), at(5))


@pytest.mark.parametrize(
    "later",
    [
        [("0xa", 20, "n1", 1), ("0xa", 25, "n2", 1)],  # at the end, same projection: only the new rows
        [("0xa", 20, "n1", 1), ("0xa", 25, "n2", 3)],  # at the end: the open version closes
        [("0xa", 12, "n1", 1)],  # late, inside a version: it splits there
        [("0xa", 10, "n0", 2), ("0xa", 10, "e0", 1)],  # late, at a version's start instant, either side of it
        [("0xa", -5, "n1", 2)],  # before every earlier observation
        [("0xb", 30, "n1", 1)],  # a new surface
    ],
)
def test_a_build_adding_observations_equals_a_build_from_scratch(later: list[Row]) -> None:
    earlier = [("0xa", 0, "e1", 1), ("0xa", 5, "e2", 1), ("0xa", 10, "e3", 2), ("0xa", 15, "e4", 1)]
    earlier += [("0xb", 0, "b1", 5)]
    warehouse = Warehouse()
    warehouse.build(earlier)
    warehouse.build(later)
    assert warehouse.versions() == versions(earlier + later)
