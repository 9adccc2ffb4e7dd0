"""`naap serve`: the read-only Datasette explorer over the published database.

Datasette runs with `datasette/` as its configuration directory (metadata.yml, settings.json,
plugins/, templates/) and `$NAAP_DATA_DIR/publish/naap.db` as its one database, so it is served
as `naap`. The file is opened mutable (read-only connections, `mode=ro`) rather than immutable:
each publish commits in place and the next query sees it, with no restart.
"""

import socket

import uvicorn
from datasette.app import Datasette

from ingest.explorer_metadata import DATASETTE_DIR
from ingest.publish import database_path
from ingest.publish_schema import PublishError
from ingest.settings import Settings, SettingsError


def explorer(settings: Settings) -> Datasette:
    database = database_path(settings)
    if not database.exists():
        raise PublishError(f"nothing is published at {database}; run `naap publish` first")
    return Datasette([str(database)], config_dir=DATASETTE_DIR, cors=True)


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
