"""Changing a branch-day's dispatch as one transaction: lock, apply, move the work orders, store.

Every change of a stored day goes through here (the API's routes, the plan and re-optimisation
jobs, the day's seam when a roster is published), and each one does the same, in one transaction:

1. lock the branch-day (:func:`~scheduler.dispatch.store.lock_day`): changes of one day queue;
2. read the plan in force (and check the version the caller saw, when it says);
3. apply the change (:func:`~scheduler.dispatch.events.apply_event`, or a solver's plan): a refused
   change raises before anything is written;
4. for a day planned from the order table, move every work order the change moved
   (:func:`~scheduler.dispatch.ledger.record_changes`), checking the table still says what the plan
   in force says;
5. store the new plan version and the event.

A contact with the customer (``customer_contacted``) changes no plan: steps 1–2 as above, the
contact checked against the plan in force, recorded with the work order (step 4,
:func:`~scheduler.dispatch.ledger.record_contact`) and in the day's event log under the version in
force; no new version is stored.

The caller's transaction commits all of it or none of it (the API's request transaction, a job's
:func:`~fieldcrew.db.session_scope`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew.tables import OrderEventRow, SmallAreaRow, TechnicianRow
from scheduler.dispatch import ledger, partners_store, store
from scheduler.dispatch.db_day import on_duty_technicians
from scheduler.dispatch.domain import (
    DayInput,
    DayPlan,
    DispatchOrder,
    OnDutyShift,
    StopStatus,
    TechnicianDay,
    TechnicianStop,
)
from scheduler.dispatch.errors import (
    DayUnderWay,
    EventNotAllowed,
    NotYourOrder,
    OrderTableDay,
)
from scheduler.dispatch.events import (
    AnyEvent,
    AppointmentRescheduled,
    CustomerContacted,
    DispatchState,
    HandedToPartner,
    NewOrder,
    OrderCancelled,
    OrderClaimed,
    OrderCompleted,
    OrderResumed,
    OrderStarted,
    OrderSuspended,
    RosterChanged,
    TechnicianUnavailable,
    apply_event,
)
from scheduler.dispatch.ledger import OrderChange, OrderMark, OrderNote
from vocabulary.errors import InputErrors, NotFound, Problem
from vocabulary.orders import OrderStatus

#: What a technician may post, and only for his own orders.
TECHNICIAN_EVENTS: frozenset[str] = frozenset(
    {"order_started", "order_resumed", "order_suspended", "order_completed", "customer_contacted"}
)


class LinkedPlan(BaseModel):
    """What a morning plan from the order table was made against: the day's version in force then,
    and the order table's status and technician of each order it took."""

    base_version: int = Field(ge=0)
    marks: dict[str, OrderMark]


@dataclass(frozen=True)
class Applied:
    """A stored change: the version it made, the plans before and after, the work orders it moved."""

    version: int
    event: AnyEvent
    before: DayPlan
    after: DayPlan
    changes: tuple[OrderChange, ...]
    #: a ``customer_contacted`` event of a day planned from the order table: the order's first
    #: contact as recorded (a later contact leaves it)
    first_contact_at: dt.datetime | None = None

    def moved(self) -> dict[str, list[str | None]]:
        """Order id → [technician before, technician after] of every order that changed hands."""
        before, after = self.before.assignment(), self.after.assignment()
        return {
            k: [before.get(k), after.get(k)]
            for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)
        }


# --------------------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------------------


def post_event(
    session: Session,
    branch_id: str,
    day: dt.date,
    event: AnyEvent,
    actor: str,
    expected_version: int | None = None,
    technician_id: str | None = None,
) -> Applied:
    """Apply one event to the branch-day's plan in force and store the result (see the module).

    Parameters
    ----------
    expected_version
        The plan version the caller saw; :class:`PlanVersionConflict` when the day has moved on.
    technician_id
        The caller is this technician: only :data:`TECHNICIAN_EVENTS`, only for his own orders.
    """
    lock = store.lock_day(session, branch_id, day)
    lock.expect(expected_version)
    inp, plan = store.load_state(session, branch_id, day)
    if technician_id is not None:
        check_technician_event(inp, event, technician_id)
    return _apply(session, inp, plan, event, actor)


