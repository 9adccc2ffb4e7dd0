"""`naap publish`: the marts in SQLite and in Parquet snapshots, checked against the warehouse."""

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers.processes import naap_env

from ingest.paths import database_path, snapshots_dir
from ingest.publication.column_types import PublishError
from ingest.publication.mart_catalog import public_marts
from ingest.publication.publish import publish
from ingest.publication.snapshots import LATEST, MANIFEST, UNDATED, list_snapshots, sha256_of
from ingest.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _mart_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {m.name: con.execute(f'select count(*) from "{m.name}"').fetchone()[0] for m in public_marts()}


def _copy_warehouse(explorer_run, tmp_path: Path) -> Settings:
    return _copy_warehouse_from(explorer_run.data_dir, tmp_path / "data")


def _copy_warehouse_from(source: Path, data_dir: Path) -> Settings:
    data_dir.mkdir()
    shutil.copy(source / "warehouse.duckdb", data_dir / "warehouse.duckdb")
    return Settings.from_env(naap_env(data_dir))


def test_every_mart_is_published_on_its_grain(explorer_run) -> None:
    counts = _mart_counts(explorer_run.data_dir / "warehouse.duckdb")
    assert counts["sla_hourly"] and counts["payments"], "the smoke day should fill the marts"
    with sqlite3.connect(explorer_run.data_dir / "publish" / "naap.db") as db:
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
        for mart in public_marts():
            assert db.execute(f'select count(*) from "{mart.name}"').fetchone()[0] == counts[mart.name], (
                mart.name
            )
            pk = [
                row[1]
                for row in sorted(db.execute(f'pragma table_info("{mart.name}")'), key=lambda r: r[5])
                if row[5]
            ]
            assert tuple(pk) == mart.grain, mart.name
        indexed = {
            row[0]
            for row in db.execute("select tbl_name || '.' || name from sqlite_master where type = 'index'")
        }
        assert "sla_hourly.idx_sla_hourly_orchestrator_address_window_start" in indexed
        assert "gpu_metrics_hourly.idx_gpu_metrics_hourly_gpu_id" in indexed
        uri = db.execute(
            "select orchestrator_uri from orchestrators where orchestrator_uri like '%live-a%'"
        ).fetchone()[0]
        found = db.execute(
            "select orchestrators.orchestrator_uri from orchestrators_fts "
            "join orchestrators on orchestrators.rowid = orchestrators_fts.rowid where orchestrators_fts match 'live'"
        ).fetchall()
        assert (uri,) in found


def test_timestamps_are_iso_text_and_wei_amounts_exact(explorer_run) -> None:
    with sqlite3.connect(explorer_run.data_dir / "publish" / "naap.db") as db:
        hours = db.execute("select distinct typeof(window_start), window_start from sla_hourly").fetchall()
        assert {kind for kind, _ in hours} == {"text"}
        assert all(len(hour) == 19 and hour[10] == "T" for _, hour in hours)
        wei = db.execute(
            "select face_value_wei, face_value_wei_approx, typeof(face_value_wei) from payments"
        ).fetchall()
    with duckdb.connect(str(explorer_run.data_dir / "warehouse.duckdb"), read_only=True) as con:
        exact = {str(v) for (v,) in con.execute("select face_value_wei from payments").fetchall()}
    assert {text for text, _, _ in wei} == exact
    assert {kind for _, _, kind in wei} == {"text"}
    assert all(approx == pytest.approx(int(text), rel=1e-15) for text, approx, _ in wei)


