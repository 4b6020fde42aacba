"""Partners (代维): the hand-off takes an unassigned order out of the plan within the partner's
capacity (per area and all areas), the order table records it dispatched with no technician; the
partner's completion moves the work order through the life cycle; the monthly rating."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from factories import LOOP_DAY, plan_overflow_day
from sqlalchemy import select

from fieldcrew.db import session_scope
from fieldcrew.tables import OrderEventRow, WorkOrderRow
from scheduler.dispatch import ledger, partners_store, service, store
from scheduler.dispatch.events import HandedToPartner
from scheduler.dispatch.partners import (
    NotHandedToPartner,
    Partner,
    PartnerCapacity,
    PartnerCapacityUsedUp,
    PartnerOutcome,
    RatedOrder,
    UnknownPartner,
    rate_partner,
)
from scheduler.dispatch.validate import validate_plan

AT = dt.datetime.combine(LOOP_DAY, dt.time(8, 30))


def _setup(url: str, area_cap: int | None = 2, all_cap: int | None = None) -> None:
    plan_overflow_day(url)
    with session_scope(url) as s:
        partners_store.save_partner(
            s, Partner(id="P1", branch_id="B1", name="代维一", areas=("A1", "A2")), "d"
        )
        partners_store.save_partner(s, Partner(id="P2", branch_id="B1", name="代维二", areas=("A1",)), "d")
        if area_cap is not None:
            partners_store.set_capacity(
                s, PartnerCapacity(partner_id="P1", day=LOOP_DAY, area_id="A1", orders=area_cap), "d"
            )
        if all_cap is not None:
            partners_store.set_capacity(
                s, PartnerCapacity(partner_id="P1", day=LOOP_DAY, orders=all_cap), "d"
            )


def _hand(url: str, order_id: str, partner: str = "P1") -> Any:
    with session_scope(url) as s:
        event = HandedToPartner(at=AT, order_id=order_id, partner_id=partner)
        return service.post_event(s, "B1", LOOP_DAY, event, "dispatcher")


def _one_record(url: str) -> Any:
    with session_scope(url) as s:
        inp, plan = store.load_state(s, "B1", LOOP_DAY)
        assert ledger.disagreements(s, inp) == []
    assert validate_plan(inp, plan) == []
    return inp, plan


def test_hand_off_feasible_leaves_the_plan_and_dispatches_to_no_technician(db_url: str) -> None:
    """Feasible: WO-A1-00 leaves the plan (orders and unassigned list); the order table holds it
    dispatched with no technician, the step's reason names the partner; the assignment is stored."""
    _setup(db_url)
    _hand(db_url, "WO-A1-00")
    inp, plan = _one_record(db_url)
    assert "WO-A1-00" not in {o.id for o in inp.orders} | {u.order_id for u in plan.unassigned}
    with session_scope(db_url) as s:
        row = s.get(WorkOrderRow, "WO-A1-00")
        assert row is not None and (row.status, row.technician_id) == ("dispatched", None)
        reasons = s.scalars(select(OrderEventRow.reason).where(OrderEventRow.order_id == "WO-A1-00")).all()
        assert reasons == ["handed_to_partner: P1"]
        assert [a.order_id for a in partners_store.assignments(s, "P1", LOOP_DAY)] == ["WO-A1-00"]


def test_capacity_counts_exact_and_used_up_names_the_capacity(db_url: str) -> None:
    """Exact: area A1 capacity 2 → two hand-offs use it (used 2, left 0); the third is 409 naming
    "capacity 2 order(s) … in area A1", and nothing changes."""
    _setup(db_url, area_cap=2)
    _hand(db_url, "WO-A1-00")
    _hand(db_url, "WO-A1-01")
    with session_scope(db_url) as s:
        [use] = partners_store.capacity_uses(s, "P1", LOOP_DAY)
    assert (use.capacity.orders, use.used, use.left) == (2, 2, 0)
    _, before = _one_record(db_url)
    with pytest.raises(PartnerCapacityUsedUp, match=r"capacity 2 order\(s\) on 2026-06-02 in area A1"):
        _hand(db_url, "WO-A1-02")
    _, after = _one_record(db_url)
    assert after.version == before.version


def test_all_areas_capacity_also_counts(db_url: str) -> None:
    """An all-areas capacity of 1 caps the day though the area capacity has room; a partner with no
    capacity declared takes nothing; an area it does not serve is refused."""
    _setup(db_url, area_cap=5, all_cap=1)
    _hand(db_url, "WO-A1-00")
    with pytest.raises(PartnerCapacityUsedUp, match="in all its areas is used up"):
        _hand(db_url, "WO-A1-01")
    with pytest.raises(PartnerCapacityUsedUp, match="declared no capacity"):
        _hand(db_url, "WO-A1-01", partner="P2")


