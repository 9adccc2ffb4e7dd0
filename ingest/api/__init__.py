"""The `/v1` REST contract of the system this warehouse replaces, served from the published marts.

The plugin datasette/plugins/naap_v1.py routes `/v1/...` to the handlers here. A handler reads its
parameters (params.py), runs SQL over the published tables on Datasette's read-only connections
and shapes the rows into the contract's JSON; every number comes out of that SQL. The fields,
units and nullability of each response are written once, in contract.yml, which is served as
the OpenAPI document (openapi.py) and checked against the responses by the tests.

The published tables have no planner statistics, so SQLite prefers an index that saves it a sort
(`group by orchestrator_address` walks the orchestrator index over the whole history) to the
time range that would read a few hours. A `+` before a column (`group by +orchestrator_address`,
`where +pipeline_id = ...`) keeps that column's index out of the choice, leaving the range on the
time column; tests/test_api.py checks every endpoint's plans read the hourly marts by time.
"""
