"""`naap build`: the dbt project over the lake, into `$NAAP_DATA_DIR/warehouse.duckdb`.

dbt runs as its own process: dbt-duckdb keeps its connection open for the life of
the process, which would hold the single-writer lock on the warehouse after the
build. Its console output streams through; the summary comes from run_results.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ingest.alerts.thresholds import thresholds_in_force
from ingest.errors import NaapError
from ingest.lake.views import create_lake_views
from ingest.paths import DBT_PROJECT_DIR, dbt_dir, warehouse_path
from ingest.settings import Settings
from ingest.support.sql_text import quote_identifier

# Tests a micro-batch leaves to the daily close (and to every other build), 314 of 362: the
# generic tests of these names and every test tagged `close` (those of the staging and
# intermediate layers, and the singular tests, which reconcile whole marts; dbt_project.yml).
# Each costs dbt about 140 ms however few rows it reads. A micro-batch still tests what it
# publishes: every mart's grain and range expressions, on the rows it recomputed.
CLOSE_ONLY_TESTS = ("not_null", "accepted_values")
CLOSE_ONLY_TAG = "close"
CLOSE_ONLY_SELECTION = " ".join(
    [*(f"test_name:{name}" for name in CLOSE_ONLY_TESTS), f"tag:{CLOSE_ONLY_TAG}"]
)


class BuildError(NaapError, RuntimeError):
    """dbt could not run, or a model or test failed."""


@dataclass
class BuildResult:
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    lake_files: dict[str, int] = field(default_factory=dict)
    # Keys each incremental model recomputed (its scope); empty when built from scratch.
    recomputed: dict[str, int] = field(default_factory=dict)
    # The same counts in the words the models' YAML gives them (`meta: recomputed_unit`).
    recomputed_units: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0


def build(
    settings: Settings,
    full_refresh: bool = False,
    select: list[str] | None = None,
    days: tuple[date, date] | None = None,
    test_all: bool = False,
    log: Path | None = None,
    close_tests: bool = True,
) -> BuildResult:
    """Refresh the lake views, run `dbt build`, and count the rows of every mart built.

    `days` (first, last; inclusive) forces every session, hour and staged event of
    those UTC days to be recomputed on top of what the new batches touch. Data
    tests check the rows the build recomputed, or every row with `test_all`.
    dbt's console output goes to `log` when given, else to this process's.
    """
    started = time.monotonic()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    result = BuildResult()
    with duckdb.connect(str(warehouse_path(settings))) as con:
        result.lake_files = create_lake_views(con, settings.lake_dir)
    invocation = dbt_invocation(settings, full_refresh, select, days, test_all, close_tests)
    target = invocation.target_path
    args = [dbt_executable(), *invocation.args]
    env = {**os.environ, **invocation.env}
    if log is None:
        completed = subprocess.run(args, env=env, check=False)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            completed = subprocess.run(args, env=env, check=False, stdout=handle, stderr=subprocess.STDOUT)
    run_results = target / "run_results.json"
    if completed.returncode not in (0, 1) or not run_results.exists():
        where = f"see {log}" if log else "see the output above"
        raise BuildError(f"dbt could not run (exit {completed.returncode}); {where}")
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    marts = []
    for node_result in json.loads(run_results.read_text())["results"]:
        node = nodes[node_result["unique_id"]]
        status = node_result["status"]
        result.statuses[(node["resource_type"], status)] += 1
        if status in ("error", "fail"):
            result.failures.append(f"{node['resource_type']} {node['name']}: {node_result['message']}")
        elif status == "success" and node["resource_type"] == "model" and node["fqn"][1] == "marts":
            marts.append(node["alias"])
    with duckdb.connect(str(warehouse_path(settings)), read_only=True) as con:
        for name in sorted(marts):
            result.mart_rows[name] = con.execute(
                f"select count(*) from main.{quote_identifier(name)}"
            ).fetchone()[0]
        scopes = con.execute("select table_name from duckdb_tables() where schema_name = 'scope'").fetchall()
        for (name,) in sorted(scopes):
            result.recomputed[name] = con.execute(
                f"select count(*) from scope.{quote_identifier(name)}"
            ).fetchone()[0]
    if result.recomputed:
        for node in sorted(nodes.values(), key=lambda node: node["name"]):
            unit = node["config"].get("meta", {}).get("recomputed_unit")
            if unit and node["resource_type"] == "model":
                result.recomputed_units[unit] = result.recomputed.get(node["name"], 0)
    result.elapsed_s = time.monotonic() - started
    if result.failures:
        raise BuildError(f"{len(result.failures)} dbt node(s) failed: " + "; ".join(result.failures))
    return result


@dataclass(frozen=True)
class DbtInvocation:
    """One `dbt build`: its arguments (after the executable), the environment it adds, its artifacts."""

    args: list[str]
    env: dict[str, str]
    target_path: Path


def dbt_invocation(
    settings: Settings,
    full_refresh: bool = False,
    select: list[str] | None = None,
    days: tuple[date, date] | None = None,
    test_all: bool = False,
    close_tests: bool = True,
) -> DbtInvocation:
    """The build `naap build` and the Dagster dbt assets both run, so the two are the same build.

    `close_tests=False` (a micro-batch) leaves out the tests of CLOSE_ONLY_SELECTION.
    """
    target = dbt_dir(settings) / "target"
    args = [
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target),
        "--log-path", str(dbt_dir(settings) / "logs"),
    ]  # fmt: skip
    if full_refresh:
        args.append("--full-refresh")
    args += ["--vars", json.dumps(build_vars(days, test_all))]
    if select:
        # A partial build runs only the tests whose every input it builds: a test
        # comparing two marts must not fail because one of them was not selected.
        args += ["--select", *select, "--indirect-selection", "cautious"]
    if not close_tests:
        # One argument (dbt reads spaces as a union): dagster-dbt takes one value after --exclude.
        args += ["--exclude", CLOSE_ONLY_SELECTION]
    # profiles.yml and the lake views read the data dir from the environment.
    env = {
        "NAAP_DATA_DIR": str(settings.data_dir),
        "NAAP_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return DbtInvocation(args, env, target)


def build_vars(days: tuple[date, date] | None, test_all: bool) -> dict[str, object]:
    """The dbt vars of a build: which days to recompute, which rows to test, the checks' thresholds."""
    build_vars: dict[str, object] = {
        "test_scope": "all" if test_all else "built",
        "health_thresholds": thresholds_in_force(),
    }
    if days:
        first, last = days
        build_vars |= {"range_start": first.isoformat(), "range_end": (last + timedelta(days=1)).isoformat()}
    return build_vars


def dbt_executable() -> str:
    """The dbt installed beside this Python, so an un-activated venv still works."""
    beside = Path(sys.executable).parent / "dbt"
    found = str(beside) if beside.exists() else shutil.which("dbt")
    if not found:
        raise BuildError("dbt is not installed; run `make setup`")
    return found
