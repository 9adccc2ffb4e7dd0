"""Kafka to the lake: one micro-batch at a time, exactly once.

`once.ingest_once` is the entry point (`naap ingest`, the Dagster `lake` asset); `runner` holds
the batch protocol (poll, classify, stage, commit offsets with the batch); `parallel` drains a
large backlog on several processes; `clients` builds kafka-python clients from the settings.
"""
