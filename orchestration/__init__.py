"""Dagster definitions for naap-warehouse: thin assets over `ingest/`, dbt and publication.

The code location (one `Definitions` object, schedules, partitions and checks)
is built by the orchestration issue on top of the ingest package.
"""
