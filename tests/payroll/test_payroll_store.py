"""Runs are immutable versions; re-running a month gives a per-line diff with retro corrections."""

from __future__ import annotations

import pytest
from payroll_factories import MONTH, order, policy, tech

from fieldcrew.db import session_scope
from payroll.compute import compute_month
from payroll.domain import PayInputs
from payroll.store import (
    PayrollPayslipRow,
    diff_payslips,
    diff_versions,
    get_payslip,
    list_runs,
    payslips_of_technician,
    save_policy,
    save_run,
    stored_policies,
)
from vocabulary.errors import Conflict, NotFound


def _slips(n_orders: int, tech_ids: tuple[str, ...] = ("t1", "t2")):
    pol = policy(base_workload_minutes=60)
    techs = tuple(tech(t) for t in tech_ids)
    orders = tuple(
        order(f"{t}-{i}", f"2026-03-{2 + i:02d} 10:00", tech_id=t) for t in tech_ids for i in range(n_orders)
    )
    return pol, compute_month(PayInputs(MONTH, techs, orders), pol)


def test_rerun_creates_a_new_version_with_a_per_line_diff(any_db_url: str) -> None:
    """v1 with 3 orders each, v2 with 5 for t1 only changed: +2 × 25.00 for t1, t2 unchanged."""
    pol, v1 = _slips(3)
    _, more = _slips(5, ("t1",))
    v2 = [more[0], v1[1]]
    with session_scope(any_db_url) as session:
        save_policy(session, pol, "hr1")
        first = save_run(session, MONTH, v1, pol, "hr1", "d1")
        second = save_run(session, MONTH, v2, pol, "hr1", "d2")
    assert (first["version"], second["version"]) == (1, 2)
    assert second["diff_to_previous"] == {
        "changed_technicians": 1,
        "to_pay_fen": 5000,
        "to_recover_fen": 0,
        "waived_fen": 0,
    }
    with session_scope(any_db_url) as session:
        diff = diff_versions(session, MONTH, 1, 2)
        (changed,) = diff["technicians"]
        assert changed["technician_id"] == "t1" and changed["correction_fen"] == 5000
        money = [li for li in changed["lines"] if li["delta_fen"]]
        assert [(li["key"], li["delta_fen"]) for li in money] == [("piece_pay:repair:1:normal", 5000)]
        # zero-amount lines whose explanation changed are listed too (base workload: minutes done)
        assert "base_workload" in {li["key"] for li in changed["lines"]}
        back = diff_versions(session, MONTH, 2, 1)
        assert back["totals"]["to_recover_fen"] == 5000  # a negative retro correction is recovered
        assert [r["version"] for r in list_runs(session, MONTH)] == [2, 1]
        slip = get_payslip(session, first["id"], "t1")
        assert slip["total_fen"] == v1[0].total_fen
        assert [p["version"] for p in payslips_of_technician(session, "t1")] == [2, 1]
        assert stored_policies(session)[0].version == pol.version


def test_negative_corrections_waived_when_policy_says_so() -> None:
    _, v1 = _slips(5)
    _, v2 = _slips(3)
    diff = diff_payslips(v1, v2, retro=policy(retro="waive").retro)
    assert diff["totals"]["waived_fen"] == 2 * 5000 and diff["totals"]["to_recover_fen"] == 0


def test_runs_and_payslips_are_immutable(db_url: str) -> None:
    pol, v1 = _slips(1)
    with session_scope(db_url) as session:
        save_run(session, MONTH, v1, pol, "hr1", "d1")
    with pytest.raises(Conflict), session_scope(db_url) as session:
        row = session.query(PayrollPayslipRow).first()
        assert row is not None
        row.total_fen = 1
        session.flush()
    with pytest.raises(Conflict), session_scope(db_url) as session:
        save_policy(session, pol, "hr1")
        save_policy(session, pol, "hr1")


def test_missing_run_or_payslip_is_not_found(db_url: str) -> None:
    with session_scope(db_url) as session, pytest.raises(NotFound):
        get_payslip(session, "nope", "t1")
    with session_scope(db_url) as session, pytest.raises(NotFound):
        diff_versions(session, MONTH, 1, 2)
