"""datasette/metadata.yml is generated from the dbt mart YAML and datasette/source/: no drift."""

import yaml

from ingest.explorer_metadata import METADATA_PATH, render
from ingest.mart_catalog import public_marts, unit_of


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


def test_units_are_read_from_the_descriptions() -> None:
    sla = next(m for m in public_marts() if m.name == "sla_hourly")
    assert unit_of(sla.column("avg_e2e_latency_ms")) == "ms"
    assert unit_of(sla.column("requested_sessions")) is None  # (count)
    assert unit_of(sla.column("avg_output_fps")) is None  # frames per second: no Pint unit
    gpus = next(m for m in public_marts() if m.name == "gpu_inventory")
    assert unit_of(gpus.column("gpu_memory_bytes_total")) == "B"
