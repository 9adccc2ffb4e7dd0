"""Keyset cursors (api-contract.md §1.3): base64url, without padding, of a JSON array of strings
whose first element is the sort time of the page's last row in Unix milliseconds and the rest
that row's other sort keys. Ours carry `org` and a unique tiebreak, so no row is skipped or
repeated at a page boundary, whatever a publish adds between two pages."""

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta

from ingest.api.problems import bad_request

EPOCH = datetime(1970, 1, 1)


def encode(time_text: str, keys: list[str]) -> str:
    moment = datetime.fromisoformat(time_text.rstrip("Z"))
    ms = (moment - EPOCH) // timedelta(milliseconds=1)
    raw = json.dumps([str(ms), *keys], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(token: str, key_count: int, hourly: bool) -> tuple[str, list[str]] | None:
    """The sort time, as the marts write it (hourly: whole seconds; else milliseconds), and the
    other keys; None for the first page (no cursor, or ms = 0)."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad_request("invalid cursor: not base64url-encoded JSON") from None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad_request("invalid cursor: not an array of strings")
    if len(values) != 1 + key_count:
        raise bad_request(f"invalid cursor: {len(values)} elements, expected {1 + key_count}")
    if not values[0].lstrip("-").isdigit() or len(values[0]) > 15:
        raise bad_request("invalid cursor: its first element is not a time in milliseconds")
    ms = int(values[0])
    if ms == 0:
        return None
    try:
        moment = EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        raise bad_request("invalid cursor: its time is out of range") from None
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") if hourly else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]
    return text, values[1:]


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
