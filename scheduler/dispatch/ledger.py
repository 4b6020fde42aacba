"""The order table's side of dispatch: every order change of a plan moves its work order along.

A day planned from the order table (``DayInput.intake`` set) and the platform's ``work_orders`` /
``order_events`` tables are one record: whenever a new plan version changes an order's status or
technician, :func:`record_changes` moves the work order the same way, in the same transaction,
through the life cycle (:data:`vocabulary.orders.TRANSITIONS`), one ``order_events`` row per
step with the time, the technician, who recorded it and why. A move to another technician is an
un-dispatch and a dispatch (``dispatched → created → dispatched``), so the history stays a valid
life cycle for the KPIs.

Before it writes, it checks that the table still says what the plan in force says of each order
it changes; when someone changed an order outside dispatch, nothing is written and
:class:`~scheduler.dispatch.errors.OrderTableConflict` names the order.

An order dispatched through the loop records first contacts from then on
(``work_orders.contacts_recorded``): the technician's contacts with the customer
(:func:`record_contact`) are ``order_events`` rows with the status
:data:`~fieldcrew.tables.CONTACTED`, and the first one is the order's ``first_contact_at``, the
start of the technician's response for the KPIs.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldcrew.tables import CONTACTED, OrderEventRow, WorkOrderRow
from scheduler.dispatch.domain import DayInput, DispatchOrder
from scheduler.dispatch.errors import EventOutOfOrder, InputErrors, OrderTableConflict, Problem
from vocabulary.orders import TRANSITIONS, LineType, OrderStatus, TimeWindow
from vocabulary.staff import Skill

_CHUNK = 500


class OrderMark(NamedTuple):
    """What the plan and the order table must agree on: the order's status and technician."""

    status: OrderStatus
    technician_id: str | None

    def __str__(self) -> str:
        return f"{self.status.value}" + (f" by {self.technician_id}" if self.technician_id else "")


@dataclass(frozen=True)
class OrderNote:
    """What an event adds to a work order besides its status: a reason, a completion outcome, a new
    appointment."""

    reason: str | None = None
    fixed: bool | None = None
    repeat_of: str | None = None
    appointment_kept: bool | None = None
    appointment: TimeWindow | None = None


@dataclass(frozen=True)
class OrderChange:
    """One work order moved: from what to what, through which statuses."""

    order_id: str
    before: OrderMark
    after: OrderMark
    steps: tuple[OrderStatus, ...]


def marks_of(inp: DayInput) -> dict[str, OrderMark]:
    """``order id → (status, technician)`` of every order of a day input."""
    return {o.id: OrderMark(o.status, o.technician_id) for o in inp.orders}


def table_marks(session: Session, order_ids: Iterable[str]) -> dict[str, OrderMark]:
    """``order id → (status, technician)`` as the order table holds them (unknown ids left out)."""
    out: dict[str, OrderMark] = {}
    ids = sorted(set(order_ids))
    for i in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(WorkOrderRow.id, WorkOrderRow.status, WorkOrderRow.technician_id).where(
                WorkOrderRow.id.in_(ids[i : i + _CHUNK])
            )
        )
        out.update({oid: OrderMark(OrderStatus(status), tech) for oid, status, tech in rows})
    return out


def disagreements(session: Session, inp: DayInput) -> list[str]:
    """Orders of a day planned from the order table whose status or technician the table does not
    hold as the plan does (empty when they agree), one sentence each."""
    table = table_marks(session, (o.id for o in inp.orders))
    out = []
    for oid, mark in marks_of(inp).items():
        held = table.get(oid)
        if held != mark:
            out.append(f"order {oid}: plan says {mark}, order table says {held or 'nothing (missing)'}")
    return out