def check_technician_event(inp: DayInput, event: AnyEvent, technician_id: str) -> None:
    """A technician posts only the progress of his own work: started, resumed, suspended, completed,
    and his contacts with the customer.

    Raises
    ------
    EventNotAllowed
        Another kind of event, or one naming another technician as the one who works.
    NotYourOrder
        The order is not his in today's plan (or does not exist: the answer is the same).
    """
    if isinstance(event, OrderClaimed):  # a volunteer claims for himself; the order is nobody's yet
        if event.technician_id != technician_id:
            raise EventNotAllowed(
                f"order_claimed {event.order_id}: technician_id {event.technician_id}; rule: a technician "
                "claims orders only for himself"
            )
        return
    if event.kind not in TECHNICIAN_EVENTS:
        raise EventNotAllowed(
            f"{event.kind}: rule: a technician posts only order_started, order_resumed, order_suspended, "
            "order_completed and customer_contacted, for his own orders; the dispatcher posts the others"
        )
    order_id = getattr(event, "order_id", None)
    order = next((o for o in inp.orders if o.id == order_id), None)
    if order is None or order.technician_id != technician_id:
        raise NotYourOrder(f"order {order_id}: not one of your orders in the plan of {inp.day}")
    if isinstance(event, OrderStarted | OrderResumed) and event.technician_id not in (None, technician_id):
        raise EventNotAllowed(
            f"{event.kind} {order_id}: technician_id {event.technician_id}; rule: a technician reports only "
            "his own work"
        )


def _apply(session: Session, inp: DayInput, plan: DayPlan, event: AnyEvent, actor: str) -> Applied:
    if isinstance(event, CustomerContacted):
        return _contact(session, inp, plan, event, actor)
    if isinstance(event, HandedToPartner) and inp.intake is None:
        raise OrderTableDay(
            f"handed_to_partner {event.order_id}: the plan of branch {inp.branch_id} on {inp.day} is not "
            "made from the order table; rule: only a stored work order is handed to a partner"
        )
    new = apply_event(DispatchState(inp, plan), event)
    changes: list[OrderChange] = []
    if inp.intake is not None:
        before = ledger.marks_of(inp)
        if isinstance(event, NewOrder):
            ledger.insert_order(session, event.order)
            before[event.order.id] = OrderMark(OrderStatus.CREATED, None)
        after = ledger.marks_of(new.inp)
        if isinstance(event, HandedToPartner):  # out of the plan: dispatched, to no technician
            order = next(o for o in inp.orders if o.id == event.order_id)
            partners_store.hand_off(session, event.partner_id, order, inp.day, event.at, actor)
            after[order.id] = OrderMark(OrderStatus.DISPATCHED, None)
        changes = ledger.record_changes(
            session, before, after, event.at, actor, _cause(event), _notes(event)
        )
    version = store.save_state(session, new.inp, new.plan, actor, event.kind)
    payload = event.model_dump(mode="json")
    payload["orders_moved"] = {c.order_id: [str(c.before), str(c.after)] for c in changes}
    store.record_event(session, inp.branch_id, inp.day, event.kind, event.at, payload, version, actor)
    return Applied(version, event, plan, new.plan.model_copy(update={"version": version}), tuple(changes))


def _contact(session: Session, inp: DayInput, plan: DayPlan, event: CustomerContacted, actor: str) -> Applied:
    """Record a contact with the customer: the plan stays the version in force."""
    apply_event(DispatchState(inp, plan), event)  # the plan's clock, the order, the day, its status
    first: dt.datetime | None = None
    if inp.intake is not None:
        order = next(o for o in inp.orders if o.id == event.order_id)
        mark = OrderMark(order.status, order.technician_id)
        first = ledger.record_contact(session, mark, order.id, event.at, event.channel.value, actor)
    payload = event.model_dump(mode="json")
    payload["first_contact_at"] = first.isoformat() if first is not None else None
    store.record_event(session, inp.branch_id, inp.day, event.kind, event.at, payload, plan.version, actor)
    return Applied(plan.version, event, plan, plan, (), first)


def _cause(event: AnyEvent) -> str:
    if isinstance(event, RosterChanged):
        return f"roster_changed: roster {event.roster_id} v{event.roster_version}"
    if isinstance(event, TechnicianUnavailable):
        return f"technician_unavailable: {event.technician_id} {event.reason}"
    if isinstance(event, OrderClaimed):
        return f"order_claimed: by {event.technician_id}"
    if isinstance(event, HandedToPartner):
        return f"handed_to_partner: {event.partner_id}"
    return event.kind


def _notes(event: AnyEvent) -> dict[str, OrderNote]:
    if isinstance(event, OrderSuspended):
        return {event.order_id: OrderNote(reason=event.reason)}
    if isinstance(event, OrderCompleted):
        return {
            event.order_id: OrderNote(
                fixed=event.fixed, repeat_of=event.repeat_of, appointment_kept=event.appointment_kept
            )
        }
    if isinstance(event, OrderCancelled) and event.reason:
        return {event.order_id: OrderNote(reason=event.reason)}
    if isinstance(event, AppointmentRescheduled):
        return {event.order_id: OrderNote(reason=event.reason, appointment=event.appointment)}
    return {}


