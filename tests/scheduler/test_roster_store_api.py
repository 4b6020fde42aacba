"""Stored rosters are versioned and immutable once published; the HTTP walk-through."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from roster_factories import FAST, problem

from fieldcrew.db import session_scope
from scheduler.roster import store
from scheduler.roster.solver import solve
from vocabulary.errors import Conflict, NotFound

START = dt.date(2026, 4, 6)


def test_versions_publish_and_immutability(db_url: str) -> None:
    """Drafts get versions 1, 2; publishing freezes a version; nothing published can be edited."""
    p = problem(n=3, horizon=7, quota=2)
    r = solve(p, FAST)
    with session_scope(db_url) as s:
        a = store.save_draft(s, "B1", START, "urban_dense", p, r, "disp")
        b = store.save_draft(s, "B1", START, "urban_dense", p, r, "disp")
        assert (a.version, b.version) == (1, 2)
        store.publish(s, a.id, "disp")
        ids = (a.id, b.id)
    with session_scope(db_url) as s:
        row = store.get_version(s, ids[0])
        assert row.status == "published"
        assert store.latest_published(s, "B1", START).id == ids[0]  # type: ignore[union-attr]
        with pytest.raises(Conflict):
            store.publish(s, ids[0], "disp")
    with pytest.raises(Conflict), session_scope(db_url) as s:
        row = store.get_version(s, ids[0])
        row.objective = -1
        s.flush()
    with pytest.raises(NotFound), session_scope(db_url) as s:
        store.get_version(s, "nope")


def _wait(api: Any, location: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        state: dict[str, Any] = api.client.get(location, headers=headers).json()
        if state["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def test_http_solve_publish_reroster_score_diagnosis(api_client: Any) -> None:
    """Dispatcher: solve (job) → get → score → diagnosis → publish → re-roster (job, diff);
    a technician sees only his own row and cannot solve."""
    from factories import seed_org

    with session_scope(api_client.db_url) as s:
        seed_org(s)
    h = api_client.headers("dispatcher")
    quotas = {"G1": {(START + dt.timedelta(days=d)).isoformat(): 3 for d in range(7)}}
    body = {"branch_id": "B1", "start": START.isoformat(), "days": 7, "seconds": 2, "quotas": quotas}
    assert (
        api_client.client.post("/rosters", json=body, headers=api_client.headers("technician")).status_code
        == 403
    )
    res = api_client.client.post("/rosters", json=body, headers=h)
    assert res.status_code == 202, res.text
    job = _wait(api_client, res.headers["Location"], h)
    assert job["status"] == "succeeded", job
    roster_id = job["result"]["roster_id"]
    full = api_client.client.get(f"/rosters/{roster_id}", headers=h).json()
    assert full["status"] == "draft" and len(full["assignment"]) == 4
    assert full["quotas"] == {"G1": quotas["G1"]}  # the console shows at-work vs quota per day
    own = api_client.client.get(f"/rosters/{roster_id}", headers=api_client.headers("technician")).json()
    assert list(own["assignment"]) == ["T-001"]
    score = api_client.client.get(f"/rosters/{roster_id}/score", headers=h).json()
    assert score["recomputed_objective"] == score["objective"]
    assert api_client.client.get(f"/rosters/{roster_id}/diagnosis", headers=h).status_code == 200
    csv_text = api_client.client.get(f"/rosters/{roster_id}/export?format=csv", headers=h).text
    assert csv_text.splitlines()[0].startswith("group,technician,") and len(csv_text.splitlines()) == 5
    png = api_client.client.get(f"/rosters/{roster_id}/export?format=png", headers=h)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    xlsx = api_client.client.get(f"/rosters/{roster_id}/export", headers=h)
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert api_client.client.get(f"/rosters/{roster_id}/export?format=pdf", headers=h).status_code == 422
    technician_export = api_client.client.get(
        f"/rosters/{roster_id}/export", headers=api_client.headers("technician")
    )
    assert technician_export.status_code == 403
    pub = api_client.client.post(f"/rosters/{roster_id}/publish", headers=h)
    assert pub.status_code == 200 and pub.json()["status"] == "published"
    assert api_client.client.post(f"/rosters/{roster_id}/publish", headers=h).status_code == 409
    sick = {
        "absences": [{"technician_id": "T-002", "start": START.isoformat(), "end": START.isoformat()}],
        "seconds": 2,
    }
    res = api_client.client.post(f"/rosters/{roster_id}/reroster", json=sick, headers=h)
    assert res.status_code == 202, res.text
    job = _wait(api_client, res.headers["Location"], h)
    assert job["status"] == "succeeded", job
    new = api_client.client.get(f"/rosters/{job['result']['roster_id']}", headers=h).json()
    assert new["version"] == 2 and new["assignment"]["T-002"][0] is None
    assert 0 in new["leave"]["T-002"]  # an absence is shown as leave, not as a rest day
    listing = api_client.client.get("/rosters?branch_id=B1", headers=h).json()
    assert [r["version"] for r in listing] == [2, 1] and "assignment" not in listing[0]
    mine = api_client.client.get("/rosters", headers=api_client.headers("technician")).json()
    assert [r["status"] for r in mine] == ["published"]
    assert api_client.client.get("/rosters/does-not-exist", headers=h).status_code == 404


def test_solve_records_its_search_settings(api_client: Any) -> None:
    """A solve request without workers and seed gets the service's settings, recorded with the job
    (so the job is reproducible from its record); given ones are recorded as given."""
    from factories import seed_org

    from scheduler.roster.jobs import SOLVE, SolveRosterParams
    from timepool.domain import Quotas

    with session_scope(api_client.db_url) as s:
        seed_org(s)
    app = api_client.client.app
    app.state.settings = app.state.settings.model_copy(update={"solver_workers": 1, "solver_seed": 7})
    h = api_client.headers("dispatcher")
    quotas = {"G1": {(START + dt.timedelta(days=d)).isoformat(): 2 for d in range(7)}}
    body = {"branch_id": "B1", "start": START.isoformat(), "days": 7, "seconds": 1, "quotas": quotas}
    recorded = []
    for extra in ({}, {"workers": 3, "seed": 11}):
        res = api_client.client.post("/rosters", json=body | extra, headers=h)
        assert res.status_code == 202, res.text
        job = _wait(api_client, res.headers["Location"], h)
        assert job["status"] == "succeeded", job
        recorded.append(job["params"])
    assert [(p["workers"], p["seed"]) for p in recorded] == [(1, 7), (3, 11)]
    params = SOLVE.parse(recorded[0])
    assert isinstance(params, SolveRosterParams) and params.actor == "dispatcher"
    assert params.quotas == Quotas.from_json(quotas) and params.seconds == 1


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_roster_export_keeps_formula_leading_names_inert(tmp_path: Any, suffix: str) -> None:
    """A group or technician id a spreadsheet would run as a formula (``=1+1``, ``@SUM(1)``) comes back
    as inert text in the roster's CSV and in both Excel sheets (roster and score): a leading
    apostrophe, a text cell; counts stay as written."""
    import csv

    from openpyxl import load_workbook

    from scheduler.roster.domain import Employee, PenaltyLine, RosterResult
    from scheduler.roster.io import write_roster

    p = problem(n=0, horizon=2, employees=(Employee(id="@SUM(1)", group_id="=1+1"),))
    line = PenaltyLine(rule="coverage", cost=3, employee="@SUM(1)", group_id="=1+1", day=0, detail="+x")
    r = RosterResult(name="tiny", status="FEASIBLE", objective=3, bound=0, seconds=0.0,
                     assignment={"@SUM(1)": ["D", None]}, breakdown=[line])
    path = write_roster(p, r, tmp_path / f"r.{suffix}")
    if suffix == "csv":
        with path.open(encoding="utf-8", newline="") as fh:
            _, row = list(csv.reader(fh))
        assert row[:2] == ["'=1+1", "'@SUM(1)"]
        return
    book = load_workbook(path)
    group, tech = book["roster"][2][:2]
    assert (group.data_type, group.value, tech.data_type, tech.value) == ("s", "'=1+1", "s", "'@SUM(1)")
    _, cost, employee, group_id, _, detail = book["score"][2]
    assert cost.value == 3
    assert [(c.data_type, c.value) for c in (employee, group_id, detail)] == [
        ("s", "'@SUM(1)"), ("s", "'=1+1"), ("s", "'+x")]


def _refused(api_client: Any, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST ``body`` to ``path`` as the dispatcher: a 422 problem; no job was queued."""
    h = api_client.headers("dispatcher")
    res = api_client.client.post(path, json=body, headers=h)
    assert res.status_code == 422, res.text
    assert api_client.client.get("/jobs", headers=h).json() == []
    errors: list[dict[str, Any]] = res.json()["errors"]
    return errors


