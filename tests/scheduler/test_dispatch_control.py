"""Process control: each rule feasible / infeasible / exact on hand-derived times, invariants under
random inputs (hypothesis), and the store (tables, migration, tick, reviews, escalations).

Boundary rule of every clock (``scheduler.dispatch.control``): a duty due at instant ``d`` is met by
an act at or before ``d`` and breached only when ``now > d``, to the second — "within 30 minutes"
includes the 30th minute, and the quality KPIs count a response at exactly the due instant as on
time, so the live control and the monthly figure agree. An order created 10:00:00 with no response
is "due" at 10:30:00 and breached from 10:30:01.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from factories import CENTRE, seed_org, store_order, work_order
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from fieldcrew import audit
from fieldcrew.db import Base, session_scope
from fieldcrew.tables import OrderEventRow, WorkOrderRow
from scheduler.dispatch import control_store as cs
from scheduler.dispatch.control import (
    AlreadyDecided,
    ControlInput,
    ControlPolicy,
    Decision,
    Escalation,
    EscalationClosed,
    Flag,
    FlagKind,
    Level,
    PastRepair,
    Reminder,
    Review,
    ReviewKind,
    Trigger,
    UnknownControlRecord,
    WarningCode,
    apply,
    appointment_warnings,
    effective_deadline,
    evaluate,
    first_response_warnings,
    level_ups,
    major_fault_onsets,
    new_escalations,
    overdue_onsets,
    reminder_onsets,
    repeat_fault_onsets,
    review_warnings,
    span,
    timeout_warnings,
    vip_onsets,
)
from vocabulary.errors import Conflict, InputErrors
from vocabulary.orders import CustomerGrade, OrderStatus, OrderType, StatusEvent, TimeWindow, WorkOrder
from vocabulary.organisation import Location

POLICY = ControlPolicy()
#: 2026-06-01 10:00:00, a Monday morning
T = dt.datetime(2026, 6, 1, 10, 0)


def at(hhmmss: str, day: int = 1) -> dt.datetime:
    """A time on June ``day`` 2026."""
    h, m, *s = (int(x) for x in hhmmss.split(":"))
    return dt.datetime(2026, 6, day, h, m, s[0] if s else 0)


def order(oid: str = "O1", *steps: tuple[OrderStatus, dt.datetime], **kw: Any) -> WorkOrder:
    """A repair order created 10:00 (deadline 24 h later) moved through ``steps``."""
    history = tuple(StatusEvent(status=s, at=t, technician_id="T-001") for s, t in steps)
    status = steps[-1][0] if steps else OrderStatus.CREATED
    tech = "T-001" if steps and status != OrderStatus.CREATED else None
    return work_order(
        oid, created=kw.pop("created", T), history=history, status=status, technician_id=tech, **kw
    )


def inp(now: dt.datetime, orders: Sequence[WorkOrder], **kw: Any) -> ControlInput:
    return ControlInput(now=now, orders=tuple(orders), **kw)


def codes(ws: Sequence[Any]) -> list[str]:
    return [w.code.value for w in ws]


def problem_fields(exc: pytest.ExceptionInfo[InputErrors]) -> dict[str, str]:
    return {p.field: p.rule for p in exc.value.problems}


def review(oid: str, kind: ReviewKind, requested: dt.datetime, **kw: Any) -> Review:
    minutes = POLICY.review_answer_min[kind]
    data: dict[str, Any] = {
        "id": kw.pop("id", 1),
        "order_id": oid,
        "kind": kind,
        "requested_by": "tech1",
        "requested_at": requested,
        "reason": "customer not at home",
        "deadline": requested + dt.timedelta(minutes=minutes),
    }
    return Review(**(data | kw))


def escalation(trigger: Trigger, opened: dt.datetime, **kw: Any) -> Escalation:
    data: dict[str, Any] = {
        "id": 1,
        "trigger": trigger,
        "subject": "order:O1",
        "order_id": "O1",
        "area_id": "A1",
        "owner": POLICY.ladders[trigger][0].owner,
        "since": opened,
        "opened_at": opened,
        "level_since": opened,
        "reason": "test",
    }
    return Escalation(**(data | kw))


# ------------------------------------------------------------------------------------------------
# first response
# ------------------------------------------------------------------------------------------------


def test_first_response_exact_boundary() -> None:
    """Created 10:00:00, nothing happened: quiet until 10:19:59, due from 10:20:00 (10-minute lead),
    still due at exactly 10:30:00, breached at 10:30:01 (overdue by 1 s)."""
    o = order()
    assert first_response_warnings(inp(at("10:19:59"), [o]), POLICY) == []
    due = first_response_warnings(inp(at("10:20:00"), [o]), POLICY)
    assert codes(due) == ["first_response_due"]
    assert due[0].since == at("10:20:00") and due[0].due_at == at("10:30:00")
    assert due[0].reason == "first response due in 10 min (at 2026-06-01 10:30:00); no technician named yet"
    assert codes(first_response_warnings(inp(at("10:30:00"), [o]), POLICY)) == ["first_response_due"]
    late = first_response_warnings(inp(at("10:30:01"), [o]), POLICY)
    assert codes(late) == ["first_response_breached"]
    assert late[0].since == at("10:30:00")
    assert late[0].reason == (
        "no first response 30 min after the order came in at 2026-06-01 10:00:00: overdue by 1 s "
        "(due 2026-06-01 10:30:00)"
    )


def test_first_response_feasible_answered_orders_are_quiet() -> None:
    """Dispatched at exactly 10:30:00 (in time) or cancelled: no first-response warning, whenever."""
    answered = order("O1", (OrderStatus.DISPATCHED, at("10:30:00")))
    cancelled = order("O2", (OrderStatus.CANCELLED, at("10:05:00")))
    assert first_response_warnings(inp(at("12:00"), [answered, cancelled]), POLICY) == []


def test_first_response_infeasible_order_from_the_future() -> None:
    """An order created after the evaluation time is a contradiction, named by field and rule."""
    with pytest.raises(InputErrors) as exc:
        first_response_warnings(inp(at("10:30"), [order(created=at("10:40"))]), POLICY)
    assert "created <= now" in problem_fields(exc)["orders[0].created"]


# ------------------------------------------------------------------------------------------------
# timeout warnings
# ------------------------------------------------------------------------------------------------


def vip_repair() -> WorkOrder:
    """A VIP repair created 10:00 with the 4-hour deadline (14:00), dispatched 10:10."""
    return order(
        "V1", (OrderStatus.DISPATCHED, at("10:10")), customer_grade=CustomerGrade.VIP, deadline=at("14:00")
    )


def test_timeout_exact_boundary_vip() -> None:
    """VIP lead 60 min: quiet at 12:59:59, deadline_near from 13:00:00 (due 14:00), still near at
    14:00:00, overdue at 14:00:01."""
    o = vip_repair()
    assert timeout_warnings(inp(at("12:59:59"), [o]), POLICY) == []
    near = timeout_warnings(inp(at("13:00:00"), [o]), POLICY)
    assert codes(near) == ["deadline_near"] and near[0].since == at("13:00") and near[0].due_at == at("14:00")
    assert (
        near[0].reason
        == "vip repair order due in 1 h 00 min (deadline 2026-06-01 14:00:00), status dispatched"
    )
    assert codes(timeout_warnings(inp(at("14:00:00"), [o]), POLICY)) == ["deadline_near"]
    over = timeout_warnings(inp(at("14:00:01"), [o]), POLICY)
    assert codes(over) == ["overdue"] and over[0].reason.startswith("vip repair order overdue by 1 s")


def test_timeout_feasible_grade_leads() -> None:
    """Gold leads by 120 min and ordinary by 240: each is near exactly from deadline − lead."""
    gold = order("G1", customer_grade=CustomerGrade.GOLD, deadline=at("22:00"))
    plain = order("P1", deadline=at("22:00"))
    got = timeout_warnings(inp(at("19:59:59"), [gold, plain]), POLICY)
    assert [(w.order_id, w.since) for w in got] == [("P1", at("18:00"))]
    got = timeout_warnings(inp(at("20:00:00"), [gold, plain]), POLICY)
    assert sorted((w.order_id, w.since) for w in got) == [("G1", at("20:00")), ("P1", at("18:00"))]


def test_timeout_approved_suspension_pauses_and_extends() -> None:
    """Suspended 11:00, review asked 11:05 and approved 11:10: while suspended nothing warns (at
    16:00, past the 14:00 deadline); resumed at 12:00 the deadline moves by the 1 h suspended to
    15:00, so 15:00:00 is near and 15:00:01 overdue."""
    steps = [
        (OrderStatus.DISPATCHED, at("10:10")),
        (OrderStatus.STARTED, at("10:30")),
        (OrderStatus.SUSPENDED, at("11:00")),
    ]
    approved = review(
        "V1",
        ReviewKind.SUSPEND,
        at("11:05"),
        decision=Decision.APPROVE,
        decided_by="disp",
        decided_at=at("11:10"),
    )
    suspended = order("V1", *steps, customer_grade=CustomerGrade.VIP, deadline=at("14:00"))
    assert timeout_warnings(inp(at("16:00"), [suspended], reviews=(approved,)), POLICY) == []
    resumed = order(
        "V1",
        *steps,
        (OrderStatus.STARTED, at("12:00")),
        customer_grade=CustomerGrade.VIP,
        deadline=at("14:00"),
    )
    assert effective_deadline(resumed, [approved], at("15:00")) == at("15:00")
    assert codes(timeout_warnings(inp(at("15:00:00"), [resumed], reviews=(approved,)), POLICY)) == [
        "deadline_near"
    ]
    over = timeout_warnings(inp(at("15:00:01"), [resumed], reviews=(approved,)), POLICY)
    assert codes(over) == ["overdue"] and "moved from 2026-06-01 14:00:00" in over[0].reason
    pending = approved.model_copy(update={"decision": None, "decided_by": None, "decided_at": None})
    assert codes(timeout_warnings(inp(at("14:00:01"), [suspended], reviews=(pending,)), POLICY)) == [
        "overdue"
    ]


def test_timeout_approved_reschedule_moves_deadline() -> None:
    """An approved reschedule to 2 June 09:00–11:00 moves the 1 June 14:00 deadline to 2 June 11:00."""
    o = vip_repair()
    moved = review(
        "V1",
        ReviewKind.RESCHEDULE,
        at("11:00"),
        proposed=TimeWindow(start=at("09:00", 2), end=at("11:00", 2)),
        decision=Decision.APPROVE,
        decided_by="disp",
        decided_at=at("11:05"),
    )
    assert effective_deadline(o, [moved], at("12:00")) == at("11:00", 2)
    assert timeout_warnings(inp(at("14:00:01"), [o], reviews=(moved,)), POLICY) == []


def test_timeout_infeasible_aware_time() -> None:
    """A timezone-aware ``now`` is refused: control times are local naive (Asia/Shanghai)."""
    with pytest.raises(InputErrors) as exc:
        timeout_warnings(inp(at("12:00").replace(tzinfo=dt.UTC), [vip_repair()]), POLICY)
    assert "local naive" in problem_fields(exc)["now"]


# ------------------------------------------------------------------------------------------------
# appointments
# ------------------------------------------------------------------------------------------------


def booked(status_steps: Sequence[tuple[OrderStatus, dt.datetime]] = ()) -> WorkOrder:
    return order(
        "B1",
        *status_steps,
        appointment=TimeWindow(start=at("14:00"), end=at("16:00")),
        order_type=OrderType.INSTALL,
        deadline=at("10:00", 4),
    )


def test_appointment_exact_boundary() -> None:
    """Window 14:00–16:00, lead 30: quiet at 15:29:59, at risk from 15:30:00 and still at 16:00:00,
    missed at 16:00:01."""
    o = booked([(OrderStatus.DISPATCHED, at("10:05"))])
    assert appointment_warnings(inp(at("15:29:59"), [o]), POLICY) == []
    risk = appointment_warnings(inp(at("15:30:00"), [o]), POLICY)
    assert (
        codes(risk) == ["appointment_at_risk"]
        and risk[0].since == at("15:30")
        and risk[0].due_at == at("16:00")
    )
    assert codes(appointment_warnings(inp(at("16:00:00"), [o]), POLICY)) == ["appointment_at_risk"]
    missed = appointment_warnings(inp(at("16:00:01"), [o]), POLICY)
    assert codes(missed) == ["appointment_missed"]
    assert missed[0].reason == (
        "appointment 2026-06-01 14:00:00–16:00:00 missed 1 s ago: no visit begun; agree a new one"
    )


def test_appointment_feasible_visit_begun() -> None:
    """A visit begun (started, or suspended after starting) is no longer waiting for its window."""
    started = booked([(OrderStatus.DISPATCHED, at("10:05")), (OrderStatus.STARTED, at("15:59"))])
    assert appointment_warnings(inp(at("17:00"), [started]), POLICY) == []


def test_appointment_infeasible_duplicate_orders() -> None:
    """The same order twice is a contradiction named by its index."""
    with pytest.raises(InputErrors) as exc:
        appointment_warnings(inp(at("15:00"), [booked(), booked()]), POLICY)
    assert problem_fields(exc) == {"orders[1].id": "each order is given once"}


# ------------------------------------------------------------------------------------------------
# reviews
# ------------------------------------------------------------------------------------------------


def suspended_order(*more: tuple[OrderStatus, dt.datetime]) -> WorkOrder:
    return order(
        "S1",
        (OrderStatus.DISPATCHED, at("10:10")),
        (OrderStatus.STARTED, at("10:30")),
        (OrderStatus.SUSPENDED, at("11:00")),
        *more,
    )


def test_review_pending_exact_boundary() -> None:
    """A suspension review asked 11:05 is due 30 min later: pending at 11:35:00, overdue at 11:35:01."""
    rv = review("S1", ReviewKind.SUSPEND, at("11:05"))
    pending = review_warnings(inp(at("11:35:00"), [suspended_order()], reviews=(rv,)), POLICY)
    assert (
        codes(pending) == ["review_pending"]
        and pending[0].due_at == at("11:35")
        and pending[0].review_id == 1
    )
    over = review_warnings(inp(at("11:35:01"), [suspended_order()], reviews=(rv,)), POLICY)
    assert codes(over) == ["review_overdue"] and over[0].since == at("11:35")
    assert over[0].reason == (
        "suspension review asked by tech1 at 2026-06-01 11:05:00 unanswered 1 s past its deadline "
        "2026-06-01 11:35:00: customer not at home"
    )


def test_review_sent_back_until_the_technician_acts() -> None:
    """Sent back 11:10 (act by 12:10): sent_back at 12:10:00, not acted at 12:10:01; resuming at
    11:30 (a status change after the decision) or asking again clears it."""
    rv = review(
        "S1",
        ReviewKind.SUSPEND,
        at("11:05"),
        decision=Decision.SEND_BACK,
        decided_by="disp",
        decided_at=at("11:10"),
        act_by=at("12:10"),
    )
    assert codes(review_warnings(inp(at("12:10:00"), [suspended_order()], reviews=(rv,)), POLICY)) == [
        "sent_back"
    ]
    late = review_warnings(inp(at("12:10:01"), [suspended_order()], reviews=(rv,)), POLICY)
    assert codes(late) == ["sent_back_not_acted"] and late[0].since == at("12:10")
    resumed = suspended_order((OrderStatus.STARTED, at("11:30")))
    assert review_warnings(inp(at("13:00"), [resumed], reviews=(rv,)), POLICY) == []
    again = review(
        "S1",
        ReviewKind.SUSPEND,
        at("11:20"),
        id=2,
        decision=Decision.APPROVE,
        decided_by="disp",
        decided_at=at("11:25"),
    )
    assert review_warnings(inp(at("13:00"), [suspended_order()], reviews=(rv, again)), POLICY) == []


def test_review_infeasible_decided_before_asked() -> None:
    """A decision before the request is refused, naming the field."""
    rv = review(
        "S1",
        ReviewKind.SUSPEND,
        at("11:05"),
        decision=Decision.APPROVE,
        decided_by="d",
        decided_at=at("11:00"),
    )
    with pytest.raises(InputErrors) as exc:
        review_warnings(inp(at("12:00"), [suspended_order()], reviews=(rv,)), POLICY)
    assert problem_fields(exc) == {"reviews[0].decided_at": "a review is decided after it was requested"}


# ------------------------------------------------------------------------------------------------
# escalation triggers
# ------------------------------------------------------------------------------------------------


def test_vip_onset_from_the_first_warning() -> None:
    """A VIP order not answered is escalated from its first warning (first response due at 10:20);
    the same ordinary order is not."""
    vip = order("V1", customer_grade=CustomerGrade.VIP, deadline=at("14:00"))
    plain = order("P1")
    got = vip_onsets(inp(at("10:20:00"), [vip, plain]), POLICY)
    assert [(o.subject, o.since) for o in got] == [("order:V1", at("10:20"))]
    assert got[0].reason.startswith("VIP customer: first_response_due: first response due in 10 min")
    assert vip_onsets(inp(at("10:19:59"), [vip, plain]), POLICY) == []


def test_vip_infeasible_review_of_unknown_order() -> None:
    """A record naming an order not given is refused."""
    with pytest.raises(InputErrors) as exc:
        vip_onsets(
            inp(at("11:00"), [order()], reviews=(review("NOPE", ReviewKind.SUSPEND, at("10:30")),)), POLICY
        )
    assert "reviews[0].order_id" in problem_fields(exc)


def test_overdue_onset_exact() -> None:
    """Overdue from the deadline on, strictly after it: 14:00:00 no, 14:00:01 yes, since 14:00."""
    o = vip_repair()
    assert overdue_onsets(inp(at("14:00:00"), [o]), POLICY) == []
    got = overdue_onsets(inp(at("14:00:01"), [o]), POLICY)
    assert [(x.trigger, x.subject, x.since) for x in got] == [(Trigger.OVERDUE, "order:V1", at("14:00"))]


def test_overdue_infeasible_escalation_opened_later() -> None:
    """An escalation opened after ``now`` is a contradiction."""
    e = escalation(Trigger.OVERDUE, at("15:00"), order_id="V1", subject="order:V1")
    with pytest.raises(InputErrors) as exc:
        overdue_onsets(inp(at("14:30"), [vip_repair()], escalations=(e,)), POLICY)
    assert "escalations[0].opened_at" in problem_fields(exc)


def past(oid: str, completed: dt.datetime, north_m: float = 0.0) -> PastRepair:
    return PastRepair(
        order_id=oid,
        area_id="A1",
        location=Location(lat=CENTRE.lat + north_m / 111_195.0, lon=CENTRE.lon),
        completed_at=completed,
    )


def test_repeat_fault_window_exact() -> None:
    """Created 1 June 10:00; a repair at the same address point completed 2 May 10:00:00 (exactly
    30 days before) makes it a repeat; one completed 2 May 09:59:59 (30 days and 1 s) does not;
    one 1 m away does not by default (0 m: the same point), and a 40 m one does with a 50 m policy
    where a 60 m one does not."""
    o = order()
    hit = repeat_fault_onsets(
        inp(at("10:05"), [o], past_repairs=(past("OLD", dt.datetime(2026, 5, 2, 10)),)), POLICY
    )
    assert [(x.subject, x.since, x.related) for x in hit] == [("order:O1", T, ("O1", "OLD"))]
    assert "30 d 0 h before this report" in hit[0].reason and "(0 m away)" in hit[0].reason
    miss = (
        past("OLD", dt.datetime(2026, 5, 2, 9, 59, 59)),
        past("FAR", dt.datetime(2026, 5, 30), north_m=60),
    )
    assert repeat_fault_onsets(inp(at("10:05"), [o], past_repairs=miss), POLICY) == []
    next_door = (past("NEXT", dt.datetime(2026, 5, 30), north_m=1),)
    assert repeat_fault_onsets(inp(at("10:05"), [o], past_repairs=next_door), POLICY) == []
    loose = ControlPolicy(same_place_m=50)
    near = (
        past("NEAR", dt.datetime(2026, 5, 30), north_m=40),
        past("FAR", dt.datetime(2026, 5, 31), north_m=60),
    )
    got = repeat_fault_onsets(inp(at("10:05"), [o], past_repairs=near), loose)
    assert [x.related for x in got] == [("O1", "NEAR")] and "(40 m away)" in got[0].reason
    off = ControlPolicy(same_place_m=None)
    exact = (past("OLD", dt.datetime(2026, 5, 30)),)
    assert repeat_fault_onsets(inp(at("10:05"), [o], past_repairs=exact), off) == []


def test_repeat_fault_by_flag() -> None:
    """A dispatcher's repeat flag escalates from the flag (later than the creation)."""
    f = Flag(id=1, order_id="O1", kind=FlagKind.REPEAT_FAULT, at=at("10:40"), by="disp", repeat_of="OLD")
    got = repeat_fault_onsets(inp(at("10:45"), [order()], flags=(f,)), POLICY)
    assert [(x.since, x.related) for x in got] == [(at("10:40"), ("O1", "OLD"))]