def test_wide_integers_beyond_64_bits_and_timestamps_are_handled(explorer_run, tmp_path: Path) -> None:
    settings = _copy_warehouse(explorer_run, tmp_path)
    beyond_int64 = 2**64 + 12345  # 18446744073709563961 wei, about 18.4 ETH
    with duckdb.connect(str(settings.data_dir / "warehouse.duckdb")) as con:
        event_id = con.execute("select min(event_id) from payments").fetchone()[0]
        con.execute("update payments set face_value_wei = ? where event_id = ?", [beyond_int64, event_id])
        con.execute(
            "alter table ingest_batches alter started_at type timestamptz using (started_at || 'Z')::timestamptz"
        )
    publish(settings)
    with sqlite3.connect(database_path(settings)) as db:
        text, approx = db.execute(
            "select face_value_wei, face_value_wei_approx from payments where event_id = ?", [event_id]
        ).fetchone()
        started = db.execute("select started_at from ingest_batches").fetchone()[0]
    assert (text, approx) == (str(beyond_int64), float(beyond_int64))
    assert started[10] == "T" and len(started) == 26  # YYYY-MM-DDTHH:MM:SS.ffffff, UTC
    parquet = snapshots_dir(settings) / LATEST / "payments" / "*.parquet"
    [(value,)] = duckdb.sql(
        f"select face_value_wei from '{parquet}' where event_id = '{event_id}'"
    ).fetchall()
    assert int(value) == beyond_int64

    # A count that overflows 64 bits is refused, not rounded.
    with duckdb.connect(str(settings.data_dir / "warehouse.duckdb")) as con:
        # Stamped as a build stamps what it recomputes: a publish takes such rows as changed.
        con.execute(
            "update sla_hourly set requested_sessions = ?, built_at = built_at + interval 1 hour",
            [beyond_int64],
        )
    with pytest.raises(PublishError, match="sla_hourly has an integer beyond 64 bits"):
        publish(settings)


def test_snapshot_manifest_checksums_verify_and_counts_equal_the_marts(explorer_run) -> None:
    counts = _mart_counts(explorer_run.data_dir / "warehouse.duckdb")
    root = explorer_run.data_dir / "publish" / "snapshots"
    latest = root / LATEST
    manifest = json.loads((latest / MANIFEST).read_text())
    assert latest.resolve().name == manifest["snapshot"] == list_snapshots(root)[0]["snapshot"]
    assert manifest["semantics_version"] == "naap-sla-v1"
    assert {t["table"] for t in manifest["tables"]} == set(counts)
    for table in manifest["tables"]:
        for entry in table["files"]:
            path = latest / entry["file"]
            assert sha256_of(path) == entry["sha256"], entry["file"]
            assert path.stat().st_size == entry["bytes"]
            [(parquet_rows,)] = duckdb.sql(f"select count(*) from '{path}'").fetchall()
            assert parquet_rows == entry["rows"], entry["file"]
        assert table["bytes"] == sum(entry["bytes"] for entry in table["files"])
        assert table["rows"] == sum(entry["rows"] for entry in table["files"]) == counts[table["table"]]
        assert [c["name"] for c in table["columns"]] == [c.name for c in _mart(table["table"]).columns]
        # A table with no time column (health_thresholds) is one undated file ...
        if table["time_column"] is None:
            assert [entry["file"] for entry in table["files"]] == [f"{table['table']}/{UNDATED}.parquet"]
        # ... any other a file per day of its time column, and only that day's rows in it.
        elif table["files"]:
            days = duckdb.sql(
                f'select distinct left("{table["time_column"]}"::varchar, 10) as day'
                f" from read_parquet('{latest / table['table']}/*.parquet', filename = true)"
                f" where parse_filename(filename, true) != day"
            ).fetchall()
            assert days == [], table["table"]
    sla = next(t for t in manifest["tables"] if t["table"] == "sla_hourly")
    assert sla["time_range"] == {"from": "2026-01-08T21:00:00", "to": "2026-01-08T22:00:00"}
    assert manifest["time_range"] == sla["time_range"]  # every hourly mart keys its hours to the second


def test_only_the_newest_snapshots_are_kept(explorer_run, tmp_path: Path) -> None:
    settings = _copy_warehouse(explorer_run, tmp_path)
    made = [publish(settings, keep=2).snapshot.name for _ in range(3)]
    kept = [m["snapshot"] for m in list_snapshots(snapshots_dir(settings))]
    assert kept == sorted(made[1:], reverse=True)
    assert sorted(p.name for p in snapshots_dir(settings).iterdir()) == sorted([*made[1:], LATEST])
    assert (snapshots_dir(settings) / LATEST).resolve().name == made[-1]


