"""The service under hostile or careless input: out-of-range numbers, NUL characters, oversized and
all-bad uploads, too many jobs, data shown only to who may see it, administration that cannot lock
itself out, times with their zone, and an OpenAPI document that declares the errors it gives."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import ApiHarness, make_api, seed_org
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError

from api.app import create_app
from api.errors import MAX_LISTED_ERRORS, PROBLEM_JSON
from fieldcrew.tables import TechnicianRow

HUGE = 2**63


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


@pytest.fixture
def seeded(api_client: ApiHarness) -> ApiHarness:
    """The API with organisation G1 and technicians T-001…T-004 with contact data."""
    with api_client.session() as session:
        seed_org(session)
        for n, tech in enumerate(session.query(TechnicianRow).order_by(TechnicianRow.id), start=1):
            tech.phone, tech.email = f"1381234{n:04d}", f"tech{n}@fieldcrew.example.cn"
    return api_client


def _app(db_url: str, tmp_path: Path, **settings: Any) -> tuple[TestClient, dict[str, str]]:
    base, keys = make_api(db_url, "thread", tmp_path)
    app = create_app(base.model_copy(update=settings), migrate=False)
    return TestClient(app, raise_server_exceptions=False), keys


# ------------------------------------------------------------------------------------------------
# numbers out of range → 422, never 500


@pytest.mark.parametrize("path", ["/technicians", "/orders", "/branches", "/areas"])
@pytest.mark.parametrize("params", [{"offset": HUGE}, {"offset": 2**31}, {"limit": HUGE}, {"offset": -1}])
def test_offsets_and_limits_out_of_range_are_422(
    seeded: ApiHarness, path: str, params: dict[str, int]
) -> None:
    """An offset or limit beyond a 32-bit integer (or negative) is a 422 naming the parameter."""
    body = _problem(seeded.client.get(path, params=params, headers=seeded.headers("admin")), 422)
    assert body["errors"][0]["field"] == f"query.{next(iter(params))}"


@pytest.mark.parametrize("path", ["/jobs", "/audit"])
def test_limits_of_platform_lists_are_bounded(seeded: ApiHarness, path: str) -> None:
    """The same bound on the job and audit lists."""
    _problem(seeded.client.get(path, params={"limit": HUGE}, headers=seeded.headers("admin")), 422)
    assert seeded.client.get(path, params={"limit": 1000}, headers=seeded.headers("admin")).status_code == 200


@pytest.mark.parametrize("raw", ['{"steps": 1e999}', '{"steps": NaN}', '{"sleep_s": -Infinity}',
                                 '{"steps": 99999999999999999999999}'])
def test_non_finite_and_huge_numbers_in_json_are_422(seeded: ApiHarness, raw: str) -> None:
    """NaN, infinities (also 1e999) and integers beyond 64 bits are refused before any route runs."""
    response = seeded.client.post("/jobs/selftest", content=raw.encode(),
                                  headers={**seeded.headers("admin"), "Content-Type": "application/json"})
    body = _problem(response, 422)
    assert body["errors"][0]["field"] in ("body.steps", "body.sleep_s")


def test_tiny_floats_are_numbers(seeded: ApiHarness) -> None:
    """1e-300 is a finite number like any other (the field's own bounds decide)."""
    response = seeded.client.post("/jobs/selftest", json={"steps": 1, "sleep_s": 1e-300},
                                  headers=seeded.headers("admin"))
    assert response.status_code == 202, response.text


# ------------------------------------------------------------------------------------------------
# NUL characters: refused at the edge (PostgreSQL would refuse them as a 500)


@pytest.fixture
def any_api(any_db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The service on SQLite, then on PostgreSQL (skipped without a server)."""
    client, keys = _app(any_db_url, tmp_path)
    with client:
        yield client, keys


def test_nul_in_a_json_body_is_422_naming_the_field(any_api: tuple[TestClient, dict[str, str]]) -> None:
    """A NUL character anywhere in a JSON body (value or name) is a 422 naming where it is."""
    client, keys = any_api
    branch = {"id": "B9", "name": "Hefei\x00", "province": "Anhui"}
    body = _problem(client.post("/branches", json=branch, headers={"X-API-Key": keys["planner"]}), 422)
    assert body["errors"] == [{"field": "body.name", "rule": "must not hold a NUL character (\\x00)",
                               "value": "Hefei\\x00", "row": None}]
    assert client.get("/branches/B9", headers={"X-API-Key": keys["planner"]}).status_code == 404


def test_nul_in_path_or_query_is_422(any_api: tuple[TestClient, dict[str, str]]) -> None:
    """In the path or a query parameter too."""
    client, keys = any_api
    admin = {"X-API-Key": keys["admin"]}
    assert _problem(client.get("/technicians/T%00", headers=admin), 422)["errors"][0]["field"] == "path"
    body = _problem(client.get("/audit", params={"entity": "job\x00"}, headers=admin), 422)
    assert body["errors"][0]["field"] == "query.entity"


def test_nul_in_an_uploaded_cell_names_row_and_column(any_api: tuple[TestClient, dict[str, str]]) -> None:
    """A NUL in a CSV cell is a 422 naming file, row and column; nothing reaches the database."""
    client, keys = any_api
    data = b"id,name\r\nT1,ok\r\nT2,a\x00b\r\n"
    response = client.post("/data/technicians/import", files={"file": ("staff.csv", data, "text/csv")},
                           headers={"X-API-Key": keys["hr"]})
    (error,) = _problem(response, 422)["errors"]
    assert (error["file"], error["row"], error["field"]) == ("staff.csv", 3, "name")


def test_an_api_key_with_a_nul_is_just_invalid(any_api: tuple[TestClient, dict[str, str]]) -> None:
    """A key no key can be (control characters, far too long) is a 401, never a database error."""
    client, _ = any_api
    for key in ("fc_00000000_\x01x", "fc_" + "x" * 500):
        assert client.get("/users/me", headers={"X-API-Key": key}).status_code == 401


# ------------------------------------------------------------------------------------------------
# uploads: size limit, a huge cell, an all-bad file


def test_an_upload_over_the_limit_is_413_before_it_is_read(db_url: str, tmp_path: Path) -> None:
    """A body larger than the limit is 413 problem+json: by its Content-Length, and when it streams in
    without one (chunked), as soon as the limit is passed."""
    client, keys = _app(db_url, tmp_path, max_upload_bytes=4096)
    hr = {"X-API-Key": keys["hr"]}
    big = b"id,name\r\n" + b"T1,x\r\n" * 2000
    with client:
        body = _problem(client.post("/data/technicians/import", files={"file": ("t.csv", big, "text/csv")},
                                    headers=hr), 413)
        assert "4,096 bytes" in body["detail"]

        def chunks() -> Iterator[bytes]:
            for _ in range(100):
                yield b'{"steps": 1, "pad": "' + b"x" * 1000 + b'"}'

        streamed = client.post("/jobs/selftest", content=chunks(),
                               headers={"X-API-Key": keys["admin"], "Content-Type": "application/json"})
        _problem(streamed, 413)
        streamed = client.post("/data/technicians/import", content=chunks(),
                               headers={**hr, "Content-Type": "multipart/form-data; boundary=x"})
        _problem(streamed, 413)
        assert client.post("/jobs/selftest", json={"steps": 1}, headers={"X-API-Key": keys["admin"]}
                           ).status_code == 202


def test_a_cell_over_128_kib_is_422_naming_row_and_column(seeded: ApiHarness) -> None:
    """A giant cell is one clear problem, not a 500."""
    data = ("id,name\r\nT1," + "x" * (128 * 1024 + 1) + "\r\n").encode()
    response = seeded.client.post("/data/technicians/import", files={"file": ("t.csv", data, "text/csv")},
                                  headers=seeded.headers("hr"))
    (error,) = _problem(response, 422)["errors"]
    assert (error["row"], error["field"]) == (2, "name") and "131,072" in error["rule"]


def test_an_all_bad_file_lists_the_first_problems_and_counts_all(seeded: ApiHarness) -> None:
    """Thousands of bad cells: the answer lists the first 1,000 and says how many there are."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "name", "branch_id", "post_grade", "start_date"])
    for n in range(1500):
        writer.writerow([f"bad id {n}", "", "B1", "T1", "never"])
    response = seeded.client.post("/data/technicians/import",
                                  files={"file": ("t.csv", out.getvalue().encode(), "text/csv")},
                                  headers=seeded.headers("hr"))
    body = _problem(response, 422)
    assert len(body["errors"]) == MAX_LISTED_ERRORS
    # four per row: id, name, start_date, and the region group a non-support technician needs
    assert body["error_count"] == 6000 and "6000 problem(s)" in body["detail"]
    assert body["errors"][0]["row"] == 2 and body["errors"][-1]["row"] <= 400


def test_undecodable_bytes_are_reported(seeded: ApiHarness) -> None:
    """Bytes that are neither UTF-8 nor GB18030 are named by row and column (never replaced)."""
    data = b"id,name\r\nT1,ok\r\nT2,\xff\xfe\r\n"
    response = seeded.client.post("/data/technicians/import", files={"file": ("t.csv", data, "text/csv")},
                                  headers=seeded.headers("hr"))
    (error,) = _problem(response, 422)["errors"]
    assert (error["row"], error["field"]) == (3, "name") and "\\xff" in error["value"]


def test_database_refusals_are_422(db_url: str, tmp_path: Path) -> None:
    """A value the database refuses (too long, out of range, a NUL on PostgreSQL) is a 422 problem."""
    settings, _ = make_api(db_url, "thread", tmp_path)
    app = create_app(settings, migrate=False)
    extra = APIRouter()

    @extra.get("/refused")
    def refused() -> None:
        raise DataError("INSERT …", {}, ValueError("value too long for type character varying(64)"))

    app.include_router(extra)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = _problem(client.get("/refused"), 422)
    assert "does not fit the database" in body["detail"]


# ------------------------------------------------------------------------------------------------
# jobs: limits, validation at submission, who sees params and results, times with a zone


def test_too_many_jobs_is_429_with_retry_after(db_url: str, tmp_path: Path) -> None:
    """Beyond the per-user limit of queued or running jobs a submission is 429 with Retry-After; the
    limit frees up as jobs finish."""
    client, keys = _app(db_url, tmp_path, max_jobs_per_user=2, job_workers=1)
    admin = {"X-API-Key": keys["admin"]}
    long = {"steps": 5000, "sleep_s": 0.01}
    with client:
        first = client.post("/jobs/selftest", json=long, headers=admin)
        second = client.post("/jobs/selftest", json=long, headers=admin)
        third = client.post("/jobs/selftest", json=long, headers=admin)
        body = _problem(third, 429)
        assert int(third.headers["retry-after"]) > 0 and "at most 2" in body["detail"]
        assert client.post("/jobs/selftest", json=long, headers={"X-API-Key": keys["dispatcher"]}
                           ).status_code == 403  # (not a limit of other users: the role decides)
        client.delete(first.headers["location"], headers=admin)
        client.delete(second.headers["location"], headers=admin)
        deadline = time.monotonic() + 30
        while client.get(second.headers["location"], headers=admin).json()["status"] not in (
                "cancelled", "succeeded"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        while client.get(first.headers["location"], headers=admin).json()["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.post("/jobs/selftest", json={"steps": 1}, headers=admin).status_code == 202


def test_params_and_results_only_for_owner_and_admin(seeded: ApiHarness) -> None:
    """Another user (a dispatcher, a planner) sees a job's status but not its parameters or result."""
    client = seeded.client
    location = client.post("/jobs/selftest", json={"steps": 1, "sleep_s": 0},
                           headers=seeded.headers("admin")).headers["location"]
    deadline = time.monotonic() + 30
    while client.get(location, headers=seeded.headers("admin")).json()["status"] != "succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    mine = client.get(location, headers=seeded.headers("admin")).json()
    assert mine["params"]["steps"] == 1 and mine["result"]["count"] == 1 and not mine["restricted"]
    for role in ("dispatcher", "planner", "hr"):
        theirs = client.get(location, headers=seeded.headers(role)).json()
        assert (theirs["params"], theirs["result"], theirs["restricted"]) == (None, None, True)
        assert theirs["status"] == "succeeded"
        listed = {j["id"]: j for j in client.get("/jobs", headers=seeded.headers(role)).json()}
        assert listed[mine["id"]]["result"] is None


def _utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    assert value.utcoffset() == dt.timedelta(0), text
    return value


def test_job_audit_and_user_times_carry_their_zone(seeded: ApiHarness) -> None:
    """Jobs, audit entries and users answer times in UTC with the offset."""
    client, admin = seeded.client, seeded.headers("admin")
    before = dt.datetime.now(dt.UTC)
    job = client.post("/jobs/selftest", json={"steps": 1}, headers=admin).json()
    view = client.get(job["location"], headers=admin).json()
    assert abs(_utc(view["created_at"]) - before) < dt.timedelta(minutes=1)
    entry = client.get("/audit", params={"entity": "job"}, headers=admin).json()[0]
    assert abs(_utc(entry["at"]) - before) < dt.timedelta(minutes=1)
    _utc(client.get("/users/me", headers=admin).json()["created_at"])


# ------------------------------------------------------------------------------------------------
# personal data


def test_contact_data_in_full_for_hr_and_admin_masked_for_others(seeded: ApiHarness) -> None:
    """Phone and e-mail: HR and admins read them, dispatchers and planners see them masked, in the
    API and in the export."""
    client = seeded.client
    for role in ("hr", "admin"):
        tech = client.get("/technicians/T-001", headers=seeded.headers(role)).json()
        assert tech["contact"] == {"phone": "13812340001", "email": "tech1@fieldcrew.example.cn"}
    for role in ("dispatcher", "planner"):
        listed = client.get("/technicians", headers=seeded.headers(role)).json()
        assert listed[0]["contact"] == {"phone": "138****0001", "email": "t***@fieldcrew.example.cn"}
    exported = client.get("/data/technicians/export", headers=seeded.headers("dispatcher")).text
    assert "13812340001" not in exported and "138****0001" in exported
    assert "13812340001" in client.get("/data/technicians/export", headers=seeded.headers("hr")).text
    written = client.put("/technicians/T-002", headers=seeded.headers("hr"), json={
        **client.get("/technicians/T-002", headers=seeded.headers("hr")).json(),
        "contact": {"phone": "13900000002"}})
    assert written.status_code == 200 and written.json()["contact"]["phone"] == "13900000002"


# ------------------------------------------------------------------------------------------------
# administration


def test_an_admin_cannot_deactivate_itself_nor_the_last_admin(seeded: ApiHarness) -> None:
    """Self-deactivation and deactivating the last active admin are 409 with the reason; another
    admin can be deactivated while one remains."""
    client, admin = seeded.client, seeded.headers("admin")
    body = _problem(client.delete("/users/admin", headers=admin), 409)
    assert "themself" in body["detail"]
    second = client.post("/users", json={"username": "admin2", "role": "admin"}, headers=admin).json()
    admin2 = {"X-API-Key": second["api_key"]}
    assert client.delete("/users/admin", headers=admin2).status_code == 204
    body = _problem(client.delete("/users/admin2", headers=admin2), 409)
    assert "themself" in body["detail"]
    with seeded.session() as session:  # the last admin, deactivated by someone else: still refused
        from fieldcrew import auth

        with pytest.raises(auth.Conflict, match="last active administrator"):
            auth.deactivate_user(session, "admin2", actor="ops-script")


def test_reactivate_lets_a_user_in_again_with_a_new_key(seeded: ApiHarness) -> None:
    """POST /users/{name}/reactivate (admin): a new key that works; the old one stays revoked; audited."""
    client, admin = seeded.client, seeded.headers("admin")
    old = seeded.headers("planner")
    assert client.delete("/users/planner", headers=admin).status_code == 204
    assert client.get("/users/me", headers=old).status_code == 401
    assert client.post("/users/planner/reactivate", headers=seeded.headers("hr")).status_code == 403
    answer = client.post("/users/planner/reactivate", headers=admin)
    assert answer.status_code == 200 and answer.json()["active"] is True
    key = answer.json()["api_key"]
    assert client.get("/users/me", headers={"X-API-Key": key}).json()["username"] == "planner"
    assert client.get("/users/me", headers=old).status_code == 401
    again = client.post("/users/planner/reactivate", headers=admin).json()
    assert again["api_key"] is None
    entries = client.get("/audit", params={"entity": "user", "entity_id": "planner"}, headers=admin).json()
    assert [e["action"] for e in entries][:2] == ["reactivate", "deactivate"]
    assert entries[0]["before"]["active"] is False and entries[0]["after"]["active"] is True
    assert client.post("/users/nobody/reactivate", headers=admin).status_code == 404


# ------------------------------------------------------------------------------------------------
# the OpenAPI document declares the problems the service gives


def test_the_document_declares_problem_answers(seeded: ApiHarness) -> None:
    """Every operation declares 422 as problem+json (never FastAPI's unused HTTPValidationError);
    authenticated ones 401/403, job submissions 429 with Retry-After, uploads 413."""
    doc = seeded.client.get("/openapi.json").json()
    assert "ProblemDetails" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    ref = {"$ref": "#/components/schemas/ProblemDetails"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"]["422"]["content"] == {PROBLEM_JSON: {"schema": ref}}, (method, path)
            if op.get("security"):
                assert {"401", "403"} <= set(op["responses"]), (method, path)
            if method == "post" and "202" in op["responses"]:
                assert "Retry-After" in op["responses"]["429"]["headers"], path
    assert "413" in doc["paths"]["/data/technicians/import"]["post"]["responses"]
    assert "409" in doc["paths"]["/users/{username}"]["delete"]["responses"]
    assert "/users/{username}/reactivate" in doc["paths"]


# ------------------------------------------------------------------------------------------------
# offline docs


def test_docs_load_every_asset_from_the_service(seeded: ApiHarness) -> None:
    """/docs references no other host: its script, style sheet, icon and OpenAPI document all come
    from the service itself."""
    client = seeded.client
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    references = set(re.findall(r'(?:src|href)="([^"]+)"', html)) | set(re.findall(r"url: '([^']+)'", html))
    assert len(references) >= 4, references
    for reference in references:
        assert reference.startswith("/") and not reference.startswith("//"), reference
        answer = client.get(reference)
        assert answer.status_code == 200 and len(answer.content) > 100, reference
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    assert "SwaggerUIBundle" in client.get("/static/swagger-ui-bundle.js").text
    oauth = client.get("/docs/oauth2-redirect")
    assert oauth.status_code == 200 and "https://" not in oauth.text


# ------------------------------------------------------------------------------------------------
# times sent with an offset


def test_times_with_an_offset_are_made_local_not_a_500(seeded: ApiHarness) -> None:
    """Work-order times are local; one sent with an offset (mixed with local ones, too) is converted,
    in a new order and in a status change, instead of failing to compare with a local time."""
    client, dispatcher = seeded.client, seeded.headers("dispatcher")
    order = {"id": "WO-Z", "order_type": "repair", "area_id": "A1", "location": {"lat": 31.82, "lon": 117.23},
             "created": "2026-06-01T09:00:00", "deadline": "2026-06-01T16:00:00Z",
             "appointment": {"start": "2026-06-01T02:00:00Z", "end": "2026-06-01T12:00:00"}}
    created = client.post("/orders", json=order, headers=dispatcher)
    assert created.status_code == 201, created.text
    stored = client.get("/orders/WO-Z", headers=dispatcher).json()
    assert stored["deadline"] == "2026-06-02T00:00:00"
    assert stored["appointment"]["start"] == "2026-06-01T10:00:00"
    change = {"status": "dispatched", "at": "2026-06-01T01:30:00Z", "technician_id": "T-001"}
    moved = client.post("/orders/WO-Z/status", json=change, headers=dispatcher)
    assert moved.status_code == 200, moved.text
    assert moved.json()["history"][-1]["at"] == "2026-06-01T09:30:00"
    early = {"status": "started", "at": "2026-06-01T00:00:00Z"}  # 08:00 local: before the dispatch
    _problem(client.post("/orders/WO-Z/status", json=early, headers=dispatcher), 422)