# --------------------------------------------------------------------------------------------------
# plans made by a solver
# --------------------------------------------------------------------------------------------------


def check_can_plan(session: Session, branch_id: str, day: dt.date) -> int:
    """The day's version in force (0: never planned), when a new morning plan may replace it.

    Raises
    ------
    DayUnderWay
        The stored plan was made from the order table and some of its work has started (or is
        done, suspended, cancelled): the day goes on by events and re-optimisation.
    """
    status = store.day_status(session, branch_id, day)
    if status is None or status.version == 0:
        return 0
    inp, plan = store.load_state(session, branch_id, day)
    if status.linked:
        _check_not_under_way(inp)
    return plan.version


def _check_not_under_way(inp: DayInput) -> None:
    moved = sorted(o.id for o in inp.orders if o.status not in (OrderStatus.CREATED, OrderStatus.DISPATCHED))
    if moved:
        raise DayUnderWay(
            f"dispatch plan of branch {inp.branch_id} on {inp.day}: work has begun (order(s) "
            f"{', '.join(moved[:5])}{' …' if len(moved) > 5 else ''} started, done or cancelled); rule: a "
            "day under way changes by events and re-optimisation, not by a new morning plan"
        )


def check_direct_input(session: Session, inp: DayInput) -> None:
    """A day input given directly (not read from the order table) must not touch the order table.

    Raises
    ------
    OrderTableDay
        The branch-day is planned from the order table, or the input names stored work orders
        (their changes would not reach the order table: plan such a day from it).
    InputErrors
        The input carries an intake (only a plan from the order table has one).
    """
    if inp.intake is not None:
        raise InputErrors(
            [Problem("input.intake", "set only by planning a day from the order table; leave it out", "set")]
        )
    status = store.day_status(session, inp.branch_id, inp.day)
    if status is not None and status.linked:
        raise OrderTableDay(
            f"dispatch plan of branch {inp.branch_id} on {inp.day} is made from the order table; "
            "rule: a day input given directly cannot replace it (plan the day from the order table)"
        )
    stored = sorted(ledger.table_marks(session, (o.id for o in inp.orders)))
    if stored:
        raise OrderTableDay(
            f"order(s) {', '.join(stored[:5])}{' …' if len(stored) > 5 else ''} of the input are in the "
            "order table; rule: a day with stored work orders is planned from the order table "
            f"(POST /dispatch/plans/{inp.branch_id}/{inp.day}), so that every change reaches them"
        )


def store_morning_plan(
    session: Session, state: DispatchState, actor: str, linked: LinkedPlan | None = None
) -> int:
    """Store a solver's morning plan as the day's next version; with ``linked`` (a day planned from
    the order table) dispatch its orders in the order table too; returns the version.

    Raises
    ------
    PlanVersionConflict
        The day moved on since the plan's input was read.
    DayUnderWay
        Work of the day has begun meanwhile.
    OrderTableConflict
        An order the plan takes changed in the order table since it was read.
    OrderTableDay
        A day input given directly for a day planned from the order table.
    """
    inp = state.inp
    lock = store.lock_day(session, inp.branch_id, inp.day)
    if linked is None:
        if lock.linked:
            raise OrderTableDay(
                f"dispatch plan of branch {inp.branch_id} on {inp.day} is made from the order table; "
                "rule: a day input given directly cannot replace it (plan the day from the order table)"
            )
        return store.save_state(session, inp, state.plan, actor, "morning_plan")
    lock.expect(linked.base_version)
    before = dict(linked.marks)
    after = ledger.marks_of(inp)
    if lock.version > 0:
        old, _ = store.load_state(session, inp.branch_id, inp.day)
        if old.intake is not None:
            _check_not_under_way(old)
            for oid, mark in ledger.marks_of(old).items():
                if oid not in after:  # the new plan no longer holds it: back to the pool
                    before[oid] = mark
                    after[oid] = OrderMark(OrderStatus.CREATED, None)
    ledger.record_changes(session, before, after, inp.now, actor, "morning_plan")
    return store.save_state(session, inp, state.plan, actor, "morning_plan")


def store_reoptimised(session: Session, base_version: int, state: DispatchState, actor: str) -> int | None:
    """Store a re-optimised plan made from version ``base_version``; None (nothing stored) when an
    event arrived meanwhile (it would overwrite newer facts)."""
    inp = state.inp
    lock = store.lock_day(session, inp.branch_id, inp.day)
    if lock.version != base_version:
        return None
    old, _ = store.load_state(session, inp.branch_id, inp.day)
    if old.intake is not None:
        ledger.record_changes(
            session, ledger.marks_of(old), ledger.marks_of(inp), inp.now, actor, "reoptimise"
        )
    return store.save_state(session, inp, state.plan, actor, "reoptimise")


