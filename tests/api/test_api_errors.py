"""One error format: every error is problem+json; validation errors name field, rule and value."""

from __future__ import annotations

from typing import Any

import pytest
from factories import ApiHarness, make_api
from fastapi import APIRouter
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import PROBLEM_JSON
from vocabulary.errors import InputErrors, Problem


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-route",
        "/technicians/NOPE",
        "/orders/NOPE",
        "/areas/NOPE",
        "/region-groups/NOPE",
        "/branches/NOPE",
        "/districts/NOPE",
        "/jobs/NOPE",
    ],
)
def test_unknown_resources_are_404(api_client: ApiHarness, path: str) -> None:
    """Unknown routes and unknown ids are 404 problems, never 500."""
    body = _is_problem(api_client.client.get(path, headers=api_client.headers("admin")), 404)
    assert body["title"]


def test_request_validation_names_field_rule_and_value(api_client: ApiHarness) -> None:
    """A body breaking the vocabulary's rules is 422 with one error per bad field, path and rule named."""
    bad = {
        "id": "A 1",
        "region_group_id": "G1",
        "name": "x",
        "area_type": "lunar",
        "centroid": {"lat": 123, "lon": 117},
    }
    body = _is_problem(api_client.client.post("/areas", json=bad, headers=api_client.headers("planner")), 422)
    errors = {e["field"]: e for e in body["errors"]}
    assert {"body.id", "body.area_type", "body.centroid.lat"} <= errors.keys()
    assert errors["body.area_type"]["value"] == "lunar"
    assert "enum" in errors["body.area_type"]["rule"]
    assert errors["body.centroid.lat"]["value"] == 123
    assert "less_than_equal" in errors["body.centroid.lat"]["rule"]


def test_query_validation_is_problem_json(api_client: ApiHarness) -> None:
    """Bad query parameters are reported the same way (field path query.limit)."""
    body = _is_problem(api_client.client.get("/technicians?limit=0", headers=api_client.headers("hr")), 422)
    assert body["errors"][0]["field"] == "query.limit"
    assert body["errors"][0]["value"] == "0"


def test_model_validator_error_is_reported(api_client: ApiHarness) -> None:
    """A cross-field rule (end before start) is a 422 naming the rule."""
    tech = {
        "id": "T-9",
        "name": "N",
        "branch_id": "B1",
        "region_group_id": "G1",
        "post_grade": "T1",
        "start_date": "2026-01-10",
        "end_date": "2026-01-01",
    }
    body = _is_problem(
        api_client.client.post("/technicians", json=tech, headers=api_client.headers("hr")), 422
    )
    assert any("end_date must not be before start_date" in e["rule"] for e in body["errors"])


def test_errors_from_routes_map_to_problems(db_url: str, tmp_path: Any) -> None:
    """InputErrors list every problem; an unexpected exception is a 500 that reveals nothing internal."""
    settings, _ = make_api(db_url, "thread", tmp_path)
    app = create_app(settings, migrate=False)
    extra = APIRouter()

    @extra.get("/boom-input")
    def boom_input() -> None:
        raise InputErrors(
            [
                Problem(field="qty", rule="> 0", value=-1, row=3),
                Problem(field="date", rule="ISO date", value="x", row=4),
            ]
        )

    @extra.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.include_router(extra)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = _is_problem(client.get("/boom-input"), 422)
        assert [(e["row"], e["field"], e["value"], e["rule"]) for e in body["errors"]] == [
            (3, "qty", -1, "> 0"),
            (4, "date", "x", "ISO date"),
        ]
        body = _is_problem(client.get("/boom"), 500)
        assert "secret" not in str(body)


def test_method_not_allowed_is_problem_json(api_client: ApiHarness) -> None:
    """Even framework errors (405) use the problem format."""
    _is_problem(api_client.client.patch("/health"), 405)
