"""End to end over HTTP: upload a policy, run a month as a job, poll, read payslips, diff versions."""

from __future__ import annotations

import datetime as dt
import json
import time
import tomllib
from typing import Any

from payroll_factories import add_completed_order, seed_branch_rows

from payroll.policy import default_policy_path


def _policy_body(**overrides: Any) -> dict[str, Any]:
    data = tomllib.loads(default_policy_path().read_text(encoding="utf-8"))["policies"][0]
    data.update(base_workload_minutes=60, **overrides)
    return json.loads(json.dumps(data, default=str))


def _seed(api_client: Any) -> None:
    """Two technicians (T-001, T-002) and a few orders completed in March 2026."""
    with api_client.session() as session:
        seed_branch_rows(session, ("T-001", "T-002"))
        for i in range(6):
            created = dt.datetime(2026, 3, 2 + i, 8, 0)
            add_completed_order(session, f"WO-{i}", "T-001" if i < 4 else "T-002", created, complaint=i == 5)


def _wait(api_client: Any, location: str) -> dict[str, Any]:
    for _ in range(400):
        job = api_client.client.get(location, headers=api_client.headers("hr")).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {location} did not finish")


def test_hr_runs_a_month_and_a_technician_sees_only_own_payslips(api_client: Any) -> None:
    """submit → poll → result; versions and diff; technician isolation; bad policy and month refused."""
    _seed(api_client)
    client, hr = api_client.client, api_client.headers("hr")
    assert (
        client.post(
            "/payroll/policies", json=_policy_body(), headers=api_client.headers("technician")
        ).status_code
        == 403
    )
    bad = _policy_body(version="float", minimum_wage=2200.5)
    answer = client.post("/payroll/policies", json=bad, headers=hr)
    assert answer.status_code == 422 and "float" in answer.text
    assert client.post("/payroll/policies", json=_policy_body(), headers=hr).status_code == 201

    no_policy = client.post("/payroll/runs", json={"month": "2025-03"}, headers=hr)
    assert no_policy.status_code == 422 and "no pay policy" in no_policy.text

    answer = client.post("/payroll/runs", json={"month": "2026-03"}, headers=hr)
    assert answer.status_code == 202
    job = _wait(api_client, answer.headers["Location"])
    assert job["status"] == "succeeded", job
    run = job["result"]
    assert (run["month"], run["version"], run["technicians"]) == ("2026-03", 1, 2)

    assert run["status"] == "draft"
    tech = api_client.headers("technician")
    # a technician sees released payslips only
    assert client.get(f"/payroll/runs/{run['id']}/payslips/T-001", headers=tech).status_code == 404
    assert client.get("/payroll/technicians/T-001/payslips", headers=tech).json() == []
    run = _release(api_client, run["id"])
    mine = client.get(f"/payroll/runs/{run['id']}/payslips/T-001", headers=tech)
    assert mine.status_code == 200
    slip = mine.json()
    assert slip["summary"]["net_fen"] == slip["total_fen"]
    assert (
        slip["summary"]["gross_fen"]
        - slip["summary"]["contributions_fen"]
        - slip["summary"]["income_tax_fen"]
        - slip["summary"]["deductions_fen"]
        == slip["total_fen"]
    )
    assert {line["rule"] for line in slip["employer_lines"]} == {
        "employer_social_insurance",
        "employer_housing_fund",
    }
    assert slip["total_fen"] == sum(line["amount_fen"] for line in slip["lines"])
    assert any(line["rule"] == "piece_pay" for line in slip["lines"])  # 4 × 60 min against a base of 60
    other = client.get(f"/payroll/runs/{run['id']}/payslips/T-002", headers=api_client.headers("technician"))
    assert other.status_code == 403
    assert client.get("/payroll/runs", headers=api_client.headers("technician")).status_code == 403
    missing = client.get(f"/payroll/runs/{run['id']}/payslips/T-404", headers=hr)
    assert missing.status_code == 404

    again = _wait(
        api_client, client.post("/payroll/runs", json={"month": "2026-03"}, headers=hr).headers["Location"]
    )
    assert again["result"]["version"] == 2
    assert [r["version"] for r in client.get("/payroll/runs?month=2026-03", headers=hr).json()] == [2, 1]
    diff = client.get("/payroll/diff", params={"month": "2026-03", "from": 1, "to": 2}, headers=hr).json()
    assert diff["technicians"] == [] and diff["totals"]["to_pay_fen"] == 0
    listed = client.get(
        "/payroll/technicians/T-001/payslips", headers=api_client.headers("technician")
    ).json()
    assert [p["version"] for p in listed] == [1]  # version 2 is a draft: not shown to the technician
    assert [p["version"] for p in client.get("/payroll/technicians/T-001/payslips", headers=hr).json()] == [
        2,
        1,
    ]


