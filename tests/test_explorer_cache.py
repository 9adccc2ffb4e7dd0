"""The explorer's response cache: a JSON answer is reused until the next publish, and nothing else is kept."""

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from datasette.app import Datasette

from ingest.explorer.serve import PublicationCache
from ingest.paths import DATASETTE_DIR


class CountingApp:
    """A stand-in for Datasette: answers every request with how many it has answered."""

    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": str(self.calls).encode()})


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "naap.db"
    with sqlite3.connect(path) as db:
        db.execute("pragma journal_mode = wal")
        db.execute("create table t (x)")
    return path


def _get(cache: PublicationCache, *paths: str, **headers: str) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=cache), base_url="http://explorer"
        ) as client:
            return [await client.get(path, headers=headers) for path in paths]

    return asyncio.run(run())


def test_a_repeated_json_request_is_answered_from_memory_until_the_next_publish(database: Path) -> None:
    app = CountingApp()
    cache = PublicationCache(app, database)
    first, second, other = _get(cache, "/naap/t.json?a=1", "/naap/t.json?a=1", "/naap/t.json?a=2")
    assert (first.text, second.text, other.text) == ("1", "1", "2")
    assert [r.headers["x-naap-cache"] for r in (first, second, other)] == ["miss", "hit", "miss"]
    assert second.headers["content-type"] == "text/plain"
    with sqlite3.connect(database) as db:
        db.execute("pragma user_version = 1")  # what every publish does in its transaction
    [after] = _get(cache, "/naap/t.json?a=1")
    assert (after.text, after.headers["x-naap-cache"]) == ("3", "miss")
    [fresh] = _get(cache, "/naap/t.json?a=1", **{"cache-control": "no-cache"})
    assert fresh.text == "4"


def test_pages_other_files_errors_and_old_answers_are_never_reused(database: Path) -> None:
    app = CountingApp()
    cache = PublicationCache(app, database)
    # HTML carries a CSRF token; /-/ pages read files a publish writes after its commit.
    assert [r.text for r in _get(cache, "/naap/t", "/naap/t", "/-/snapshots.json", "/-/snapshots.json")] == [
        "1",
        "2",
        "3",
        "4",
    ]
    failing = PublicationCache(CountingApp(status=400), database)
    assert [r.text for r in _get(failing, "/naap.json?sql=x", "/naap.json?sql=x")] == ["1", "2"]
    expired = PublicationCache(CountingApp(), database, max_age_s=0)
    assert [r.text for r in _get(expired, "/naap/t.json", "/naap/t.json")] == ["1", "2"]


def test_the_oldest_answers_make_room_for_new_ones(database: Path) -> None:
    app = CountingApp()
    cache = PublicationCache(app, database, max_bytes=8)  # the newest few one- and two-byte answers
    _get(cache, *(f"/naap/t.json?n={n}" for n in range(12)))
    assert [r.headers["x-naap-cache"] for r in _get(cache, "/naap/t.json?n=0", "/naap/t.json?n=11")] == [
        "miss",
        "hit",
    ]


def test_a_plain_datasette_over_the_config_dir_answers_from_the_cache(database: Path) -> None:
    # What `datasette serve` with the config dir's plugins serves: the plugin, not `naap serve`, adds the cache.
    datasette = Datasette([str(database)], config_dir=DATASETTE_DIR)

    async def run() -> list[httpx.Response]:
        return [await datasette.client.get("/naap/t.json?_shape=array") for _ in range(2)]

    first, second = asyncio.run(run())
    assert (first.status_code, first.json()) == (200, [])
    assert [r.headers["x-naap-cache"] for r in (first, second)] == ["miss", "hit"]
