"""The live system of `naap run`: a simulated feed, the Dagster daemon and UI, the explorer.

- `feed`: keeps producing simulated events stamped with the wall clock (its own process).
- `processes`: starts, watches and stops the child processes as one unit.
- `batches`: reads the finished Dagster runs and says one line per micro-batch.
- `service`: `naap run` itself: the initial load, then the service until Ctrl-C or SIGTERM.
"""
