"""Hypothesis: every plan passes the validator (skills, windows, shift ends, ETAs) and started or
completed work stays fixed, after any sequence of rolling events; bad events leave the plan as is."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.dispatch.domain import DayInput, StopStatus
from scheduler.dispatch.engine import SolveParams
from scheduler.dispatch.errors import DispatchError, EventOutOfOrder, UnknownOrder
from scheduler.dispatch.events import (
    DispatchState,
    NewOrder,
    OrderAssigned,
    OrderCancelled,
    OrderCompleted,
    OrderStarted,
    OrderSuspended,
    TechnicianUnavailable,
    apply_event,
    reoptimise,
    start_day,
)
from scheduler.dispatch.synthetic import make_input, make_order, make_tech
from scheduler.dispatch.validate import validate_plan
from vocabulary.errors import FieldcrewError
from vocabulary.orders import CustomerGrade, OrderStatus
from vocabulary.staff import Skill

FAST = SolveParams(time_limit_s=0.1)
SKILLS = [Skill.BROADBAND, Skill.IPTV, Skill.FIBRE_SPLICING]


@st.composite
def days(draw: st.DrawFn) -> DayInput:
    n_tech = draw(st.integers(1, 3))
    techs = []
    for i in range(n_tech):
        skills = {Skill.BROADBAND} | set(draw(st.lists(st.sampled_from(SKILLS), max_size=2)))
        techs.append(
            make_tech(
                f"T{i}",
                home=draw(st.sampled_from(["A1", "A2"])),
                skills=skills,
                x_km=draw(st.floats(0, 4)),
                end=draw(st.sampled_from(["12:00", "17:00"])),
            )
        )
    if draw(st.booleans()):
        techs.append(make_tech("S0", home=None, support=True, skills=set(SKILLS), x_km=draw(st.floats(0, 4))))
    if draw(st.booleans()):  # a technician who must be back at base by the shift end
        techs[0] = techs[0].model_copy(update={"end_location": techs[0].start_location})
    have = set().union(*(t.skills for t in techs))
    orders = []
    for i in range(draw(st.integers(0, 7))):
        window = draw(st.sampled_from([None, ("09:00", "11:00"), ("13:00", "15:00")]))
        depends = (f"O{i - 1}",) if i > 0 and draw(st.integers(0, 5)) == 0 else ()
        orders.append(
            make_order(
                f"O{i}",
                area=draw(st.sampled_from(["A1", "A2"])),
                x_km=draw(st.floats(0, 5)),
                y_km=draw(st.floats(0, 3)),
                duration=draw(st.integers(20, 150)),
                grade=draw(st.sampled_from(list(CustomerGrade))),
                window=window,
                skills={draw(st.sampled_from(sorted(have)))},
                deadline=draw(st.sampled_from(["10:00", "18:00"])),
                depends_on=depends,
            )
        )
    return make_input(techs, orders)


def _next_event(draw: st.DrawFn, s: DispatchState, k: int) -> object:
    now = s.inp.now + dt.timedelta(minutes=draw(st.integers(0, 45)))
    started = [o for o in s.inp.orders if o.status == OrderStatus.STARTED]
    open_ = [o for o in s.inp.orders if o.status in (OrderStatus.CREATED, OrderStatus.DISPATCHED)]
    choice = draw(
        st.sampled_from(["start", "complete", "suspend", "cancel", "new", "unavailable", "assign", "bad"])
    )
    if choice == "assign" and open_ and s.inp.technicians:
        return OrderAssigned(
            at=now,
            order_id=draw(st.sampled_from(open_)).id,
            technician_id=draw(st.sampled_from(s.inp.technicians)).id,
        )
    if choice == "start":
        for r in s.plan.routes:
            busy = any(x.status == StopStatus.STARTED for x in r.stops)
            nxt = next((x for x in r.stops if x.status == StopStatus.PLANNED), None)
            if nxt is not None and not busy:
                return OrderStarted(
                    at=max(now, nxt.start), order_id=nxt.order_id, technician_id=r.technician_id
                )
    if choice in ("complete", "suspend") and started:
        o = draw(st.sampled_from(started))
        cls = OrderCompleted if choice == "complete" else OrderSuspended
        return cls(at=now, order_id=o.id)
    if choice == "cancel" and open_:
        return OrderCancelled(at=now, order_id=draw(st.sampled_from(open_)).id)
    if choice == "unavailable" and s.inp.technicians:
        return TechnicianUnavailable(at=now, technician_id=draw(st.sampled_from(s.inp.technicians)).id)
    if choice == "bad":
        return draw(
            st.sampled_from(
                [
                    OrderCompleted(at=now, order_id="NOPE"),
                    OrderCancelled(at=s.inp.now - dt.timedelta(minutes=5), order_id="NOPE"),
                ]
            )
        )
    return NewOrder(
        at=now,
        order=make_order(
            f"N{k}",
            x_km=draw(st.floats(0, 5)),
            created="08:00",
            grade=draw(st.sampled_from(list(CustomerGrade))),
            duration=draw(st.integers(20, 90)),
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inp=days(), data=st.data())
def test_every_plan_validates_after_any_event_sequence(inp: DayInput, data: st.DataObject) -> None:
    """Morning plan and every re-plan pass the validator; locked work never moves."""
    s = start_day(inp, FAST)
    assert validate_plan(s.inp, s.plan) == []
    for k in range(data.draw(st.integers(1, 8))):
        event = _next_event(data.draw, s, k)
        try:
            new = apply_event(s, event)  # type: ignore[arg-type]
        except (EventOutOfOrder, UnknownOrder, DispatchError, FieldcrewError):
            continue  # refused: the state object is immutable, so the plan in force is unchanged
        assert validate_plan(new.inp, new.plan, previous=s.plan) == [], event
        s = new
    again = reoptimise(s, FAST)  # the background re-optimisation keeps locked work too
    assert validate_plan(again.inp, again.plan, previous=s.plan) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inp=days())
def test_no_vip_left_out_for_an_ordinary_order(inp: DayInput) -> None:
    """Customer priority: no unserved VIP could take the place of an ordinary order on the day of a
    technician allowed to serve it (checked by trying every such swap)."""
    from scheduler.dispatch.engine import best_insertion, plan_day
    from scheduler.dispatch.model import DispatchContext

    inp = inp.model_copy(
        update={
            "orders": tuple(
                o.model_copy(update={"customer_grade": CustomerGrade.VIP}) if i % 3 == 0 else o
                for i, o in enumerate(inp.orders)
            )
        }
    )
    plan = plan_day(inp, FAST)
    ctx = DispatchContext(inp)
    routes = {r.technician_id: [s.order_id for s in r.stops] for r in plan.routes}
    for u in plan.unassigned:
        o = ctx.orders[u.order_id]
        if o.customer_grade != CustomerGrade.VIP:
            continue
        for tech in ctx.allowed(o):
            for victim in routes[tech]:
                if ctx.orders[victim].customer_grade != CustomerGrade.ORDINARY:
                    continue
                trial = {tech: [x for x in routes[tech] if x != victim]}
                assert best_insertion(ctx, trial, o.id, only=[tech]) is None, (o.id, victim, tech)
