"""Rolling events: each event's effect, minimal change, and bad input leaving the plan unchanged."""

from __future__ import annotations

import pytest

from scheduler.dispatch.domain import DayInput, StopStatus
from scheduler.dispatch.engine import SolveParams
from scheduler.dispatch.errors import EventOutOfOrder, InputErrors, UnknownOrder, UnknownTechnician
from scheduler.dispatch.events import (
    DispatchState,
    NewOrder,
    OrderCancelled,
    OrderCompleted,
    OrderStarted,
    OrderSuspended,
    TechnicianUnavailable,
    apply_event,
    reoptimise,
    start_day,
)
from scheduler.dispatch.synthetic import at, make_input, make_order, make_tech
from scheduler.dispatch.validate import validate_plan
from vocabulary.orders import CustomerGrade, OrderStatus
from vocabulary.staff import Skill

FAST = SolveParams(time_limit_s=0.3)


def day() -> DayInput:
    techs = [make_tech("T1", home="A1"), make_tech("T2", home="A2", x_km=2.0)]
    orders = [
        make_order("O1", x_km=0.5),
        make_order("O2", x_km=1.0),
        make_order("O3", area="A2", x_km=2.5),
        make_order("O4", area="A2", x_km=3.0),
    ]
    return make_input(techs, orders, bbox=(30.4, 114.1, 30.7, 114.5))


@pytest.fixture()
def state() -> DispatchState:
    st = start_day(day(), FAST)
    assert validate_plan(st.inp, st.plan) == []
    return st


def step(st: DispatchState, event: object) -> DispatchState:
    new = apply_event(st, event)  # type: ignore[arg-type]
    assert validate_plan(new.inp, new.plan, previous=st.plan) == []
    return new


def first_planned(st: DispatchState, tech: str) -> str:
    route = st.plan.route_of(tech)
    assert route is not None
    return next(s.order_id for s in route.stops if s.status == StopStatus.PLANNED)


def test_morning_plan_dispatches(state: DispatchState) -> None:
    """After the morning plan every planned order is 'dispatched' to its technician."""
    for oid, tech in state.plan.assignment().items():
        o = next(o for o in state.inp.orders if o.id == oid)
        assert o.status == OrderStatus.DISPATCHED and o.technician_id == tech


def test_start_then_complete_is_locked(state: DispatchState) -> None:
    """A started order is locked first on the timeline; completing it keeps it, fixed."""
    oid = first_planned(state, "T1")
    s1 = step(state, OrderStarted(at=at("08:10"), order_id=oid, technician_id="T1"))
    r = s1.plan.route_of("T1")
    assert r is not None and r.stops[0].order_id == oid and r.stops[0].status == StopStatus.STARTED
    assert r.stops[0].locked and r.stops[0].start == at("08:10")
    s2 = step(s1, OrderCompleted(at=at("09:00"), order_id=oid))
    r2 = s2.plan.route_of("T1")
    assert r2 is not None and r2.stops[0].status == StopStatus.COMPLETED and r2.stops[0].end == at("09:00")
    assert all(s.start >= at("09:00") for s in r2.stops[1:])


def test_complete_never_started_is_rejected(state: DispatchState) -> None:
    """Completing an order that never started is an event out of order; the plan is unchanged."""
    before = state.plan
    with pytest.raises(EventOutOfOrder, match="order O1: cannot go from dispatched to completed"):
        apply_event(state, OrderCompleted(at=at("09:00"), order_id="O1"))
    assert state.plan == before


def test_unknown_order_and_technician(state: DispatchState) -> None:
    """Unknown records are named in the error."""
    with pytest.raises(UnknownOrder, match="order NOPE"):
        apply_event(state, OrderCancelled(at=at("09:00"), order_id="NOPE"))
    with pytest.raises(UnknownTechnician, match="technician T9"):
        apply_event(state, OrderStarted(at=at("09:00"), order_id="O1", technician_id="T9"))


def test_event_before_the_clock_is_rejected(state: DispatchState) -> None:
    """Events are applied in time order: one older than the plan's clock is refused."""
    s1 = step(state, OrderCancelled(at=at("09:00"), order_id="O4"))
    with pytest.raises(EventOutOfOrder, match="time order"):
        apply_event(s1, OrderCancelled(at=at("08:30"), order_id="O3"))


def test_new_order_outside_branch_and_unknown_skill(state: DispatchState) -> None:
    """A new order outside the branch, or needing a skill nobody has, is bad input naming the order."""
    far = make_order("X1", x_km=200.0)
    with pytest.raises(InputErrors, match="order X1: location"):
        apply_event(state, NewOrder(at=at("09:00"), order=far))
    odd = make_order("X2", skills={Skill.ENTERPRISE})
    with pytest.raises(InputErrors, match="order X2: required_skills"):
        apply_event(state, NewOrder(at=at("09:00"), order=odd))
    with pytest.raises(EventOutOfOrder, match="already has it"):
        apply_event(state, NewOrder(at=at("09:00"), order=make_order("O1")))


