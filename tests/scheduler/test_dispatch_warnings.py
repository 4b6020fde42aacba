"""Warnings on the board: first-response clock, timeout (deadline) warnings, escalations, unservable."""

from __future__ import annotations

from scheduler.dispatch.domain import DayPlan, WarningKind
from scheduler.dispatch.engine import SolveParams, plan_day
from scheduler.dispatch.synthetic import make_input, make_order, make_tech
from vocabulary.orders import CustomerGrade

FAST = SolveParams(time_limit_s=0.2)


def kinds(plan: DayPlan, oid: str) -> dict[WarningKind, str]:
    return {w.kind: w.message for w in plan.warnings if w.order_id == oid}


def test_first_response_clock() -> None:
    """At 08:00: an unassigned order created 07:50 is due in 20 min; one created 07:00 is 30 min
    overdue; one planned now but created 07:00 is a late response; one created later is not yet on
    the clock."""
    techs = [make_tech("T1", end="10:00")]
    orders = [
        make_order("DUE", created="07:50", duration=600),
        make_order("OVER", created="07:00", duration=600),
        make_order("LATE", created="07:00"),
        make_order("FUTURE", created="08:30", duration=20),
    ]
    plan = plan_day(make_input(techs, orders), FAST)
    assert (
        kinds(plan, "DUE")[WarningKind.FIRST_RESPONSE]
        == "first response due in 20 min; no technician assigned"
    )
    assert kinds(plan, "OVER")[WarningKind.FIRST_RESPONSE].startswith("first response overdue by 30 min")
    assert kinds(plan, "LATE")[WarningKind.FIRST_RESPONSE] == "first response 30 min late"
    assert WarningKind.FIRST_RESPONSE not in kinds(plan, "FUTURE")


def test_deadline_warnings_and_escalations() -> None:
    """A VIP finishing 4 min late is a deadline miss and escalated; a gold order that cannot be
    served is unservable and escalated; an order finishing 56 min before its deadline is 'near'."""
    techs = [make_tech("T1")]
    orders = [
        make_order("V", grade=CustomerGrade.VIP, deadline="09:00"),
        make_order("G", grade=CustomerGrade.GOLD, duration=700),
        make_order("N", x_km=1.0, deadline="11:00", duration=60),
    ]
    plan = plan_day(make_input(techs, orders), FAST)
    stops = {s.order_id: s for r in plan.routes for s in r.stops}
    assert stops["V"].late_min > 0
    v = kinds(plan, "V")
    assert WarningKind.DEADLINE_MISS in v and WarningKind.ESCALATION in v
    g = kinds(plan, "G")
    assert WarningKind.UNSERVABLE in g and WarningKind.ESCALATION in g
    slack = (stops["N"].deadline - stops["N"].end).total_seconds() / 60
    assert (WarningKind.DEADLINE_NEAR in kinds(plan, "N")) == (0 <= slack < 60)


def test_overdue_open_order_is_escalated() -> None:
    """An order whose deadline already passed is on the escalation list with how long ago."""
    plan = plan_day(make_input([make_tech("T1")], [make_order("O", created="06:00", deadline="07:30")]), FAST)
    assert kinds(plan, "O")[WarningKind.ESCALATION] == "overdue: deadline passed 30 min ago"