def test_repeat_fault_infeasible_future_repair() -> None:
    """A past repair completed after ``now`` is refused."""
    with pytest.raises(InputErrors) as exc:
        repeat_fault_onsets(inp(at("10:05"), [order()], past_repairs=(past("X", at("11:00")),)), POLICY)
    assert "past_repairs[0].completed_at" in problem_fields(exc)


def cluster(minutes: Sequence[float], area: str = "A1") -> list[WorkOrder]:
    return [order(f"C{i}", created=T + dt.timedelta(minutes=m), area_id=area) for i, m in enumerate(minutes)]


def test_major_fault_cluster_exact() -> None:
    """Five repairs in A1 at 10:00, 10:15, 10:30, 10:45, 11:00:00 (within 60 min, inclusive) are a
    major fault from 11:00; with the fifth at 11:00:01 they are not."""
    got = major_fault_onsets(inp(at("11:05"), cluster([0, 15, 30, 45, 60])), POLICY)
    assert [(x.subject, x.since, x.area_id, len(x.related)) for x in got] == [
        ("area:A1:C0", at("11:00"), "A1", 5)
    ]
    assert got[0].order_id is None and "5 repair orders in area A1" in got[0].reason
    assert major_fault_onsets(inp(at("11:05"), cluster([0, 15, 30, 45, 60 + 1 / 60])), POLICY) == []


