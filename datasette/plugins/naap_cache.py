"""The explorer's response cache (PublicationCache, ingest/explorer/serve.py) as Datasette's own ASGI
wrapper, so `naap serve` and `datasette serve` with these plugins serve one app."""

from pathlib import Path

from datasette import hookimpl

from ingest.explorer.serve import PublicationCache
from ingest.paths import DATABASE_NAME


@hookimpl
def asgi_wrapper(datasette):
    # A config dir's plugins stay registered for the whole process, so this also runs for any other
    # Datasette the process makes, which may have no naap database to cache.
    database = datasette.databases.get(DATABASE_NAME)
    if database is None or database.path is None:
        return None
    return lambda app: PublicationCache(app, Path(database.path))
