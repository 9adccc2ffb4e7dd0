"""Dagster definitions for naap-warehouse: thin assets over `ingest/`, dbt and publication.

The code location is `orchestration.definitions.defs`: the lake, dbt and publication assets,
partitioned by UTC day (`partitions.py`), their checks (`checks.py`), the `micro_batch` and
`close_day` jobs (`jobs.py`) and their schedules (`schedules.py`). The work itself is in `ingest/`.
"""