def test_major_fault_one_per_outage() -> None:
    """While the area's cluster escalation is open no second one opens; after it was closed at 11:30
    only orders created after that count."""
    orders = cluster([0, 15, 30, 45, 60, 95, 100, 105, 110, 115])
    open_one = escalation(Trigger.MAJOR_FAULT, at("11:01"), order_id=None, subject="area:A1:C0")
    assert major_fault_onsets(inp(at("12:00"), orders, escalations=(open_one,)), POLICY) == []
    closed = open_one.model_copy(update={"closed_at": at("11:30"), "closed_by": "d", "resolution": "fixed"})
    got = major_fault_onsets(inp(at("12:00"), orders, escalations=(closed,)), POLICY)
    assert [(x.subject, x.since) for x in got] == [("area:A1:C5", at("11:55"))]


def test_major_fault_by_flag_and_infeasible_flag() -> None:
    """A major flag escalates from the flag; a flag of an unknown order is refused."""
    f = Flag(id=1, order_id="O1", kind=FlagKind.MAJOR_FAULT, at=at("10:10"), by="disp", note="fibre cut")
    got = major_fault_onsets(inp(at("10:11"), [order()], flags=(f,)), POLICY)
    assert [(x.subject, x.since, x.reason) for x in got] == [
        ("order:O1", at("10:10"), "major fault flagged by disp at 2026-06-01 10:10:00: fibre cut")
    ]
    with pytest.raises(InputErrors) as exc:
        major_fault_onsets(
            inp(at("10:11"), [order()], flags=(f.model_copy(update={"order_id": "X"}),)), POLICY
        )
    assert "flags[0].order_id" in problem_fields(exc)


