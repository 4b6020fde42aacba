"""Hand-derived cases in ``tests/payroll/data/cases/*.toml``: each states its inputs, its expected
figures and, in comments, how they were derived by hand (a calculator and the cited rule suffice).

A case file holds:

* ``month``, ``rule`` (what it is about), ``kind`` = ``feasible`` | ``infeasible`` | ``exact``;
* ``[policy]``: overrides of the shipped China policy (see ``payroll_factories.policy``: post grades
  ``H`` 2,175.00, ``L`` 1,500.00, ``W`` 4,350.00; nothing withheld unless ``withholding`` is given);
* ``technicians``, ``orders``, ``attendance`` (``days`` = days of the month sharing the other fields),
  ``losses``, ``grades``, ``year_to_date``, ``additional_deductions`` — all optional but ``technicians``;
* ``[[expect.lines]]``: ``key`` (and ``technician_id``, default the first) with any of ``quantity``,
  ``rate``, ``multiplier`` (exact decimal strings), ``amount_fen``, ``absent = true``; ``sources`` (a
  subset that must match);
* ``[[expect.summary]]``: ``technician_id`` (optional) and the summary fields that must match;
* ``[[expect.problems]]``: for infeasible cases, the problems that must be reported (``file``,
  ``row``, ``field``, and a fragment ``rule_has`` of the rule's wording).

Every feasible case is computed on both paths (the month-wide fast path and the reference rules),
which must agree to the byte, and every payslip must pass the independent check.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from payroll_factories import policy

from payroll.compute import compute_month
from payroll.domain import (
    AdditionalDeduction,
    AttendanceDay,
    DayStatus,
    LossDeduction,
    PayInputs,
    PayOrder,
    Payslip,
    PayTechnician,
    QualityRecord,
    TimeOffLot,
    YearToDate,
)
from payroll.errors import PayInputError
from payroll.validate import check_payslip
from vocabulary.calendar import month_bounds
from vocabulary.orders import OrderType

CASES = sorted((Path(__file__).parent / "data" / "cases").glob("*.toml"))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def inputs_of(case: dict[str, Any]) -> PayInputs:
    """The month's inputs as the case states them."""
    month = case["month"]
    first, _ = month_bounds(month)
    technicians = tuple(
        PayTechnician(
            t.get("id", "t1"),
            t.get("post_grade", "H"),
            _date(t.get("start_date", "2020-01-01")),
            _date(t["end_date"]) if "end_date" in t else None,
            t.get("name", ""),
            Decimal(t["previous_year_average_wage"]) if "previous_year_average_wage" in t else None,
            t.get("bank_account", ""),
            t.get("outdoor", True),
        )
        for t in case["technicians"]
    )
    orders = tuple(
        PayOrder(
            o["id"],
            o.get("technician_id", "t1"),
            OrderType(o.get("type", "repair")),
            o.get("difficulty", 1),
            dt.datetime.fromisoformat(o["at"]),
            o.get("minutes", 60),
            repeat_fault_within_days=o.get("repeat_fault_within_days"),
            repeat_of=o.get("repeat_of"),
            complaint=o.get("complaint", False),
            praise=o.get("praise", False),
            appointment_kept=o.get("appointment_kept"),
        )
        for o in case.get("orders", [])
    )
    lots = tuple(
        TimeOffLot(lot.get("technician_id", "t1"), lot["earned_month"], lot["minutes"])
        for lot in case.get("time_off_balance", [])
    )
    attendance = tuple(
        AttendanceDay(
            a.get("technician_id", "t1"),
            first.replace(day=dom),
            DayStatus(a.get("status", "work")),
            a.get("minutes", 0),
            a.get("comp_time_off", False),
        )
        for a in case.get("attendance", [])
        for dom in a["days"]
    )
    losses = tuple(
        LossDeduction(x.get("technician_id", "t1"), Decimal(x["amount"]), x.get("reason", "loss"))
        for x in case.get("losses", [])
    )
    grades = tuple(QualityRecord(g.get("technician_id", "t1"), g["grade"]) for g in case.get("grades", []))
    year_to_date = tuple(
        YearToDate(
            y.get("technician_id", "t1"),
            y["months"],
            y["income_fen"],
            y["contributions_fen"],
            y["additional_deductions_fen"],
            y["tax_fen"],
        )
        for y in case.get("year_to_date", [])
    )
    additional = tuple(
        AdditionalDeduction(d.get("technician_id", "t1"), d["kind"], Decimal(d["monthly_amount"]))
        for d in case.get("additional_deductions", [])
    )
    return PayInputs(
        month,
        technicians,
        orders,
        attendance,
        grades,
        losses,
        year_to_date=year_to_date,
        additional_deductions=additional,
        time_off_balance=lots,
    )


def _slip(slips: list[Payslip], tech_id: str) -> Payslip:
    (slip,) = [s for s in slips if s.technician_id == tech_id]
    return slip


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_hand_derived_case(path: Path) -> None:
    """The figures derived by hand in the case file's comments, on both paths, byte for byte."""
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    assert case.get("kind") in ("feasible", "infeasible", "exact"), "state the kind of the case"
    pol = policy(**case.get("policy", {}))
    inputs = inputs_of(case)
    first_tech = inputs.technicians[0].id
    expect = case["expect"]
    if case["kind"] == "infeasible":
        for vectorised in (True, False):
            with pytest.raises(PayInputError) as raised:
                compute_month(inputs, pol, vectorised=vectorised)
            found = raised.value.problems
            for wanted in expect["problems"]:
                assert any(
                    p.file == wanted.get("file", p.file)
                    and p.row == wanted.get("row", p.row)
                    and p.field == wanted["field"]
                    and wanted["rule_has"] in p.rule
                    for p in found
                ), (wanted, found)
        return
    fast = compute_month(inputs, pol)
    reference = compute_month(inputs, pol, vectorised=False)
    assert json.dumps([p.to_dict() for p in fast]) == json.dumps([p.to_dict() for p in reference])
    for slip in fast:
        assert check_payslip(slip) == [], slip.technician_id
    for wanted in expect.get("lines", []):
        slip = _slip(fast, wanted.get("technician_id", first_tech))
        found = [li for li in slip.lines + slip.employer_lines if li.key == wanted["key"]]
        if wanted.get("absent"):
            assert not found, (wanted["key"], found)
            continue
        assert len(found) == 1, (wanted["key"], [li.key for li in slip.lines])
        line = found[0]
        for name in ("quantity", "rate", "coefficient", "multiplier"):
            if name in wanted:
                assert getattr(line, name) == Decimal(wanted[name]), (
                    wanted["key"],
                    name,
                    getattr(line, name),
                )
        if "amount_fen" in wanted:
            assert line.amount_fen == wanted["amount_fen"], (wanted["key"], line.amount_fen)
        for name, value in wanted.get("sources", {}).items():
            assert line.sources.get(name) == value, (wanted["key"], name, line.sources.get(name))
    for wanted in expect.get("summary", []):
        slip = _slip(fast, wanted.get("technician_id", first_tech))
        for name, value in wanted.items():
            if name != "technician_id":
                assert slip.summary.get(name) == value, (name, slip.summary.get(name))
    if "total_fen" in expect:
        assert _slip(fast, first_tech).total_fen == expect["total_fen"]
