"""Tiny hand-built payroll fixtures: a policy with overrides, technicians, orders, attendance."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from typing import Any

from payroll.compute import compute_month
from payroll.domain import (
    AttendanceDay,
    DayStatus,
    LossDeduction,
    PayInputs,
    PayLine,
    PayOrder,
    Payslip,
    PayTechnician,
    QualityRecord,
)
from payroll.policy import PayPolicy, default_policy_path, parse_policies
from vocabulary.orders import OrderType

MONTH = "2026-03"  # 22 working days, no public holiday; Saturdays 7, 14, 21, 28


def policy_data(**overrides: Any) -> dict[str, Any]:
    """The shipped China example policy as a dict, with top-level keys replaced."""
    data = tomllib.loads(default_policy_path().read_text(encoding="utf-8"))["policies"][0]
    data.update(overrides)
    return data


#: nothing withheld: the rules before take-home pay are tested on their own (the take-home tests
#: turn withholding on with :data:`WITHHOLDING`)
NO_WITHHOLDING = {"social_insurance": False, "housing_fund": False, "income_tax": False}
WITHHOLDING = {"social_insurance": True, "housing_fund": True, "income_tax": True}


def policy(**overrides: Any) -> PayPolicy:
    """A validated policy: the shipped example with ``overrides``; post grade ``H`` earns 2175.00
    (hourly base exactly 12.50), ``L`` earns 1500.00 and ``W`` 4350.00 (daily wage exactly 200.00);
    the minimum wage is the city's statutory one (Hefei: 2060.00) unless given; nothing is withheld
    unless ``withholding`` is given."""
    data = policy_data(**{"withholding": NO_WITHHOLDING, **overrides})
    data["post_wages"] = {**data["post_wages"], "H": "2175.00", "L": "1500.00", "W": "4350.00"}
    return parse_policies(data, "test")[0]


def tech(
    tech_id: str = "t1", grade: str = "H", start: dt.date = dt.date(2020, 1, 1), end: dt.date | None = None
) -> PayTechnician:
    return PayTechnician(tech_id, grade, start, end)


def order(
    order_id: str,
    at: str,
    *,
    tech_id: str = "t1",
    kind: OrderType = OrderType.REPAIR,
    difficulty: int = 1,
    minutes: int | None = 60,
    **outcome: Any,
) -> PayOrder:
    return PayOrder(order_id, tech_id, kind, difficulty, dt.datetime.fromisoformat(at), minutes, **outcome)


def day(
    date: str, minutes: int, *, tech_id: str = "t1", status: DayStatus = DayStatus.WORK, comp: bool = False
) -> AttendanceDay:
    return AttendanceDay(tech_id, dt.date.fromisoformat(date), status, minutes, comp)


def grade(tech_id: str, letter: str) -> QualityRecord:
    return QualityRecord(tech_id, letter)


def loss(amount: str, tech_id: str = "t1") -> LossDeduction:
    return LossDeduction(tech_id, Decimal(amount), "lost meter", "L-1")


def payslip(
    pol: PayPolicy,
    *,
    month: str = MONTH,
    technicians: tuple[PayTechnician, ...] | None = None,
    orders: tuple[PayOrder, ...] = (),
    attendance: tuple[AttendanceDay, ...] = (),
    quality: tuple[QualityRecord, ...] = (),
    losses: tuple[LossDeduction, ...] = (),
) -> Payslip:
    """The payslip of the first technician (``t1`` by default)."""
    techs = technicians or (tech(),)
    slips = compute_month(PayInputs(month, techs, orders, attendance, quality, losses), pol)
    return slips[0]


def lines(slip: Payslip, rule: str) -> list[PayLine]:
    return [li for li in slip.lines if li.rule == rule]


def amount(slip: Payslip, rule: str) -> int:
    return sum(li.amount_fen for li in lines(slip, rule))


def seed_branch_rows(session: Any, technician_ids: tuple[str, ...] = ("T-001",)) -> None:
    """Branch B1 / district D1 / group G1 / urban area A1 and technicians (post grade T2) in the database."""
    from fieldcrew import tables as t

    session.add(t.BranchRow(id="B1", name="Branch"))
    session.add(t.DistrictRow(id="D1", branch_id="B1", name="District"))
    session.add(t.RegionGroupRow(id="G1", branch_id="B1", district_id="D1", name="Group"))
    session.add(
        t.SmallAreaRow(id="A1", region_group_id="G1", name="Area", area_type="urban", lat=30.0, lon=120.0)
    )
    session.flush()
    for tech_id in technician_ids:
        session.add(
            t.TechnicianRow(
                id=tech_id,
                name=tech_id,
                branch_id="B1",
                region_group_id="G1",
                post_grade="T2",
                start_date=dt.date(2020, 1, 1),
                skills=["broadband"],
            )
        )
    session.flush()


def add_completed_order(
    session: Any, order_id: str, tech_id: str, created: dt.datetime, order_type: str = "repair", **kw: Any
) -> None:
    """A difficulty-1 order in area A1, dispatched, started and completed 2 h after ``created``."""
    from fieldcrew import tables as t

    session.add(
        t.WorkOrderRow(
            id=order_id,
            order_type=order_type,
            difficulty=1,
            area_id="A1",
            lat=30.0,
            lon=120.0,
            customer_grade="ordinary",
            created=created,
            deadline=created + dt.timedelta(hours=24),
            status="completed",
            technician_id=tech_id,
            **kw,
        )
    )
    session.flush()
    for status, hours in (("dispatched", 0.2), ("started", 1), ("completed", 2)):
        session.add(
            t.OrderEventRow(
                order_id=order_id,
                status=status,
                at=created + dt.timedelta(hours=hours),
                technician_id=tech_id,
            )
        )
