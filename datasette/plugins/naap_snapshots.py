"""The snapshots page: the Parquet snapshots beside the published database, each table's day files
with their rows, size and checksum, downloadable from /-/snapshots/<snapshot>/<table>/<day>.parquet
(`latest` names the newest). /-/snapshots.json lists the same manifests for scripts.
"""

from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response, asgi_send_file

from ingest.paths import DATABASE_NAME
from ingest.publication.snapshots import LATEST, MANIFEST, list_snapshots

CONTENT_TYPES = {".parquet": "application/vnd.apache.parquet", ".json": "application/json"}


def _root(datasette) -> Path:
    # Snapshots live beside the database file: $NAAP_DATA_DIR/publish/snapshots.
    return Path(datasette.get_database(DATABASE_NAME).path).parent / "snapshots"


async def snapshots_page(datasette, request):
    context = {"snapshots": list_snapshots(_root(datasette)), "latest": LATEST}
    return Response.html(await datasette.render_template("snapshots.html", context, request=request))


async def snapshots_json(datasette):
    return Response.json(list_snapshots(_root(datasette)))


async def snapshot_file(datasette, request, send):
    root = _root(datasette)
    snapshots = list_snapshots(root)
    name = request.url_vars["snapshot"]
    if name == LATEST and snapshots:
        name = snapshots[0]["snapshot"]
    manifest = next((m for m in snapshots if m["snapshot"] == name), None)
    filename = request.url_vars["file"]
    # Only files a manifest lists are served, so no path outside the snapshots can be asked for.
    listed = (
        {MANIFEST} | {entry["file"] for table in manifest["tables"] for entry in table["files"]}
        if manifest
        else set()
    )
    if filename not in listed:
        raise NotFound(f"no snapshot file {request.url_vars['snapshot']}/{filename}")
    path = root / name / filename
    # Saved as <table>-<day>.parquet: the day alone would not say which table it holds.
    saved_as = filename.replace("/", "-")
    await asgi_send_file(send, path, filename=saved_as, content_type=CONTENT_TYPES[path.suffix])


@hookimpl
def register_routes():
    return [
        (r"^/-/snapshots$", snapshots_page),
        (r"^/-/snapshots\.json$", snapshots_json),
        (r"^/-/snapshots/(?P<snapshot>[^/]+)/(?P<file>[^/]+(?:/[^/]+)?)$", snapshot_file),
    ]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/snapshots"), "label": "Snapshots"}]
