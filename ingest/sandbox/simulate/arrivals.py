"""When demand arrives and who serves it: Poisson arrivals shaped by a daily curve, weighted picks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

from ingest.sandbox.simulate.clock import HOUR_MS
from ingest.sandbox.simulate.scenario import Demand

T = TypeVar("T")
_DAY_MS = 24 * HOUR_MS


def diurnal_factor(ms: float, demand: Demand) -> float:
    """Rate multiplier at `ms`; it averages 1 over a UTC day, so per-hour rates are daily means."""
    hour = (ms % _DAY_MS) / HOUR_MS
    return 1.0 + demand.diurnal_amplitude * math.cos(2 * math.pi * (hour - demand.diurnal_peak_hour) / 24)


def arrival_times(rng: Random, per_hour: float, start_ms: int, end_ms: int, demand: Demand) -> list[int]:
    """Arrival times in [start_ms, end_ms) of a Poisson process with the diurnal rate (by thinning)."""
    peak = 1.0 + demand.diurnal_amplitude
    rate_per_ms = per_hour * peak / HOUR_MS
    if rate_per_ms <= 0:
        return []
    arrivals: list[int] = []
    t = float(start_ms)
    while True:
        t += rng.expovariate(rate_per_ms)
        if t >= end_ms:
            return arrivals
        if rng.random() * peak < diurnal_factor(t, demand):
            arrivals.append(int(t))


class Weighted(Generic[T]):
    """A fixed population with weights; pick() draws one item."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self._cumulative = list(accumulate(weights))

    def __bool__(self) -> bool:
        return bool(self.items)

    def pick(self, rng: Random) -> T:
        return rng.choices(self.items, cum_weights=self._cumulative)[0]
