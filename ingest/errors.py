"""The one base class of the errors a user can fix."""


class NaapError(Exception):
    """An error a user can fix (a setting, an input file, a busy lake, an unreachable broker):
    `naap` prints its message, which says what to change, as one line and exits with status 2."""