def test_reminder_onset_exact_and_infeasible() -> None:
    """Reminded at 10:40 and 11:10: escalated from the second reminder (default 2); one reminder is
    not enough; a reminder before the order existed is refused."""
    r1 = Reminder(id=1, order_id="O1", at=at("10:40"), by="disp")
    r2 = Reminder(id=2, order_id="O1", at=at("11:10"), by="disp", note="customer angry")
    got = reminder_onsets(inp(at("11:15"), [order()], reminders=(r1, r2)), POLICY)
    assert [(x.subject, x.since) for x in got] == [("order:O1", at("11:10"))]
    assert got[0].reason.endswith("reminder 2 by disp via phone at 2026-06-01 11:10:00: customer angry")
    assert reminder_onsets(inp(at("11:15"), [order()], reminders=(r1,)), POLICY) == []
    with pytest.raises(InputErrors) as exc:
        reminder_onsets(
            inp(at("11:15"), [order()], reminders=(r1.model_copy(update={"at": at("09:00")}),)), POLICY
        )
    assert problem_fields(exc) == {"reminders[0].at": "a reminder comes after its order was created"}


# ------------------------------------------------------------------------------------------------
# ladder
# ------------------------------------------------------------------------------------------------


def test_ladder_exact_boundary() -> None:
    """VIP ladder 15 + 30 min: opened 10:00 → level 1 at 10:15:00, level 2 (centre_shift_lead) at
    10:15:01 reached at 10:15:00, level 3 (branch_manager) after 10:45:00; it never passes the top."""
    e = escalation(Trigger.VIP, at("10:00"))
    orders = [order(customer_grade=CustomerGrade.VIP)]
    assert level_ups(inp(at("10:15:00"), orders, escalations=(e,)), POLICY) == []
    ups = level_ups(inp(at("10:15:01"), orders, escalations=(e,)), POLICY)
    assert [(u.from_level, u.to_level, u.owner, u.at) for u in ups] == [
        (1, 2, "centre_shift_lead", at("10:15"))
    ]
    assert ups[0].reason == (
        "not acknowledged within 15 min at level 1 (duty_dispatcher): level 2, owner centre_shift_lead"
    )
    ups = level_ups(inp(at("18:00"), orders, escalations=(e,)), POLICY)
    assert [(u.to_level, u.at) for u in ups] == [(2, at("10:15")), (3, at("10:45"))]


