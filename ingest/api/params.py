"""The query parameters of the contract (api-contract.md §1.4), read strictly.

A value the API cannot read is a 400 problem that says which parameter and why, never a silent
default: a client that sends `window=1w` learns it instead of reading 24 hours as a week. Values
that are readable but out of range are clamped as the reference does (`window` above 168 h,
`limit` above an endpoint's cap: the NaaP UI sends `limit=200` to pipelines), and parameters an
endpoint does not take are ignored, whatever they hold.
"""

import re
from datetime import UTC, datetime, timedelta

from ingest.api.problems import bad_request

DEFAULT_WINDOW_HOURS = 24
MAX_WINDOW_HOURS = 168
DEFAULT_SPAN = timedelta(hours=24)
PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 1000
RETIRED_PAGING = ("offset", "page", "page_size")

_WINDOW = re.compile(r"([1-9][0-9]{0,5})([hd]?)")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def window_hours(args) -> int:
    """`window`: `<n>h`, `<n>d` or a bare `<n>` hours, n ≥ 1; 24 when absent, at most 168."""
    value = args.get("window")
    if value is None or value == "":
        return DEFAULT_WINDOW_HOURS
    match = _WINDOW.fullmatch(value)
    if not match:
        raise bad_request(f'window "{value[:40]}" is not <n>h, <n>d or <n> hours with n ≥ 1 (e.g. 24h, 2d)')
    hours = int(match.group(1)) * (24 if match.group(2) == "d" else 1)
    return min(hours, MAX_WINDOW_HOURS)


def instant(args, name: str) -> datetime | None:
    """An RFC 3339 time (with its offset) as a naive UTC datetime, the marts' convention."""
    value = args.get(name)
    if value is None or value == "":
        return None
    if not _RFC3339.fullmatch(value):
        raise bad_request(f'{name} "{value[:40]}" is not an RFC 3339 time such as 2026-01-08T00:00:00Z')
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError as error:
        raise bad_request(f'{name} "{value[:40]}" is not a valid time: {error}') from None
    return moment.astimezone(UTC).replace(tzinfo=None)


def time_range(args, clock: datetime) -> tuple[datetime, datetime]:
    """`[start, end)`: `end` defaults to the data clock, `start` to 24 hours before `end`."""
    end = instant(args, "end") or clock
    start = instant(args, "start") or end - DEFAULT_SPAN
    if start >= end:
        raise bad_request("start must be before end")
    return start, end


def _integer(args, name: str) -> int | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise bad_request(f'{name} "{value[:40]}" is not a positive integer')
    return int(value)


def page_limit(args) -> int:
    """`limit` of the envelope endpoints: 1 to 1000, default 50."""
    limit = _integer(args, "limit")
    if limit is None:
        return PAGE_LIMIT_DEFAULT
    if not 1 <= limit <= PAGE_LIMIT_MAX:
        raise bad_request(f"limit must be from 1 to {PAGE_LIMIT_MAX}")
    return limit


def capped_limit(args, default: int, cap: int) -> int:
    """`limit` of a bare list: above `cap` it is `cap`, as the reference answers."""
    limit = _integer(args, "limit")
    if limit is None:
        return default
    if limit < 1:
        raise bad_request("limit must be at least 1")
    return min(limit, cap)


def reject_retired_paging(args) -> None:
    for name in RETIRED_PAGING:
        if name in args:
            raise bad_request(f'query parameter "{name}" is no longer supported; use limit and cursor')


def mart_time(moment: datetime) -> str:
    """A time as the marts write it, so that text comparison orders it: whole seconds as
    YYYY-MM-DDTHH:MM:SS (an hour's window_start), else with milliseconds."""
    if moment.microsecond < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]


def hours_before(clock: datetime, hours: int) -> str:
    return mart_time(clock - timedelta(hours=hours))
