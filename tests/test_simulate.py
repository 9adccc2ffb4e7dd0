"""The simulator: determinism, coverage, and truth that agrees with the records it describes.

The records are checked with a quarantine classifier written here from the contract (semantics.md
precedence), independent of the simulator's own bookkeeping.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

import orjson
import pytest

from ingest.lake.contract import (
    ACCEPTED_FAMILIES,
    MAX_MESSAGE_BYTES,
    QUARANTINE_REASONS,
    SCOPE_CLIENT_NOISE_SUBTYPES,
    STREAM_TRACE_SUBTYPES,
)
from ingest.sandbox.simulate import SimulationError, load_scenario, simulate, truth_bytes, write_simulation
from ingest.sandbox.simulate.scenario import Scenario
from ingest.sandbox.simulate.sessions import KINDS
from ingest.sandbox.simulate.wire import uuid4_string

SMOKE_START = datetime(2026, 1, 8, 21, 50, tzinfo=UTC)
SESSION_KINDS = set(KINDS)


@pytest.fixture(scope="module")
def smoke() -> Scenario:
    return load_scenario("smoke")


@pytest.fixture(scope="module")
def run(smoke: Scenario):
    return simulate(smoke, start=SMOKE_START, hours=0.25, seed=7)


# -- an independent reading of the ingest contract ----------------------------------------------------


def _timestamp_ok(value: Any) -> bool:
    """semantics.md: numeric (string) >= 1e12 ms, >= 1e9 s, else ISO-8601, else invalid."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float) or (
        isinstance(value, str) and value.strip().replace(".", "", 1).isdigit()
    ):
        number = float(value)
        if number >= 1e9:
            return True
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def classify(value: Any) -> str | None:
    """The quarantine reason of one message value, or None when it is accepted."""
    raw = value.encode("utf-8") if isinstance(value, str) else orjson.dumps(value)
    if len(raw) > MAX_MESSAGE_BYTES:
        return "oversized_message"
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "invalid_json"
    if not isinstance(message, dict):
        return "invalid_json"
    if not isinstance(message.get("id"), str) or not message["id"]:
        return "missing_event_id"
    if not isinstance(message.get("type"), str) or not message["type"]:
        return "missing_type"
    if not _timestamp_ok(message.get("timestamp")):
        return "bad_timestamp"
    if message["type"] not in ACCEPTED_FAMILIES:
        return "unsupported_event_family"
    if message["type"] == "stream_trace":
        data = message.get("data") or {}
        subtype = str(data.get("type", "")).lower()
        if subtype.startswith("app_"):
            return "ignored_stream_trace_non_core_app"
        if str(data.get("client_source", "")).lower() == "scope" and subtype in SCOPE_CLIENT_NOISE_SUBTYPES:
            return "ignored_stream_trace_scope_client_noise"
        if subtype not in STREAM_TRACE_SUBTYPES:
            return "unsupported_stream_trace_type"
    return None


def _accepted(records: list[dict]) -> list[dict]:
    return [r["value"] for r in records if classify(r["value"]) is None]


def _unique_session_events(records: list[dict], stream_id: str, request_id: str) -> list[dict]:
    seen, events = set(), []
    for envelope in _accepted(records):
        data = envelope["data"]
        ours = isinstance(data, dict) and (data.get("stream_id"), data.get("request_id")) == (
            stream_id,
            request_id,
        )
        if ours and envelope["id"] not in seen:
            seen.add(envelope["id"])
            events.append(envelope)
    return events


# -- determinism ----------------------------------------------------------------------------------------


def test_same_arguments_give_identical_files_and_another_seed_does_not(
    smoke: Scenario, tmp_path: Path
) -> None:
    paths = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        out = tmp_path / f"{name}.jsonl"
        truth = write_simulation(simulate(smoke, start=SMOKE_START, hours=0.25, seed=seed), out)
        assert truth == tmp_path / f"{name}.truth.json"
        paths.append((out.read_bytes(), truth.read_bytes()))
    assert paths[0] == paths[1]
    assert paths[0][0] != paths[2][0]
    assert paths[0][1] != paths[2][1]


