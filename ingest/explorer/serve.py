"""`naap serve`: the read-only Datasette explorer over the published database.

Datasette runs with `datasette/` as its configuration directory (metadata.yml, settings.json,
plugins/, templates/) and `$NAAP_DATA_DIR/publish/naap.db` as its one database, so it is served
as `naap`. The file is opened mutable (read-only connections, `mode=ro`) rather than immutable:
each publish commits in place and the next query sees it, with no restart.
"""

import socket
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn
from datasette.app import Datasette

from ingest.paths import DATASETTE_DIR, database_path
from ingest.publication.column_types import PublishError
from ingest.settings import Settings, SettingsError


def explorer(settings: Settings) -> Datasette:
    database = database_path(settings)
    if not database.exists():
        raise PublishError(f"nothing is published at {database}; run `naap publish` first")
    return Datasette([str(database)], config_dir=DATASETTE_DIR, cors=True)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class PublicationCache:
    """Answers a repeated JSON request from memory until the next publish.

    Datasette renders every request anew on one event loop: 40 ms of CPU for one orchestrator's
    week of sla_hourly (670 kB of JSON), so ten clients queue behind each other. The database
    changes only when a publish commits, and each publish bumps its user_version
    (ingest/publication/sqlite_export.py), so a response keyed on the URL and that version stays right until
    the next publish: it was rendered after the version was read, hence from that publication
    or a newer one. Kept: GET requests for JSON under the database (not HTML pages, which carry a
    CSRF token, nor /-/ pages, which read other files), with status 200, for at most `max_age_s`
    (a query may read the clock), `max_bytes` in all. `Cache-Control: no-cache` skips it.
    The explorer has no login, so a response does not depend on who asks. Datasette wraps its app
    in it through the plugin datasette/plugins/naap_cache.py, whichever way it is started.
    """

    HEADER = b"x-naap-cache"

    def __init__(
        self, app: ASGIApp, database: Path, max_bytes: int = 64 << 20, max_age_s: float = 60.0
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._entries: OrderedDict[tuple, tuple[float, list, bytes]] = OrderedDict()
        self._bytes = 0
        self._version = sqlite3.connect(
            f"{database.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.endswith(".json")
            or path.startswith("/-/")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        (version,) = self._version.execute("PRAGMA user_version").fetchone()
        key = (version, headers.get(b"host"), path, scope["query_string"])
        entry = self._entries.get(key)
        if (
            entry
            and b"no-cache" not in headers.get(b"cache-control", b"")
            and time.monotonic() - entry[0] < self.max_age_s
        ):
            self._entries.move_to_end(key)
            await send(
                {"type": "http.response.start", "status": 200, "headers": [*entry[1], (self.HEADER, b"hit")]}
            )
            await send({"type": "http.response.body", "body": entry[2]})
            return
        start: Message = {}
        body: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                message = {**message, "headers": [*message.get("headers", []), (self.HEADER, b"miss")]}
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if start.get("status") == 200:
            self._keep(key, list(start.get("headers", [])), b"".join(body))

    def _keep(self, key: tuple, headers: list, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return
        if key in self._entries:
            self._bytes -= len(self._entries.pop(key)[2])
        self._entries[key] = (time.monotonic(), headers, body)
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            self._bytes -= len(self._entries.popitem(last=False)[1][2])


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted; prints the address once the port is bound."""
    datasette = explorer(settings)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise SettingsError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    print(f"explorer: http://{host}:{port}/ (dashboards at /-/dashboards); Ctrl-C stops it", flush=True)
    config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])
