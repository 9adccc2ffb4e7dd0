"""The OpenAPI 3 document of `/v1`, made from contract.yml (the one place each field is written)."""

from functools import cache
from pathlib import Path

import yaml

CONTRACT = Path(__file__).with_name("contract.yml")
BASE_TYPES = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "time": {"type": "string", "format": "date-time"},
}
PROBLEM = {
    "type": "object",
    "description": "RFC 7807 problem details.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "Always about:blank."},
        "title": {"type": "string", "description": "The HTTP reason phrase."},
        "status": {"type": "integer", "description": "The HTTP status."},
        "detail": {"type": "string", "description": "What was wrong, for a person to read."},
    },
    "additionalProperties": False,
}
ERRORS = {
    "400": "A parameter the API cannot read, a retired paging parameter or a bad cursor.",
    "404": "No such endpoint.",
    "405": "A method other than GET.",
    "429": "Over the rate limit; retry after the Retry-After header's seconds.",
    "503": "Nothing is published yet, or the query ran past the time limit.",
}


def field_schema(spec: str) -> dict:
    """`type | unit | meaning` as a JSON schema with the unit and meaning in its description."""
    kind, unit, meaning = (part.strip() for part in spec.split("|", 2))
    nullable = kind.endswith("?")
    kind = kind.rstrip("?")
    if kind.endswith("[]"):
        schema: dict = {"type": "array", "items": _type(kind[:-2])}
    else:
        schema = _type(kind)
    if "$ref" in schema:
        schema = {"allOf": [schema]}
    description = meaning + (f" (unit: {unit})" if unit else "")
    schema = {**schema, "description": description}
    if unit:
        schema["x-unit"] = unit
    if nullable:
        schema["nullable"] = True
    return schema


def _type(kind: str) -> dict:
    return dict(BASE_TYPES[kind]) if kind in BASE_TYPES else {"$ref": f"#/components/schemas/{kind}"}


def _object(fields: dict[str, str]) -> dict:
    return {
        "type": "object",
        "required": list(fields),
        "properties": {name: field_schema(spec) for name, spec in fields.items()},
        "additionalProperties": False,
    }


def _envelope(row: str) -> dict:
    return {
        "type": "object",
        "required": ["data", "pagination", "meta"],
        "additionalProperties": False,
        "properties": {
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{row}"}},
            "pagination": {
                "type": "object",
                "required": ["next_cursor", "has_more", "page_size"],
                "additionalProperties": False,
                "properties": {
                    "next_cursor": {
                        "type": "string",
                        "description": "The next page's cursor; '' on the last page.",
                    },
                    "has_more": {"type": "boolean", "description": "Whether another page follows."},
                    "page_size": {"type": "integer", "description": "Rows in this page."},
                },
            },
            "meta": {
                "type": "object",
                "required": ["generated_at", "request_id"],
                "additionalProperties": False,
                "properties": {
                    "generated_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "Server time of the reply.",
                    },
                    "request_id": {"type": "string", "description": "The X-Request-Id header sent, else ''."},
                },
            },
        },
    }


def _operation(path: str, endpoint: dict, parameters: dict) -> dict:
    if "envelope" in endpoint:
        schema = _envelope(endpoint["envelope"])
    else:
        schema = field_schema(f"{endpoint['response']} | | {endpoint['summary']}")
    params = []
    for key in endpoint.get("params", []):
        param = parameters[key]
        entry = {"name": param.get("name", key), "in": "query", "required": False}
        entry |= {k: v for k, v in param.items() if k != "name"}
        params.append(entry)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        "get": {
            "operationId": path.strip("/").replace("/", "_").replace("-", "_"),
            "summary": endpoint["summary"],
            "parameters": params,
            "responses": {
                "200": {
                    "description": endpoint["summary"],
                    "headers": {
                        "X-Data-Clock": {
                            "description": "The data clock the windows end at (RFC 3339).",
                            "schema": {"type": "string", "format": "date-time"},
                        }
                    },
                    "content": {"application/json": {"schema": schema}},
                },
                **{status: {"description": why, "content": problem} for status, why in ERRORS.items()},
            },
        }
    }


@cache
def openapi_document() -> dict:
    contract = yaml.safe_load(CONTRACT.read_text())
    schemas = {name: _object(fields) for name, fields in contract["schemas"].items()}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": contract["title"],
            "version": contract["version"],
            "description": contract["description"],
        },
        "paths": {
            f"/v1{path}": _operation(path, endpoint, contract["parameters"])
            for path, endpoint in contract["endpoints"].items()
        },
        "components": {"schemas": {**schemas, "Problem": PROBLEM}},
    }


def response_schema(path: str) -> dict:
    """The 200 response schema of one endpoint (for the tests' validator)."""
    operation = openapi_document()["paths"][f"/v1{path}"]["get"]
    return operation["responses"]["200"]["content"]["application/json"]["schema"]
