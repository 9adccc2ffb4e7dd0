"""The public marts as the dbt project documents them: names, grains, column docs.

Read straight from the marts' `_<area>__models.yml` files (no dbt parse needed), so
publication and the explorer's metadata take every description and grain from the
one place they are written.
"""

import re
from dataclasses import dataclass
from functools import cache

import yaml

from ingest.dbt_build import PROJECT_DIR

MARTS_DIR = PROJECT_DIR / "models" / "marts"

# Column-level `config: {meta: {exact_decimal: true}}` in the mart YAML marks integers that
# can exceed SQLite's 64 bits (wei amounts); see ingest/sqlite_export.py.
EXACT_DECIMAL_META = "exact_decimal"


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    exact_decimal: bool = False


@dataclass(frozen=True)
class Mart:
    name: str
    area: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]

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
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return project["vars"]["sla_semantics_version"]


def _mart(model: dict, area: str) -> Mart:
    columns = tuple(
        Column(
            name=c["name"],
            description=" ".join(c.get("description", "").split()),
            exact_decimal=bool(((c.get("config") or {}).get("meta") or {}).get(EXACT_DECIMAL_META)),
        )
        for c in model["columns"]
    )
    return Mart(
        name=model["name"],
        area=area,
        description=" ".join(model["description"].split()),
        grain=_grain(model),
        columns=columns,
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


# Pint renders large values with SI prefixes ("2.6 kmin"), so only units whose prefixed
# forms read well (ms -> s, B -> GB) are declared; the rest stay in the descriptions.
UNIT_WORDS = {"milliseconds": "ms", "ms": "ms", "seconds": "s", "bytes": "B"}
_PARENTHESIS = re.compile(r"\(([^()]*)\)")


def unit_of(column: Column) -> str | None:
    """The physical unit a description states first in parentheses, as Datasette (Pint) spells it.

    Counts, ratios, wei and frames per second have no Pint unit, so they stay in the description.
    """
    for inside in _PARENTHESIS.findall(column.description):
        first = re.split(r"[;,]", inside, maxsplit=1)[0].strip().lower()
        if first in UNIT_WORDS:
            return UNIT_WORDS[first]
    return None
