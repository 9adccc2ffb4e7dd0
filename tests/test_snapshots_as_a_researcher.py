"""A published Parquet snapshot read as a researcher would: with polars, from its files and manifest alone.

The snapshot is the one `naap run --once` published for the explorer's tests (the session fixture
`explorer_run`), so these tests cost no run of their own when those run in the same session.
"""

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture(scope="module")
def snapshot(explorer_run) -> Path:
    return explorer_run.data_dir / "publish" / "snapshots" / "latest"


@pytest.fixture(scope="module")
def manifest(snapshot: Path) -> dict:
    return json.loads((snapshot / "manifest.json").read_text())


def _table(snapshot: Path, name: str) -> pl.LazyFrame:
    return pl.scan_parquet(str(snapshot / name / "*.parquet"))


def test_every_file_matches_its_manifest_checksum_and_rows(snapshot: Path, manifest: dict) -> None:
    assert all(table["files"] for table in manifest["tables"])
    for table in manifest["tables"]:
        for entry in table["files"]:
            path = snapshot / entry["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], entry["file"]
            assert pl.scan_parquet(path).select(pl.len()).collect().item() == entry["rows"], entry["file"]
        whole = _table(snapshot, table["table"])
        assert whole.select(pl.len()).collect().item() == table["rows"], table["table"]
        assert whole.collect_schema().names() == [c["name"] for c in table["columns"]], table["table"]


def test_a_day_file_holds_its_day_and_the_time_range_is_right(snapshot: Path, manifest: dict) -> None:
    [sla] = [table for table in manifest["tables"] if table["table"] == "sla_hourly"]
    for entry in sla["files"]:
        days = pl.scan_parquet(snapshot / entry["file"]).select(pl.col("window_start").str.slice(0, 10))
        assert days.unique().collect().to_series().to_list() == [Path(entry["file"]).stem]
    bounds = _table(snapshot, "sla_hourly").select(
        first=pl.col("window_start").min(), last=pl.col("window_start").max()
    )
    assert bounds.collect().row(0) == (sla["time_range"]["from"], sla["time_range"]["to"])


def test_sla_rates_re_derive_from_the_additive_primitives_beside_them(snapshot: Path) -> None:
    requested = pl.col("requested_sessions")
    samples = pl.col("status_samples")
    rows = (
        _table(snapshot, "sla_hourly")
        .with_columns(
            startup_success=pl.when(requested > 0).then(pl.col("startup_success_sessions") / requested),
            no_swap=pl.when(requested > 0).then(1 - pl.col("total_swapped_sessions") / requested),
            output_fps=pl.when(samples > 0).then(pl.col("output_fps_sum") / samples),
        )
        .collect()
    )
    assert rows["requested_sessions"].sum() > 0
    for published, derived in [
        ("startup_success_rate", "startup_success"),
        ("no_swap_rate", "no_swap"),
        ("avg_output_fps", "output_fps"),
    ]:
        assert rows[published].is_null().to_list() == rows[derived].is_null().to_list(), published
        assert (rows[published] - rows[derived]).abs().max() < 1e-9, published
