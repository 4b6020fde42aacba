"""The pool's HTTP routes (planner role): sizing, standards versions, quotas sync and as a job."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from timepool_factories import seed_branch

START = "2026-06-29"


def _seed(api_client: Any) -> None:
    with api_client.session() as s:
        seed_branch(s)


def test_erlang_c_route_and_roles(api_client: Any) -> None:
    """Planners size with Erlang C (classic example → 14); technicians get 403, anonymous 401."""
    body = {"arrivals": 100, "interval_minutes": 30, "handle_minutes": 3, "target_service_level": 0.8,
            "target_minutes": 1 / 3, "shrinkage": 0.3}
    ok = api_client.client.post("/timepool/size/erlang-c", json=body, headers=api_client.headers("planner"))
    assert ok.status_code == 200 and (ok.json()["raw_agents"], ok.json()["positions"]) == (14, 20)
    assert api_client.client.post("/timepool/size/erlang-c", json=body,
                                  headers=api_client.headers("technician")).status_code == 403
    assert api_client.client.post("/timepool/size/erlang-c", json=body).status_code == 401
    no_patience = api_client.client.post("/timepool/size/erlang-a", json=body,
                                         headers=api_client.headers("planner"))
    assert no_patience.status_code == 422


def test_standards_saved_and_read_back(api_client: Any) -> None:
    """Standards from the stored observations are saved as version 1 and read back with provenance."""
    _seed(api_client)
    h = api_client.headers("planner")
    res = api_client.client.post("/timepool/standards", json={"branch_id": "B1", "save": True}, headers=h)
    assert res.status_code == 200, res.text
    (table,) = res.json()["tables"]
    assert table["saved_version"] == 1 and table["observation_count"] == 120
    got = api_client.client.get("/timepool/standards/B1", headers=h).json()
    assert got["observations_sha256"] == table["observations_sha256"]
    assert [v["version"] for v in api_client.client.get("/timepool/standards", headers=h).json()] == [1]
    assert api_client.client.get("/timepool/standards/nowhere", headers=h).status_code == 404


def test_upload_with_bad_rows_is_422_with_every_problem(api_client: Any) -> None:
    """An uploaded file with a negative travel and a zero rating: 422 naming both cells; nothing saved."""
    text = ("observation_id,date,branch_id,observer,technician_id,order_type,difficulty,area_type,"
            "travel_min,onsite_min,paperwork_min,rating_pct\n"
            "OB1,2026-05-06,B1,Obs,T-001,install,1,urban,-1,60,5,100\n"
            "OB2,2026-05-06,B1,Obs,T-001,install,1,urban,5,60,5,0\n")
    res = api_client.client.post("/timepool/standards/upload?save=true", files={"file": ("obs.csv", text)},
                                 headers=api_client.headers("planner"))
    assert res.status_code == 422
    assert "travel_min" in res.text and "rating_pct" in res.text
    assert api_client.client.get("/timepool/standards", headers=api_client.headers("planner")).json() == []


def test_quotas_sync_csv_and_job(api_client: Any) -> None:
    """Quotas: JSON rows, the same as CSV, then as a job (submit → poll → result) that stores a version."""
    _seed(api_client)
    h = api_client.headers("planner")
    body = {"branch_id": "B1", "start": START, "days": 7, "min_heads": 1}
    res = api_client.client.post("/timepool/quotas", json=body, headers=h)
    assert res.status_code == 200, res.text
    rows = res.json()["rows"]
    assert len(rows) == 7 and all(r["heads"] >= 1 for r in rows)
    csv = api_client.client.post("/timepool/quotas?format=csv", json=body, headers=h)
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("region_group_id,day")
    job = api_client.client.post("/timepool/quotas/jobs", json=body | {"save": True}, headers=h)
    assert job.status_code == 202 and job.headers["Location"].startswith("/jobs/")
    deadline = time.monotonic() + 30
    while True:
        state = api_client.client.get(job.headers["Location"], headers=h).json()
        if state["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert state["status"] == "succeeded", state
    stored = api_client.client.get("/timepool/quotas/B1", headers=h).json()["quotas"]
    assert stored["G1"] == {r["day"]: r["heads"] for r in rows}
    assert sorted(stored["G1"])[0] == dt.date.fromisoformat(START).isoformat()


def test_headcount_and_whatif_routes(api_client: Any) -> None:
    """Headcount uses the employed technicians from the database; two rest days never need fewer heads."""
    _seed(api_client)
    h = api_client.headers("planner")
    base = {"branch_id": "B1", "start": START, "days": 14}
    hc = api_client.client.post("/timepool/headcount", json=base, headers=h)
    assert hc.status_code == 200, hc.text
    g1 = next(r for r in hc.json()["rows"] if r["unit"] == "G1")
    assert g1["employed"] == 4
    scenario = {"name": "2 rest", "rest_days_per_week": 2}
    wi = api_client.client.post("/timepool/whatif", json=base | {"scenario": scenario}, headers=h)
    assert wi.status_code == 200, wi.text
    assert all(r["delta_heads"] >= 0 for r in wi.json()["rows"])


def test_a_quota_job_that_could_only_fail_is_refused_at_submission(api_client: Any) -> None:
    """POST /timepool/quotas/jobs for a branch that does not exist, or one without small areas, is a
    422 naming branch_id and the rule, before any job is queued."""
    from factories import branch

    from fieldcrew import records
    from fieldcrew.tables import BranchRow

    _seed(api_client)
    with api_client.session() as s:
        s.add(BranchRow(**records.branch_row(branch("B2"))))
    h = api_client.headers("planner")
    for branch_id, rule in (("NOPE", "must name a stored branch"),
                            ("B2", "branch has no small areas to forecast orders in")):
        body = {"branch_id": branch_id, "start": START, "days": 7, "save": True}
        res = api_client.client.post("/timepool/quotas/jobs", json=body, headers=h)
        assert res.status_code == 422, res.text
        (error,) = res.json()["errors"]
        assert (error["field"], error["value"], error["rule"]) == ("branch_id", branch_id, rule)
    assert api_client.client.get("/jobs", headers=h).json() == []


ERLANG = {"arrivals": 100, "interval_minutes": 30, "handle_minutes": 3, "target_service_level": 0.8,
          "target_minutes": 1 / 3, "shrinkage": 0.3, "patience_minutes": 2}


@pytest.mark.parametrize("model", ["erlang-c", "erlang-a"])
@pytest.mark.parametrize(("field", "value"), [
    ("arrivals", 1e308), ("interval_minutes", 1e308), ("interval_minutes", 1e-300),
    ("handle_minutes", 1e308), ("handle_minutes", 1e-300), ("target_minutes", 1e308),
    ("patience_minutes", 1e308), ("patience_minutes", 1e-300),
])
def test_sizing_numbers_beyond_sense_are_422(api_client: Any, model: str, field: str, value: float) -> None:
    """A sizing number far beyond its bound (1e308) or below it (1e-300 minutes) is a 422 naming the
    field, never an overflow (500) in the sizing."""
    res = api_client.client.post(f"/timepool/size/{model}", json=ERLANG | {field: value},
                                 headers=api_client.headers("planner"))
    assert res.status_code == 422, res.text
    assert [e["field"] for e in res.json()["errors"]] == [f"body.{field}"]


def test_sizing_refuses_a_load_beyond_any_team(api_client: Any) -> None:
    """An offered load over 10,000 Erlangs (each number within its own bound) is a 422 naming the rule;
    a tiny positive number of arrivals is just a small load."""
    h = api_client.headers("planner")
    res = api_client.client.post("/timepool/size/erlang-c", json=ERLANG | {"arrivals": 200_000}, headers=h)
    assert res.status_code == 422 and "at most 10000" in res.text, res.text
    tiny = api_client.client.post("/timepool/size/erlang-c", json=ERLANG | {"arrivals": 1e-300}, headers=h)
    assert tiny.status_code == 200 and tiny.json()["raw_agents"] == 1, tiny.text


@pytest.mark.parametrize("path", ["/timepool/standards/B1", "/timepool/quotas/B1"])
@pytest.mark.parametrize("version", [0, 2**31, 2**63])
def test_stored_versions_are_bounded(api_client: Any, path: str, version: int) -> None:
    """A version below 1 or beyond a 32-bit integer is a 422 naming the parameter, not a database error."""
    res = api_client.client.get(path, params={"version": version}, headers=api_client.headers("planner"))
    assert res.status_code == 422, res.text
    assert res.json()["errors"][0]["field"] == "query.version"
