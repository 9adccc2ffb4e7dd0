"""The explorer's rate limit: token buckets per client address (on a clock the test moves), the 429 they
answer, where Datasette puts the wrapper, and a real `naap serve` with a low limit over loopback."""

from __future__ import annotations

import asyncio
import importlib.util
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pluggy
import pytest
from datasette import hookspecs
from datasette.app import Datasette
from helpers.processes import Explorer, free_port, naap_env

from ingest.explorer.rate_limit import RateLimit, TokenBuckets
from ingest.explorer.serve import PublicationCache
from ingest.paths import DATASETTE_DIR
from ingest.settings import RateLimitSettings, Settings, SettingsError, parse_rate_limit

REPO = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Ok:
    """A stand-in for Datasette that answers 200 and counts what reached it."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _takes(buckets: TokenBuckets, address: str, n: int) -> list[float]:
    return [buckets.take(address) for _ in range(n)]


# The buckets, on an injected clock.


def test_a_new_address_may_send_its_burst_at_once_and_then_waits_for_the_next_token() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=5, burst=10, clock=clock)
    assert _takes(buckets, "a", 10) == [0.0] * 10
    assert buckets.take("a") == pytest.approx(0.2)
    clock.now += 0.1
    assert buckets.take("a") == pytest.approx(0.1)  # a refused request spends nothing
    clock.now += 0.1
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(0.2)


def test_the_sustained_rate_passes_and_an_idle_bucket_refills_only_to_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=100, burst=200, clock=clock)
    _takes(buckets, "a", 200)
    for _ in range(1000):  # ten seconds at exactly the rate
        clock.now += 0.01
        assert buckets.take("a") == 0.0
    clock.now += 3600
    assert _takes(buckets, "a", 200) == [0.0] * 200
    assert buckets.take("a") > 0


def test_each_address_has_its_own_bucket() -> None:
    buckets = TokenBuckets(rate=1, burst=2, clock=Clock())
    assert [w > 0 for w in _takes(buckets, "10.0.0.1", 3)] == [False, False, True]
    assert _takes(buckets, "10.0.0.2", 2) == [0.0, 0.0]


def test_buckets_full_again_are_forgotten_and_there_are_never_more_than_max_clients() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=10, burst=20, clock=clock, max_clients=1000)
    for n in range(500):
        buckets.take(f"10.0.{n // 256}.{n % 256}")
    assert len(buckets) == 500
    clock.now += 1.0  # not yet full: 20 tokens take 2 s
    buckets.take("10.9.9.9")
    assert len(buckets) == 501
    clock.now += 1.0
    buckets.take("10.9.9.9")
    assert len(buckets) == 1  # only the address seen within the last 2 s
    for n in range(5000):  # more addresses at once than it keeps
        buckets.take(f"fd00::{n:x}")
    assert len(buckets) == 1000
    # A forgotten address was lent nothing: it starts again from a full bucket, never below one.
    assert buckets.take("fd00::0") == 0.0


def test_a_bucket_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError):
        TokenBuckets(rate=0, burst=10)
    with pytest.raises(ValueError):
        TokenBuckets(rate=1, burst=0)


# The ASGI wrapper.


def _get_all(app, client: str, paths: list[str]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://explorer") as http:
            return [await http.get(path) for path in paths]

    return asyncio.run(run())


def test_a_request_over_the_limit_is_a_429_problem_with_retry_after_and_never_reaches_the_app() -> None:
    clock = Clock()
    app = Ok()
    limited = RateLimit(app, TokenBuckets(rate=0.25, burst=2, clock=clock), cors=True)
    responses = _get_all(limited, "10.0.0.1", ["/", "/naap.json", "/healthz"])
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert app.calls == 2
    refused = responses[2]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "4"  # a token every 4 s
    assert refused.headers["access-control-allow-origin"] == "*"
    assert "Retry-After" in refused.headers["access-control-expose-headers"]
    problem = refused.json()
    assert {k: problem[k] for k in ("type", "title", "status")} == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
    }
    assert "retry after 4 s" in problem["detail"]
    clock.now += 3.5
    [soon] = _get_all(limited, "10.0.0.1", ["/"])
    assert soon.headers["retry-after"] == "1"  # half a second, rounded up to the least it may say
    assert (
        "access-control-allow-origin"
        not in _get_all(RateLimit(Ok(), TokenBuckets(rate=1, burst=1)), "10.0.0.1", ["/", "/"])[1].headers
    )


def test_lifespan_messages_pass_through_uncounted() -> None:
    seen = []

    async def app(scope, receive, send) -> None:
        seen.append(scope["type"])

    buckets = TokenBuckets(rate=1, burst=1)
    asyncio.run(RateLimit(app, buckets)({"type": "lifespan"}, None, None))
    assert (seen, len(buckets)) == (["lifespan"], 0)


# The plugin, in Datasette.


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "naap.db"
    with sqlite3.connect(path) as db:
        db.execute("create table t (x)")
    return path


def _plugin(name: str):
    spec = importlib.util.spec_from_file_location(name, DATASETTE_DIR / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("order", [("naap_cache", "naap_rate_limit"), ("naap_rate_limit", "naap_cache")])
def test_the_limit_wraps_outside_the_cache_whichever_plugin_loads_first(order, database: Path) -> None:
    datasette = Datasette([str(database)])
    manager = pluggy.PluginManager("datasette")
    manager.add_hookspecs(hookspecs)
    for name in order:
        manager.register(_plugin(name))
    app = object()
    # What Datasette.app() does with the results: each wraps the app so far.
    for wrapper in manager.hook.asgi_wrapper(datasette=datasette):
        app = wrapper(app)
    assert isinstance(app, RateLimit)
    assert isinstance(app.app, PublicationCache)


def test_answers_from_the_cache_count_and_internal_requests_do_not(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NAAP_API_RATE", "0.01")
    monkeypatch.setenv("NAAP_API_BURST", "3")
    # What `datasette serve` with the config dir's plugins serves: the config dir's plugins, not `naap serve`.
    datasette = Datasette([str(database)], config_dir=DATASETTE_DIR)
    responses = _get_all(datasette.app(), "10.0.0.1", ["/naap/t.json"] * 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert [r.headers.get("x-naap-cache") for r in responses[:3]] == ["miss", "hit", "hit"]

    async def internal() -> list[int]:
        return [(await datasette.client.get("/naap/t.json")).status_code for _ in range(5)]

    assert asyncio.run(internal()) == [200] * 5


def test_off_serves_without_a_limit(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAAP_API_RATE", "off")
    monkeypatch.setenv("NAAP_API_BURST", "1")
    app = Datasette([str(database)], config_dir=DATASETTE_DIR).app()
    assert not isinstance(app, RateLimit)
    assert {r.status_code for r in _get_all(app, "10.0.0.1", ["/-/versions.json"] * 5)} == {200}


# The settings.


def test_the_limit_defaults_to_the_contract_and_can_be_changed_or_turned_off() -> None:
    assert Settings.from_env({}).api_rate_limit == RateLimitSettings(rate=100.0, burst=200)
    assert parse_rate_limit({"NAAP_API_RATE": "2.5", "NAAP_API_BURST": "7"}) == RateLimitSettings(2.5, 7)
    assert parse_rate_limit({"NAAP_API_RATE": "off"}).rate is None
    assert parse_rate_limit({"NAAP_API_RATE": " OFF "}).rate is None
    assert parse_rate_limit({"NAAP_API_RATE": "0"}).rate is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NAAP_API_RATE", "fast", "is not a number"),
        ("NAAP_API_RATE", "-5", "must be a positive number"),
        ("NAAP_API_RATE", "inf", "must be a positive number"),
        ("NAAP_API_RATE", "nan", "must be a positive number"),
        ("NAAP_API_BURST", "2.5", "must be a whole number"),
        ("NAAP_API_BURST", "lots", "must be a whole number"),
        ("NAAP_API_BURST", "0", "must be at least 1"),
    ],
)
def test_a_bad_limit_names_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as error:
        Settings.from_env({name: value})
    assert f"{name}={value!r}" in str(error.value)


# A real server over loopback. Each test speaks from its own loopback address (all of 127/8 reaches
# 127.0.0.1 on Linux), so each starts from a full bucket of its own.


RATE, BURST = 5, 10


def _client(server: Explorer, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Explorer]:
    """`naap serve` over a one-table database, limited to 5 requests/s in bursts of 10. It is ready
    when it answers 127.0.0.1, an address no test speaks from."""
    data_dir = tmp_path_factory.mktemp("rate-limit") / "data"
    (data_dir / "publish").mkdir(parents=True)
    with sqlite3.connect(data_dir / "publish" / "naap.db") as db:
        db.execute("create table t (x)")
        db.execute("insert into t values (1)")
    limit = {"NAAP_API_RATE": str(RATE), "NAAP_API_BURST": str(BURST)}
    server = Explorer(["serve"], data_dir, data_dir / "serve.log", timeout_s=60, env=limit)
    yield server
    server.stop()


# Datasette's pages and JSON, the cache's answers, /healthz, /v1: every route counts.
PATHS = ["/-/versions.json", "/naap/t.json", "/naap/t", "/healthz", "/", "/v1/openapi.json"]


def test_a_burst_past_the_limit_is_refused_with_retry_after(served: Explorer) -> None:
    with _client(served, "127.0.0.2") as http:
        started = time.monotonic()
        responses = [http.get(PATHS[n % len(PATHS)]) for n in range(30)]
        elapsed = time.monotonic() - started
    statuses = [r.status_code for r in responses]
    passed = [s for s in statuses if s != 429]
    assert len(passed) >= BURST
    assert len(passed) <= BURST + RATE * elapsed + 1
    assert 429 not in statuses[:BURST]
    refused = [r for r in responses if r.status_code == 429]
    assert refused, statuses
    for response in refused:
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.json()["title"] == "Too Many Requests"


def test_a_client_under_the_rate_is_never_refused_even_after_its_burst(served: Explorer) -> None:
    with _client(served, "127.0.0.3") as http:
        statuses = [http.get(PATHS[n % len(PATHS)]).status_code for n in range(BURST)]
        for n in range(12):
            # Waiting after each answer keeps the server's counts at least this far apart: 4 a second.
            time.sleep(1.25 / RATE)
            statuses.append(http.get(PATHS[n % len(PATHS)]).status_code)
    assert 429 not in statuses, statuses


def test_a_second_address_is_not_held_back_by_the_first(served: Explorer) -> None:
    with _client(served, "127.0.0.4") as first, _client(served, "127.0.0.5") as second:
        assert 429 in [first.get("/-/versions.json").status_code for _ in range(BURST + 5)]
        assert [second.get("/-/versions.json").status_code for _ in range(BURST)] == [200] * BURST
        assert first.get("/-/versions.json").status_code == 429


@pytest.mark.parametrize(
    ("command", "env", "message"),
    [
        (["-m", "ingest.cli", "serve"], {"NAAP_API_RATE": "fast"}, "naap: error: NAAP_API_RATE='fast'"),
        # `naap run` reads its settings first: it refuses before it starts a broker or builds anything.
        (["-m", "ingest.cli", "run"], {"NAAP_API_BURST": "0"}, "naap: error: NAAP_API_BURST='0'"),
        (
            ["-m", "datasette", "serve", "datasette/"],
            {"NAAP_API_BURST": "2.5"},
            "Error: NAAP_API_BURST='2.5'",
        ),
    ],
)
def test_a_bad_limit_stops_the_explorer_at_its_start_with_one_line(
    command: list[str], env: dict[str, str], message: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, *command, "--port", str(free_port())],
        env={**naap_env(tmp_path / "data"), **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(message), line