def test_urgent_insertion_changes_one_route_only(state: DispatchState) -> None:
    """A new urgent order is inserted; every other dispatched order keeps its technician."""
    before = state.plan.assignment()
    s1 = step(state, NewOrder(at=at("08:00"), order=make_order("U1", x_km=0.7, grade=CustomerGrade.VIP)))
    after = s1.plan.assignment()
    assert "U1" in after
    assert {k: v for k, v in after.items() if k != "U1"} == before


def test_vip_insertion_bumps_an_ordinary_order() -> None:
    """A full day: an urgent VIP takes the place of an ordinary order, which becomes unassigned."""
    inp = make_input([make_tech("T1", end="10:00")], [make_order("O1", duration=100)])
    st = start_day(inp, FAST)
    assert st.plan.assignment() == {"O1": "T1"}
    s1 = step(st, NewOrder(at=at("08:00"), order=make_order("V1", duration=100, grade=CustomerGrade.VIP)))
    assert s1.plan.assignment() == {"V1": "T1"}
    assert [u.order_id for u in s1.plan.unassigned] == ["O1"]
    o1 = next(o for o in s1.inp.orders if o.id == "O1")
    assert o1.status == OrderStatus.CREATED and o1.technician_id is None  # un-dispatched


def test_suspend_and_cancel(state: DispatchState) -> None:
    """A suspended order leaves the timeline (listed as suspended); a cancelled one disappears."""
    oid = first_planned(state, "T2")
    s1 = step(state, OrderStarted(at=at("08:20"), order_id=oid, technician_id="T2"))
    s2 = step(s1, OrderSuspended(at=at("08:40"), order_id=oid))
    assert oid not in s2.plan.assignment()
    assert any(u.order_id == oid and u.rule == "suspended" for u in s2.plan.unassigned)
    other = first_planned(s2, "T1")
    s3 = step(s2, OrderCancelled(at=at("08:50"), order_id=other))
    assert other not in s3.plan.assignment() and all(u.order_id != other for u in s3.plan.unassigned)


def test_technician_unavailable_moves_his_orders(state: DispatchState) -> None:
    """T2 drops out: his planned orders go to T1 where they fit, the rest are unassigned with reasons."""
    theirs = [s.order_id for s in state.plan.route_of("T2").stops]  # type: ignore[union-attr]
    s1 = step(state, TechnicianUnavailable(at=at("08:30"), technician_id="T2"))
    assert s1.plan.route_of("T2").stops == ()  # type: ignore[union-attr]
    assigned = s1.plan.assignment()
    listed = {u.order_id for u in s1.plan.unassigned}
    assert all(o in assigned or o in listed for o in theirs)
    assert all(assigned.get(o) in (None, "T1") for o in theirs)


def test_reoptimise_keeps_started_work(state: DispatchState) -> None:
    """Background re-optimisation keeps started work fixed and the result validates."""
    oid = first_planned(state, "T1")
    s1 = step(state, OrderStarted(at=at("08:10"), order_id=oid, technician_id="T1"))
    s2 = reoptimise(s1, FAST)
    assert validate_plan(s2.inp, s2.plan, previous=s1.plan) == []
    r = s2.plan.route_of("T1")
    assert r is not None and r.stops[0].order_id == oid and r.stops[0].start == at("08:10")


def test_started_by_technician_without_skill_is_rejected(state: DispatchState) -> None:
    """Starting an order needing a skill the technician lacks is refused, naming the order."""
    s1 = step(state, NewOrder(at=at("08:05"), order=make_order("F1", skills={Skill.BROADBAND}, x_km=0.2)))
    inp = s1.inp.model_copy(
        update={
            "technicians": (
                s1.inp.technicians[0].model_copy(update={"skills": frozenset({Skill.IPTV})}),
                *s1.inp.technicians[1:],
            )
        }
    )
    odd = DispatchState(inp, s1.plan)
    with pytest.raises(InputErrors, match="order F1"):
        apply_event(odd, OrderStarted(at=at("08:06"), order_id="F1", technician_id="T1"))


def test_manual_assignment(state: DispatchState) -> None:
    """The dispatcher moves an order to T2 by hand: it lands on T2's day, others stay; assigning an
    order of another region group, or one that does not fit the day, is refused naming the rule."""
    from scheduler.dispatch.errors import Conflict
    from scheduler.dispatch.events import OrderAssigned

    oid = first_planned(state, "T1")
    s1 = step(state, OrderAssigned(at=at("08:05"), order_id=oid, technician_id="T2"))
    assert s1.plan.assignment()[oid] == "T2"
    moved = {k for k, v in s1.plan.assignment().items() if state.plan.assignment().get(k) != v}
    assert moved == {oid}
    s2 = step(s1, NewOrder(at=at("08:06"), order=make_order("F1", area="B1")))  # group G2: nobody on duty
    with pytest.raises(InputErrors, match="order F1: technician_id.*region_group"):
        apply_event(s2, OrderAssigned(at=at("08:07"), order_id="F1", technician_id="T2"))
    s3 = step(s1, NewOrder(at=at("08:06"), order=make_order("BIG", duration=500)))
    with pytest.raises(Conflict, match="does not fit technician T2"):
        apply_event(s3, OrderAssigned(at=at("08:07"), order_id="BIG", technician_id="T2"))
