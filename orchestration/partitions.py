"""The daily UTC partitions shared by the dbt assets: the unit of backfills.

`end_offset=1` makes today a partition, so a micro-batch can run as today's.
The first day comes from NAAP_PARTITIONS_START when the code location loads
(partitions are part of the definitions, not of a run).
"""

import os

import dagster as dg

DEFAULT_PARTITIONS_START = "2026-01-01"

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("NAAP_PARTITIONS_START") or DEFAULT_PARTITIONS_START,
    timezone="UTC",
    end_offset=1,
)