def test_ladder_feasible_acknowledged_or_finished_stops() -> None:
    """Acknowledged at exactly 10:15:00 (in time) it stays at level 1; an order completed 10:10 stops
    the climb of its escalation."""
    acked = escalation(Trigger.VIP, at("10:00"), acknowledged_by="d", acknowledged_at=at("10:15"))
    assert level_ups(inp(at("18:00"), [order()], escalations=(acked,)), POLICY) == []
    done = order(
        "O1",
        (OrderStatus.DISPATCHED, at("10:01")),
        (OrderStatus.STARTED, at("10:02")),
        (OrderStatus.COMPLETED, at("10:10")),
    )
    assert (
        level_ups(inp(at("18:00"), [done], escalations=(escalation(Trigger.VIP, at("10:00")),)), POLICY) == []
    )


def test_ladder_infeasible_level_off_the_ladder() -> None:
    """An escalation at level 4 of a 3-level ladder is refused, naming the field."""
    e = escalation(Trigger.VIP, at("10:00"), level=4)
    with pytest.raises(InputErrors) as exc:
        level_ups(inp(at("11:00"), [order()], escalations=(e,)), POLICY)
    assert problem_fields(exc) == {"escalations[0].level": "the vip ladder has 3 level(s)"}


def test_policy_is_data_and_validated() -> None:
    """Every number is a policy field; a ladder whose top level has a wait, or a missing grade, is refused."""
    fast = ControlPolicy(first_response_min=15, first_response_lead_min=0)
    assert codes(first_response_warnings(inp(at("10:15:01"), [order()]), fast)) == ["first_response_breached"]
    with pytest.raises(ValidationError, match="top level has no wait_min"):
        ControlPolicy(ladders={**POLICY.ladders, Trigger.VIP: (Level(owner="a", wait_min=5),)})
    with pytest.raises(ValidationError, match="missing grade"):
        ControlPolicy(deadline_lead_min={CustomerGrade.VIP: 60})


def test_span_words() -> None:
    """Durations read as people say them."""
    assert [span(dt.timedelta(seconds=s)) for s in (1, 59, 60, 3599, 3600, 3660, 49 * 3600)] == [
        "1 s",
        "59 s",
        "1 min",
        "59 min",
        "1 h 00 min",
        "1 h 01 min",
        "2 d 1 h",
    ]


# ------------------------------------------------------------------------------------------------
# evaluate: idempotence and invariants
# ------------------------------------------------------------------------------------------------


def busy_morning() -> ControlInput:
    """VIP overdue, an unanswered order, a reminded order and a cluster, at 14:30."""
    orders = [
        vip_repair(),
        order("N1", created=at("13:00")),
        order("R1", (OrderStatus.DISPATCHED, at("10:05"))),
        *cluster([200, 210, 220, 230, 240], area="A2"),
    ]
    reminders = (
        Reminder(id=1, order_id="R1", at=at("11:00"), by="d"),
        Reminder(id=2, order_id="R1", at=at("12:00"), by="d"),
    )
    return inp(at("14:30"), orders, reminders=reminders)


