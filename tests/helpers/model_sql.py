"""One incremental dbt model's own SQL over hand-made input tables in DuckDB.

The model renders with plain Jinja: its refs name tables of the same name, the
macros that need dbt are stand-ins that behave as macros/incremental_scope.sql,
stamps.sql and build_range.sql define them, and `sql_macros` (files under dbt_project/macros) lend the macros
that are plain SQL. Building it the first time runs it from scratch; each later build
writes its scope, recomputes the scoped keys, and replaces them, as the
`replace_scope` strategy does.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import jinja2

# tests/helpers/ -> the repository.
PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def utc_database(*create_tables: str) -> duckdb.DuckDBPyConnection:
    """An in-memory database in UTC, as the dbt profile sets it, holding the model's inputs."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for statement in create_tables:
        con.execute(statement)
    return con


class IncrementalModel:
    def __init__(
        self, con: duckdb.DuckDBPyConnection, model: str, unique_key: str, sql_macros: tuple[str, ...] = ()
    ) -> None:
        self.con = con
        self.path = next(PROJECT.glob(f"models/**/{model}.sql"))
        self.table = model
        self.key = unique_key
        # One environment for the model and the macro files: a macro calls the others by name.
        # A macro file's module sees the globals of when it was loaded, so the stand-ins that do
        # not change from build to build are there first (a shared scope macro calls ref()).
        self.env = jinja2.Environment(extensions=["jinja2.ext.do"])
        self.env.globals |= {
            "ref": lambda name: name,
            "this": self.table,
            "config": lambda **_: "",
            "last_built_at": lambda: (
                f"(select coalesce(max(built_at), '-infinity'::timestamp) from {self.table})"
            ),
            "in_build_range": lambda _column: "false",
        }
        for name in sql_macros:
            module = self.env.from_string((PROJECT / "macros" / name).read_text()).module
            self.env.globals |= {k: v for k, v in vars(module).items() if isinstance(v, jinja2.runtime.Macro)}
        self.builds = itertools.count(1)

    def stamp(self) -> str:
        """The stamp of the next build: a minute later than the one before."""
        return f"'2026-02-01'::timestamp + interval {next(self.builds)} minute"

    def build(self, stamp: str) -> None:
        """Build the model, from scratch the first time; `stamp` is the build's start (its built_at)."""
        exists = self.con.execute(
            f"select count(*) from duckdb_tables() where table_name = '{self.table}'"
        ).fetchall()
        if not exists[0][0]:
            self.con.execute(f"create table {self.table} as {self._render(stamp, scope=None)}")
            return
        scope = f"scope_{self.table}"
        self.con.execute(f"create or replace table {scope} as {self._render(stamp, scope='')}")
        self.con.execute(f"create or replace temp table rebuilt as {self._render(stamp, scope=scope)}")
        self.con.execute(f"delete from {self.table} where ({self.key}) in (select {self.key} from {scope})")
        self.con.execute(f"insert into {self.table} by name select * from rebuilt")

    def _render(self, stamp: str, scope: str | None) -> str:
        """The model's SQL; with scope '' the scope's SQL, with a scope table the incremental SQL."""
        captured: list[str] = []

        def incremental_scope(sql: str) -> str | None:
            captured.append(sql)
            return scope or None

        def within_scope(scoped: str | None, column: str, key: str = "session_key", where: str = "") -> str:
            if not scoped:
                return ""
            return f"and {column} in (select {key} from {scoped}{' where ' + where if where else ''})"

        self.env.globals |= {
            "build_stamp": lambda: stamp,
            "incremental_scope": incremental_scope,
            "within_scope": within_scope,
        }
        sql = self.env.from_string(self.path.read_text()).render()
        return captured[0] if scope == "" else sql
