"""Capability versions: the model's own SQL over hand-written observations in DuckDB.

int_capability_observations_versioned uses no macro, only `ref`, so it renders with plain
Jinja; the rows below pin where a version starts and ends on a surface (org, address, URI).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import jinja2
import pytest

MODEL = (
    Path(__file__).resolve().parents[1]
    / "dbt_project/models/intermediate/attribution/int_capability_observations_versioned.sql"
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def versions(rows: list[tuple[str, int, str, int]]) -> dict[tuple[str, int], tuple]:
    """(surface address, minute, event id, hash) rows in; each row's version columns out, by (event id, entry)."""
    sql = jinja2.Environment().from_string(MODEL.read_text()).render(ref=lambda name: name)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(
        "create table int_capability_projections_hashed (org varchar, event_id varchar, entry_index int,"
        " observed_at timestamptz, orchestrator_address varchar, orchestrator_alias_address varchar,"
        " orchestrator_uri varchar, orchestrator_uri_norm varchar, projection_hash varchar)"
    )
    con.executemany(
        "insert into int_capability_projections_hashed values ('org', ?, 1, ?, ?, null, 'u', 'u', ?)",
        [(event, T0 + timedelta(minutes=minute), address, f"h{h}") for address, minute, event, h in rows],
    )
    found = con.execute(
        f"select event_id, version_number, version_id, version_valid_from, version_valid_to, is_new_version"
        f" from ({sql})"
    ).fetchall()
    return {event: tuple(rest) for event, *rest in found}


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
