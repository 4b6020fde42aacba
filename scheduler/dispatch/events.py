"""Rolling events through the day, applied to the plan in force.

Every event is checked before anything changes: an unknown technician or order, a status change
the order life cycle does not allow (:func:`vocabulary.orders.check_transition`) or an event older
than the plan's clock raises an error naming the record and the rule, and the plan in force stays
as it was (states are immutable; :func:`apply_event` returns a new one).

A contact with the customer (:class:`CustomerContacted`) is checked the same way but changes
nothing of the plan: it is the start of the technician's response, recorded with the order
(:func:`scheduler.dispatch.ledger.record_contact`), not a step of the order's life cycle.

A re-plan keeps started and completed work fixed and changes as little as possible: an event only
removes or inserts the orders it concerns (cheap insertion, no solver); orders a delay pushes out
of a route are offered to the other technicians the same way. Full re-optimisation
(:func:`reoptimise`) is a separate, background step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.dispatch import engine, operating, rules
from scheduler.dispatch.domain import DayInput, DayPlan, DispatchOrder, OnDutyTechnician, StopStatus
from scheduler.dispatch.errors import (
    Conflict,
    EventOutOfOrder,
    InputErrors,
    Problem,
    UnknownOrder,
    UnknownTechnician,
)
from scheduler.dispatch.model import DispatchContext, schedule_route
from vocabulary.orders import CustomerGrade, IllegalTransition, OrderStatus, TimeWindow, check_transition

_frozen = ConfigDict(frozen=True)


class NewOrder(BaseModel):
    """A new (possibly urgent) order to insert into the running day."""

    model_config = _frozen
    kind: Literal["new_order"] = "new_order"
    at: dt.datetime
    order: DispatchOrder


class OrderStarted(BaseModel):
    """A technician started (or resumed) an order."""

    model_config = _frozen
    kind: Literal["order_started"] = "order_started"
    at: dt.datetime
    order_id: str
    #: who starts it; default: the technician it is dispatched to
    technician_id: str | None = None


class OrderResumed(BaseModel):
    """A suspended order is taken up again, by its technician or (``technician_id``) by another."""

    model_config = _frozen
    kind: Literal["order_resumed"] = "order_resumed"
    at: dt.datetime
    order_id: str
    #: who resumes it; default: the technician it was suspended with
    technician_id: str | None = None


class OrderCompleted(BaseModel):
    """A started order was completed, with what the technician reports of the visit."""

    model_config = _frozen
    kind: Literal["order_completed"] = "order_completed"
    at: dt.datetime
    order_id: str
    #: the fault is fixed (repairs) / the job is done as ordered; None: not reported
    fixed: bool | None = None
    #: the earlier order this visit repeats (the same fault came back)
    repeat_of: str | None = None
    #: the agreed appointment was kept; None: there was none or not reported
    appointment_kept: bool | None = None


class OrderSuspended(BaseModel):
    """A started order was suspended (customer absent, material missing, …)."""

    model_config = _frozen
    kind: Literal["order_suspended"] = "order_suspended"
    at: dt.datetime
    order_id: str
    reason: str = "suspended on site"


class OrderCancelled(BaseModel):
    """An order was cancelled."""

    model_config = _frozen
    kind: Literal["order_cancelled"] = "order_cancelled"
    at: dt.datetime
    order_id: str
    reason: str | None = None


class AppointmentRescheduled(BaseModel):
    """The customer agreed a new appointment window (today or another day); a suspended order is
    released back to the pool with it, and the order is placed again (or waits for its day)."""

    model_config = _frozen
    kind: Literal["appointment_rescheduled"] = "appointment_rescheduled"
    at: dt.datetime
    order_id: str
    appointment: TimeWindow
    reason: str = "rescheduled with the customer"


class ContactChannel(StrEnum):
    """How the technician reached the customer."""

    PHONE = "phone"
    SMS = "sms"
    VISIT = "visit"


class CustomerContacted(BaseModel):
    """The technician contacted the customer about an order dispatched to him (a call, an SMS, or at
    the door): the start of his response (the technician's first-response KPI). The order keeps
    its status and the plan its routes; the order table records the contact, and its first
    contact once."""

    model_config = _frozen
    kind: Literal["customer_contacted"] = "customer_contacted"
    at: dt.datetime
    order_id: str
    channel: ContactChannel


#: Statuses in which an order's customer is contacted by its technician.
CONTACT_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.DISPATCHED, OrderStatus.STARTED, OrderStatus.SUSPENDED}
)


class OrderAssigned(BaseModel):
    """The dispatcher assigns (or moves) an open order to a technician by hand; the order goes to
    its best position in his day, and the hard rules still hold."""

    model_config = _frozen
    kind: Literal["order_assigned"] = "order_assigned"
    at: dt.datetime
    order_id: str
    technician_id: str


class OrderClaimed(BaseModel):
    """Claims (认领): a technician on duty (typically of another group, with room in his day) takes an
    unassigned order; it goes to its best feasible position in his day and is dispatched to him
    (:func:`rules.keeps_claimed_order <scheduler.dispatch.rules.keeps_claimed_order>` lets him keep
    it). A technician claims only for himself; the dispatcher for anyone."""

    model_config = _frozen
    kind: Literal["order_claimed"] = "order_claimed"
    at: dt.datetime
    order_id: str
    technician_id: str


class HandedToPartner(BaseModel):
    """The dispatcher hands an unassigned order to an outsourcing partner (代维): it leaves the day's
    plan; the order table records it dispatched with no technician, the partner in
    ``partner_assignments`` (:mod:`scheduler.dispatch.partners_store`), within the partner's
    capacity for the day and the order's area."""

    model_config = _frozen
    kind: Literal["handed_to_partner"] = "handed_to_partner"
    at: dt.datetime
    order_id: str
    partner_id: str = Field(min_length=1, max_length=64)


class ClaimRefused(Conflict):
    """A claim the plan cannot take: the technician is off duty, the order is not unassigned, or it
    does not fit his day (the message names the rule)."""

    title = "Claim refused"


class TechnicianUnavailable(BaseModel):
    """A technician drops out for the rest of the day (sick, vehicle breakdown, …)."""

    model_config = _frozen
    kind: Literal["technician_unavailable"] = "technician_unavailable"
    at: dt.datetime
    technician_id: str
    reason: str = "unavailable"


class RosterChanged(BaseModel):
    """A newly published roster version changed who is on duty: ``off_duty`` technicians leave the
    day (like :class:`TechnicianUnavailable`), ``on_duty`` ones join it. Posted by the day's seam
    (``scheduler.day``) when a roster is published, not by users."""

    model_config = _frozen
    kind: Literal["roster_changed"] = "roster_changed"
    at: dt.datetime
    roster_id: str
    roster_version: int
    #: technician id → why he is no longer on duty (rest, leave)
    off_duty: dict[str, str] = Field(default_factory=dict)
    on_duty: tuple[OnDutyTechnician, ...] = ()


#: The events users post (dispatchers all of them; technicians their own work's progress).
Event = Annotated[
    NewOrder
    | OrderStarted
    | OrderResumed
    | OrderCompleted
    | OrderSuspended
    | OrderCancelled
    | OrderAssigned
    | AppointmentRescheduled
    | TechnicianUnavailable
    | CustomerContacted
    | OrderClaimed
    | HandedToPartner,
    Field(discriminator="kind"),
]

#: Every event :func:`apply_event` applies (the posted ones and the roster's).
AnyEvent = (
    NewOrder
    | OrderStarted
    | OrderResumed
    | OrderCompleted
    | OrderSuspended
    | OrderCancelled
    | OrderAssigned
    | AppointmentRescheduled
    | TechnicianUnavailable
    | CustomerContacted
    | OrderClaimed
    | HandedToPartner
    | RosterChanged
)

#: Event kinds that change one order (their ``order_id``).
ORDER_EVENTS: frozenset[str] = frozenset(
    {
        "order_started",
        "order_resumed",
        "order_completed",
        "order_suspended",
        "order_cancelled",
        "order_assigned",
        "appointment_rescheduled",
        "order_claimed",
        "handed_to_partner",
    }
)


@dataclass(frozen=True)
class DispatchState:
    """The plan in force and the input it was made from (order statuses and technician states)."""

    inp: DayInput
    plan: DayPlan


def start_day(inp: DayInput, params: engine.SolveParams | None = None) -> DispatchState:
    """Make the morning plan and dispatch it: planned orders become ``dispatched`` to their technician."""
    plan = engine.plan_day(inp, params)
    return DispatchState(commit(inp, plan), plan)


def commit(inp: DayInput, plan: DayPlan) -> DayInput:
    """The input after dispatching ``plan``: planned open orders are ``dispatched`` to their technician;
    dispatched orders the plan no longer holds go back to ``created`` (un-dispatch)."""
    assignment = plan.assignment()
    orders = []
    for o in inp.orders:
        tech = assignment.get(o.id)
        if o.status in (OrderStatus.CREATED, OrderStatus.DISPATCHED):
            if tech is not None:
                if o.status != OrderStatus.DISPATCHED or o.technician_id != tech:
                    o = o.model_copy(update={"status": OrderStatus.DISPATCHED, "technician_id": tech})
            elif o.status == OrderStatus.DISPATCHED:
                o = o.model_copy(update={"status": OrderStatus.CREATED, "technician_id": None})
        orders.append(o)
    return inp.model_copy(update={"orders": tuple(orders)})


def apply_event(state: DispatchState, event: AnyEvent) -> DispatchState:
    """Apply one event and re-plan minimally; raise (state unchanged) on bad input.

    Raises
    ------
    EventOutOfOrder
        The event is older than the plan's clock, or the order life cycle does not allow it.
    UnknownOrder, UnknownTechnician
        The event names a record the plan does not know.
    InputErrors
        A new order breaks an input rule (location outside the branch, a skill nobody has, …).
    """
    inp = state.inp
    if event.at < inp.now:
        raise EventOutOfOrder(
            f"{event.kind} at {event.at:%Y-%m-%d %H:%M}: rule: events are applied in time "
            f"order; the plan's clock is already at {inp.now:%Y-%m-%d %H:%M}"
        )
    if isinstance(event, CustomerContacted):
        check_contact(inp, event)
        return state
    routes: engine.Routes = {
        r.technician_id: [s.order_id for s in r.stops if s.status == StopStatus.PLANNED]
        for r in state.plan.routes
    }
    orders = {o.id: o for o in inp.orders}
    techs = {t.id: t for t in inp.technicians}
    to_place: list[str] = []
    if isinstance(event, NewOrder):
        o = event.order
        if o.id in orders:
            raise EventOutOfOrder(f"new_order {o.id}: rule: order ids are unique; the plan already has it")
        if o.status != OrderStatus.CREATED:
            raise EventOutOfOrder(f"new_order {o.id}: status {o.status}: rule: a new order starts as created")
        orders[o.id] = o
        to_place.append(o.id)
    elif isinstance(event, OrderAssigned):
        o = _order(orders, event.order_id)
        tech = _tech(techs, event.technician_id)
        if o.status not in (OrderStatus.CREATED, OrderStatus.DISPATCHED):
            raise EventOutOfOrder(
                f"order_assigned {o.id}: status {o.status}; rule: only created or dispatched orders are "
                "assigned (started work stays with its technician)"
            )
        for seq in routes.values():
            if o.id in seq:
                seq.remove(o.id)
    elif isinstance(event, OrderClaimed):
        orders[event.order_id] = check_claim(inp, routes, techs, event)
    elif isinstance(event, HandedToPartner):
        del orders[check_hand_off(routes, orders, event).id]
    elif isinstance(event, TechnicianUnavailable):
        tech = _tech(techs, event.technician_id)
        _leave_duty(techs, orders, routes, to_place, tech, event.at)
    elif isinstance(event, RosterChanged):
        for gone in sorted(event.off_duty):
            if gone in techs and techs[gone].available:
                _leave_duty(techs, orders, routes, to_place, techs[gone], event.at)
        joined = [t for t in event.on_duty if t.id not in techs or not techs[t.id].available]
        by_area = {a.id: a for a in inp.areas}  # joiners work in the day's dispatch units
        joined = [operating.joining_unit(t, by_area) for t in joined]
        for t in joined:
            techs[t.id] = t
            routes.setdefault(t.id, [])
        if joined:  # newcomers may take what nobody could
            planned = {oid for seq in routes.values() for oid in seq}
            to_place.extend(
                o.id
                for o in orders.values()
                if o.status in (OrderStatus.CREATED, OrderStatus.DISPATCHED) and o.id not in planned
            )
    elif isinstance(event, AppointmentRescheduled):
        o = _order(orders, event.order_id)
        if event.appointment.end <= event.at:
            raise InputErrors(
                [
                    Problem(
                        f"order {o.id}: appointment",
                        "a new appointment window ends after the moment it is agreed",
                        f"{event.appointment.start:%Y-%m-%d %H:%M}–{event.appointment.end:%H:%M}",
                    )
                ]
            )
        if o.status == OrderStatus.SUSPENDED:  # released back to the pool with its new window
            orders[o.id] = _transition(
                o,
                OrderStatus.CREATED,
                {"appointment": event.appointment, "technician_id": None, "started_at": None},
            )
        elif o.status in (OrderStatus.CREATED, OrderStatus.DISPATCHED):
            orders[o.id] = o.model_copy(update={"appointment": event.appointment})
        else:
            raise EventOutOfOrder(
                f"appointment_rescheduled {o.id}: status {o.status}; rule: only an order not being worked "
                "on (created, dispatched or suspended) gets a new appointment"
            )
        for seq in routes.values():
            if o.id in seq:
                seq.remove(o.id)
        to_place.append(o.id)
    else:
        o = _order(orders, event.order_id)
        if isinstance(event, OrderStarted | OrderResumed):
            if isinstance(event, OrderResumed) and o.status != OrderStatus.SUSPENDED:
                raise EventOutOfOrder(
                    f"order_resumed {o.id}: status {o.status}; rule: only a suspended order is resumed"
                )
            who = event.technician_id or o.technician_id
            if who is None:
                raise InputErrors(
                    [
                        Problem(
                            f"order {o.id}: technician_id",
                            "an order without a technician is started by a named technician",
                            None,
                        )
                    ]
                )
            tech = _tech(techs, who)
            busy = next(
                (
                    x.id
                    for x in orders.values()
                    if x.status == OrderStatus.STARTED and x.technician_id == tech.id and x.id != o.id
                ),
                None,
            )
            if busy is not None:
                raise EventOutOfOrder(
                    f"{event.kind} {o.id}: technician {tech.id} is still working on order "
                    f"{busy}; rule: one started order per technician at a time"
                )
            if not o.required_skills <= tech.skills:
                raise InputErrors(
                    [
                        Problem(
                            f"order {o.id}: technician_id",
                            "skills: a technician only takes orders whose required skills he has",
                            tech.id,
                        )
                    ]
                )
            if not tech.available:
                raise EventOutOfOrder(
                    f"{event.kind} {o.id}: technician {tech.id} is unavailable; rule: only "
                    "available technicians start work"
                )
            orders[o.id] = _transition(
                o, OrderStatus.STARTED, {"technician_id": tech.id, "started_at": event.at}
            )
            for seq in routes.values():
                if o.id in seq:
                    seq.remove(o.id)
        elif isinstance(event, OrderCompleted):
            orders[o.id] = _transition(o, OrderStatus.COMPLETED, {"completed_at": event.at})
            _free_technician(techs, o, event.at)
        elif isinstance(event, OrderSuspended):
            orders[o.id] = _transition(o, OrderStatus.SUSPENDED, {})
            _free_technician(techs, o, event.at)
        elif isinstance(event, OrderCancelled):
            orders[o.id] = _transition(o, OrderStatus.CANCELLED, {})
            if o.status == OrderStatus.STARTED:
                _free_technician(techs, o, event.at)
            for seq in routes.values():
                if o.id in seq:
                    seq.remove(o.id)
    known = {t.id for t in inp.technicians}
    new_inp = inp.model_copy(
        update={
            "now": event.at,
            "orders": tuple(orders.values()),
            "technicians": tuple(techs[t.id] for t in inp.technicians)
            + tuple(t for tid, t in techs.items() if tid not in known),
        }
    )
    # validates the changed records; raises before anything is replaced
    changed = {event.order.id} if isinstance(event, NewOrder) else {getattr(event, "order_id", "")}
    ctx = DispatchContext(new_inp, check_orders=changed)
    if isinstance(event, OrderAssigned):
        _assign_by_hand(ctx, routes, event.order_id, event.technician_id)
    elif isinstance(event, OrderClaimed):
        _insert_claim(ctx, routes, event)
    previous = state.plan
    if isinstance(event, AppointmentRescheduled):
        # the order's window changed: a route that held it is re-timed even if it takes it back at
        # the same place (the previous timing of an unchanged sequence would otherwise be reused)
        previous = previous.model_copy(
            update={
                "routes": tuple(
                    r for r in previous.routes if all(st.order_id != event.order_id for st in r.stops)
                )
            }
        )
    plan = replan_minimal(ctx, routes, to_place, state.plan.version + 1, previous=previous)
    return DispatchState(commit(new_inp, plan), plan)


def check_contact(inp: DayInput, event: CustomerContacted) -> DispatchOrder:
    """The order a contact is about, when the plan allows the contact (the plan's clock is checked
    by :func:`apply_event`).

    Raises
    ------
    UnknownOrder
        The order is not in the day's plan.
    InputErrors
        The contact is not on the plan's day (field ``at``).
    EventOutOfOrder
        The order is not dispatched to a technician, or is already completed or cancelled.
    """
    o = _order({x.id: x for x in inp.orders}, event.order_id)
    if event.at.date() != inp.day:
        raise InputErrors(
            [
                Problem(
                    f"order {o.id}: at",
                    f"a contact of the plan of {inp.day} happens on that day",
                    f"{event.at:%Y-%m-%d %H:%M}",
                )
            ]
        )
    if o.status not in CONTACT_STATUSES or o.technician_id is None:
        raise EventOutOfOrder(
            f"customer_contacted {o.id}: status {o.status}"
            f"{'' if o.technician_id else ', no technician'}; rule: a technician contacts the customer of "
            "an order dispatched to him and not yet completed or cancelled (dispatched, started, suspended)"
        )
    return o


def _unassigned(routes: engine.Routes, o: DispatchOrder) -> bool:
    """An open order nobody has: created and on no route."""
    return o.status == OrderStatus.CREATED and all(o.id not in seq for seq in routes.values())


def check_claim(
    inp: DayInput, routes: engine.Routes, techs: dict[str, OnDutyTechnician], event: OrderClaimed
) -> DispatchOrder:
    """The claimed order dispatched to its claimant, when the claim may be made (not yet whether it
    fits his day: :func:`_insert_claim`).

    Raises
    ------
    UnknownOrder
        The order is not in the day's plan.
    ClaimRefused
        The claimant is not on duty that day (rests, on leave, not rostered) or has left the day; the
        order is not unassigned; he lacks a skill it needs.
    """
    o = _order({x.id: x for x in inp.orders}, event.order_id)
    tech = techs.get(event.technician_id)
    if tech is None:
        raise ClaimRefused(
            f"order_claimed {o.id}: technician {event.technician_id} is not on duty on {inp.day} (rests, "
            "on leave or not rostered); rule: only a technician on duty that day claims an order"
        )
    if not tech.available:
        raise ClaimRefused(
            f"order_claimed {o.id}: technician {tech.id} left the day at {tech.shift_end:%H:%M} "
            "(unavailable); rule: only a technician on duty that day claims an order"
        )
    if not _unassigned(routes, o):
        raise ClaimRefused(
            f"order_claimed {o.id}: status {o.status}"
            f"{f' with {o.technician_id}' if o.technician_id else ''}; rule: only an unassigned order "
            "(created, on nobody's route) is claimed"
        )
    if not rules.has_required_skills(tech, o):
        missing = sorted(s.value for s in o.required_skills - tech.skills)
        raise ClaimRefused(
            f"order_claimed {o.id}: technician {tech.id} lacks {missing}; rule: skills "
            f"({rules.HARD_RULES['skills'].sentence})"
        )
    return _transition(o, OrderStatus.DISPATCHED, {"technician_id": tech.id, "claimed_by": tech.id})


def _insert_claim(ctx: DispatchContext, routes: engine.Routes, event: OrderClaimed) -> None:
    """Put the claimed order at its cheapest feasible position in the claimant's day, or refuse
    naming the hard rule it breaks (shift end, appointment window, …)."""
    oid, tid = event.order_id, event.technician_id
    ins = engine.best_insertion(ctx, routes, oid, only=[tid])
    if ins is None:
        timing = schedule_route(ctx, tid, [*routes.get(tid, []), oid], ctx.fixed_ends())
        rule = timing.broken_rule or "shift_end"
        sentence = rules.HARD_RULES[rule].sentence if rule in rules.HARD_RULES else rule
        raise ClaimRefused(
            f"order_claimed {oid}: it does not fit technician {tid}'s day; rule: {rule} ({sentence})"
        )
    routes.setdefault(tid, []).insert(ins.position, oid)


def check_hand_off(
    routes: engine.Routes, orders: dict[str, DispatchOrder], event: HandedToPartner
) -> DispatchOrder:
    """The order a hand-off to a partner takes out of the plan, when it is unassigned.

    Raises
    ------
    UnknownOrder
        The order is not in the day's plan.
    EventOutOfOrder
        The order is not unassigned (created, on nobody's route).
    """
    o = _order(orders, event.order_id)
    if not _unassigned(routes, o):
        raise EventOutOfOrder(
            f"handed_to_partner {o.id}: status {o.status}"
            f"{f' with {o.technician_id}' if o.technician_id else ''}; rule: only an unassigned order "
            "(created, on nobody's route) is handed to a partner"
        )
    return o


def replan_minimal(
    ctx: DispatchContext,
    routes: engine.Routes,
    to_place: list[str],
    version: int,
    previous: DayPlan | None = None,
) -> DayPlan:
    """Re-time the routes, insert ``to_place`` (and whatever a delay pushed out) by cheapest
    insertion in customer-priority order; VIPs may bump lower-grade orders; nothing else moves."""
    routes = {
        t: [o for o in seq if ctx.orders[o].status in (OrderStatus.CREATED, OrderStatus.DISPATCHED)]
        for t, seq in routes.items()
    }
    # a delay may have made a route infeasible: drop the breaking orders and re-offer them
    ends = engine._fixed_ends(ctx)
    before = {r.technician_id: r for r in previous.routes} if previous is not None else {}
    for tid, seq in routes.items():
        old = before.get(tid)
        if (
            old is not None
            and old.ready_at == ctx.at(ctx.tech_start(tid).minute)
            and [s.order_id for s in old.stops if s.status == StopStatus.PLANNED] == seq
            and not any(ctx.orders[o].depends_on for o in seq)
        ):
            continue  # unchanged start and sequence: still feasible
        timing = schedule_route(ctx, tid, seq, ends)
        while not timing.feasible and seq:
            victim = timing.broken_by or seq[-1]
            seq.remove(victim)
            to_place.append(victim)
            timing = schedule_route(ctx, tid, seq, ends)
    planned = {o for seq in routes.values() for o in seq}
    pending = [o.id for o in ctx.open_orders() if o.id not in planned and o.id not in to_place]
    unassigned: dict[str, tuple[str, str]] = {}
    for oid in sorted(set(to_place), key=lambda o: engine.priority_key(ctx, o)):
        if ctx.orders[oid].status not in (OrderStatus.CREATED, OrderStatus.DISPATCHED):
            continue
        ins = engine.best_insertion(ctx, routes, oid) if ctx.allowed(ctx.orders[oid]) else None
        if ins is not None:
            routes[ins.technician_id].insert(ins.position, oid)
        else:
            pending.append(oid)
    touched = [o for o in pending if o in to_place and ctx.orders[o].customer_grade == CustomerGrade.VIP]
    if touched:
        engine.repair_vip(ctx, routes, only=touched)
    planned = {o for seq in routes.values() for o in seq}
    known = {u.order_id: (u.rule, u.reason) for u in previous.unassigned} if previous is not None else {}
    for o in ctx.open_orders():
        if o.id not in planned:
            # an order that was already out and that this event did not touch keeps its reason
            unassigned[o.id] = (
                known[o.id] if o.id in known and o.id not in to_place else engine.diagnose(ctx, o.id)
            )
    return engine.build_plan(ctx, routes, unassigned, version=version, previous=previous)


def reoptimise(state: DispatchState, params: engine.SolveParams | None = None) -> DispatchState:
    """Periodic background re-optimisation: a full solve that starts from the plan in force and pays
    ``policy.stability_penalty`` for every dispatched order it moves; started/completed work is fixed."""
    plan = engine.plan_day(state.inp, params, previous=state.plan)
    return DispatchState(commit(state.inp, plan), plan)


def _assign_by_hand(ctx: DispatchContext, routes: engine.Routes, oid: str, tech_id: str) -> None:
    """Put ``oid`` at its best position in ``tech_id``'s day, or raise naming the rule it breaks."""
    order = ctx.orders[oid]
    if tech_id not in ctx.allowed(order):
        tech = ctx.techs[tech_id]
        rule = (
            "available"
            if not tech.available
            else "skills"
            if not order.required_skills <= tech.skills
            else "region_group"
        )
        raise InputErrors(
            [
                Problem(
                    f"order {oid}: technician_id",
                    f"{rule}: {rules.HARD_RULES[rule].sentence}"
                    if rule in rules.HARD_RULES
                    else "the technician is unavailable",
                    tech_id,
                )
            ]
        )
    ins = engine.best_insertion(ctx, routes, oid, only=[tech_id])
    if ins is None:
        timing = schedule_route(ctx, tech_id, [*routes.get(tech_id, []), oid], ctx.fixed_ends())
        rule = timing.broken_rule or "shift_end"
        raise Conflict(
            f"order {oid} does not fit technician {tech_id}'s day; rule: {rule} "
            f"({rules.HARD_RULES[rule].sentence if rule in rules.HARD_RULES else rule})"
        )
    routes.setdefault(tech_id, []).insert(ins.position, oid)


def _order(orders: dict[str, DispatchOrder], order_id: str) -> DispatchOrder:
    o = orders.get(order_id)
    if o is None:
        raise UnknownOrder(f"order {order_id}: rule: events must name an order of today's plan")
    return o


def _tech(techs: dict[str, OnDutyTechnician], tech_id: str) -> OnDutyTechnician:
    t = techs.get(tech_id)
    if t is None:
        raise UnknownTechnician(f"technician {tech_id}: rule: events must name a technician on duty today")
    return t


def _transition(o: DispatchOrder, new: OrderStatus, update: dict[str, object]) -> DispatchOrder:
    try:
        check_transition(o.id, o.status, new)
    except IllegalTransition as exc:
        raise EventOutOfOrder(f"{exc}; rule: order life cycle (vocabulary.orders.TRANSITIONS)") from None
    return o.model_copy(update={"status": new, **update})


def _leave_duty(
    techs: dict[str, OnDutyTechnician],
    orders: dict[str, DispatchOrder],
    routes: engine.Routes,
    to_place: list[str],
    tech: OnDutyTechnician,
    at: dt.datetime,
) -> None:
    """The technician takes no new work from ``at``: his started order is suspended (without him),
    his planned orders are offered to the others."""
    end = max(at, tech.shift_start + dt.timedelta(minutes=1))
    techs[tech.id] = tech.model_copy(update={"available": False, "shift_end": end})
    for oid, o in list(orders.items()):
        if o.technician_id == tech.id and o.status == OrderStatus.STARTED:
            orders[oid] = _transition(o, OrderStatus.SUSPENDED, {"technician_id": None})
    to_place.extend(routes.pop(tech.id, []))
    routes[tech.id] = []


def _free_technician(techs: dict[str, OnDutyTechnician], o: DispatchOrder, at: dt.datetime) -> None:
    """After finishing/suspending work the technician is free at the order's place from ``at``."""
    if o.technician_id is not None and o.technician_id in techs:
        t = techs[o.technician_id]
        techs[t.id] = t.model_copy(update={"available_from": at, "position": o.location})
