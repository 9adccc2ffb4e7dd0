"""The supply history, BYOC worker, live-stream and job-attribution marts, each against its
own recomputation in Python from the staged events of a real build (smoke, seed 3)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime, timedelta

import duckdb
import pytest
from helpers.shared_builds import SharedBuild

from ingest.paths import DBT_PROJECT_DIR

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
# The smoke_built(seed) build read here (shared with test_job_and_payment_marts), which conftest.py prefetches.
SMOKE_SEEDS = (3,)

CATALOG = {
    row["pipeline_id"]: (int(row["capability_id"]), row["is_live"] == "true")
    for row in csv.DictReader((DBT_PROJECT_DIR / "seeds" / "capability_catalog.csv").open())
}
BUILTIN_BY_ID = {
    capability_id: pipeline for pipeline, (capability_id, _) in CATALOG.items() if capability_id <= 36
}
LISTED_PIPELINES = {*BUILTIN_BY_ID.values(), "text-to-video", "noop"}


def _rows(built: SharedBuild, sql: str) -> list[dict]:
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        con.execute("set timezone = 'UTC'")
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}"


def _hour(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:00:00")


def _offers(entry: dict) -> list[dict]:
    """What a snapshot entry offers (reference-behaviour.md §2.4): per hardware entry and GPU, else
    per builtin capability and model."""
    hardware = json.loads(entry["hardware_json"] or "null") or []
    offers = []
    if hardware:
        for item in hardware:
            pipeline = (item.get("pipeline") or "").strip().lower()
            if not pipeline:
                continue
            gpus = item.get("gpu_info") or {}
            gpus = list(gpus.values()) if isinstance(gpus, dict) else gpus
            for gpu in gpus or [None]:
                offers.append(
                    {
                        "pipeline": pipeline,
                        "model": (item.get("model_id") or "").strip(),
                        "gpu_id": (gpu or {}).get("id") or None,
                        "gpu_name": (gpu or {}).get("name"),
                        "hardware": gpu is not None and gpu.get("id") is not None,
                    }
                )
        return offers
    capabilities = json.loads(entry["capabilities_json"] or "null") or {}
    per_capability = (capabilities.get("constraints") or {}).get("PerCapability") or {}
    for capability_id, spec in per_capability.items():
        if int(capability_id) in BUILTIN_BY_ID:
            for model in (spec or {}).get("models") or {}:
                offers.append(
                    {
                        "pipeline": BUILTIN_BY_ID[int(capability_id)],
                        "model": model.strip(),
                        "gpu_id": None,
                        "gpu_name": None,
                        "hardware": False,
                    }
                )
    return offers


@pytest.fixture(scope="module")
def built(smoke_built) -> SharedBuild:
    return smoke_built(3)


@pytest.fixture(scope="module")
def entries(built: SharedBuild) -> list[dict]:
    found = _rows(
        built,
        "select org, event_id, entry_index, event_ts, orchestrator_address, orchestrator_local_address,"
        " orchestrator_uri, coalesce(orchestrator_uri_norm, '') as uri_norm, hardware_json::varchar as hardware_json,"
        " capabilities_json::varchar as capabilities_json"
        " from stg_lake__capability_snapshots where coalesce(orchestrator_address, '') != ''",
    )
    for entry in found:
        entry["offers"] = _offers(entry)
    return found


def test_offer_observations_per_hour_equal_the_snapshots(built: SharedBuild, entries: list[dict]) -> None:
    expected: dict[tuple, dict] = {}
    for entry in entries:
        for offer in entry["offers"]:
            key = (_hour(entry["event_ts"]), entry["orchestrator_address"], offer["pipeline"], offer["model"])
            row = expected.setdefault(
                key, {"observations": set(), "gpus": set(), "hardware": False, "times": []}
            )
            row["observations"].add((entry["org"], entry["event_id"], entry["entry_index"]))
            row["gpus"].update({offer["gpu_id"]} - {None, ""})
            row["hardware"] |= offer["hardware"]
            row["times"].append(
                ((entry["event_ts"], entry["org"], entry["event_id"], entry["entry_index"]), entry)
            )
    assert expected, "the smoke scenario has capability snapshots"
    want = {}
    for (hour, address, pipeline, model), row in expected.items():
        latest = max(row["times"], key=lambda t: t[0])[1]
        capability_id, is_live = CATALOG.get(pipeline, (-1, CATALOG["byoc"][1]))
        want[(hour, address, pipeline, model)] = (
            latest["orchestrator_uri"],
            "builtin" if 27 <= capability_id <= 36 else "byoc",
            is_live,
            row["hardware"],
            len(row["gpus"]),
            len(row["observations"]),
            _iso(min(t[0][0] for t in row["times"])),
            _iso(max(t[0][0] for t in row["times"])),
        )
    got = {
        (r["window_start"], r["orchestrator_address"], r["pipeline_id"], r["model_id"]): (
            r["orchestrator_uri"],
            r["capability_family"],
            r["supports_stream"],
            r["hardware_present"],
            r["gpu_count"],
            r["observation_count"],
            r["first_observed_at"],
            r["last_observed_at"],
        )
        for r in _rows(built, "select * from offer_observations_hourly")
    }
    assert got == want


def test_current_offers_say_their_family_and_whether_they_stream(built: SharedBuild) -> None:
    offers = _rows(built, "select pipeline_id, capability_family, supports_stream from capability_offers")
    assert {o["capability_family"] for o in offers} == {"builtin", "byoc"}
    for offer in offers:
        builtin = 27 <= CATALOG.get(offer["pipeline_id"], (-1, None))[0] <= 36
        assert offer["capability_family"] == ("builtin" if builtin else "byoc"), offer
        # Among builtin pipelines only live video streams; BYOC (capability 37) serves both.
        assert offer["supports_stream"] == (offer["pipeline_id"] == "live-video-to-video" or not builtin), (
            offer
        )


def test_byoc_workers_per_hour_equal_the_lifecycle_events(built: SharedBuild) -> None:
    events = _rows(
        built,
        "select event_id, event_ts, event_subtype, capability, orchestrator_address, orchestrator_url_norm,"
        " worker_url, model_id, price_per_unit from stg_lake__worker_lifecycle_events"
        " where coalesce(trim(capability), '') != '' order by event_ts, event_id",
    )
    assert events, "the smoke scenario registers BYOC workers"
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for e in events:
        grouped[
            (_hour(e["event_ts"]), e["orchestrator_address"] or "", e["capability"], e["worker_url"] or "")
        ].append(e)
    want = {}
    for key, group in grouped.items():  # each group in (event_ts, event_id) order
        models = [e["model_id"] for e in group if (e["model_id"] or "").strip()]
        prices = [e["price_per_unit"] for e in group if e["price_per_unit"] is not None]
        want[key] = (
            group[-1]["orchestrator_url_norm"] or "",
            models[-1] if models else "",
            prices[-1] if prices else None,
            len(group),
            sum(e["event_subtype"] == "worker_registered" for e in group),
            group[-1]["event_subtype"],
            _iso(group[-1]["event_ts"]),
        )
    got = {
        (r["window_start"], r["orchestrator_address"], r["capability_name"], r["worker_url"]): (
            r["orchestrator_uri"],
            r["model_id"],
            r["price_per_unit"],
            r["observation_count"],
            r["registered_count"],
            r["last_event_type"],
            r["last_seen"],
        )
        for r in _rows(built, "select * from byoc_workers_hourly")
    }
    assert got == want


def test_live_streams_are_the_open_sessions_of_the_last_30_minutes_with_their_latest_sample(
    built: SharedBuild,
) -> None:
    (clock,) = _rows(built, "select data_clock_at from stg_lake__data_clock")
    clock = clock["data_clock_at"]
    sessions = _rows(
        built,
        "select session_key, completed, started_at, last_seen from sessions",
    )
    first_seen = {
        r["session_key"]: r["first_seen"]
        for r in _rows(built, "select session_key, first_seen from int_sessions_attributed")
    }
    latest: dict[str, tuple] = {}
    for s in _rows(
        built,
        "select org, stream_id, request_id, event_id, event_ts, state, input_fps, output_fps from stg_lake__stream_statuses",
    ):
        stream, request = (s["stream_id"] or "").strip(), (s["request_id"] or "").strip()
        if not s["org"] or not (stream or request):
            continue
        key = f"{s['org']}|{stream or '_missing_stream'}|{request or '_missing_request'}"
        if key not in latest or (s["event_ts"], s["event_id"]) > latest[key][:2]:
            latest[key] = (s["event_ts"], s["event_id"], s["state"], s["input_fps"], s["output_fps"])
    cutoff = _iso(clock - timedelta(minutes=30))
    want = {}
    for s in sessions:
        if s["completed"] or not s["last_seen"] > cutoff:
            continue
        sample = latest.get(s["session_key"])
        started = s["started_at"] or _iso(first_seen[s["session_key"]])
        duration = (datetime.fromisoformat(s["last_seen"]) - datetime.fromisoformat(started)).total_seconds()
        want[s["session_key"]] = (
            sample[2] if sample else None,
            sample[4] if sample else None,
            _iso(sample[0]) if sample else None,
            started,
            round(duration, 3),
        )
    assert want, "the smoke scenario ends with streams in flight"
    got = {
        r["session_key"]: (
            r["state"],
            r["output_fps"],
            r["sampled_at"],
            r["started_at"],
            round(r["duration_s"], 3),
        )
        for r in _rows(built, "select * from live_streams")
    }
    assert got == want
    assert {r["data_clock"] for r in _rows(built, "select data_clock from live_streams")} == {_iso(clock)}


def _attribution(entries: list[dict], org: str, at: datetime, uri: str, pipeline: str, model: str) -> tuple:
    """The job's (status, gpu name, orchestrator) by reference-behaviour.md §2.4 over the URI's snapshots."""
    surfaces: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        if entry["org"] == org and entry["uri_norm"] == uri:
            surfaces[entry["orchestrator_address"]].append(entry)
    matches = []  # (class rank, entry)
    for found in surfaces.values():
        order = sorted(found, key=lambda e: (e["event_ts"], e["event_id"], e["entry_index"]))
        before = [e for e in order if e["event_ts"] <= at]
        after = [e for e in order if at < e["event_ts"] <= at + timedelta(seconds=30)]
        if before:
            matches.append((1 if at - before[-1]["event_ts"] <= timedelta(minutes=10) else 3, before[-1]))
        if after:
            matches.append((2, after[0]))
    if not matches:
        return ("unresolved", None, "")
    best = min(rank for rank, _ in matches)
    compatible = [
        (rank, entry, offer)
        for rank, entry in matches
        if rank == best
        for offer in entry["offers"]
        if (not pipeline or offer["pipeline"] == pipeline)
        and (not model or offer["model"].lower() == model.lower())
    ]
    if not compatible:
        return ("unresolved", None, "")
    if len({(e["orchestrator_address"], o["pipeline"], o["model"].lower()) for _, e, o in compatible}) > 1:
        return ("ambiguous", None, "")
    _, entry, offer = max(compatible, key=lambda c: c[1]["event_ts"])
    gpus = {o["gpu_id"] for _, _, o in compatible} - {None}
    gpu_name = offer["gpu_name"] if len(gpus) <= 1 else None
    if not offer["hardware"]:
        return ("hardware_less", gpu_name, entry["orchestrator_address"])
    return ("stale" if best == 3 else "resolved", gpu_name, entry["orchestrator_address"])


def test_jobs_are_attributed_to_the_offer_their_orchestrator_showed_at_the_time(
    built: SharedBuild, entries: list[dict]
) -> None:
    batch = _rows(
        built,
        "select org, request_id, pipeline_id, model_id, orchestrator_uri, orchestrator_address, selection_outcome,"
        " coalesce(received_at, completed_at) as selected_at, attribution_status, gpu_model_name from ai_batch_jobs",
    )
    byoc = _rows(
        built,
        "select org, event_id, capability_name, model_id, orchestrator_uri, selection_outcome, completed_at,"
        " attribution_status, gpu_model_name from byoc_jobs",
    )
    got, want = {}, {}
    for job in batch:
        key = ("batch", job["org"], job["request_id"])
        got[key] = (job["attribution_status"], job["gpu_model_name"], job["orchestrator_address"])
        pipeline = job["pipeline_id"].strip().lower()
        want[key] = (
            _attribution(
                entries,
                job["org"],
                datetime.fromisoformat(job["selected_at"] + "+00:00"),
                job["orchestrator_uri"],
                pipeline
                if pipeline in LISTED_PIPELINES and pipeline != job["model_id"].strip().lower()
                else "",
                job["model_id"].strip(),
            )
            if job["selection_outcome"] == "selected"
            else ("unresolved", None, "")
        )
    for job in byoc:
        if job["selection_outcome"] == "selected" and not job["orchestrator_uri"]:
            continue  # looked up by address: not recomputed here
        key = ("byoc", job["org"], job["event_id"])
        got[key] = (job["attribution_status"], job["gpu_model_name"])
        want[key] = (
            _attribution(
                entries,
                job["org"],
                datetime.fromisoformat(job["completed_at"] + "+00:00"),
                job["orchestrator_uri"],
                job["capability_name"].strip().lower(),
                (job["model_id"] or "").strip(),
            )[:2]
            if job["selection_outcome"] == "selected"
            else ("unresolved", None)
        )
    assert got == want
    statuses = {status for status, *_ in got.values()}
    assert {"resolved", "hardware_less"} <= statuses, statuses
