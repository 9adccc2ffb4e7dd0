"""The live feed: a scenario's traffic, simulated an hour ahead and produced as the wall clock reaches it.

The simulator generates a whole window at once, so the feed simulates one window (an hour) at a
time, shortly before the clock enters it, and sends each record at its produce time (its event
time, later for a late or repeated delivery). Each window has its own seed, drawn from the run's
seed and the window's start, so no two windows (nor two runs of `naap run`) repeat an event id.
A session still running at a window's end is cut there, as at the end of any simulated window.

Run as `python -m ingest.sandbox.live.feed --scenario NAME --seed S --scale X --from-ms MS`, with
KAFKA_BOOTSTRAP_SERVERS set; SIGTERM stops it after the records already due.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from random import Random

from ingest.sandbox.replay import Message, produce, to_message
from ingest.sandbox.simulate import load_scenario, simulate
from ingest.sandbox.simulate.scenario import Scenario
from ingest.settings import Settings

WINDOW_MS = 3_600_000
# A window is simulated this long before the clock enters it (an hour takes a second or two).
LEAD_MS = 60_000
TICK_S = 0.25


def window_seed(seed: int, window_start_ms: int) -> int:
    return Random(f"{seed}:{window_start_ms}").getrandbits(63)


class LiveFeed:
    """The records of consecutive windows from `from_ms`, each released at its produce time."""

    def __init__(self, scenario: Scenario, seed: int, scale: float, from_ms: int, stop: threading.Event):
        self.scenario, self.seed, self.scale = scenario, seed, scale
        self.next_window_ms = from_ms
        self.stop = stop
        self._due: deque[tuple[int, dict]] = deque()

    def messages(self, now_ms=lambda: time.time_ns() // 1_000_000) -> Iterator[Message]:
        while not self.stop.is_set():
            now = now_ms()
            if now + LEAD_MS >= self.next_window_ms:
                self._simulate_next_window()
            while self._due and self._due[0][0] <= now:
                _, record = self._due.popleft()
                yield to_message(record, None, "live feed")
            self.stop.wait(TICK_S)

    def _simulate_next_window(self) -> None:
        start = datetime.fromtimestamp(self.next_window_ms / 1000, UTC)
        result = simulate(
            self.scenario, start=start, hours=WINDOW_MS / 3_600_000,
            seed=window_seed(self.seed, self.next_window_ms), scale=self.scale,
        )  # fmt: skip
        # Late deliveries of the previous window may still be due; keep one order by produce time.
        self._due = deque(sorted([*self._due, *zip(result.produce_ms, result.records, strict=True)],
                                 key=lambda entry: entry[0]))  # fmt: skip
        print(
            f"feed: simulated {start:%Y-%m-%d %H:%M} UTC + 1 h: {len(result.records):,} records",
            flush=True,
        )
        self.next_window_ms += WINDOW_MS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.sandbox.live.feed", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--from-ms", type=int, required=True, help="start of the first window (epoch ms)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    feed = LiveFeed(load_scenario(args.scenario), args.seed, args.scale, args.from_ms, stop)
    result = produce(feed.messages(), Settings.from_env().kafka)
    print(f"feed: stopped after {result.sent:,} messages", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
