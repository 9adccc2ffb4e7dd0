"""A code change rebuilds the incremental tables whose rows the old code computed, and only those.

The builds run on an empty lake, on a copy of the dbt project that each test edits. A table
dropped by the on-run-start hook and built again from scratch loses the comment the test put on
it; an incremental table the build only appended to keeps it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from helpers.shared_builds import SharedBuild

from ingest.settings import Settings
from ingest.warehouse import build as dbt_build

PROJECT = "naap_warehouse"

# Each test builds again after editing its copy of the project.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first_build(empty_built: SharedBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dbt project and a warehouse it built from scratch, side by side."""
    root = tmp_path_factory.mktemp("outdated")
    shutil.copytree(
        dbt_build.DBT_PROJECT_DIR, root / "dbt_project", ignore=shutil.ignore_patterns("target", "logs")
    )
    # The session's build from scratch on an empty lake, of this same code: the code digests
    # it recorded are of the models' contents, so they hold for the copy of the project too.
    shutil.copytree(empty_built.data_dir, root / "data")
    return root


@pytest.fixture
def project(first_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own copy of the project and of the warehouse it built."""
    shutil.copytree(first_build, tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(dbt_build, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    return tmp_path / "dbt_project"


@pytest.fixture
def settings(project: Path) -> Settings:
    return Settings.from_env({"NAAP_DATA_DIR": str(project.parent / "data")})


def _mark_tables(settings: Settings) -> None:
    """Comment every table; a table dropped and built again loses its comment."""
    with duckdb.connect(str(dbt_build.warehouse_path(settings))) as con:
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main'"
        ).fetchall():
            con.execute(f"comment on table main.\"{name}\" is 'before'")


def _kept_tables(settings: Settings) -> set[str]:
    """The tables still holding the comment `_mark_tables` put on them."""
    with duckdb.connect(str(dbt_build.warehouse_path(settings)), read_only=True) as con:
        rows = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' and comment = 'before'"
        ).fetchall()
    return {name for (name,) in rows}


def _manifest(settings: Settings) -> dict:
    return json.loads((settings.data_dir / "dbt" / "target" / "manifest.json").read_text())


def _incremental(manifest: dict) -> dict[str, str]:
    """Unique id → table name of every incremental model."""
    return {
        uid: node["alias"]
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }


def _downstream(manifest: dict, roots: set[str]) -> set[str]:
    """The roots and every node that reads one of them, directly or not."""
    found, todo = set(roots), list(roots)
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _macro_users(manifest: dict, macro: str) -> set[str]:
    """The nodes that call `macro`, directly or through other project macros."""
    callers = {macro}
    while True:
        more = {
            uid for uid, m in manifest["macros"].items() if set(m["depends_on"]["macros"]) & callers
        } - callers
        if not more:
            break
        callers |= more
    return {uid for uid, node in manifest["nodes"].items() if set(node["depends_on"]["macros"]) & callers}


def _edit(path: Path) -> None:
    """A change to the code in the file (its first macro, for a macro file) that changes no result."""
    text = path.read_text()
    if path.parent.name == "macros":
        path.write_text(text.replace("{%- endmacro %}", "{# edited #}{%- endmacro %}", 1))
    else:
        path.write_text(text + "\n-- edited\n")
    assert path.read_text() != text


def test_code_changes_rebuild_exactly_the_incremental_tables_they_reach(project, settings) -> None:
    _mark_tables(settings)
    manifest = _manifest(settings)
    incremental = _incremental(manifest)
    _edit(next(project.glob("models/**/int_session_signals_unioned.sql")))
    _edit(project / "macros" / "session_key.sql")

    dbt_build.build(settings)

    # The edited model and every model calling the edited macro, and everything below them.
    changed = {f"model.{PROJECT}.int_session_signals_unioned"} | _macro_users(
        manifest, f"macro.{PROJECT}.session_key"
    )
    expected = {incremental[uid] for uid in _downstream(manifest, changed) if uid in incremental}
    # `sessions` and `payments` only through upstream digests, `int_payments_linked` only through the macro.
    assert {"int_session_signals_unioned", "sessions", "int_payments_linked", "payments"} <= expected
    assert not any(name.startswith("stg_") for name in expected)
    assert set(incremental.values()) - _kept_tables(settings) == expected


def test_a_partial_build_leaves_unselected_changed_tables_for_a_later_build(project, settings) -> None:
    _mark_tables(settings)
    _edit(next(project.glob("models/**/int_session_signals_unioned.sql")))

    dbt_build.build(settings, select=["stg_lake__stream_statuses"])
    assert "int_session_signals_unioned" in _kept_tables(settings)

    dbt_build.build(settings, select=["int_session_signals_unioned"])
    assert "int_session_signals_unioned" not in _kept_tables(settings)