def test_output_does_not_depend_on_string_hash_randomisation(tmp_path: Path) -> None:
    script = (
        "import sys; from ingest.sandbox.simulate import simulate, write_simulation; "
        "write_simulation(simulate('smoke', seed=3, hours=0.1), sys.argv[1])"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"h{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-c", script, str(out)], check=True, env=env, cwd=Path(__file__).parents[1]
        )
        outputs.append((out.read_bytes(), out.with_suffix(".truth.json").read_bytes()))
    assert outputs[0] == outputs[1]


def test_written_lines_are_the_records_in_order(run, tmp_path: Path) -> None:
    out = tmp_path / "smoke.jsonl"
    write_simulation(run, out)
    lines = out.read_bytes().splitlines()
    assert len(lines) == len(run.records)
    assert [orjson.loads(line) for line in lines[:50]] == run.records[:50]


def test_uuid_helper_matches_the_uuid_module() -> None:
    rng = Random(3)
    for _ in range(100):
        bits = rng.getrandbits(128)
        assert uuid4_string(bits) == str(uuid.UUID(int=bits, version=4))


# -- coverage --------------------------------------------------------------------------------------------


def test_smoke_has_every_family_reason_and_outcome(run) -> None:
    families = {v["type"] for v in _accepted(run.records)}
    assert families == set(ACCEPTED_FAMILIES)
    reasons = {classify(r["value"]) for r in run.records} - {None}
    assert reasons == set(QUARANTINE_REASONS)
    sessions = run.truth["sessions"]
    assert {s["kind"] for s in sessions} == SESSION_KINDS
    assert {s["startup_outcome"] for s in sessions} == {"success", "excused", "unexcused", "unknown"}
    assert {s["excusal_reason"] for s in sessions} == {"none", "no_orch", "excusable_error"}
    assert {s["attribution_expected"] for s in sessions} == {"resolved", "unresolved"}
    cases = {s["coverage_case"]: s for s in sessions if s["coverage_case"]}
    assert len(cases["hour_crossing"]["status_hours"]) == 2
    assert cases["rollover_terminal_tail"]["tail_artifact_hours"] == ["2026-01-08T22:00:00"]
    assert not cases["unclosed"]["completed"]
    assert cases["unresolved"]["orchestrator_address"] == ""
    assert run.truth["counts"]["duplicate_deliveries"] > 0
    assert run.truth["counts"]["late_deliveries"] > 0
    subtypes = {
        (v["type"], v["data"].get("type")) for v in _accepted(run.records) if isinstance(v["data"], dict)
    }
    for expected in (
        ("ai_batch_request", "ai_batch_request_completed"),
        ("ai_llm_request", "llm_request_started"),
        ("ai_llm_request", "llm_request_completed"),
        ("ai_llm_request", "llm_stream_completed"),
        ("job_gateway", "job_gateway_completed"),
        ("stream_trace", "orchestrator_swap"),
        ("stream_trace", "gateway_no_orchestrators_available"),
    ):
        assert expected in subtypes
    failed_batch = [
        v
        for v in _accepted(run.records)
        if v["type"] == "ai_batch_request" and v["data"].get("error_type") == "no_orchestrators"
    ]
    assert failed_batch and not failed_batch[0]["data"]["success"]


def test_every_produced_message_gets_the_reason_the_truth_claims(run) -> None:
    counts = run.truth["counts"]
    reasons = Counter(classify(r["value"]) for r in run.records)
    accepted = reasons.pop(None)
    assert dict(sorted(reasons.items())) == counts["quarantined_by_reason"]
    assert accepted == counts["accepted"]
    assert sum(reasons.values()) == counts["quarantined"]
    assert len(run.records) == counts["records"]
    assert dict(Counter(r["topic"] for r in run.records)) == counts["by_topic"]
    assert dict(Counter(v["type"] for v in _accepted(run.records))) == counts["by_family"]


