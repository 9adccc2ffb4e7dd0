"""A mapping of a scenario file being read: typed getters whose errors name the file and key path."""

from __future__ import annotations

import re
from typing import Any

from ingest.sandbox.simulate.errors import SimulationError
from ingest.sandbox.simulate.scenario import Normal

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
REQUIRED = object()  # marks a key without a default


class Section:
    """A YAML mapping being read: typed getters that name the key path, and a check for unknown keys."""

    def __init__(self, file: str, path: str, value: Any) -> None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise SimulationError(f"{file}: {path or 'top level'}: expected a mapping")
        self.file, self.path, self.value, self.used = file, path, value, set()

    def error(self, key: str, problem: str) -> SimulationError:
        return SimulationError(f"{self.file}: {self._at(key)}: {problem}")

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, default: Any) -> Any:
        self.used.add(key)
        if key not in self.value or self.value[key] is None:
            if default is REQUIRED:
                present = ", ".join(str(k) for k in self.value) or "none"
                raise self.error(key, f"is required (keys present: {present})")
            return default
        return self.value[key]

    def text(self, key: str, default: Any = None) -> str:
        value = self._get(key, REQUIRED if default is None else default)
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {value!r}")
        return value

    def address(self, key: str, default: str | None = None) -> str:
        value = self.text(key, default)
        if not ADDRESS.match(value):
            raise self.error(key, f"{value!r} is not a 0x-prefixed 40-hex-digit address")
        return value

    def number(self, key: str, default: float, low: float = 0.0, high: float = float("inf")) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {value!r}")
        if not low <= value <= high:
            raise self.error(key, f"{value!r} is outside [{low}, {high}]")
        return float(value)

    def probability(self, key: str, default: float) -> float:
        return self.number(key, default, 0.0, 1.0)

    def integer(self, key: str, default: Any, low: int = 0) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected an integer, got {value!r}")
        if value < low:
            raise self.error(key, f"{value!r} is below {low}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def section(self, key: str) -> Section:
        return Section(self.file, self._at(key), self._get(key, {}))

    def sections(self, key: str, required: bool = False) -> list[Section]:
        items = self._get(key, REQUIRED if required else [])
        if not isinstance(items, list):
            raise self.error(key, "expected a list")
        return [Section(self.file, f"{self._at(key)}[{i}]", item) for i, item in enumerate(items)]

    def strings(self, key: str) -> tuple[str, ...]:
        items = self._get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise self.error(key, "expected a list of non-empty strings")
        return tuple(items)

    def rates(self, key: str) -> dict[str, float]:
        """A mapping name -> non-negative rate, in file order (file order keeps generation deterministic)."""
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "expected a mapping of name: rate")
        rates: dict[str, float] = {}
        for name, rate in value.items():
            if not isinstance(name, str) or isinstance(rate, bool) or not isinstance(rate, int | float):
                raise self.error(key, f"entry {name!r}: {rate!r} is not a number")
            if rate < 0:
                raise self.error(key, f"entry {name!r}: rate must not be negative")
            rates[name] = float(rate)
        return rates

    def normal(self, key: str, mean: float, stddev: float) -> Normal:
        sub = self.section(key)
        result = Normal(sub.number("mean", mean), sub.number("stddev", stddev))
        sub.finish()
        return result

    def finish(self) -> None:
        unknown = [k for k in self.value if k not in self.used]
        if unknown:
            expected = ", ".join(sorted(self.used))
            raise self.error(str(unknown[0]), f"unknown key (expected one of: {expected})")