def test_evaluate_opens_each_escalation_once() -> None:
    """Opening: one escalation per (trigger, subject), level 1, first owner, opened at now; a second
    evaluation at the same now, after recording the first, creates nothing."""
    first = evaluate(busy_morning())
    got = sorted((e.trigger.value, e.subject, e.owner) for e in first.new_escalations)
    assert got == [
        ("major_fault", "area:A2:C0", "centre_shift_lead"),
        ("overdue", "order:V1", "duty_dispatcher"),
        ("reminded", "order:R1", "duty_dispatcher"),
        ("vip", "order:V1", "duty_dispatcher"),
    ]
    assert all(e.opened_at == at("14:30") and e.level == 1 for e in first.new_escalations)
    again = evaluate(apply(busy_morning(), first))
    assert again.new_escalations == () and again.level_ups == ()
    assert codes(again.warnings) == codes(first.warnings)


def test_new_escalations_skip_closed_keys() -> None:
    """A closed escalation of the same trigger and order is not opened again."""
    closed = escalation(
        Trigger.OVERDUE,
        at("14:05"),
        order_id="V1",
        subject="order:V1",
        closed_at=at("14:10"),
        closed_by="d",
        resolution="customer called",
    )
    got = new_escalations(inp(at("14:30"), [vip_repair()], escalations=(closed,)), POLICY)
    assert [e.trigger for e in got] == [Trigger.VIP]


@st.composite
def control_inputs(draw: st.DrawFn) -> ControlInput:
    n = draw(st.integers(1, 8))
    orders = []
    for i in range(n):
        created = T + dt.timedelta(minutes=draw(st.integers(0, 240)))
        steps: list[tuple[OrderStatus, dt.datetime]] = []
        t = created
        for status in draw(
            st.sampled_from(
                [
                    [],
                    [OrderStatus.DISPATCHED],
                    [OrderStatus.DISPATCHED, OrderStatus.STARTED],
                    [OrderStatus.DISPATCHED, OrderStatus.STARTED, OrderStatus.SUSPENDED],
                    [OrderStatus.DISPATCHED, OrderStatus.STARTED, OrderStatus.COMPLETED],
                    [OrderStatus.CANCELLED],
                ]
            )
        ):
            t = t + dt.timedelta(minutes=draw(st.integers(0, 90)))
            steps.append((status, t))
        orders.append(
            order(
                f"O{i}",
                *steps,
                created=created,
                area_id=draw(st.sampled_from(["A1", "A2"])),
                customer_grade=draw(st.sampled_from(list(CustomerGrade))),
                deadline=created + dt.timedelta(minutes=draw(st.integers(30, 600))),
            )
        )
    last = max([o.created for o in orders] + [e.at for o in orders for e in o.history])
    now = last + dt.timedelta(minutes=draw(st.integers(0, 600)))
    reminders = tuple(
        Reminder(id=k, order_id=o.id, at=o.created + dt.timedelta(minutes=draw(st.integers(0, 60))), by="d")
        for k, o in enumerate(draw(st.lists(st.sampled_from(orders), max_size=4)))
    )
    reminders = tuple(r for r in reminders if r.at <= now)
    return ControlInput(now=now, orders=tuple(orders), reminders=reminders)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(control_inputs(), st.integers(0, 300), st.integers(0, 300))
def test_invariants(start: ControlInput, d1: int, d2: int) -> None:
    """Recording an evaluation and evaluating again at the same time creates nothing (idempotence);
    the levels reached at t2 do not depend on whether the clock also ticked at t1 (tick frequency);
    every warning began by now, and a breach's due instant lies before now."""
    first = evaluate(start)
    recorded = apply(start, first)
    assert evaluate(recorded).new_escalations == () and evaluate(recorded).level_ups == ()
    t1 = start.now + dt.timedelta(minutes=d1)
    t2 = t1 + dt.timedelta(minutes=d2)
    at_t1 = recorded.model_copy(update={"now": t1})
    stepped = apply(at_t1, dt_eval := evaluate(at_t1), first_id=1000)
    stepped = stepped.model_copy(update={"now": t2})
    stepped = apply(stepped, evaluate(stepped), first_id=2000)
    direct = recorded.model_copy(update={"now": t2})
    direct = apply(direct, evaluate(direct), first_id=3000)
    levels = {
        e.subject + e.trigger: (e.level, e.level_since) for e in stepped.escalations if e.id and e.id < 1000
    }
    assert levels == {
        e.subject + e.trigger: (e.level, e.level_since) for e in direct.escalations if e.id and e.id < 1000
    }
    for w in dt_eval.warnings:
        assert w.since <= t1
        if w.code in (
            WarningCode.FIRST_RESPONSE_BREACHED,
            WarningCode.OVERDUE,
            WarningCode.APPOINTMENT_MISSED,
        ):
            assert w.due_at is not None and w.due_at < t1


# ------------------------------------------------------------------------------------------------
# the store
# ------------------------------------------------------------------------------------------------