# --------------------------------------------------------------------------------------------------
# who is on duty changed (a roster published)
# --------------------------------------------------------------------------------------------------


def replan_on_duty(
    session: Session,
    branch_id: str,
    day: dt.date,
    roster_id: str,
    roster_version: int,
    on_duty: Sequence[OnDutyShift],
    off_reasons: Mapping[str, str],
    actor: str,
) -> Applied | None:
    """Bring a stored day in line with a newly published roster: technicians no longer on duty leave
    it (their started work is suspended, their planned orders go to the others), newly rostered ones
    join it. None when the roster changes nobody of the day.

    ``off_reasons`` says why a technician is off (rests, on leave); others are "not rostered".
    """
    store.lock_day(session, branch_id, day)
    inp, plan = store.load_state(session, branch_id, day)
    rostered = {s.technician_id for s in on_duty}
    working = {t.id for t in inp.technicians if t.available}
    off = {t: off_reasons.get(t, "not rostered") for t in sorted(working - rostered)}
    joining = [s for s in on_duty if s.technician_id not in working]
    if not off and not joining:
        return None
    event = RosterChanged(
        at=inp.now,
        roster_id=roster_id,
        roster_version=roster_version,
        off_duty=off,
        on_duty=tuple(on_duty_technicians(session, branch_id, day, joining)) if joining else (),
    )
    return _apply(session, inp, plan, event, actor)


# --------------------------------------------------------------------------------------------------
# a technician's own day
# --------------------------------------------------------------------------------------------------


def technician_day(session: Session, technician_id: str, day: dt.date) -> TechnicianDay:
    """The technician's orders of ``day`` in the plan in force of his branch: his timeline in order,
    then his suspended orders; nothing of anyone else's."""
    tech = session.get(TechnicianRow, technician_id)
    if tech is None:
        raise NotFound(f"technician {technician_id}: not found; rule: a technician user names a technician")
    inp, plan = store.load_state(session, tech.branch_id, day)
    mine = {o.id: o for o in inp.orders if o.technician_id == technician_id}
    route = plan.route_of(technician_id)
    area_names: dict[str, str] = {
        aid: name
        for aid, name in session.execute(
            select(SmallAreaRow.id, SmallAreaRow.name).where(
                SmallAreaRow.id.in_(sorted({o.area_id for o in mine.values()}))
            )
        )
    }
    reasons: dict[str, str | None] = {}
    suspended = [oid for oid, o in mine.items() if o.status == OrderStatus.SUSPENDED]
    if suspended and inp.intake is not None:
        for oid, reason in session.execute(
            select(OrderEventRow.order_id, OrderEventRow.reason)
            .where(OrderEventRow.order_id.in_(suspended), OrderEventRow.status == OrderStatus.SUSPENDED.value)
            .order_by(OrderEventRow.id)
        ):
            reasons[oid] = reason  # the last suspension's reason wins
    stops: list[TechnicianStop] = []
    on_route: set[str] = set()
    for seq, stop in enumerate(route.stops if route is not None else (), start=1):
        o = mine.get(stop.order_id)
        if o is None:
            continue
        on_route.add(o.id)
        stops.append(
            _stop(o, seq, area_names, reasons).model_copy(
                update={
                    "eta": stop.arrival if stop.status == StopStatus.PLANNED else None,
                    "start": stop.start,
                    "end": stop.end,
                    "late_min": stop.late_min,
                }
            )
        )
    for o in sorted(mine.values(), key=lambda x: x.id):
        if o.id not in on_route:
            stops.append(_stop(o, None, area_names, reasons))
    shift = next((t for t in inp.technicians if t.id == technician_id), None)
    return TechnicianDay(
        branch_id=inp.branch_id,
        day=inp.day,
        technician_id=technician_id,
        version=plan.version,
        shift_start=shift.shift_start if shift is not None else None,
        shift_end=shift.shift_end if shift is not None else None,
        stops=tuple(stops),
    )


def _stop(
    o: DispatchOrder, seq: int | None, area_names: Mapping[str, str], reasons: Mapping[str, str | None]
) -> TechnicianStop:
    return TechnicianStop(
        order_id=o.id,
        seq=seq,
        status=o.status,
        order_type=o.order_type,
        difficulty=o.difficulty,
        customer_grade=o.customer_grade,
        area_id=o.area_id,
        area_name=area_names.get(o.area_id),
        location=o.location,
        appointment=o.appointment,
        deadline=o.deadline,
        suspend_reason=reasons.get(o.id) if o.status == OrderStatus.SUSPENDED else None,
    )
