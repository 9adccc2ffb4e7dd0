"""The `/v1` REST contract (ingest/api/) as routes of the explorer's own Datasette, on its port.

Queries run on Datasette's read-only connections with its time limit, anchored at the data clock
of the publication (status.json, written by each publish), which each response carries in
`X-Data-Clock`. `/v1/openapi.json` is the document of what is served, `/v1/docs` a page of it.
"""

from datetime import datetime

import click
from datasette import hookimpl
from datasette.utils import MultiParams
from datasette.utils.asgi import Response

from ingest.api.docs_page import docs_page
from ingest.api.openapi import openapi_document
from ingest.api.query import ApiRequest
from ingest.api.routes import answer
from ingest.explorer.published import publish_folder
from ingest.paths import DATABASE_NAME
from ingest.publication.status import read_status
from ingest.settings import SettingsError, parse_api_time_limit_ms

PROBLEM = "application/problem+json"


def _cors(datasette, headers: dict[str, str]) -> dict[str, str]:
    if datasette.cors:
        headers |= {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "X-Data-Clock"}
    return headers


def _api_request(datasette, args, request_id: str = "") -> ApiRequest | None:
    folder = publish_folder(datasette)
    status = read_status(folder) if folder else None
    if not status or not status.get("data_clock"):
        return None
    limit = datasette.setting("sql_time_limit_ms")
    clock = datetime.fromisoformat(status["data_clock"].replace("Z", "+00:00")).replace(tzinfo=None)
    return ApiRequest(
        args=args,
        clock=clock,
        db=datasette.get_database(DATABASE_NAME),
        time_limit_ms=min(parse_api_time_limit_ms() or limit, limit),
        request_id=request_id,
    )


async def api(datasette, request):
    status, headers, body = await answer(
        request.url_vars.get("path") or "",
        request.method,
        request.query_string,
        lambda: _api_request(datasette, request.args, request.headers.get("x-request-id", "")[:200]),
    )
    content_type = "application/json" if status < 400 else PROBLEM
    return Response(body, status=status, headers=_cors(datasette, headers), content_type=content_type)


async def openapi(datasette):
    return Response.json(openapi_document(), headers=_cors(datasette, {}))


async def docs(datasette):
    return Response.html(await docs_page(lambda: _api_request(datasette, MultiParams({}))))


@hookimpl
def startup(datasette):
    try:
        parse_api_time_limit_ms()
    except SettingsError as exc:
        # Before the server listens, as the rate limit's settings (naap_rate_limit.py).
        raise click.ClickException(str(exc)) from None


@hookimpl
def register_routes():
    return [
        (r"^/v1/openapi\.json$", openapi),
        (r"^/v1/docs/?$", docs),
        (r"^/v1(?P<path>/.*)?$", api),
    ]