def test_migration_matches_the_tables(any_db_url: str) -> None:
    """``control_0001`` creates exactly the columns, types, indexes and constraints the store declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    mine = {name for name in Base.metadata.tables if name.startswith("control_")}
    assert mine == {
        "control_reminders",
        "control_reviews",
        "control_flags",
        "control_escalations",
        "control_clock",
    }

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ == "table":
            return name in mine
        table = getattr(obj, "table", None)
        return table is None or table.name in mine

    engine = create_engine(any_db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def seeded(db_url: str, *orders: WorkOrder) -> None:
    with session_scope(db_url) as s:
        seed_org(s)
        for o in orders:
            store_order(s, o)


def test_tick_records_escalations_once_and_raises_levels(any_db_url: str) -> None:
    """A VIP order overdue at 14:00:01: the tick opens its overdue and VIP escalations (audited); the
    same tick again records nothing. Opened 14:00:01, the VIP ladder (15 + 30 min) reaches level 3
    strictly after 14:45:01, the overdue ladder (30 min) level 2 after 14:30:01."""
    seeded(any_db_url, vip_repair())
    with session_scope(any_db_url) as s:
        report = cs.tick(s, "B1", at("14:00:01"))
    assert sorted(e.trigger.value for e in report.opened) == ["overdue", "vip"]
    assert "overdue" in codes(report.warnings)
    with session_scope(any_db_url) as s:
        again = cs.tick(s, "B1", at("14:00:01"))
        assert again.opened == () and again.level_ups == ()
        assert len(audit.entries(s, "control_escalation")) == 2
    with session_scope(any_db_url) as s:
        assert cs.tick(s, "B1", at("14:45:01")).level_ups[-1].to_level == 2
    with session_scope(any_db_url) as s:
        later = cs.tick(s, "B1", at("14:45:02"))
    assert [(u.trigger.value, u.to_level, u.at) for u in later.level_ups] == [("vip", 3, at("14:45:01"))]
    with session_scope(any_db_url) as s:
        vip = cs.escalation_of(s, "V1", Trigger.VIP)
        assert vip is not None and (vip.level, vip.owner, vip.level_since) == (
            3,
            "branch_manager",
            at("14:45:01"),
        )


def test_tick_clock_never_runs_backwards(any_db_url: str) -> None:
    """A tick asked for an earlier time than the last evaluation is evaluated at the last one."""
    seeded(any_db_url, order())
    with session_scope(any_db_url) as s:
        cs.tick(s, "B1", at("12:00"))
    with session_scope(any_db_url) as s:
        report = cs.tick(s, "B1", at("11:00"))
    assert (report.requested_at, report.evaluated_at) == (at("11:00"), at("12:00"))
    with session_scope(any_db_url) as s, pytest.raises(UnknownControlRecord):
        cs.tick(s, "NOPE", at("12:00"))


def test_tick_repeat_fault_from_the_order_table(any_db_url: str) -> None:
    """A repair completed at the same place 5 days earlier makes the new report a repeat fault."""
    old = work_order(
        "OLD",
        created=dt.datetime(2026, 5, 27, 9),
        deadline=dt.datetime(2026, 5, 28, 9),
        status=OrderStatus.COMPLETED,
        technician_id="T-001",
        history=(
            StatusEvent(status=OrderStatus.DISPATCHED, at=dt.datetime(2026, 5, 27, 9, 10)),
            StatusEvent(status=OrderStatus.STARTED, at=dt.datetime(2026, 5, 27, 10)),
            StatusEvent(status=OrderStatus.COMPLETED, at=dt.datetime(2026, 5, 27, 11)),
        ),
    )
    seeded(any_db_url, old, order())
    with session_scope(any_db_url) as s:
        report = cs.tick(s, "B1", at("10:05"))
    rep = [e for e in report.opened if e.trigger == Trigger.REPEAT_FAULT]
    assert [(e.subject, e.related, e.owner) for e in rep] == [("order:O1", ("O1", "OLD"), "group_leader")]


def test_tick_repeat_from_the_order_tables_repeat_of(any_db_url: str) -> None:
    """An open repair whose order-table record names the order it repeats is escalated as a repeat."""
    seeded(any_db_url, order("OLD", (OrderStatus.CANCELLED, at("10:01"))), order())
    with session_scope(any_db_url) as s:
        row = s.get(WorkOrderRow, "O1")
        assert row is not None
        row.repeat_of = "OLD"
    with session_scope(any_db_url) as s:
        report = cs.tick(s, "B1", at("10:05"))
    rep = [e for e in report.opened if e.trigger == Trigger.REPEAT_FAULT]
    assert [(e.subject, e.reason) for e in rep] == [
        ("order:O1", "repeat fault of order OLD, flagged by order table at 2026-06-01 10:00:00")
    ]


def test_on_event_evaluates_the_touched_orders(any_db_url: str) -> None:
    """An event's tick looks at the orders it touched only: V1 overdue is escalated, the other
    overdue order waits for the minute clock; recording again opens nothing."""
    seeded(any_db_url, vip_repair(), order("P1", deadline=at("12:00")))
    with session_scope(any_db_url) as s:
        report = cs.on_event(s, "B1", ["V1"], at("14:00:01"), actor="dispatcher")
    assert {(e.order_id, e.trigger.value) for e in report.opened} == {("V1", "overdue"), ("V1", "vip")}
    assert {w.order_id for w in report.warnings} == {"V1"}
    with session_scope(any_db_url) as s:
        assert cs.on_event(s, "B1", ["V1"], at("14:00:01")).opened == ()
        assert {(e.order_id, e.trigger.value) for e in cs.tick(s, "B1", at("14:00:02")).opened} == {
            ("P1", "overdue")
        }


def test_openings_are_checked_again_under_the_lock(any_db_url: str) -> None:
    """An escalation another tick stored between this tick's reading and writing is not stored twice."""
    seeded(any_db_url, vip_repair())
    with session_scope(any_db_url) as s:
        fresh = evaluate(cs.load_input(s, "B1", at("14:00:01"))).new_escalations
        assert len(fresh) == 2
        cs.tick(s, "B1", at("14:00:01"))
        assert cs._record_openings(s, "B1", fresh, "test") == []


def test_reviews_in_the_store(any_db_url: str) -> None:
    """A reschedule review approved changes the order's appointment and releases the suspended order
    (an order_events row with who and why); deciding again is 409; a technician may not ask for
    another's order (404); a suspend review of an order not suspended is 409."""
    seeded(any_db_url, suspended_order(), order("O2", (OrderStatus.DISPATCHED, at("10:10"))))
    window = TimeWindow(start=at("09:00", 2), end=at("11:00", 2))
    with session_scope(any_db_url) as s:
        rv = cs.open_review(
            s,
            "S1",
            ReviewKind.RESCHEDULE,
            "tech1",
            at("11:05"),
            "customer away",
            window,
            technician_id="T-001",
        )
        assert rv.deadline == at("12:05") and rv.pending
        decided = cs.decide_review(s, rv.id or 0, Decision.APPROVE, "disp", at("11:20"))
        assert decided.decision == Decision.APPROVE and decided.act_by is None
    with session_scope(any_db_url) as s:
        row = s.get(WorkOrderRow, "S1")
        assert row is not None and (row.appointment_start, row.appointment_end, row.status) == (
            at("09:00", 2),
            at("11:00", 2),
            "created",
        )
        last = s.scalars(
            select(OrderEventRow).where(OrderEventRow.order_id == "S1").order_by(OrderEventRow.id.desc())
        ).first()
        assert last is not None and (last.status, last.actor, last.at) == ("created", "disp", at("11:20"))
        assert last.reason == f"reschedule approved (review {rv.id})"
        with pytest.raises(AlreadyDecided) as exc:
            cs.decide_review(s, rv.id or 0, Decision.SEND_BACK, "disp", at("11:30"))
        assert exc.value.status_code == 409
    with session_scope(any_db_url) as s, pytest.raises(UnknownControlRecord):
        cs.open_review(
            s, "O2", ReviewKind.RESCHEDULE, "tech2", at("11:05"), "x", window, technician_id="T-002"
        )
    with session_scope(any_db_url) as s, pytest.raises(Conflict):
        cs.open_review(s, "O2", ReviewKind.SUSPEND, "disp", at("11:05"), "x")
    with session_scope(any_db_url) as s, pytest.raises(InputErrors) as bad:
        cs.open_review(s, "O2", ReviewKind.RESCHEDULE, "disp", at("11:05"), "x")
    assert [p.field for p in bad.value.problems] == ["proposed_appointment"]


