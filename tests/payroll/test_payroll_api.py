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

    mine = client.get(f"/payroll/runs/{run['id']}/payslips/T-001", headers=api_client.headers("technician"))
    assert mine.status_code == 200
    slip = mine.json()
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
    assert [p["version"] for p in listed] == [2, 1]
