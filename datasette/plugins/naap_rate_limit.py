"""The explorer's rate limit (RateLimit, ingest/explorer/rate_limit.py) as Datasette's outermost ASGI
wrapper, so `naap serve` and `datasette serve` with these plugins limit every request alike.

Datasette 0.65 wraps its app in each asgi_wrapper result in turn (`Datasette.app()`), so the last
result is the outermost wrapper; pluggy returns `trylast` implementations last, whatever order the
plugins were loaded in. Outside the response cache (naap_cache.py), a cached answer counts too.
"""

import click
from datasette import hookimpl

from ingest.explorer.rate_limit import RateLimit, TokenBuckets
from ingest.settings import SettingsError, parse_rate_limit


@hookimpl(trylast=True)
def asgi_wrapper(datasette):
    try:
        limit = parse_rate_limit()
    except SettingsError as exc:
        # Raised while `datasette serve` builds its app, before it listens: click prints it as one line.
        raise click.ClickException(str(exc)) from None
    if limit.rate is None:
        return None
    # Datasette.__init__ makes its internal client (`datasette.client`, which plugins use to call the
    # app from inside a request) with an app of its own before it sets the attribute. Those calls
    # are part of a request already counted, and all come from 127.0.0.1, so they are not limited.
    if not hasattr(datasette, "client"):
        return None
    cors = bool(getattr(datasette, "cors", False))
    return lambda app: RateLimit(app, TokenBuckets(limit.rate, limit.burst), cors=cors)