def _published(settings: Settings) -> dict[str, list[tuple]]:
    with sqlite3.connect(database_path(settings)) as db:
        return {
            m.name: sorted(db.execute(f'select * from "{m.name}"').fetchall(), key=repr)
            for m in public_marts()
        }


def _day_files(snapshot: Path) -> set[str]:
    return {str(p.relative_to(snapshot)) for p in snapshot.rglob("*.parquet")}


def _linked_files(snapshot: Path) -> set[str]:
    """The day files shared with another snapshot (hard links)."""
    return {f for f in _day_files(snapshot) if (snapshot / f).stat().st_nlink > 1}


def _snapshot_rows(snapshot: Path) -> dict[str, list[tuple]]:
    manifest = json.loads((snapshot / MANIFEST).read_text())
    return {
        table["table"]: sorted(
            duckdb.sql(f"select * from read_parquet('{snapshot / table['table']}/*.parquet')").fetchall(),
            key=repr,
        )
        for table in manifest["tables"]
        if table["files"]
    }


def test_a_publish_writes_only_the_rows_that_changed_and_equals_a_full_one(
    explorer_run, tmp_path: Path
) -> None:
    settings = _copy_warehouse(explorer_run, tmp_path)
    first = publish(settings)
    assert sorted(first.rewritten) == sorted(m.name for m in public_marts())
    assert first.snapshot_bytes_written == first.snapshot_bytes
    unchanged = publish(settings)
    assert unchanged.rewritten == [] and set(unchanged.rows_written.values()) == {0}
    # Every day file is linked from the previous snapshot; only the manifest is new.
    assert _linked_files(unchanged.snapshot) == _day_files(unchanged.snapshot)
    assert unchanged.snapshot_bytes_written == (unchanged.snapshot / MANIFEST).stat().st_size
    with duckdb.connect(str(settings.data_dir / "warehouse.duckdb")) as con:
        # One row changed, one gone and one new in sla_hourly, stamped as a build stamps
        # what it recomputes; one orchestrator's URI changed (an unstamped mart).
        rebuilt = "(select max(built_at) + interval 1 second from sla_hourly)"
        con.execute(
            f"update sla_hourly set sla_score = 12.5, built_at = {rebuilt} "
            "where rowid = (select min(rowid) from sla_hourly)"
        )
        con.execute("delete from sla_hourly where rowid = (select max(rowid) from sla_hourly)")
        con.execute(
            f"insert into sla_hourly select * replace ('2026-01-09T00:00:00' as window_start, {rebuilt} as built_at) "
            "from sla_hourly limit 1"
        )
        # A grain with a NULL in it (SQLite's primary key treats NULLs as distinct).
        [(nulls,)] = con.execute(
            "update request_demand_hourly set job_count = job_count + 1, built_at = built_at + interval 1 hour "
            "where rowid = (select min(rowid) from request_demand_hourly where capability_id is null)"
        ).fetchall()
        assert nulls == 1, "the smoke day should have a request hour with no capability id"
        # A payment moved to the day before: its old day file must lose it.
        con.execute(
            "update payments set window_start = '2026-01-07T23:00:00', built_at = built_at + interval 1 hour "
            "where rowid = (select min(rowid) from payments)"
        )
        address = con.execute("select min(orchestrator_address) from orchestrators").fetchall()[0][0]
        con.execute(
            "update orchestrators set orchestrator_uri = 'https://renamed.example:8935' "
            "where orchestrator_address = ?",
            [address],
        )
    changed = publish(settings)
    assert changed.rewritten == []
    assert {name: n for name, n in changed.rows_written.items() if n} == {
        "sla_hourly": 3,
        "request_demand_hourly": 1,
        "payments": 1,
        "orchestrators": 1,
    }
    assert changed.table_rows == _mart_counts(settings.data_dir / "warehouse.duckdb")
    with sqlite3.connect(database_path(settings)) as db:
        found = db.execute(
            "select orchestrators.orchestrator_address from orchestrators_fts "
            "join orchestrators on orchestrators.rowid = orchestrators_fts.rowid where orchestrators_fts match 'renamed'"
        ).fetchall()
    assert found == [(address,)]
    # The snapshot wrote the days of those rows (a new one for the new row) and linked the rest.
    day_files = _day_files(changed.snapshot)
    written = {"sla_hourly/2026-01-08.parquet", "sla_hourly/2026-01-09.parquet"}
    written |= {"request_demand_hourly/2026-01-08.parquet"}
    written |= {"payments/2026-01-07.parquet", "payments/2026-01-08.parquet"}
    written |= {f for f in day_files if f.startswith("orchestrators/")}
    assert written <= day_files
    assert day_files - _linked_files(changed.snapshot) == written

    # The same warehouse published whole, into a new folder and with --full, gives the same rows.
    elsewhere = _copy_warehouse_from(settings.data_dir, tmp_path / "elsewhere")
    published_whole = publish(elsewhere)
    assert _published(settings) == _published(elsewhere)
    assert _snapshot_rows(changed.snapshot) == _snapshot_rows(published_whole.snapshot)
    assert sorted(publish(settings, full=True).rewritten) == sorted(m.name for m in public_marts())
    assert _published(settings) == _published(elsewhere)


