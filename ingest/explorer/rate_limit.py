"""The explorer's rate limit: a token bucket per client address in front of every HTTP request.

api-contract.md 5.7: 100 requests/s sustained and a burst of 200 per client address, answered past
that with 429 problem+json and `Retry-After`; NAAP_API_RATE and NAAP_API_BURST change the numbers
(ingest/settings.py). Datasette wraps its app in `RateLimit` through the plugin
datasette/plugins/naap_rate_limit.py, outside the response cache, so an answer from the cache
counts like any other.

The address is the ASGI scope's client: the peer of the connection, or, for a connection from an
address uvicorn trusts as a proxy (FORWARDED_ALLOW_IPS, 127.0.0.1 by default), the one its
X-Forwarded-For names.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from ingest.explorer.serve import ASGIApp, Receive, Scope, Send


class TokenBuckets:
    """One bucket of `burst` tokens per address, refilled at `rate` tokens a second; a request takes one.

    A bucket is only kept while it could differ from a new one: one untouched for burst / rate
    seconds is full again, and is dropped at the next request after that. So the buckets kept are
    those of the addresses seen in the last burst / rate seconds (2 s by default), bounded by what
    the server can answer in that time, and never more than `max_clients`: past it the least
    recently seen address is forgotten, which only ever gives it a fresh burst.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 65_536,
    ) -> None:
        if not rate > 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, not {rate!r} and {burst!r}")
        self.rate = float(rate)
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        self._refill_s = self.burst / self.rate
        # address -> (tokens, when they were counted), least recently seen first: the order makes
        # the sweep O(1) per request.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._sweep_at = -math.inf

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, address: str) -> float:
        """Takes a token from the address's bucket: 0.0 if there was one, else the seconds until there is."""
        now = self.clock()
        buckets = self._buckets
        entry = buckets.get(address)
        if entry is None:
            tokens = self.burst
        else:
            tokens = min(self.burst, entry[0] + (now - entry[1]) * self.rate)
            buckets.move_to_end(address)
        # The slack absorbs the float error of adding up refills, which would otherwise turn away a
        # client that keeps exactly to the rate.
        if tokens >= 1.0 - 1e-9:
            tokens -= 1.0
            wait = 0.0
        else:
            wait = (1.0 - tokens) / self.rate
        buckets[address] = (tokens, now)
        if now >= self._sweep_at or len(buckets) > self.max_clients:
            self._sweep(now)
        return wait

    def _sweep(self, now: float) -> None:
        buckets = self._buckets
        full_if_counted_before = now - self._refill_s
        while len(buckets) > self.max_clients:
            buckets.popitem(last=False)
        while buckets:
            address, (_, counted_at) = next(iter(buckets.items()))
            if counted_at > full_if_counted_before:
                # The oldest bucket left is full at this time at the latest; the ones behind it later.
                self._sweep_at = counted_at + self._refill_s
                return
            del buckets[address]
        self._sweep_at = now + self._refill_s


PROBLEM = b"application/problem+json"
# What Datasette adds to its own responses when CORS is on (datasette.utils.add_cors_headers), and
# Retry-After, which a browser script can read only if it is exposed.
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Authorization"),
    (b"access-control-expose-headers", b"Link, Retry-After"),
]


class RateLimit:
    """ASGI middleware: an HTTP request over its client's limit is answered 429 and never reaches `app`.

    Other scopes (lifespan) pass through. A request without a client address (a Unix socket)
    shares the bucket of the empty address with every other such request.
    """

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, cors: bool = False) -> None:
        self.app = app
        self.buckets = buckets
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            wait = self.buckets.take(client[0] if client else "")
            if wait:
                await self._reject(send, wait)
                return
        await self.app(scope, receive, send)

    async def _reject(self, send: Send, wait: float) -> None:
        # Retry-After is whole seconds (RFC 9110); rounding up means a client that waits it is let in.
        retry_after = max(1, math.ceil(wait))
        buckets = self.buckets
        problem = {
            "type": "about:blank",
            "title": "Too Many Requests",
            "status": 429,
            "detail": (
                f"over the limit of {buckets.rate:.12g} requests a second per client address "
                f"(in bursts of up to {buckets.burst:.0f}); retry after {retry_after} s"
            ),
        }
        body = json.dumps(problem).encode() + b"\n"  # as the /v1 problems end
        headers = [
            (b"content-type", PROBLEM),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()),
            (b"cache-control", b"no-store"),
        ]
        if self.cors:
            headers += CORS_HEADERS
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