def _release(api_client: Any, run_id: str) -> dict[str, Any]:
    """draft → approved (by a second HR user) → locked → released."""
    client, hr = api_client.client, api_client.headers("hr")
    second = _second_hr_user(api_client)
    assert client.post(f"/payroll/runs/{run_id}/lock", headers=hr).status_code == 409  # not approved yet
    same = client.post(f"/payroll/runs/{run_id}/approve", headers=hr)
    assert same.status_code == 403 and "second HR user" in same.text
    approved = client.post(f"/payroll/runs/{run_id}/approve", json={"note": "checked"}, headers=second)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert client.post(f"/payroll/runs/{run_id}/approve", headers=second).status_code == 409
    assert client.post(f"/payroll/runs/{run_id}/lock", headers=hr).json()["status"] == "locked"
    assert (
        client.post(f"/payroll/runs/{run_id}/release", headers=api_client.headers("technician")).status_code
        == 403
    )
    released = client.post(f"/payroll/runs/{run_id}/release", headers=hr).json()
    assert [step["status"] for step in released["history"]] == ["draft", "approved", "locked", "released"]
    assert released["history"][1]["actor"] == "hr2" and released["history"][1]["note"] == "checked"
    return dict(released)


def _second_hr_user(api_client: Any) -> dict[str, str]:
    from fieldcrew.auth import create_user

    if not hasattr(api_client, "_hr2"):
        with api_client.session() as session:
            _, key = create_user(session, "hr2", "hr", actor="test")
        api_client._hr2 = {"X-API-Key": key}
    return dict(api_client._hr2)


def test_hr_stores_a_technicians_pay_data_and_bad_amounts_are_refused(api_client: Any) -> None:
    """Contribution base, bank account and declared deductions: hr only, exact money, known kinds."""
    client, hr = api_client.client, api_client.headers("hr")
    body = {
        "previous_year_average_wage": "8000.00",
        "bank_account": "6222 0000 1111 2222",
        "additional_deductions": {"children_education": "2000"},
    }
    assert (
        client.put(
            "/payroll/technicians/T-001/pay", json=body, headers=api_client.headers("technician")
        ).status_code
        == 403
    )
    stored = client.put("/payroll/technicians/T-001/pay", json=body, headers=hr)
    assert stored.status_code == 200, stored.text
    assert stored.json()["previous_year_average_wage_fen"] == 800000
    assert stored.json()["additional_deductions"] == {"children_education": "2000.00"}
    bad = client.put(
        "/payroll/technicians/T-001/pay",
        json={"previous_year_average_wage": "80.001", "additional_deductions": {"lottery": "1"}},
        headers=hr,
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"previous_year_average_wage", "additional_deductions.lottery"}
    assert client.get("/payroll/technicians/T-404/pay", headers=hr).status_code == 404


def test_exports_of_a_run_over_http(api_client: Any) -> None:
    """Register and declarations of any run; the bank file only once the run is locked."""
    _seed(api_client)
    client, hr = api_client.client, api_client.headers("hr")
    assert client.post("/payroll/policies", json=_policy_body(), headers=hr).status_code == 201
    for tech_id, account in (("T-001", "6222 0000 0001"), ("T-002", "6222 0000 0002")):
        body = {"bank_account": account, "previous_year_average_wage": "5000.00"}
        assert client.put(f"/payroll/technicians/{tech_id}/pay", json=body, headers=hr).status_code == 200
    job = _wait(
        api_client, client.post("/payroll/runs", json={"month": "2026-03"}, headers=hr).headers["Location"]
    )
    run_id = job["result"]["id"]
    draft_bank = client.get(f"/payroll/runs/{run_id}/exports/bank", headers=hr)
    assert draft_bank.status_code == 409 and "locked or released" in draft_bank.text
    register = client.get(f"/payroll/runs/{run_id}/exports/register", headers=hr)
    assert register.status_code == 200
    assert register.headers["content-type"].startswith("application/vnd.openxmlformats")
    tax = client.get(f"/payroll/runs/{run_id}/exports/tax", headers=hr)
    assert tax.status_code == 200 and "cumulative_taxable" in tax.text
    assert (
        client.get(
            f"/payroll/runs/{run_id}/exports/tax", headers=api_client.headers("technician")
        ).status_code
        == 403
    )
    assert client.get(f"/payroll/runs/{run_id}/exports/payslips", headers=hr).status_code == 422
    _release(api_client, run_id)
    bank = client.get(f"/payroll/runs/{run_id}/exports/bank", headers=hr)
    assert bank.status_code == 200
    rows = bank.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "account,name,amount" and rows[1].startswith("6222 0000 0001,T-001,")
    slip = client.get(f"/payroll/runs/{run_id}/payslips/T-001", headers=hr).json()
    assert rows[1].endswith(slip["total"])