def insert_order(session: Session, order: DispatchOrder) -> None:
    """Add a new order of a rolling ``new_order`` event to the order table (status ``created``)."""
    if session.get(WorkOrderRow, order.id) is not None:
        raise OrderTableConflict(
            f"new_order {order.id}: the order table already has it; rule: order ids are unique"
        )
    line = (
        LineType.FIXED_LINE
        if Skill.FIXED_LINE in order.required_skills and Skill.BROADBAND not in order.required_skills
        else LineType.BROADBAND
    )
    session.add(
        WorkOrderRow(
            id=order.id,
            order_type=order.order_type.value,
            difficulty=order.difficulty,
            area_id=order.area_id,
            lat=order.location.lat,
            lon=order.location.lon,
            customer_grade=order.customer_grade.value,
            line_type=line.value,
            created=order.created,
            appointment_start=order.appointment.start if order.appointment else None,
            appointment_end=order.appointment.end if order.appointment else None,
            deadline=order.deadline,
            required_skills=sorted(s.value for s in order.required_skills),
            status=OrderStatus.CREATED.value,
            technician_id=None,
        )
    )
    session.flush()


def record_changes(
    session: Session,
    before: Mapping[str, OrderMark],
    after: Mapping[str, OrderMark],
    at: dt.datetime,
    actor: str,
    cause: str,
    notes: Mapping[str, OrderNote] | None = None,
) -> list[OrderChange]:
    """Move the work orders from ``before`` (what the plan in force says) to ``after`` (the new plan).

    Parameters
    ----------
    before
        The plan in force's view of the orders; the table must still hold exactly this for every
        order that changes (else :class:`OrderTableConflict`, nothing written).
    after
        The new plan's view; an order whose mark is unchanged and that has no note is not touched.
    at
        When it happened; each step is stamped no earlier than the order's creation and its last
        recorded event (an order created later in the day is dispatched when it exists).
    actor, cause
        Who recorded it (a user name) and why (the event), stored with every step.
    notes
        Per order: reason, completion outcome, new appointment.
    """
    notes = notes or {}
    ids = sorted(oid for oid, mark in after.items() if before.get(oid) != mark or oid in notes)
    rows: dict[str, WorkOrderRow] = {}
    last: dict[str, dt.datetime] = {}
    for i in range(0, len(ids), _CHUNK):
        part = ids[i : i + _CHUNK]
        rows.update((r.id, r) for r in session.scalars(select(WorkOrderRow).where(WorkOrderRow.id.in_(part))))
        for oid, latest in session.execute(
            select(OrderEventRow.order_id, func.max(OrderEventRow.at))
            .where(OrderEventRow.order_id.in_(part), OrderEventRow.status != CONTACTED)
            .group_by(OrderEventRow.order_id)
        ):
            last[oid] = latest
    changes: list[OrderChange] = []
    for oid in ids:
        row = rows.get(oid)
        if row is None:
            raise OrderTableConflict(
                f"order {oid}: the plan holds it but the order table does not; rule: a day planned from "
                "the order table changes only stored orders"
            )
        have = OrderMark(OrderStatus(row.status), row.technician_id)
        was = before.get(oid, have)
        if have != was:
            raise OrderTableConflict(
                f"order {oid}: the order table says {have}, the plan in force says {was} (changed "
                "outside dispatch); rule: plan and order table are one record: nothing was changed"
            )
        want = after[oid]
        note = notes.get(oid)
        steps = _path(oid, have, want)
        when = max(at, row.created, last.get(oid, row.created))
        for k, (status, tech) in enumerate(steps):
            primary = k == len(steps) - 1
            session.add(
                OrderEventRow(
                    order_id=oid,
                    status=status.value,
                    at=when,
                    technician_id=tech,
                    actor=actor,
                    reason=(note.reason if primary and note is not None and note.reason else None) or cause,
                )
            )
        row.status, row.technician_id = want.status.value, want.technician_id
        if OrderStatus.DISPATCHED in (s for s, _ in steps):
            row.contacts_recorded = True  # the technician reports his contacts through the loop
        if note is not None:
            _apply_note(session, row, note, when)
        changes.append(OrderChange(oid, have, want, tuple(s for s, _ in steps)))
    session.flush()
    return changes


