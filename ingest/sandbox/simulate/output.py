"""write_simulation(): records as JSON Lines, truth as a sibling JSON file; both byte-stable."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from ingest.sandbox.simulate.generate import SimulationResult

_BUFFER_BYTES = 1 << 20


def truth_path_for(out_path: Path) -> Path:
    """day.jsonl -> day.truth.json"""
    return out_path.with_suffix(".truth.json")


def truth_bytes(truth: dict) -> bytes:
    """The truth as sorted, indented JSON. The standard library's encoder, not orjson: a payment's
    face value times its tickets can pass 2**64 wei (a week at scale 1 does), which orjson refuses."""
    return json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def write_simulation(result: SimulationResult, out_path: str | Path) -> Path:
    """Write one record per line to out_path and the truth next to it; returns the truth path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("wb", buffering=_BUFFER_BYTES) as out:
        out.writelines(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE) for record in result.records)
    truth_path = truth_path_for(out_path)
    truth_path.write_bytes(truth_bytes(result.truth))
    return truth_path
