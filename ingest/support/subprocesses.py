"""Child processes that do not outlive the process that started them (Linux)."""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` (or a call first thing in a child): the child gets `sig` when its parent dies."""

    def arrange() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)

    return arrange