def test_approved_reschedule_moves_the_dispatch_day_and_the_table(db_url: str) -> None:
    """An order on a day planned from the order table is rescheduled through that day's
    ``appointment_rescheduled`` event: the plan in force and the order table both hold the new
    window, and they still agree on every order."""
    from factories import LOOP_DAY, plan_loop_day

    from scheduler.dispatch import ledger
    from scheduler.dispatch import store as dispatch_store

    plan_loop_day(db_url)
    with session_scope(db_url) as s:
        inp, _ = dispatch_store.load_state(s, "B1", LOOP_DAY)
        oid = next(o.id for o in inp.orders if o.status == OrderStatus.DISPATCHED)
        decided = dt.datetime.combine(LOOP_DAY, dt.time(8, 30))
        window = TimeWindow(start=decided + dt.timedelta(days=1), end=decided + dt.timedelta(days=1, hours=2))
        rv = cs.open_review(s, oid, ReviewKind.RESCHEDULE, "disp", decided, "customer asked", window)
        cs.decide_review(s, rv.id or 0, Decision.APPROVE, "disp", decided + dt.timedelta(minutes=5))
    with session_scope(db_url) as s:
        inp, plan = dispatch_store.load_state(s, "B1", LOOP_DAY)
        moved = next(o for o in inp.orders if o.id == oid)
        assert moved.appointment == window and plan.version == 2
        row = s.get(WorkOrderRow, oid)
        assert row is not None and (row.appointment_start, row.appointment_end) == (window.start, window.end)
        assert ledger.disagreements(s, inp) == []
        assert [e.kind for e in dispatch_store.list_events(s, "B1", LOOP_DAY)] == ["appointment_rescheduled"]


def test_send_back_gives_the_technician_a_deadline(any_db_url: str) -> None:
    """A suspension sent back at 11:10 must be acted on by 12:10; the queue says so after it."""
    seeded(any_db_url, suspended_order())
    with session_scope(any_db_url) as s:
        rv = cs.open_review(s, "S1", ReviewKind.SUSPEND, "tech1", at("11:05"), "no ladder")
        back = cs.decide_review(s, rv.id or 0, Decision.SEND_BACK, "disp", at("11:10"), "borrow one")
        assert back.act_by == at("12:10")
    with session_scope(any_db_url) as s:
        q = cs.queue(s, "B1", dt.date(2026, 6, 1), at("12:10:01"))
    assert [i.code for i in q.items if i.order_id == "S1"] == ["sent_back_not_acted"]


def test_escalation_handling_in_the_store(any_db_url: str) -> None:
    """Acknowledge stops the climb and is refused twice; close needs a resolution and is refused
    twice; the queue lists open escalations first, closed ones not at all; reminders are counted."""
    seeded(any_db_url, vip_repair())
    with session_scope(any_db_url) as s:
        cs.record_reminder(s, "V1", at("11:00"), "disp")
        opened = {e.trigger: e for e in cs.tick(s, "B1", at("14:00:01")).opened}
    vip, over = opened[Trigger.VIP], opened[Trigger.OVERDUE]
    with session_scope(any_db_url) as s:
        acked = cs.acknowledge(s, vip.id or 0, "lead", at("14:10"))
        assert acked.acknowledged_by == "lead"
        with pytest.raises(EscalationClosed):
            cs.acknowledge(s, vip.id or 0, "lead", at("14:11"))
    with session_scope(any_db_url) as s:
        ups = cs.tick(s, "B1", at("16:00")).level_ups
        assert {u.escalation_id for u in ups} == {over.id}
        q = cs.queue(s, "B1", dt.date(2026, 6, 1), at("16:00"))
        assert [i.kind for i in q.items][:2] == ["escalation", "escalation"]
        assert q.items[0].escalation_id == over.id and q.items[0].level == 3 and q.items[0].reminders == 1
    with session_scope(any_db_url) as s:
        with pytest.raises(InputErrors):
            cs.close_escalation(s, over.id or 0, "lead", at("16:05"), "  ")
        closed = cs.close_escalation(s, over.id or 0, "lead", at("16:05"), "technician sent")
        assert closed.acknowledged_by == "lead" and closed.resolution == "technician sent"
    with session_scope(any_db_url) as s:
        with pytest.raises(EscalationClosed):
            cs.close_escalation(s, over.id or 0, "lead", at("16:06"), "again")
        q = cs.queue(s, "B1", dt.date(2026, 6, 1), at("16:10"))
        assert over.id not in {i.escalation_id for i in q.items}
        with pytest.raises(UnknownControlRecord):
            cs.acknowledge(s, 9999, "lead", at("16:10"))


def test_tick_all_every_branch(any_db_url: str) -> None:
    """The service's clock ticks every branch in its own transaction."""
    seeded(any_db_url, vip_repair())
    reports = cs.tick_all(any_db_url, at("14:00:01"))
    assert [r.branch_id for r in reports] == ["B1"] and len(reports[0].opened) == 2
