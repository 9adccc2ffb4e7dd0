"""The one error type the simulator raises for things a user can fix."""

from __future__ import annotations

from ingest.errors import NaapError


class SimulationError(NaapError, ValueError):
    """A scenario or a simulate() argument the simulator cannot use; the message says what to change."""
