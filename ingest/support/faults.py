"""Crash points for the crash-safety tests.

`NAAP_FAULT_POINT=<name>` makes the ingest process kill itself with SIGKILL the
first time it reaches that point, exactly as `kill -9` would, so the tests can
prove that a rerun loses and duplicates nothing wherever the crash lands.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "after_poll",
    "mid_write",
    "before_manifest",
    "after_manifest",
    "mid_landing",
    "before_kafka_commit",
)


def crash_point(name: str) -> None:
    if os.environ.get("NAAP_FAULT_POINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
