"""The DuckDB warehouse: the one dbt invocation that `naap build` and the Dagster assets share."""