def record_contact(
    session: Session,
    mark: OrderMark,
    order_id: str,
    at: dt.datetime,
    channel: str,
    actor: str,
) -> dt.datetime:
    """Record a contact of the order's technician with its customer; returns the order's first
    contact, which only the first contact sets (a later one is recorded and leaves it).

    Parameters
    ----------
    mark
        What the plan in force says of the order; the table must still say it.
    at
        When; stamped no earlier than the order's creation.
    channel, actor
        How the customer was reached (``phone``, ``sms``, ``visit``), and who recorded it.

    Raises
    ------
    OrderTableConflict
        The order table does not hold the order, or no longer says what the plan says of it.
    EventOutOfOrder
        An earlier contact than one already recorded for the order: contacts are recorded in time
        order, so the first one recorded is the first contact.
    """
    row = session.get(WorkOrderRow, order_id)
    if row is None:
        raise OrderTableConflict(
            f"order {order_id}: the plan holds it but the order table does not; rule: a day planned from "
            "the order table changes only stored orders"
        )
    have = OrderMark(OrderStatus(row.status), row.technician_id)
    if have != mark:
        raise OrderTableConflict(
            f"order {order_id}: the order table says {have}, the plan in force says {mark} (changed "
            "outside dispatch); rule: plan and order table are one record: nothing was changed"
        )
    when = max(at, row.created)
    latest = session.scalar(
        select(func.max(OrderEventRow.at)).where(
            OrderEventRow.order_id == order_id, OrderEventRow.status == CONTACTED
        )
    )
    if latest is not None and when < latest:
        raise EventOutOfOrder(
            f"customer_contacted {order_id} at {when:%Y-%m-%d %H:%M}: a contact at {latest:%H:%M} is already "
            "recorded; rule: the contacts of an order are recorded in time order"
        )
    session.add(
        OrderEventRow(
            order_id=order_id,
            status=CONTACTED,
            at=when,
            technician_id=mark.technician_id,
            actor=actor,
            reason=f"customer_contacted: {channel}",
        )
    )
    row.contacts_recorded = True
    if row.first_contact_at is None:
        row.first_contact_at = when
    session.flush()
    return row.first_contact_at


def _apply_note(session: Session, row: WorkOrderRow, note: OrderNote, when: dt.datetime) -> None:
    if note.appointment is not None:
        row.appointment_start, row.appointment_end = note.appointment.start, note.appointment.end
    if row.status != OrderStatus.COMPLETED.value:
        return
    if note.fixed is not None:
        row.fixed = note.fixed
    if note.appointment_kept is not None:
        row.appointment_kept = note.appointment_kept
    if note.repeat_of is not None:
        earlier = session.get(WorkOrderRow, note.repeat_of)
        if earlier is None or earlier.id == row.id:
            raise InputErrors(
                [Problem(f"order {row.id}: repeat_of", "must name another stored work order", note.repeat_of)]
            )
        row.repeat_of = earlier.id
        done = session.scalar(
            select(func.max(OrderEventRow.at)).where(
                OrderEventRow.order_id == earlier.id, OrderEventRow.status == OrderStatus.COMPLETED.value
            )
        )
        # the earlier repair's fault came back: its outcome records after how many days (repeat-report KPI)
        if done is not None and earlier.repeat_fault_within_days is None and row.created >= done:
            earlier.repeat_fault_within_days = (row.created.date() - done.date()).days


def _path(order_id: str, have: OrderMark, want: OrderMark) -> list[tuple[OrderStatus, str | None]]:
    """The shortest run of life-cycle steps from ``have`` to ``want``: one step, or back through the
    pool (``created``) and on, as a move to another technician or a released order dispatched again."""
    if have == want:
        return []
    queue: deque[list[OrderStatus]] = deque([[have.status]])
    seen: set[OrderStatus] = set()
    while queue:
        path = queue.popleft()
        for nxt in sorted(TRANSITIONS[path[-1]]):
            if nxt == want.status:
                mids = path[1:]
                return [
                    *((s, None if s == OrderStatus.CREATED else have.technician_id) for s in mids),
                    (want.status, want.technician_id),
                ]
            # only back through the pool (created): never invent work that did not happen
            if nxt == OrderStatus.CREATED and nxt not in seen:
                seen.add(nxt)
                queue.append([*path, nxt])
    raise EventOutOfOrder(
        f"order {order_id}: cannot go from {have} to {want}; rule: order life cycle "
        "(vocabulary.orders.TRANSITIONS)"
    )
