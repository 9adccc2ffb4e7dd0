"""Millisecond time arithmetic; integers only, so formatting never depends on float rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

HOUR_MS = 3_600_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def hour_of(ms: int) -> int:
    return ms - ms % HOUR_MS


def iso(ms: int) -> str:
    """UTC as public tables write it (semantics.md): YYYY-MM-DDTHH:MM:SS.fff, no offset."""
    return f"{_second(ms // 1000)}.{ms % 1000:03d}"


@lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    # Payments format two times per ticket; consecutive calls mostly hit the same second.
    return from_ms(seconds * 1000).strftime("%Y-%m-%dT%H:%M:%S")


def iso_hour(ms: int) -> str:
    return from_ms(hour_of(ms)).strftime("%Y-%m-%dT%H:%M:%S")


def iso_z(ms: int) -> str:
    """RFC 3339 with a Z, the form producers put into payload time strings."""
    return iso(ms) + "Z"
