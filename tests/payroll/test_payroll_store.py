"""Runs are immutable versions; re-running a month gives a per-line diff with retro corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from payroll_factories import MONTH, WITHHOLDING, order, policy, tech

from fieldcrew.db import session_scope
from payroll.compute import compute_month
from payroll.domain import PayInputs, PayTechnician
from payroll.errors import RunStatusConflict, SameApprover
from payroll.store import (
    PayrollPayslipRow,
    PayrollRunEventRow,
    advance_run,
    diff_payslips,
    diff_versions,
    get_payslip,
    list_runs,
    payslips_of_technician,
    save_policy,
    save_run,
    stored_policies,
    year_to_date,
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


def test_hr_process_draft_approved_locked_released(db_url: str) -> None:
    """A run is a draft; a second HR user approves; then lock and release; no step skipped or repeated."""
    pol, v1 = _slips(1)
    with session_scope(db_url) as session:
        run = save_run(session, MONTH, v1, pol, "hr1", "d1")
        assert run["status"] == "draft"
        with pytest.raises(RunStatusConflict):
            advance_run(session, run["id"], "locked", "hr1")
        with pytest.raises(SameApprover):
            advance_run(session, run["id"], "approved", "hr1")
        assert advance_run(session, run["id"], "approved", "hr2")["status"] == "approved"
        assert advance_run(session, run["id"], "locked", "hr1")["status"] == "locked"
        with pytest.raises(RunStatusConflict):
            advance_run(session, run["id"], "approved", "hr2")
        with pytest.raises(NotFound):
            get_payslip(session, run["id"], "t1", released_only=True)
        assert payslips_of_technician(session, "t1", released_only=True) == []
        released = advance_run(session, run["id"], "released", "hr1")
        assert [s["status"] for s in released["history"]] == ["draft", "approved", "locked", "released"]
        assert get_payslip(session, run["id"], "t1", released_only=True)["total_fen"] == v1[0].total_fen
        with pytest.raises(NotFound):
            advance_run(session, "nope", "approved", "hr2")


def test_steps_are_immutable(db_url: str) -> None:
    """A step of the process cannot be edited or deleted: the history is the audit trail."""
    pol, v1 = _slips(1)
    with session_scope(db_url) as session:
        save_run(session, MONTH, v1, pol, "hr1", "d1")
    with pytest.raises(Conflict), session_scope(db_url) as session:
        row = session.query(PayrollRunEventRow).first()
        assert row is not None
        row.status = "released"
        session.flush()


def test_year_to_date_is_read_back_from_the_locked_runs_of_the_year(db_url: str) -> None:
    """January and February locked, March a draft: April's year to date is February's cumulative figures;
    a newer draft version of February does not count, March is named as missing."""
    pol = policy(withholding=WITHHOLDING, post_wages={"T1": "2200.00", "X": "12000.00"})
    staff = (PayTechnician("t1", "X", dt.date(2020, 1, 1)),)
    with session_scope(db_url) as session:
        ytd: tuple = ()
        for month in ("2026-01", "2026-02", "2026-03"):
            slips = compute_month(PayInputs(month, staff, year_to_date=ytd), pol)
            run = save_run(session, month, slips, pol, "hr1", month)
            if month != "2026-03":
                advance_run(session, run["id"], "approved", "hr2")
                advance_run(session, run["id"], "locked", "hr1")
                ytd, notes = year_to_date(session, f"2026-{int(month[-2:]) + 1:02d}")
        # a newer draft of February with other figures is not final: not read
        save_run(session, "2026-02", compute_month(PayInputs("2026-02", staff), pol), pol, "hr1", "x")
        ytd, notes = year_to_date(session, "2026-04")
    (record,) = ytd
    # 12,000.00 a month at the floors: contributions 447.30 + 103.00 = 550.30;
    # February cumulative: taxable 24,000 − 10,000 − 1,100.60 = 12,899.40 → 3 % = 386.98
    assert (record.months, record.income_fen, record.contributions_fen, record.tax_fen) == (
        2,
        2400000,
        110060,
        38698,
    )
    assert notes == ["2026-03: no locked or released run; its pay is not in the year to date of income tax"]


def test_payroll_migrations_match_the_models(db_url: str) -> None:
    """The payroll branch of the migrations creates exactly the columns and types payroll.store declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from fieldcrew.db import Base

    ours = {
        "payroll_policies",
        "payroll_runs",
        "payroll_payslips",
        "payroll_run_events",
        "payroll_technicians",
    }

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ == "table":
            return name in ours
        table = getattr(obj, "table", None)
        return table is None or table.name in ours

    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