def test_a_solve_that_could_only_fail_is_refused_at_submission(api_client: Any) -> None:
    """POST /rosters for a branch that does not exist, or one without technicians, is a 422 naming
    branch_id and the rule, before any job is queued."""
    from factories import branch, seed_org

    from fieldcrew import records
    from fieldcrew.tables import BranchRow

    with session_scope(api_client.db_url) as s:
        seed_org(s)
        s.add(BranchRow(**records.branch_row(branch("B2"))))
    body = {"branch_id": "NOPE", "start": START.isoformat(), "days": 7, "seconds": 1}
    (error,) = _refused(api_client, "/rosters", body)
    assert (error["field"], error["value"]) == ("branch_id", "NOPE")
    assert error["rule"] == "must name a stored branch"
    (error,) = _refused(api_client, "/rosters", body | {"branch_id": "B2"})
    assert (error["field"], error["rule"]) == ("branch_id", "branch has no technicians to roster")


def test_a_reroster_that_could_only_fail_is_refused_at_submission(api_client: Any) -> None:
    """POST /rosters/{id}/reroster: an unknown roster is 404; an absence of a technician not in the
    roster, one ending before it starts or one outside the roster's period, and a from_day beyond
    it, are each a 422 problem naming the field and the rule; no job is queued."""
    from factories import seed_org, store_roster_draft

    with session_scope(api_client.db_url) as s:
        seed_org(s)
        roster_id = store_roster_draft(s, START, {f"T-00{i}": ["D"] * 7 for i in range(1, 5)})
    h = api_client.headers("dispatcher")
    day = START.isoformat()
    ok = {"technician_id": "T-001", "start": day, "end": day}
    missing = api_client.client.post("/rosters/NOPE/reroster", json={"absences": [ok]}, headers=h)
    assert missing.status_code == 404, missing.text
    absences = [
        ok | {"technician_id": "T-404"},
        ok | {"start": "2026-04-08", "end": "2026-04-07"},
        ok | {"start": "2026-05-01", "end": "2026-05-02"},
    ]
    errors = _refused(api_client, f"/rosters/{roster_id}/reroster", {"absences": absences, "from_day": 7})
    assert [(e["field"], e["rule"]) for e in errors] == [
        ("absences[0].technician_id", f"must be a technician of roster {roster_id}"),
        ("absences[1].end", "must not be before start"),
        ("absences[2]", "must overlap the roster's period 2026-04-06 to 2026-04-12"),
        ("from_day", "must be a day of the roster (0 to 6)"),
    ]
