"""The `/v1` REST contract of the system this warehouse replaces, served from the published marts.

The plugin datasette/plugins/naap_v1.py routes `/v1/...` to the handlers here. A handler reads its
parameters (params.py), runs SQL over the published tables on Datasette's read-only connections
and shapes the rows into the contract's JSON; every number comes out of that SQL. The fields,
units and nullability of each response are written once, in contract.yml, which is served as
the OpenAPI document (openapi.py) and checked against the responses by the tests.
"""
