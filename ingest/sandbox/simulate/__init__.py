"""Deterministic test-load generator: wire-faithful gateway events plus the ground truth they imply.

    from ingest.sandbox.simulate import load_scenario, simulate, write_simulation
    result = simulate(load_scenario("smoke"), start=..., hours=0.25, seed=7)
    write_simulation(result, "out/smoke.jsonl")  # also writes out/smoke.truth.json

Scenario keys are documented in ingest/sandbox/scenarios/README.md.
"""

from ingest.sandbox.simulate.errors import SimulationError
from ingest.sandbox.simulate.generate import SimulationResult, simulate
from ingest.sandbox.simulate.output import truth_bytes, truth_path_for, write_simulation
from ingest.sandbox.simulate.scenario import Scenario
from ingest.sandbox.simulate.scenario_file import load_scenario

__all__ = [
    "Scenario",
    "SimulationError",
    "SimulationResult",
    "load_scenario",
    "simulate",
    "truth_bytes",
    "truth_path_for",
    "write_simulation",
]
