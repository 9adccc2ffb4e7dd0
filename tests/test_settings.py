from __future__ import annotations

from pathlib import Path

import pytest

from ingest.settings import Settings, SettingsError


def test_defaults_resolve_data_dir_to_an_absolute_path() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path("./data").resolve()
    assert settings.topics == ("network_events", "streaming_events")
    assert settings.org_for("network_events") == "daydream"
    assert settings.org_for("streaming_events") == "cloudspe"
    assert settings.org_for("other_topic") == "other_topic"
    assert settings.snapshots_keep == 7
    assert Settings.from_env({"NAAP_SNAPSHOTS_KEEP": "3"}).snapshots_keep == 3
    assert settings.duckdb_memory_limit == "4GB"
    assert Settings.from_env({"NAAP_DUCKDB_MEMORY_LIMIT": "512MiB"}).duckdb_memory_limit == "512MiB"


def test_topic_org_map_and_topics_are_parsed() -> None:
    settings = Settings.from_env({"NAAP_TOPICS": "a, b,a", "NAAP_TOPIC_ORGS": "a=x, b=y"})
    assert settings.topics == ("a", "b")
    assert (settings.org_for("a"), settings.org_for("b")) == ("x", "y")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NAAP_TOPIC_ORGS", "a=x,b", "not of the form topic=org"),
        ("NAAP_INGEST_INTERVAL_S", "soon", "is not a number"),
        ("NAAP_BATCH_MAX_EVENTS", "-5", "must be positive"),
        ("NAAP_SNAPSHOTS_KEEP", "2.5", "must be a whole number"),
        ("NAAP_SNAPSHOTS_KEEP", "0", "must be positive"),
        ("NAAP_DUCKDB_MEMORY_LIMIT", "lots", "must be a size"),
        ("NAAP_API_TIME_LIMIT_MS", "soon", "whole number of milliseconds"),
        ("NAAP_API_TIME_LIMIT_MS", "0", "at least 1"),
    ],
)
def test_bad_settings_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as error:
        Settings.from_env({name: value})
    assert name in str(error.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2.5", "must be a whole number"),
        ("0", "must be positive"),
        ("-1", "must be positive"),
        ("abc", "is not a number"),
    ],
)
def test_ingest_workers_is_a_positive_whole_number(value: str, message: str) -> None:
    assert Settings.from_env({"NAAP_INGEST_WORKERS": "3"}).ingest_workers == 3
    with pytest.raises(SettingsError, match=f"NAAP_INGEST_WORKERS='{value}' {message}"):
        Settings.from_env({"NAAP_INGEST_WORKERS": value})


def test_sasl_settings_reach_the_client_config() -> None:
    kafka = Settings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "b1:9096,b2:9096",
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": "gateway",
            "KAFKA_SASL_PASSWORD": "secret",
        }
    ).kafka
    config = kafka.client_config()
    assert config["bootstrap_servers"] == ["b1:9096", "b2:9096"]
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_plain_username"] == "gateway"
    assert "secret" not in repr(kafka)
