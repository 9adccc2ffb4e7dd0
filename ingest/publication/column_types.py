"""How each mart column is published: its SQLite type and the DuckDB expression that feeds it.

SQLite integers are 64-bit, DuckDB sums are HUGEINT (128-bit). Two cases:
- a column the mart YAML marks `exact_decimal` (wei amounts, which do exceed 2^63) is published
  to SQLite as TEXT holding the exact integer, plus `<name>_approx`, a REAL (double) to sort,
  sum and chart; in the Parquet snapshots it is DECIMAL(38,0), exact (DuckDB would write a
  HUGEINT to Parquet as a double);
- any other wide integer (sums of counts) is published as a 64-bit integer, and a value that
  does not fit fails the publish instead of being rounded.
Timestamps and dates become ISO-8601 UTC text (the marts already publish text).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from ingest.errors import NaapError
from ingest.publication.mart_catalog import Column, Mart
from ingest.support.sql_text import quote_identifier

APPROX_SUFFIX = "_approx"
# Client IPs never leave staging (semantics.md); a mart column of that name is refused.
CLIENT_IP_COLUMN = re.compile(r"client_?ip", re.IGNORECASE)

_INTEGER_TYPES = {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_WIDE_INTEGER_TYPES = {"UBIGINT", "HUGEINT", "UHUGEINT"}
_REAL_TYPES = {"FLOAT", "DOUBLE"}
_TIME_FORMATS = {
    "DATE": "%Y-%m-%d",
    "TIMESTAMP": "%Y-%m-%dT%H:%M:%S.%f",
    "TIMESTAMP WITH TIME ZONE": "%Y-%m-%dT%H:%M:%S.%f",
}


class PublishError(NaapError, RuntimeError):
    """The warehouse cannot be published as it is (missing, unbuilt, or a mart breaks a rule)."""


@contextmanager
def refusing_wide_integers(mart: Mart) -> Iterator[None]:
    """Turn DuckDB's cast error for an integer beyond 64 bits into a one-line PublishError."""
    try:
        yield
    except duckdb.ConversionException as exc:
        raise PublishError(
            f"mart {mart.name} has an integer beyond 64 bits; mark its column exact_decimal in the "
            f"mart YAML ({str(exc).splitlines()[0]})"
        ) from None


@dataclass(frozen=True)
class PublishedColumn:
    name: str
    sqlite_type: type  # str, int or float, as sqlite-utils takes column types
    sqlite_sql: str


def sqlite_columns(mart: Mart, duck_types: dict[str, str]) -> list[PublishedColumn]:
    """The SQLite columns of a mart, in mart order (an exact decimal is followed by its approximation)."""
    published: list[PublishedColumn] = []
    for column in mart.columns:
        name, duck_type = _checked(mart, column, duck_types)
        quoted = quote_identifier(name)
        if column.exact_decimal:
            published.append(PublishedColumn(name, str, f"{quoted}::varchar"))
            published.append(PublishedColumn(name + APPROX_SUFFIX, float, f"{quoted}::double"))
        elif duck_type == "VARCHAR":
            published.append(PublishedColumn(name, str, quoted))
        elif duck_type in _INTEGER_TYPES:
            published.append(PublishedColumn(name, int, quoted))
        elif duck_type in _REAL_TYPES:
            published.append(PublishedColumn(name, float, f"{quoted}::double"))
        elif duck_type in _TIME_FORMATS:
            published.append(PublishedColumn(name, str, f"strftime({quoted}, '{_TIME_FORMATS[duck_type]}')"))
        else:
            # A wide integer; DuckDB raises a ConversionException for a value beyond 64 bits.
            published.append(PublishedColumn(name, int, f"{quoted}::bigint"))
    return published


def parquet_expressions(mart: Mart, duck_types: dict[str, str]) -> dict[str, str]:
    """Each column's value in the snapshot: the mart's own type, with wide integers made exact or 64-bit."""
    expressions = {}
    for column in mart.columns:
        name, duck_type = _checked(mart, column, duck_types)
        quoted = quote_identifier(name)
        if duck_type in _TIME_FORMATS:
            expressions[name] = f"strftime({quoted}, '{_TIME_FORMATS[duck_type]}')"
        elif _is_wide(duck_type):
            target = "decimal(38, 0)" if column.exact_decimal else "bigint"
            expressions[name] = f"{quoted}::{target}"
        else:
            expressions[name] = quoted
    return expressions


def parquet_select(mart: Mart, duck_types: dict[str, str], where: str = "") -> str:
    """The snapshot's SELECT; `where` filters the mart's own columns (before they take the snapshot's form)."""
    expressions = ", ".join(
        f"{sql} as {quote_identifier(name)}" for name, sql in parquet_expressions(mart, duck_types).items()
    )
    return f"select {expressions} from main.{quote_identifier(mart.name)}{f' where {where}' if where else ''}"


def sqlite_select(mart: Mart, columns: list[PublishedColumn], where: str = "") -> str:
    expressions = ", ".join(f"{c.sqlite_sql} as {quote_identifier(c.name)}" for c in columns)
    return f"select {expressions} from main.{quote_identifier(mart.name)}{f' where {where}' if where else ''}"


def approx_description(name: str) -> str:
    return (
        f"{name} as a REAL (double, about 15 significant digits) to sort, sum and chart; "
        f"the exact integer is the text in {name}."
    )


def _checked(mart: Mart, column: Column, duck_types: dict[str, str]) -> tuple[str, str]:
    if CLIENT_IP_COLUMN.search(column.name):
        raise PublishError(
            f"mart {mart.name} has a client IP column {column.name!r}; client IPs are never published"
        )
    if column.name not in duck_types:
        raise PublishError(
            f"mart {mart.name} in the warehouse lacks the column {column.name!r} its YAML documents; "
            "rebuild with `naap build`"
        )
    duck_type = duck_types[column.name]
    integer = duck_type in _INTEGER_TYPES or _is_wide(duck_type)
    if column.exact_decimal and not integer:
        raise PublishError(
            f"mart {mart.name} column {column.name} is marked exact_decimal but is {duck_type}"
        )
    if not integer and duck_type not in _REAL_TYPES | _TIME_FORMATS.keys() | {"VARCHAR"}:
        raise PublishError(
            f"mart {mart.name} column {column.name} has type {duck_type}, which is not published"
        )
    return column.name, duck_type


def _is_wide(duck_type: str) -> bool:
    return duck_type in _WIDE_INTEGER_TYPES or bool(re.fullmatch(r"DECIMAL\(\d+,\s*0\)", duck_type))
