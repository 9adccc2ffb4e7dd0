"""The public marts as the dbt project documents them: names, grains, column docs, and what
the publication needs of each.

Read straight from the marts' `_<area>__models.yml` files (no dbt parse needed), so
publication and the explorer's metadata take every description and grain from the
one place they are written. Besides its columns and tests, each mart declares under
`config: meta:` (checked by tests/test_dbt_project.py):

- `time_column`: the column its snapshot day files and time range are read from (null: none);
- `indexes`: the explorer database's indexes for the filters people use, each a column list
  (the primary key on the grain comes from the uniqueness test);
- `full_text` (optional): the columns of its full-text search table;
- per column, `unit` (optional): the physical unit as Datasette (Pint) spells it, and
  `exact_decimal` (optional): an integer that can exceed SQLite's 64 bits.
"""

from dataclasses import dataclass
from functools import cache

import yaml

from ingest.paths import DBT_PROJECT_DIR

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"

# Pint renders large values with SI prefixes ("2.6 kmin"), so only units whose prefixed
# forms read well are declared; counts, ratios, wei and frames per second stay in the descriptions.
UNITS = ("ms", "s", "B")


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    exact_decimal: bool = False  # wei amounts; see ingest/publication/sqlite_export.py
    unit: str | None = None


@dataclass(frozen=True)
class Mart:
    name: str
    area: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    time_column: str | None = None
    indexes: tuple[tuple[str, ...], ...] = ()
    full_text: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@cache
def public_marts() -> tuple[Mart, ...]:
    """Every model under models/marts/, sorted by name: the public tables of semantics.md."""
    marts = [
        _mart(model, path.parent.name)
        for path in sorted(MARTS_DIR.glob("*/_*__models.yml"))
        for model in yaml.safe_load(path.read_text())["models"]
    ]
    return tuple(sorted(marts, key=lambda m: m.name))


@cache
def semantics_version() -> str:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return project["vars"]["sla_semantics_version"]


def _meta(node: dict) -> dict:
    return (node.get("config") or {}).get("meta") or {}


def _mart(model: dict, area: str) -> Mart:
    columns = tuple(
        Column(
            name=c["name"],
            description=" ".join(c.get("description", "").split()),
            exact_decimal=bool(_meta(c).get("exact_decimal")),
            unit=_meta(c).get("unit"),
        )
        for c in model["columns"]
    )
    meta = _meta(model)
    return Mart(
        name=model["name"],
        area=area,
        description=" ".join(model["description"].split()),
        grain=_grain(model),
        columns=columns,
        time_column=meta.get("time_column"),
        indexes=tuple(tuple(index) for index in meta.get("indexes") or ()),
        full_text=tuple(meta.get("full_text") or ()),
    )


def _grain(model: dict) -> tuple[str, ...]:
    """The grain its uniqueness test enforces: a `unique` column, else the column combination."""
    for column in model["columns"]:
        if "unique" in (column.get("data_tests") or []):
            return (column["name"],)
    for test in model.get("data_tests") or []:
        if isinstance(test, dict) and "unique_combination_of_columns" in test:
            columns = test["unique_combination_of_columns"]["arguments"]["columns"]
            # dbt quotes reserved words ('"constraint"'); the column is still `constraint`.
            return tuple(c.strip('"') for c in columns)
    raise ValueError(f"mart {model['name']} declares no uniqueness test for its grain")