def test_unknown_partner_and_order_not_unassigned(db_url: str) -> None:
    """Unknown partner 404 (UnknownPartner); an order already handed over is no longer in the plan."""
    _setup(db_url)
    with pytest.raises(UnknownPartner):
        _hand(db_url, "WO-A1-00", partner="NOPE")
    _hand(db_url, "WO-A1-00")
    from scheduler.dispatch.errors import UnknownOrder

    with pytest.raises(UnknownOrder):
        _hand(db_url, "WO-A1-00")


def test_completion_moves_the_work_order_and_is_refused_for_others(db_url: str) -> None:
    """Completion: dispatched → started → completed, fixed from the outcome, the assignment records
    it; another partner, or a second completion, is 409; the month's rating counts it."""
    _setup(db_url)
    _hand(db_url, "WO-A1-00")
    done = AT + dt.timedelta(hours=2)
    with session_scope(db_url) as s, pytest.raises(NotHandedToPartner):
        partners_store.complete(s, "P2", "WO-A1-00", done, PartnerOutcome.FIXED, "d")
    with session_scope(db_url) as s:
        a = partners_store.complete(s, "P1", "WO-A1-00", done, PartnerOutcome.FIXED, "d")
        assert (a.completed_at, a.outcome) == (done, PartnerOutcome.FIXED)
    with session_scope(db_url) as s:
        row = s.get(WorkOrderRow, "WO-A1-00")
        assert row is not None and (row.status, row.fixed) == ("completed", True)
        steps = s.scalars(
            select(OrderEventRow.status)
            .where(OrderEventRow.order_id == "WO-A1-00")
            .order_by(OrderEventRow.id)
        ).all()
        assert steps == ["dispatched", "started", "completed"]
        with pytest.raises(NotHandedToPartner, match="already completed"):
            partners_store.complete(s, "P1", "WO-A1-00", done, PartnerOutcome.FIXED, "d")
        rating = partners_store.monthly_rating(s, "P1", "2026-06")
    assert (rating.completed, rating.on_time, rating.first_time_fixed, rating.score) == (
        1,
        1,
        1,
        Decimal("100.00"),
    )


def _rated(
    i: int, late: bool = False, fixed: bool = True, repeated: bool = False, complaint: bool = False
) -> RatedOrder:
    deadline = dt.datetime(2026, 6, 10, 18, 0)
    return RatedOrder(
        order_id=f"O{i}",
        deadline=deadline,
        completed_at=deadline + dt.timedelta(minutes=1 if late else -60),
        fixed=fixed,
        repeated=repeated,
        complaint=complaint,
    )


def test_rating_on_a_hand_made_month_exact() -> None:
    """Exact: 4 orders, 3 on time, first-time fixes 2 (one not fixed, one repeated), 1 complaint →
    50 × 0.75 + 50 × 0.5 − 5 × 1 = 57.50 < 80: drop. A clean month scores 100, kept; no orders: no
    score and no drop."""
    month = [
        _rated(1),
        _rated(2, late=True),
        _rated(3, fixed=False),
        _rated(4, repeated=True, complaint=True),
    ]
    r = rate_partner("P1", "2026-06", month)
    assert (r.on_time_share, r.first_time_fix_share, r.complaints) == (
        Decimal("0.7500"),
        Decimal("0.5000"),
        1,
    )
    assert (r.score, r.drop) == (Decimal("57.50"), True)
    clean = rate_partner("P1", "2026-06", [_rated(1), _rated(2)])
    assert (clean.score, clean.drop) == (Decimal("100.00"), False)
    empty = rate_partner("P1", "2026-06", [])
    assert (empty.score, empty.drop) == (None, False)


def test_a_later_plan_never_takes_an_order_back_from_its_partner(db_url: str) -> None:
    """An order handed to a partner stays with the partner: the next day's input built from the
    order table (the same path the morning plan takes) does not offer it to the technicians."""
    from scheduler.dispatch.db_day import day_from_db, default_shifts
    from scheduler.dispatch.domain import DayIntake, OnDutySource

    _setup(db_url)
    _hand(db_url, "WO-A1-00")
    with session_scope(db_url) as s:
        inp, _ = store.load_state(s, "B1", LOOP_DAY)
        next_day = LOOP_DAY + dt.timedelta(days=1)
        tomorrow, _ = day_from_db(
            s, "B1", next_day, default_shifts([t.id for t in inp.technicians], next_day),
            DayIntake(source=OnDutySource.OVERRIDE, overridden_by="test", note="test"),
        )
    deferred = tomorrow.intake.deferred if tomorrow.intake else ()
    offered = {o.id for o in tomorrow.orders} | {o.order_id for o in deferred}
    assert "WO-A1-00" not in offered
    assert {o.id for o in tomorrow.orders}  # the other open orders are still offered
