"""Quoting for SQL built as text (DuckDB and SQLite alike), where a value cannot be a parameter:
a table or column name, a path inside `read_parquet(...)` or `copy ... to`, a literal in a view."""


def quote_identifier(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
