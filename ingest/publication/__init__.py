"""The marts out to the public: *publishing* exports them to the explorer's SQLite database and
to a Parquet snapshot, and writes `status.json`.

What a mart needs downstream (time column, indexes, full-text columns, units) is declared in its
dbt YAML `meta` and read by `mart_catalog`; no mart is named in this package.
"""
