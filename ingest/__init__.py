"""naap-warehouse's Python package, one subpackage per stage of the data's way through it.

- `pull`: Kafka to the lake: clients, column-wise message chunks, the micro-batch runner and its
  exactly-once commit, the parallel drain of a large backlog.
- `lake`: the Parquet lake: the accepted-event contract, classification (accept or quarantine),
  the schema, the store and its commit protocol, the DuckDB views dbt reads.
- `warehouse`: the one dbt invocation (`naap build` and Dagster alike) and its summary.
- `publication`: the marts out to the public: the catalog read from the mart YAML, column types,
  the explorer's SQLite database, the researchers' Parquet snapshots, `status.json`.
- `explorer`: the Datasette app (`naap serve`) and its generated metadata.
- `alerts`: incidents from Dagster's checks and runs, the webhook message, the list /healthz reads.
- `sandbox`: everything that stands in for the network: the embedded broker, replay, the
  simulator and its scenarios, `naap run` (live service and `--once`).
- `cli`: the `naap` command: parser, verbs, console output.

Beside them: `paths` (where every file lives), `settings` (the environment), `errors` (the
base class of the errors a user can fix) and `support` (small helpers shared by the stages).
Dagster's definitions are in `orchestration/`, the dbt project in `dbt_project/`.
"""
