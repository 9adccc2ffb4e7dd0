"""The Parquet lake: what is accepted, what is quarantined and why, and how a batch lands.

A batch *lands* when its staged files are renamed into the lake and its manifest row is
written (`store.Lake.land`); `lake.landed_batches` is what every staging model reads.
"""
