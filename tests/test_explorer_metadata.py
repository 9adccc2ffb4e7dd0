"""datasette/metadata.yml is generated from the dbt mart YAML and datasette/source/: no drift."""

import yaml

from ingest.explorer.metadata import METADATA_PATH, render
from ingest.publication.mart_catalog import MARTS_DIR, UNITS, public_marts


def test_the_committed_metadata_is_what_its_sources_generate() -> None:
    assert METADATA_PATH.read_text() == render(), "datasette/metadata.yml is stale: run `make metadata`"


def test_every_mart_and_column_description_comes_from_the_dbt_yaml() -> None:
    tables = yaml.safe_load(METADATA_PATH.read_text())["databases"]["naap"]["tables"]
    assert set(tables) == {m.name for m in public_marts()}
    for mart in public_marts():
        assert tables[mart.name]["description"] == mart.description
        for column in mart.columns:
            assert tables[mart.name]["columns"][column.name] == column.description
    payments = tables["payments"]["columns"]
    assert "exact integer is the text in face_value_wei" in payments["face_value_wei_approx"]


def test_units_are_read_from_the_mart_yaml() -> None:
    sla = next(m for m in public_marts() if m.name == "sla_hourly")
    assert sla.column("avg_e2e_latency_ms").unit == "ms"
    assert sla.column("requested_sessions").unit is None  # (count)
    assert sla.column("avg_output_fps").unit is None  # frames per second: no Pint unit
    gpus = next(m for m in public_marts() if m.name == "gpu_inventory")
    assert gpus.column("gpu_memory_bytes_total").unit == "B"


def test_every_mart_declares_what_its_publication_needs() -> None:
    """A new mart is added in its YAML alone: this names what it must declare, and where."""
    for path in sorted(MARTS_DIR.glob("*/_*__models.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            meta = (model.get("config") or {}).get("meta") or {}
            where = f"{path.relative_to(MARTS_DIR)}: {model['name']}: config.meta"
            assert "time_column" in meta, f"{where} needs time_column (a column, or null)"
            assert "indexes" in meta, f"{where} needs indexes (a list of column lists, or [])"
    for mart in public_marts():
        names = {c.name for c in mart.columns}
        assert mart.time_column is None or mart.time_column in names, mart.name
        for index in mart.indexes:
            assert set(index) <= names and index != mart.grain[: len(index)], (mart.name, index)
        assert set(mart.full_text) <= names, mart.name
        for column in mart.columns:
            assert column.unit in (None, *UNITS), (mart.name, column.name, column.unit)
            # A name that says its unit declares it, so the explorer shows it.
            if column.name.endswith("_ms") and not column.name.endswith("_count"):
                assert column.unit == "ms", (mart.name, column.name)
