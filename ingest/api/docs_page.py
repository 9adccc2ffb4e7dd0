"""`/v1/docs`: the endpoints for people, each with its parameters, its fields and an example
answered by the live database (the first rows of it). Self-contained HTML: no CDN assets."""

import json
import re
from collections.abc import Callable
from html import escape

from ingest.api.openapi import openapi_document
from ingest.api.query import ApiRequest
from ingest.api.routes import ENDPOINTS
from ingest.publication.status import iso

EXAMPLE_ROWS = 2
STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{margin-top:2.5rem;font-family:monospace}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
pre{background:#f5f5f5;padding:.6rem;overflow:auto;font-size:.8rem;max-height:24rem}
nav a{margin-right:.8rem;font-family:monospace;white-space:nowrap}
"""


def _text(markdown: str) -> str:
    """Escaped, with the contract's `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(markdown))


def _trim(payload):
    """The example's first rows, at every level: enough to read its shape."""
    if isinstance(payload, list):
        return [_trim(item) for item in payload[:EXAMPLE_ROWS]]
    if isinstance(payload, dict):
        return {key: _trim(value) for key, value in payload.items()}
    return payload


def _fields(schema: dict, schemas: dict) -> list[tuple[str, str, str]]:
    if "$ref" in schema.get("items", schema):
        schema = schemas[schema.get("items", schema)["$ref"].rsplit("/", 1)[1]]
    elif "allOf" in schema:
        schema = schemas[schema["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    elif schema.get("items", {}).get("allOf"):
        schema = schemas[schema["items"]["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    rows = []
    for name, field in schema.get("properties", {}).items():
        kind = field.get("type") or field.get("allOf", [{}])[0].get("$ref", "").rsplit("/", 1)[-1]
        if field.get("type") == "array":
            items = field["items"]
            kind = f"{items.get('type') or items.get('$ref', '').rsplit('/', 1)[-1]}[]"
        rows.append((name, kind + (" | null" if field.get("nullable") else ""), field.get("description", "")))
    return rows


async def docs_page(make_request: Callable[[], ApiRequest | None]) -> str:
    document = openapi_document()
    schemas = document["components"]["schemas"]
    request = make_request()
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(document['info']['title'])}</title>",
        f"<style>{STYLE}</style></head><body><h1>{escape(document['info']['title'])}</h1>",
        f"<p>{_text(document['info']['description'])}</p>",
        "<p>Machine-readable: <a href='/v1/openapi.json'>/v1/openapi.json</a> (OpenAPI 3).",
        f" Data clock of these examples: <code>{escape(iso(request.clock) if request else 'nothing published')}</code></p>",
        "<nav>" + "".join(f"<a href='#{escape(p)}'>{escape(p)}</a>" for p in document["paths"]) + "</nav>",
    ]
    for path, item in document["paths"].items():
        operation = item["get"]
        parts.append(f"<h2 id='{escape(path)}'>GET {escape(path)}</h2><p>{_text(operation['summary'])}</p>")
        if operation["parameters"]:
            parts.append("<table><tr><th>parameter</th><th>meaning</th></tr>")
            parts += [
                f"<tr><td><code>{escape(p['name'])}</code></td><td>{_text(p['description'])}</td></tr>"
                for p in operation["parameters"]
            ]
            parts.append("</table>")
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        if "data" in schema.get("properties", {}):
            parts.append(
                "<p>Envelope <code>{data, pagination, meta}</code>; each row of <code>data</code>:</p>"
            )
            schema = schema["properties"]["data"]
        parts.append("<table><tr><th>field</th><th>type</th><th>meaning</th></tr>")
        parts += [
            f"<tr><td><code>{escape(n)}</code></td><td>{escape(t)}</td><td>{_text(d)}</td></tr>"
            for n, t, d in _fields(schema, schemas)
        ]
        parts.append("</table>")
        if request is not None:
            example = _trim(await ENDPOINTS[path.removeprefix("/v1")](request))
            parts.append(f"<pre>{escape(json.dumps(example, indent=1, ensure_ascii=False))}</pre>")
    parts.append("</body></html>")
    return "".join(parts)