def test_duplicates_share_envelope_ids_and_payload(run) -> None:
    by_id: dict[str, list[bytes]] = {}
    for envelope in _accepted(run.records):
        by_id.setdefault(envelope["id"], []).append(orjson.dumps(envelope))
    repeated = {k: v for k, v in by_id.items() if len(v) > 1}
    assert sum(len(v) - 1 for v in repeated.values()) == run.truth["counts"]["duplicate_deliveries"]
    assert all(len(set(copies)) == 1 for copies in repeated.values())
    # A worker re-drain is the same payload under a new envelope id: dedup must use data.id.
    worker_ids = Counter(
        v["data"]["id"]
        for k, v in {v["id"]: v for v in _accepted(run.records)}.items()
        if v["type"] == "worker_lifecycle"
    )
    assert sum(n - 1 for n in worker_ids.values()) == run.truth["counts"]["worker_lifecycle_redrains"] > 0


def test_oversized_message_really_exceeds_one_mebibyte(run) -> None:
    oversized = [r for r in run.records if classify(r["value"]) == "oversized_message"]
    assert len(oversized) == 1
    assert len(orjson.dumps(oversized[0]["value"])) > 1_048_576


def test_late_deliveries_are_produced_hours_after_their_timestamp(run) -> None:
    produce_order = [r["value"] for r in run.records if classify(r["value"]) is None]
    late, newest = 0, 0
    for envelope in produce_order:
        ts = int(envelope["timestamp"])
        # Records are in produce order: an event five minutes older than one produced before it was late
        # (duplicates follow their original within a minute).
        late += newest - ts >= 300_000
        newest = max(newest, ts)
    assert 1 <= late <= run.truth["counts"]["late_deliveries"]


# -- truth against the records ----------------------------------------------------------------------------


def test_session_timings_match_the_emitted_trace_edges(run) -> None:
    checked = 0
    for session in run.truth["sessions"]:
        if session["startup_latency_ms"] is None or session["swap_count"]:
            continue
        events = _unique_session_events(run.records, session["stream_id"], session["request_id"])
        first: dict[str, int] = {}
        for e in events:
            if e["type"] == "stream_trace":
                subtype, ts = e["data"]["type"], int(e["timestamp"])
                first[subtype] = min(ts, first.get(subtype, ts))
        start_times = [e["data"]["start_time"] for e in events if e["type"] == "ai_stream_status"]
        assert session["startup_latency_ms"] == (
            first["gateway_receive_first_processed_segment"] - first["gateway_receive_stream_request"]
        )
        assert session["e2e_latency_ms"] == (
            first["runner_send_first_processed_segment"] - first["gateway_send_first_ingest_segment"]
        )
        if start_times:
            expected_ptff = first["gateway_receive_few_processed_segments"] - min(start_times)
            assert session["prompt_to_playable_latency_ms"] == expected_ptff
        status = [e for e in events if e["type"] == "ai_stream_status"]
        assert session["status_samples"] == len(status)
        assert math.isclose(
            session["output_fps_sum"], math.fsum(e["data"]["inference_status"]["fps"] for e in status)
        )
        checked += 1
        if checked == 5:
            break
    assert checked == 5


