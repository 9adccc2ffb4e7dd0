"""Compare the tables of two warehouse files, row for row."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

# When an incremental build last touched a row is expected to differ between two builds.
BUILD_LINEAGE_COLUMNS = {"built_at"}


def table_differences(left: Path, right: Path, schema: str = "main") -> dict[str, str]:
    """Every table of `schema` whose rows differ, with what differs.

    Doubles compare with a relative tolerance of 1e-9: a parallel sum adds in no
    fixed order, so two builds of the same data may differ in the last bit.
    """
    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only); attach '{right}' as r (read_only)")
    tables = {
        side: {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = ? and schema_name = ?",
                [side, schema],
            ).fetchall()
        }
        for side in ("l", "r")
    }
    differences = {name: "missing on the right" for name in tables["l"] - tables["r"]}
    differences |= {name: "missing on the left" for name in tables["r"] - tables["l"]}
    for name in sorted(tables["l"] & tables["r"]):
        columns = con.execute(
            "select column_name, data_type from duckdb_columns()"
            " where database_name = 'r' and schema_name = ? and table_name = ? order by column_index",
            [schema, name],
        ).fetchall()
        compared = [(column, kind) for column, kind in columns if column not in BUILD_LINEAGE_COLUMNS]
        exact = [f'"{column}"' for column, kind in compared if kind not in ("DOUBLE", "FLOAT")]
        select = ", ".join(f'"{column}"' for column, _ in compared)
        order = ", ".join([*exact, select]) if exact else select
        rows = {
            side: con.execute(f'select {select} from {side}.{schema}."{name}" order by {order}').fetchall()
            for side in ("l", "r")
        }
        if len(rows["l"]) != len(rows["r"]):
            differences[name] = f"{len(rows['l'])} rows against {len(rows['r'])}"
            continue
        for row_l, row_r in zip(rows["l"], rows["r"], strict=True):
            if not all(map(_same, row_l, row_r)):
                differences[name] = f"{row_l} against {row_r}"
                break
    return differences


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    return a == b
