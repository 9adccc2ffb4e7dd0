"""Structure of the dbt project, read from its manifest: layers, grains, docs."""

from __future__ import annotations

import json

import pytest

from ingest.paths import DBT_PROJECT_DIR


@pytest.fixture(scope="module")
def manifest() -> dict:
    # The code location's manifest: `dbt parse` of these very files, parsed again whenever one is
    # newer than it (orchestration/manifest.py), so the parse is paid once, not once per reader.
    from dagster_dbt import DbtProject

    from orchestration.manifest import prepare_manifest

    path = prepare_manifest(DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR))
    return json.loads(path.read_text())


def _models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def _layer(node: dict) -> str:
    return node["fqn"][1]


def test_layers_only_read_downwards(manifest: dict) -> None:
    models = _models(manifest)
    allowed = {
        "staging": {"source"},
        "intermediate": {"staging", "intermediate", "seed"},
        "marts": {"intermediate", "seed"},
    }
    for node in models.values():
        for parent in node["depends_on"]["nodes"]:
            kind = parent.split(".")[0]
            parent_layer = _layer(models[parent]) if kind == "model" else kind
            assert parent_layer in allowed[_layer(node)], f"{node['name']} reads {parent}"


def test_nothing_reads_a_mart(manifest: dict) -> None:
    models = _models(manifest)
    marts = {uid for uid, node in models.items() if _layer(node) == "marts"}
    for node in models.values():
        assert not marts.intersection(node["depends_on"]["nodes"]), node["name"]


def test_every_model_states_its_grain_and_tests_it(manifest: dict) -> None:
    tests_by_model: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node"):
            tests_by_model.setdefault(node["attached_node"], set()).add(node["test_metadata"]["name"])
    for uid, node in _models(manifest).items():
        assert "Grain:" in node["description"], f"{node['name']} does not state its grain"
        assert tests_by_model.get(uid, set()) & {"unique", "unique_combination_of_columns"}, (
            f"{node['name']} has no uniqueness test for its grain"
        )


def test_every_mart_column_is_documented(manifest: dict) -> None:
    for node in _models(manifest).values():
        if _layer(node) != "marts":
            continue
        undocumented = [name for name, column in node["columns"].items() if not column.get("description")]
        assert undocumented == [], node["name"]
        assert node["columns"], f"{node['name']} documents no column"


def test_every_replace_scope_model_names_its_replaced_key(manifest: dict) -> None:
    # The key replace_scope deletes and replaces is `meta: replaced_key` (macros/README.md), not
    # dbt's unique_key, which would read as a grain.
    for node in _models(manifest).values():
        config = node["config"]
        if config["materialized"] == "incremental":
            assert config.get("incremental_strategy") == "replace_scope", node["name"]
            key = config["meta"].get("replaced_key")
            assert key and isinstance(key, str | list), f"{node['name']} declares no replaced_key"
        assert config.get("unique_key") is None, f"{node['name']} sets unique_key"
