"""The dbt manifest the dbt assets are defined from, kept in step with the models.

dagster-dbt's `prepare_if_dev()` parses the project only under `dagster dev`; every other entry
point a deployment uses (`dagster-webserver`, `dagster-daemon run`, `dagster definitions
validate`, the run workers) would fail on a fresh clone with DagsterDbtManifestNotFoundError.
So the code location parses the project itself when the manifest is missing or older than any
file dbt reads, and `make setup` does it once ahead (`python -m orchestration.manifest`).

Two processes may load the code location at once (the daemon and the webserver both start a
code server), so the parse runs under a lock and its manifest is renamed into place whole.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject

from ingest.paths import DBT_PROJECT_DIR
from ingest.warehouse.build import BuildError, dbt_executable

# What `dbt parse` reads, besides the two YAML files at the project's top.
SOURCE_FOLDERS = ("models", "macros", "tests", "seeds", "analyses", "snapshots")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "selectors.yml")


def newest_source_mtime(project_dir: Path) -> float:
    paths = [project_dir / name for name in PROJECT_FILES]
    for folder in SOURCE_FOLDERS:
        paths += (project_dir / folder).rglob("*")
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def manifest_is_current(project: DbtProject) -> bool:
    manifest = Path(project.manifest_path)
    return manifest.exists() and manifest.stat().st_mtime >= newest_source_mtime(Path(project.project_dir))


def prepare_manifest(project: DbtProject) -> Path:
    """Parse the project unless its manifest is newer than every file dbt reads; the manifest's path."""
    manifest = Path(project.manifest_path)
    if manifest_is_current(project):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_current(project):  # another process parsed it while this one waited
            return manifest
        with tempfile.TemporaryDirectory(dir=manifest.parent, prefix=".parse-") as scratch:
            parsed = _parse(Path(project.project_dir), Path(scratch))
            os.replace(parsed, manifest)
    return manifest


def _parse(project_dir: Path, scratch: Path) -> Path:
    command = [
        dbt_executable(), "parse", "--quiet",
        "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target-path", str(scratch), "--log-path", str(scratch),
    ]  # fmt: skip
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not (scratch / "manifest.json").exists():
        detail = (completed.stdout + completed.stderr).strip().splitlines()[-5:]
        raise BuildError(f"dbt parse of {project_dir} failed: " + " / ".join(detail))
    return scratch / "manifest.json"


def main() -> int:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    current = manifest_is_current(project)
    path = prepare_manifest(project)
    print(f"dbt manifest {'is current' if current else 'parsed'}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