def test_status_samples_add_up_across_sessions_and_hours(run) -> None:
    truth = run.truth
    unique_status = {v["id"] for v in _accepted(run.records) if v["type"] == "ai_stream_status"}
    per_session = sum(s["status_samples"] for s in truth["sessions"])
    assert per_session == len(unique_status)
    assert sum(r["status_samples"] for r in truth["demand_hours"]) == per_session
    # SLA hours leave out terminal-tail hours (§2.9); count those samples from the records.
    tail_samples = 0
    for session in truth["sessions"]:
        for envelope in _unique_session_events(run.records, session["stream_id"], session["request_id"]):
            ts = int(envelope["timestamp"])
            hour = datetime.fromtimestamp(ts // 3_600_000 * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            tail_samples += envelope["type"] == "ai_stream_status" and hour in session["tail_artifact_hours"]
    assert tail_samples > 0
    sla = sum(r["status_samples"] for r in truth["orchestrator_hours"] + truth["unattributed_hours"])
    assert sla == per_session - tail_samples
    requested = sum(s["requested"] for s in truth["sessions"])
    assert sum(r["requested_sessions"] for r in truth["demand_hours"]) == requested


def test_attributed_sessions_have_a_recent_snapshot_of_their_uri(run) -> None:
    snapshots: dict[str, list[tuple[int, set[str]]]] = {}
    for v in _accepted(run.records):
        if v["type"] == "network_capabilities":
            uris = {entry["orch_uri"] for entry in v["data"]}
            snapshots.setdefault(v["gateway"], []).append((int(v["timestamp"]), uris))
    advertised = set().union(*(uris for shots in snapshots.values() for _, uris in shots))
    for session in run.truth["sessions"]:
        if session["attribution_expected"] == "resolved":
            assert session["orchestrator_uri"] in advertised
            assert session["orchestrator_address"] == session["orchestrator_address"].lower() != ""
            assert session["gpu_id"].startswith("GPU-")
        else:
            assert session["orchestrator_address"] == "" and session["gpu_id"] == ""
    hidden = next(s for s in run.truth["sessions"] if s["coverage_case"] == "unresolved")
    events = _unique_session_events(run.records, hidden["stream_id"], hidden["request_id"])
    urls = {e["data"]["orchestrator_info"]["url"] for e in events if e["type"] == "ai_stream_status"}
    assert urls and not urls & advertised


def test_redeliveries_do_not_change_any_session_or_hour_figure(smoke: Scenario) -> None:
    quiet = dataclasses.replace(
        smoke, delivery=dataclasses.replace(smoke.delivery, duplicate_rate=0.0, late_rate=0.0)
    )
    noisy = simulate(smoke, start=SMOKE_START, hours=0.25, seed=11).truth
    clean = simulate(quiet, start=SMOKE_START, hours=0.25, seed=11).truth
    assert noisy["counts"]["duplicate_deliveries"] > 0 == clean["counts"]["duplicate_deliveries"]
    for key in (
        "sessions",
        "orchestrator_hours",
        "unattributed_hours",
        "demand_hours",
        "request_hours",
        "payments",
    ):
        assert noisy[key] == clean[key], key


def test_payments_carry_request_id_only_on_the_first_ticket(run) -> None:
    by_session: dict[str, list[dict]] = {}
    unique = {v["id"]: v for v in _accepted(run.records)}  # a redelivered first payment is not a refill
    for v in unique.values():
        if v["type"] == "create_new_payment":
            by_session.setdefault(v["data"]["sessionID"], []).append(v)
    assert by_session
    for payments in by_session.values():
        payments.sort(key=lambda v: int(v["timestamp"]))
        first, refills = payments[0]["data"], [p["data"] for p in payments[1:]]
        assert first["requestID"] and first["manifestID"].startswith("35_")
        assert all(p["requestID"] == "" and not p["manifestID"].startswith("35_") for p in refills)
        assert all(isinstance(value, str) for value in first.values())


def test_scale_multiplies_demand(smoke: Scenario) -> None:
    quiet = dataclasses.replace(smoke, guarantee_coverage=False)
    small = simulate(quiet, start=SMOKE_START, hours=1.0, seed=5, scale=0.5).truth["counts"]["live_sessions"]
    large = simulate(quiet, start=SMOKE_START, hours=1.0, seed=5, scale=2.0).truth["counts"]["live_sessions"]
    assert 2.5 < large / small < 6.5


# -- errors ---------------------------------------------------------------------------------------------------


def _write_scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
gateways:
  - {address: "0x3120a553549CC0A7E26864B38298DC6189980Dba", topic: network_events}
orchestrators:
  - address: "0x2AB4d081405D285c1f8Cf2f42380eE76292cd452"
    uri: "https://a.example:8935"
    live_models: [streamdiffusion-sdxl]
    gpus: [{id: GPU-6d9b41de-654d-b4e1-869c-7efb56b61227, name: NVIDIA GeForce RTX 4090, memory_bytes: 25757220864}]
demand:
  live:
    sessions_per_hour: {streamdiffusion-sdxl: 10}
"""


def test_a_minimal_scenario_file_loads_and_runs(tmp_path: Path) -> None:
    scenario = load_scenario(_write_scenario(tmp_path, MINIMAL))
    assert scenario.name == "custom"
    result = simulate(scenario, start=SMOKE_START, hours=0.5, seed=1)
    assert result.truth["counts"]["by_family"]["network_capabilities"] == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL.replace("memory_bytes", "memroy_bytes"),
            "custom.yaml: orchestrators[0].gpus[0].memory_bytes: is required",
        ),
        (
            MINIMAL + "noise: {malformed_per_hour: 5, oversize: true}\n",
            "custom.yaml: noise.oversize: unknown key",
        ),
        (MINIMAL.replace('"0x2AB4d081405D285c1f8Cf2f42380eE76292cd452"', "nope"), "orchestrators[0].address"),
        (
            MINIMAL.replace("streamdiffusion-sdxl: 10", "streamdiffusion-v9: 10"),
            "no (advertised) orchestrator serves",
        ),
        (MINIMAL + "delivery: {duplicate_rate: 1.5}\n", "delivery.duplicate_rate: 1.5 is outside [0.0, 1.0]"),
        (MINIMAL + "supply: {capabilities_interval_s: 900}\n", "supply.capabilities_interval_s"),
        ("gateways: [\n", "custom.yaml: invalid YAML"),
    ],
)
def test_bad_scenarios_are_rejected_with_a_message_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SimulationError) as error:
        load_scenario(_write_scenario(tmp_path, text))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_scenarios_and_bad_arguments_are_rejected(smoke: Scenario, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="does not exist"):
        load_scenario(tmp_path / "absent.yaml")
    with pytest.raises(SimulationError, match=r"known scenarios: .*smoke"):
        load_scenario("no-such-scenario")
    with pytest.raises(SimulationError, match="timezone-aware"):
        simulate(smoke, start=datetime(2026, 1, 8), hours=1.0)
    with pytest.raises(SimulationError, match="hours"):
        simulate(smoke, start=SMOKE_START, hours=0)
    assert issubclass(SimulationError, ValueError)


def test_network_day_scenario_loads(tmp_path: Path) -> None:
    scenario = load_scenario("network-day")
    assert len(scenario.orchestrators) == 40
    assert {g.org for g in scenario.gateways} == {"daydream", "cloudspe"}
    hot_wallets = Counter(o.hot_wallet.lower() for o in scenario.orchestrators)
    assert max(hot_wallets.values()) >= 2
    # An hour of the day at a tenth of the demand runs quickly and has every family.
    result = simulate(scenario, start=datetime(2026, 1, 8, 17, tzinfo=UTC), hours=1.0, seed=3, scale=0.1)
    assert set(result.truth["counts"]["by_family"]) == set(ACCEPTED_FAMILIES)


def test_the_truth_file_holds_wei_amounts_past_64_bits() -> None:
    """A week's payments can carry face value × tickets above 2**64 wei; the truth keeps it exact."""
    truth = {"payments": [{"face_value_total_wei": 2**70 + 1}]}
    assert json.loads(truth_bytes(truth)) == truth
