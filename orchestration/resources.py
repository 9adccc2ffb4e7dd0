"""Resources: the warehouse's settings, bound to environment variables at run time."""

from __future__ import annotations

import os

import dagster as dg

from ingest.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """Where the lake and warehouse live and which Kafka to pull from.

    The two required settings come through `EnvVar`; the optional ones (topics, org
    map, SASL, batch sizes) are read from the environment when a run starts, with
    the defaults documented in README.md.
    """

    data_dir: str
    kafka_bootstrap_servers: str

    def settings(self) -> Settings:
        return Settings.from_env(
            {
                **os.environ,
                "NAAP_DATA_DIR": self.data_dir,
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            }
        )


def warehouse_resource() -> WarehouseResource:
    return WarehouseResource(
        data_dir=dg.EnvVar("NAAP_DATA_DIR"),
        kafka_bootstrap_servers=dg.EnvVar("KAFKA_BOOTSTRAP_SERVERS"),
    )