def test_unchanged_day_files_are_copied_where_hard_links_fail(
    explorer_run, tmp_path: Path, monkeypatch
) -> None:
    settings = _copy_warehouse(explorer_run, tmp_path)
    first = publish(settings)

    def no_links(source, target) -> None:
        raise OSError(95, "Operation not supported", str(target))

    monkeypatch.setattr("ingest.publication.snapshots.os.link", no_links)
    second = publish(settings)
    assert _day_files(second.snapshot) == _day_files(first.snapshot)
    assert _linked_files(second.snapshot) == set()
    manifest = json.loads((second.snapshot / MANIFEST).read_text())
    for table in manifest["tables"]:
        for entry in table["files"]:
            assert sha256_of(second.snapshot / entry["file"]) == entry["sha256"], entry["file"]


def test_a_database_that_is_not_the_newest_snapshot_is_rewritten_whole(explorer_run, tmp_path: Path) -> None:
    settings = _copy_warehouse(explorer_run, tmp_path)
    publish(settings)
    # As after a publish that committed the database but died before its snapshot was written.
    with sqlite3.connect(database_path(settings)) as db:
        db.execute("pragma user_version = 12345")
    assert len(publish(settings).rewritten) == len(public_marts())
    assert publish(settings).rewritten == []


def test_no_client_ip_in_any_published_byte(explorer_run) -> None:
    files = [p for p in (explorer_run.data_dir / "lake" / "raw_events").rglob("*.parquet")]
    ips = {
        ip
        for (ip,) in duckdb.sql(
            "select coalesce(json_extract_string(data_json, '$.client_ip'), json_extract_string(data_json, '$.clientIP')) "
            f"from read_parquet({[str(f) for f in files]})"
        ).fetchall()
        if ip
    }
    assert ips, "the simulated day should carry client IPs into the lake"
    needles = [ip.encode() for ip in ips] + [b"client_ip", b"clientip"]
    published = [
        p for p in (explorer_run.data_dir / "publish").rglob("*") if p.is_file() and not p.is_symlink()
    ]
    assert any(p.suffix == ".parquet" for p in published) and any(p.name == "naap.db" for p in published)
    for path in published:
        contents = [path.read_bytes().lower()]
        if path.suffix == ".parquet":
            # Parquet pages are compressed: scan the decoded values too.
            rows = duckdb.sql(f"select * from '{path}'").fetchall()
            contents.append(repr(rows).lower().encode())
        for content in contents:
            for needle in needles:
                assert needle not in content, f"{needle!r} in {path}"


def test_publish_before_any_build_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "publish"],
        env=naap_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"naap: error: there is no warehouse at {tmp_path / 'data' / 'warehouse.duckdb'}; run `naap build` first"
    ]


def _mart(name: str):
    return next(m for m in public_marts() if m.name == name)
