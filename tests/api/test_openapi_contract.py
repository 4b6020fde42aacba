"""The OpenAPI document describes every answer: a real schema for JSON, a media type for files."""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from fieldcrew.settings import Settings

JSON = "application/json"
#: what a route may answer instead of JSON: downloads and the console page
FILE_MEDIA_PREFIXES = ("text/csv", "application/vnd.openxmlformats-officedocument", "image/png", "text/html")


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The service's OpenAPI document (no database needed to build it)."""
    tmp = tmp_path_factory.mktemp("openapi")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'unused.db'}", data_dir=tmp), migrate=False)
    return app.openapi()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def _is_real(doc: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    """A schema that names what is in the answer: an object with named properties (possibly through a
    $ref, a union of such, or an array of them), never ``{}`` or a bare ``{"type": "object"}``."""
    if not schema:
        return False
    schema = _resolve(doc, schema)
    if schema.get("type") == "array":
        return _is_real(doc, schema.get("items"))
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            return all(_is_real(doc, s) for s in schema[union] if s.get("type") != "null")
    return bool(schema.get("properties"))


def test_the_document_lists_the_service(openapi: dict[str, Any]) -> None:
    """Sanity: the walk below sees every instrument's operations."""
    paths = set(openapi["paths"])
    assert len(_operations(openapi)) >= 58
    for prefix in ("/jobs", "/users", "/orders", "/data", "/timepool", "/rosters", "/dispatch", "/quality",
                   "/payroll", "/audit", "/health"):
        assert any(p.startswith(prefix) for p in paths), prefix


def test_every_success_answer_is_described(openapi: dict[str, Any]) -> None:
    """Every operation's success responses: JSON with a real schema, or a declared file media type;
    only a 204 may have no content."""
    bad = []
    for method, path, op in _operations(openapi):
        successes = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        if not successes:
            bad.append(f"{method} {path}: no success response")
        for code, response in successes.items():
            content = response.get("content") or {}
            if not content:
                if code != "204":
                    bad.append(f"{method} {path} {code}: no content declared")
                continue
            for media, body in content.items():
                if media == JSON:
                    schema = body.get("schema")
                    if not _is_real(openapi, schema):
                        bad.append(f"{method} {path} {code}: JSON without a real schema: {schema}")
                elif not media.startswith(FILE_MEDIA_PREFIXES):
                    bad.append(f"{method} {path} {code}: undeclared media type {media}")
    assert not bad, "\n".join(bad)


def test_job_routes_answer_job_accepted_with_a_location(openapi: dict[str, Any]) -> None:
    """Every route that starts a job answers 202 with the JobAccepted model and a Location header."""
    accepted = [(m, p, op) for m, p, op in _operations(openapi) if "202" in op["responses"] and m == "POST"]
    assert len(accepted) >= 9
    for method, path, op in accepted:
        response = op["responses"]["202"]
        assert response["content"][JSON]["schema"] == {"$ref": "#/components/schemas/JobAccepted"}, path
        assert "Location" in response.get("headers", {}), f"{method} {path}"
    job_view = _resolve(openapi, {"$ref": "#/components/schemas/JobView"})
    assert {"id", "kind", "status", "progress", "params", "result", "location"} <= set(job_view["properties"])


def test_quotas_are_described_as_dated_heads(openapi: dict[str, Any]) -> None:
    """The Quotas value crosses HTTP as {group: {YYYY-MM-DD: heads}}, in requests and answers alike."""
    request = _resolve(openapi, {"$ref": "#/components/schemas/SolveRosterRequest"})
    quotas = next(s for s in request["properties"]["quotas"]["anyOf"] if s.get("type") == "object")
    assert quotas["additionalProperties"]["propertyNames"] == {"format": "date"}
    assert quotas["additionalProperties"]["additionalProperties"] == {"type": "integer"}
    stored = _resolve(openapi, {"$ref": "#/components/schemas/StoredQuotas"})["properties"]["quotas"]
    assert stored["additionalProperties"]["additionalProperties"] == {"type": "integer"}

