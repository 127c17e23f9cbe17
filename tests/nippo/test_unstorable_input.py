"""NUL, lone surrogates and C0 controls in every string of every route are refused with a 4xx.

The cases come from the service's own OpenAPI: for each operation, a valid
request is built from the schema (real ids, the seed's date), then each string
it carries (every JSON body string field at any depth, every query and path
parameter, the bearer token header of every operation that declares it,
and the Markdown body of the import) gets
one bad character, one at a time. Each answer must be a 4xx with a Problem
body that decodes as UTF-8 JSON, on SQLite, MariaDB and PostgreSQL, and
nothing may be written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, SEED_ORIGINAL, People, auth
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from nippo.db import Base

BAD = {
    "nul": "\x00",
    "lone surrogate": "\ud800",
    "escape (C0)": "\x1b",
    "bell (C0)": "\x07",
}
# What a client can put on the wire for a bad character outside a JSON body (percent-encoded
# for the URL, raw bytes for a header or a Markdown body): a lone surrogate is its CESU bytes.
WIRE = {name: char.encode("utf-8", "surrogatepass") for name, char in BAD.items()}


@dataclass
class Request:
    """One request, built from the OpenAPI and then spoiled in one place."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str | bytes] = field(default_factory=dict)
    json_body: Any = None
    raw_body: bytes | None = None
    where: str = ""


def _example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A small valid value for a JSON schema (every property filled, one item per array)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components, depth)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _example(schema[key][0], components, depth)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {
            name: _example(sub, components, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [] if depth > 3 else [_example(schema["items"], components, depth + 1)]
    if kind == "integer":
        return max(int(schema.get("minimum", 0)), 1)
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return SEED_DATE
    return "ok"


def _string_paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield at
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*at, index))


def _spoil(value: Any, at: tuple[Any, ...], bad: str) -> Any:
    if not at:
        return f"ok{bad}ok"
    copy = json.loads(json.dumps(value))
    target = copy
    for key in at[:-1]:
        target = target[key]
    target[at[-1]] = f"ok{bad}ok"
    return copy


def _baseline(
    path: str, method: str, op: dict[str, Any], components: dict[str, Any], ids: dict[str, int]
) -> Request:
    request = Request(method.upper(), path.format(**ids))
    for param in op.get("parameters", []):
        if param["in"] == "query":
            request.query[param["name"]] = str(_example(param["schema"], components)).lower()
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        request.json_body = _example(content["application/json"]["schema"], components)
    elif "text/markdown" in content:
        request.raw_body = SEED_ORIGINAL.read_bytes()
        request.headers["Content-Type"] = "text/markdown; charset=utf-8"
    return request


def spoiled_requests(
    openapi: dict[str, Any], ids: dict[str, int], token: str, bad: str
) -> Iterator[Request]:
    """Every operation's request with `bad` put into each of its strings in turn."""
    components = openapi["components"]["schemas"]
    wire = bad.encode("utf-8", "surrogatepass")
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            base = _baseline(path, method, op, components, ids)
            base.headers.update(auth(token))
            label = f"{method.upper()} {path}"

            for at in _string_paths(base.json_body):
                yield replace(
                    base,
                    where=f"{label} body {list(at)}",
                    json_body=_spoil(base.json_body, at, bad),
                )
            for name, value in base.query.items():
                yield replace(
                    base, where=f"{label} query {name}", query={**base.query, name: value + bad}
                )
            for name, number in ids.items():
                if "{" + name + "}" in path:
                    spoiled = path.format(**{**ids, name: f"{number}{quote(wire)}"})
                    yield replace(base, where=f"{label} path {name}", path=spoiled)
            if base.raw_body is not None:
                body = base.raw_body.replace(b"\n## ", b"\n- ok" + wire + b"ok\n\n## ", 1)
                yield replace(base, where=f"{label} markdown body", raw_body=body)
            if not op.get("security"):
                continue  # no header field (the health checks read none)
            spoiled_token = f"Bearer {token}".encode() + wire
            headers = {**base.headers, "Authorization": spoiled_token}
            yield replace(base, where=f"{label} header Authorization", headers=headers)


def _send(client: TestClient, request: Request) -> Any:
    body: bytes | None = request.raw_body
    headers = dict(request.headers)
    if request.json_body is not None:
        # ensure_ascii writes a lone surrogate as the JSON escape \ud800, as a client would.
        body = json.dumps(request.json_body, ensure_ascii=True).encode()
        headers["Content-Type"] = "application/json"
    url = request.path
    if request.query:
        pairs = (
            f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}"
            for k, v in request.query.items()
        )
        url += "?" + "&".join(pairs)
    return client.request(request.method, url, content=body, headers=headers)


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize("bad", list(BAD.values()), ids=list(BAD))
def test_every_string_of_every_route_refuses_unstorable_characters(
    client: TestClient, engine: Engine, people: People, bad: str
) -> None:
    created = client.post(
        "/api/v1/reports", json={"date": SEED_DATE, "title": "seeded"}, headers=auth(people.learner)
    )
    assert created.status_code == 201, created.text
    ids = {"report_id": created.json()["id"], "learner_id": people.learner_id}
    openapi = client.get("/api/v1/openapi.json").json()
    before = _row_counts(engine)
    answered: list[str] = []
    for request in spoiled_requests(openapi, ids, people.learner, bad):
        response = _send(client, request)
        assert 400 <= response.status_code < 500, (request.where, response.status_code)
        problem = json.loads(response.content.decode("utf-8"))
        assert isinstance(problem["detail"], str) and problem["detail"], request.where
        assert bad not in response.content.decode("utf-8"), request.where
        answered.append(request.where)
    assert _row_counts(engine) == before
    # Every operation was reached, and strings in body, query, path and header were all tried.
    operations = {
        f"{m.upper()} {p}"
        for p, ms in openapi["paths"].items()
        for m, op in ms.items()
        if op.get("security") or op.get("parameters") or op.get("requestBody")
    }
    assert len(operations) >= 10
    assert {" ".join(w.split()[:2]) for w in answered} == operations
    for where in ("body", "query", "path", "markdown body", "header"):
        assert any(f" {where}" in w for w in answered), where
