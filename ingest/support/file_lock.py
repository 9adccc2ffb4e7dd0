"""The single-writer lock of the lake and of the publication: an exclusive flock, not waited for.

A second writer fails at once with its caller's error (one line, exit 2) rather than queueing
behind the first. The kernel drops the lock when its holder dies, so a `kill -9` leaves no stale lock.
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(path: Path, busy: Exception) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if missing); raise `busy` if another process holds it."""
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
