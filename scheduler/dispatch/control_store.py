"""The process control's records and its clock: reminders, reviews, flags, escalations, ticks.

Tables (on :class:`fieldcrew.db.Base`, migration ``control_0001``, Alembic branch ``control``):
``control_reminders``, ``control_reviews``, ``control_flags``, ``control_escalations`` and
``control_clock`` (one row per branch: the last time evaluated, and the row every control write of
the branch locks first, so that a minute tick and an event's tick never open the same escalation
twice).

Every public function works inside the caller's transaction (the API's request session, or
:func:`fieldcrew.db.session_scope`), records an audit entry for each write in it
(:func:`fieldcrew.audit.record`), and returns domain objects of :mod:`scheduler.dispatch.control`.
Bad input raises before anything is written: an unknown order, review or escalation is
:class:`~scheduler.dispatch.control.UnknownControlRecord` (404), a second decision or closure a
:class:`~vocabulary.errors.Conflict` (409), a bad field :class:`~vocabulary.errors.InputErrors` (422).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldcrew import audit
from fieldcrew.db import Base, session_scope
from fieldcrew.records import order_from_row
from fieldcrew.tables import BranchRow, OrderEventRow, RegionGroupRow, SmallAreaRow, WorkOrderRow, utcnow
from scheduler.dispatch import service as dispatch_service
from scheduler.dispatch import store as dispatch_store
from scheduler.dispatch.control import (
    AlreadyDecided,
    ControlConflict,
    ControlInput,
    ControlPolicy,
    ControlQueue,
    ControlReport,
    Decision,
    Escalation,
    EscalationClosed,
    Flag,
    FlagKind,
    LevelUp,
    PastRepair,
    Reminder,
    ReminderChannel,
    Reschedule,
    Review,
    ReviewKind,
    Trigger,
    UnknownControlRecord,
    degree_box,
    evaluate,
    order_subject,
    queue_items,
    warnings,
)
from scheduler.dispatch.events import AppointmentRescheduled
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import LOCAL_TIME, OrderStatus, OrderType, TimeWindow, WorkOrder
from vocabulary.organisation import Location

log = logging.getLogger(__name__)

#: Who the clock's writes are recorded as (audit log).
CLOCK_ACTOR = "control-clock"
_CHUNK = 500
#: How far ahead of a reschedule's decision a dispatch day holding the order is looked for.
RESCHEDULE_LOOKAHEAD = dt.timedelta(days=7)
#: Candidates per query of the past repairs near them (one box per candidate in the query).
_BOX_CHUNK = 100
#: A tick checks for repeat faults the open repairs created since the previous tick less this margin
#: (orders entered late with an earlier creation time; an event's tick checks its orders anyway).
REPEAT_CHECK_MARGIN = dt.timedelta(hours=1)
_TERMINAL = [OrderStatus.COMPLETED.value, OrderStatus.CANCELLED.value]
_OPEN = [s.value for s in OrderStatus if s.value not in _TERMINAL]
#: Who a repeat read from the order table's ``repeat_of`` is attributed to.
ORDER_TABLE = "order table"


def local_now() -> dt.datetime:
    """The current Asia/Shanghai time, naive (as every stored time), to the second."""
    return dt.datetime.now(LOCAL_TIME).replace(tzinfo=None, microsecond=0)


# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------


class ControlReminderRow(Base):
    """A reminder (催单) logged against an order."""

    __tablename__ = "control_reminders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ControlReviewRow(Base):
    """A suspend or reschedule review (挂起审核 / 改约审核) and its decision."""

    __tablename__ = "control_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    technician_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    proposed_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    proposed_end: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    deadline: Mapped[dt.datetime] = mapped_column(DateTime)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    act_by: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ControlFlagRow(Base):
    """A dispatcher's mark on an order: major fault or repeat fault (one of each kind per order)."""

    __tablename__ = "control_flags"
    __table_args__ = (UniqueConstraint("order_id", "kind", name="uq_control_flags_order_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    repeat_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ControlEscalationRow(Base):
    """An escalation: trigger, subject, level and owner, acknowledgement and closure."""

    __tablename__ = "control_escalations"
    __table_args__ = (UniqueConstraint("trigger", "subject", name="uq_control_escalations_trigger_subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[str | None] = mapped_column(ForeignKey("work_orders.id"), nullable=True, index=True)
    area_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[int] = mapped_column(Integer, default=1)
    owner: Mapped[str] = mapped_column(String(64))
    since: Mapped[dt.datetime] = mapped_column(DateTime)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    level_since: Mapped[dt.datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)


class ControlClockRow(Base):
    """One row per branch: when the control last evaluated it; the lock of the branch's control writes."""

    __tablename__ = "control_clock"
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    ticks: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


# --------------------------------------------------------------------------------------------------
# rows ↔ domain
# --------------------------------------------------------------------------------------------------


def _reminder(r: ControlReminderRow) -> Reminder:
    return Reminder(
        id=r.id, order_id=r.order_id, at=r.at, by=r.by, channel=ReminderChannel(r.channel), note=r.note
    )


def _review(r: ControlReviewRow) -> Review:
    proposed = (
        TimeWindow(start=r.proposed_start, end=r.proposed_end)
        if r.proposed_start is not None and r.proposed_end is not None
        else None
    )
    return Review(
        id=r.id,
        order_id=r.order_id,
        kind=ReviewKind(r.kind),
        requested_by=r.requested_by,
        requested_at=r.requested_at,
        technician_id=r.technician_id,
        reason=r.reason,
        proposed=proposed,
        deadline=r.deadline,
        decision=Decision(r.decision) if r.decision else None,
        decided_by=r.decided_by,
        decided_at=r.decided_at,
        note=r.note,
        act_by=r.act_by,
    )


def _flag(r: ControlFlagRow) -> Flag:
    return Flag(
        id=r.id,
        order_id=r.order_id,
        kind=FlagKind(r.kind),
        at=r.at,
        by=r.by,
        note=r.note,
        repeat_of=r.repeat_of,
    )


def _escalation(r: ControlEscalationRow) -> Escalation:
    return Escalation(
        id=r.id,
        trigger=Trigger(r.trigger),
        subject=r.subject,
        order_id=r.order_id,
        area_id=r.area_id,
        related=tuple(r.related or ()),
        level=r.level,
        owner=r.owner,
        since=r.since,
        opened_at=r.opened_at,
        level_since=r.level_since,
        reason=r.reason,
        acknowledged_by=r.acknowledged_by,
        acknowledged_at=r.acknowledged_at,
        closed_by=r.closed_by,
        closed_at=r.closed_at,
        resolution=r.resolution,
    )


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(ids))
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _branch_of_order(session: Session, order_id: str) -> tuple[WorkOrderRow, str]:
    """The stored order and its branch; :class:`UnknownControlRecord` when there is no such order."""
    row = session.get(WorkOrderRow, order_id)
    branch = (
        session.scalar(
            select(RegionGroupRow.branch_id)
            .join(SmallAreaRow, SmallAreaRow.region_group_id == RegionGroupRow.id)
            .where(SmallAreaRow.id == row.area_id)
        )
        if row is not None
        else None
    )
    if row is None or branch is None:
        raise UnknownControlRecord(
            f"order {order_id}: not found; rule: control records name a stored work order"
        )
    return row, branch


def lock_branch(session: Session, branch_id: str) -> ControlClockRow:
    """Lock the branch's control for the rest of the transaction (its clock row; created if needed).

    Call it first in every control write of the branch: on PostgreSQL the row lock queues
    concurrent writers behind it until commit; on SQLite the write takes the database's lock.
    """
    now = utcnow()
    stmt = update(ControlClockRow).where(ControlClockRow.branch_id == branch_id).values(locked_at=now)
    result = session.execute(stmt)
    if not (isinstance(result, CursorResult) and result.rowcount):
        try:
            with session.begin_nested():
                session.add(ControlClockRow(branch_id=branch_id, evaluated_at=None, ticks=0, locked_at=now))
        except IntegrityError:  # created meanwhile by a concurrent first write: lock it
            session.execute(stmt)
    row = session.get(ControlClockRow, branch_id, populate_existing=True)
    assert row is not None
    return row


def _not_before(field: str, at: dt.datetime, earliest: dt.datetime, what: str) -> None:
    if at < earliest:
        raise InputErrors([Problem(field, f"{what} ({earliest:%Y-%m-%d %H:%M:%S})", str(at))])


# --------------------------------------------------------------------------------------------------
# writes
# --------------------------------------------------------------------------------------------------


def record_reminder(
    session: Session,
    order_id: str,
    at: dt.datetime,
    by: str,
    channel: ReminderChannel = ReminderChannel.PHONE,
    note: str = "",
) -> Reminder:
    """Log a reminder (催单) against an open order.

    Raises
    ------
    UnknownControlRecord
        No such order.
    ControlConflict
        The order is completed or cancelled (a chase after that is a complaint, not a reminder).
    InputErrors
        ``at`` is before the order was created.
    """
    row, branch_id = _branch_of_order(session, order_id)
    lock_branch(session, branch_id)
    if row.status in _TERMINAL:
        raise ControlConflict(
            f"order {order_id}: status {row.status}; rule: reminders are logged against open orders "
            "(record a complaint for a finished one)"
        )
    _not_before("at", at, row.created, "a reminder comes after the order was created")
    Reminder(order_id=order_id, at=at, by=by, channel=channel, note=note)  # field rules before writing
    stored = ControlReminderRow(
        branch_id=branch_id, order_id=order_id, at=at, by=by, channel=channel.value, note=note
    )
    session.add(stored)
    session.flush()
    reminder = _reminder(stored)
    audit.record(session, by, "control.reminder", "control_reminder", stored.id, None, reminder)
    return reminder


def open_review(
    session: Session,
    order_id: str,
    kind: ReviewKind,
    requested_by: str,
    at: dt.datetime,
    reason: str,
    proposed: TimeWindow | None = None,
    technician_id: str | None = None,
    policy: ControlPolicy | None = None,
) -> Review:
    """Ask the centre to review a suspension or a new appointment; its answer is due
    ``policy.review_answer_min[kind]`` after ``at``.

    Parameters
    ----------
    technician_id
        The technician asking, when a technician asks: the order must be his (else
        :class:`UnknownControlRecord`, the same answer as for an order that does not exist).
    proposed
        The new appointment (a reschedule needs one ending after ``at``; a suspension has none).

    Raises
    ------
    UnknownControlRecord, ControlConflict, InputErrors
        No such order (or not his); the order's state does not allow the review, or one of the same
        kind is still pending; a bad field (named).
    """
    policy = policy or ControlPolicy()
    row, branch_id = _branch_of_order(session, order_id)
    if technician_id is not None and row.technician_id != technician_id:
        raise UnknownControlRecord(
            f"order {order_id}: not found among the orders of technician {technician_id}; rule: a technician "
            "asks for reviews of his own orders"
        )
    lock_branch(session, branch_id)
    problems: list[Problem] = []
    if at < row.created:
        problems.append(Problem("at", "a review is asked for after the order was created", str(at)))
    if kind == ReviewKind.RESCHEDULE and proposed is None:
        problems.append(
            Problem("proposed_appointment", "a reschedule review proposes the new appointment", None)
        )
    if kind == ReviewKind.RESCHEDULE and proposed is not None and proposed.end <= at:
        problems.append(
            Problem(
                "proposed_appointment.end",
                "the new appointment window ends after the request",
                str(proposed.end),
            )
        )
    if kind == ReviewKind.SUSPEND and proposed is not None:
        problems.append(
            Problem(
                "proposed_appointment",
                "a suspension proposes no appointment (ask for a reschedule)",
                str(proposed.start),
            )
        )
    if problems:
        raise InputErrors(problems)
    allowed = (
        {OrderStatus.SUSPENDED.value}
        if kind == ReviewKind.SUSPEND
        else {OrderStatus.CREATED.value, OrderStatus.DISPATCHED.value, OrderStatus.SUSPENDED.value}
    )
    if row.status not in allowed:
        rule = (
            "a suspension is reviewed once the order is suspended"
            if kind == ReviewKind.SUSPEND
            else "only an order not being worked on (created, dispatched or suspended) gets a new appointment"
        )
        raise ControlConflict(f"order {order_id}: status {row.status}; rule: {rule}")
    pending = session.scalar(
        select(ControlReviewRow.id).where(
            ControlReviewRow.order_id == order_id,
            ControlReviewRow.kind == kind.value,
            ControlReviewRow.decision.is_(None),
        )
    )
    if pending is not None:
        raise ControlConflict(
            f"order {order_id}: {kind.value} review {pending} is still pending; rule: one pending review "
            "of a kind per order"
        )
    asked = Review(  # the record's own field rules (lengths) before anything is written
        order_id=order_id,
        kind=kind,
        requested_by=requested_by,
        requested_at=at,
        technician_id=technician_id,
        reason=reason,
        proposed=proposed,
        deadline=at + dt.timedelta(minutes=policy.review_answer_min[kind]),
    )
    stored = ControlReviewRow(
        branch_id=branch_id,
        order_id=order_id,
        kind=kind.value,
        requested_by=requested_by,
        requested_at=at,
        technician_id=technician_id,
        reason=asked.reason,
        proposed_start=proposed.start if proposed else None,
        proposed_end=proposed.end if proposed else None,
        deadline=asked.deadline,
        note="",
    )
    session.add(stored)
    session.flush()
    review = _review(stored)
    audit.record(session, requested_by, "control.review.open", "control_review", stored.id, None, review)
    return review


def reschedule_in_order_table(session: Session, change: Reschedule) -> None:
    """Apply an approved reschedule to the order table: the new appointment, and a suspended order
    released to the pool (``suspended → created``, an ``order_events`` row with who and why), so
    that the next plan dispatches it again. For an order no dispatch plan holds (see
    :func:`reschedule_via_dispatch`)."""
    row = session.get(WorkOrderRow, change.order_id)
    assert row is not None
    before = {
        "status": row.status,
        "technician_id": row.technician_id,
        "appointment_start": row.appointment_start,
        "appointment_end": row.appointment_end,
    }
    row.appointment_start, row.appointment_end = change.appointment.start, change.appointment.end
    if row.status == OrderStatus.SUSPENDED.value:
        last = session.scalar(select(func.max(OrderEventRow.at)).where(OrderEventRow.order_id == row.id))
        when = max(change.at, row.created, last or row.created)
        session.add(
            OrderEventRow(
                order_id=row.id,
                status=OrderStatus.CREATED.value,
                at=when,
                technician_id=None,
                actor=change.actor,
                reason=change.reason,
            )
        )
        row.status, row.technician_id = OrderStatus.CREATED.value, None
    after = {
        "status": row.status,
        "technician_id": row.technician_id,
        "appointment_start": row.appointment_start,
        "appointment_end": row.appointment_end,
    }
    session.flush()
    audit.record(session, change.actor, "control.reschedule", "work_order", row.id, before, after)


def reschedule_via_dispatch(session: Session, change: Reschedule) -> None:
    """Apply an approved reschedule where the order lives: when a dispatch day planned from the
    order table holds it (the latest such day from the day before the decision to
    :data:`RESCHEDULE_LOOKAHEAD` after), as that day's ``appointment_rescheduled`` event
    (:func:`scheduler.dispatch.service.post_event`: the plan and the order table move together, a
    suspended order is released to the pool); otherwise in the order table alone
    (:func:`reschedule_in_order_table`). The default of :func:`decide_review`."""
    _, branch_id = _branch_of_order(session, change.order_id)
    first = change.at.date()
    days = dispatch_store.linked_days(
        session, branch_id, first - dt.timedelta(days=1), first + RESCHEDULE_LOOKAHEAD
    )
    for day in sorted(days, reverse=True):
        inp, _ = dispatch_store.load_state(session, branch_id, day)
        if any(o.id == change.order_id for o in inp.orders):
            event = AppointmentRescheduled(
                at=max(change.at, inp.now),
                order_id=change.order_id,
                appointment=change.appointment,
                reason=change.reason,
            )
            applied = dispatch_service.post_event(session, branch_id, day, event, change.actor)
            audit.record(
                session,
                change.actor,
                f"dispatch.{event.kind}",
                "dispatch_plan",
                f"{branch_id}/{day}/{applied.version}",
                {"version": applied.before.version},
                {
                    "version": applied.version,
                    "order_id": change.order_id,
                    "appointment": change.appointment,
                    "review_id": change.review_id,
                },
            )
            return
    reschedule_in_order_table(session, change)


def decide_review(
    session: Session,
    review_id: int,
    decision: Decision,
    by: str,
    at: dt.datetime,
    note: str = "",
    policy: ControlPolicy | None = None,
    on_reschedule: Callable[[Session, Reschedule], None] | None = None,
) -> Review:
    """Approve a review or send it back; a decision is final.

    Approving a reschedule changes the order's appointment (``on_reschedule``, default
    :func:`reschedule_via_dispatch`: through the dispatch day holding the order, else in the order
    table); approving a suspension pauses the order's deadline clock
    while it stays suspended (:func:`~scheduler.dispatch.control.effective_deadline`). Sending back
    gives the technician until ``at + policy.send_back_act_min`` to act.

    Raises
    ------
    UnknownControlRecord
        No such review.
    AlreadyDecided
        The review was decided before (409).
    InputErrors
        ``at`` before the request; an approved reschedule whose window has already ended.
    """
    policy = policy or ControlPolicy()
    row = session.get(ControlReviewRow, review_id)
    if row is None:
        raise UnknownControlRecord(f"review {review_id}: not found")
    lock_branch(session, row.branch_id)
    session.refresh(row)
    if row.decision is not None:
        raise AlreadyDecided(
            f"review {review_id} of order {row.order_id}: already {row.decision} by {row.decided_by} at "
            f"{row.decided_at:%Y-%m-%d %H:%M:%S}; rule: a review is decided once (ask for a new one)"
        )
    _not_before("at", at, row.requested_at, "a review is decided after it was requested")
    before = _review(row)
    if decision == Decision.APPROVE and row.kind == ReviewKind.RESCHEDULE.value:
        assert row.proposed_start is not None and row.proposed_end is not None
        if row.proposed_end <= at:
            raise InputErrors(
                [
                    Problem(
                        "decision",
                        "an approved appointment window has not ended yet (send it back for a new one)",
                        f"{row.proposed_start:%Y-%m-%d %H:%M}–{row.proposed_end:%H:%M}",
                    )
                ]
            )
        order_row = session.get(WorkOrderRow, row.order_id)
        if (
            order_row is None
            or order_row.status in _TERMINAL
            or order_row.status == OrderStatus.STARTED.value
        ):
            raise ControlConflict(
                f"order {row.order_id}: status {order_row.status if order_row else 'missing'}; rule: only an "
                "order not being worked on gets a new appointment"
            )
        change = Reschedule(
            order_id=row.order_id,
            review_id=row.id,
            appointment=TimeWindow(start=row.proposed_start, end=row.proposed_end),
            at=at,
            actor=by,
            reason=f"reschedule approved (review {row.id}){': ' + note if note else ''}",
        )
        (on_reschedule or reschedule_via_dispatch)(session, change)
    row.decision, row.decided_by, row.decided_at, row.note = decision.value, by, at, note
    if decision == Decision.SEND_BACK:
        row.act_by = at + dt.timedelta(minutes=policy.send_back_act_min)
    session.flush()
    review = _review(row)
    audit.record(session, by, f"control.review.{decision.value}", "control_review", row.id, before, review)
    return review


def flag_order(
    session: Session,
    order_id: str,
    kind: FlagKind,
    by: str,
    at: dt.datetime,
    note: str = "",
    repeat_of: str | None = None,
) -> Flag:
    """Mark an open order as a major fault or a repeat fault (the next tick escalates it).

    Raises
    ------
    UnknownControlRecord, ControlConflict, InputErrors
        No such order; the order is finished or already carries the flag; ``repeat_of`` names no
        other stored order, or ``at`` is before the order's creation.
    """
    row, branch_id = _branch_of_order(session, order_id)
    lock_branch(session, branch_id)
    if row.status in _TERMINAL:
        raise ControlConflict(f"order {order_id}: status {row.status}; rule: flags mark open orders")
    problems = []
    if at < row.created:
        problems.append(Problem("at", "a flag comes after the order was created", str(at)))
    if repeat_of is not None and (repeat_of == order_id or session.get(WorkOrderRow, repeat_of) is None):
        problems.append(Problem("repeat_of", "names another stored work order", repeat_of))
    if repeat_of is not None and kind != FlagKind.REPEAT_FAULT:
        problems.append(Problem("repeat_of", "only a repeat-fault flag names the earlier order", repeat_of))
    if problems:
        raise InputErrors(problems)
    existing = session.scalar(
        select(ControlFlagRow.id).where(
            ControlFlagRow.order_id == order_id, ControlFlagRow.kind == kind.value
        )
    )
    if existing is not None:
        raise ControlConflict(f"order {order_id}: already flagged {kind.value} (flag {existing})")
    stored = ControlFlagRow(
        branch_id=branch_id, order_id=order_id, kind=kind.value, at=at, by=by, note=note, repeat_of=repeat_of
    )
    session.add(stored)
    session.flush()
    flag = _flag(stored)
    audit.record(session, by, "control.flag", "control_flag", stored.id, None, flag)
    return flag


def _escalation_row(session: Session, escalation_id: int) -> ControlEscalationRow:
    row = session.get(ControlEscalationRow, escalation_id)
    if row is None:
        raise UnknownControlRecord(f"escalation {escalation_id}: not found")
    lock_branch(session, row.branch_id)
    session.refresh(row)
    return row


def acknowledge(session: Session, escalation_id: int, by: str, at: dt.datetime) -> Escalation:
    """The owner takes the escalation: it stops climbing the ladder (it stays open until closed).

    Raises
    ------
    UnknownControlRecord, EscalationClosed, InputErrors
        No such escalation; already acknowledged or closed; ``at`` before it was opened.
    """
    row = _escalation_row(session, escalation_id)
    if row.closed_at is not None or row.acknowledged_at is not None:
        done = (
            f"closed by {row.closed_by}"
            if row.closed_at is not None
            else f"acknowledged by {row.acknowledged_by}"
        )
        raise EscalationClosed(f"escalation {escalation_id}: already {done}; rule: acknowledged once")
    _not_before("at", at, row.opened_at, "an escalation is acknowledged after it was opened")
    before = _escalation(row)
    row.acknowledged_by, row.acknowledged_at = by, at
    session.flush()
    after = _escalation(row)
    audit.record(session, by, "control.escalation.acknowledge", "control_escalation", row.id, before, after)
    return after


def close_escalation(
    session: Session, escalation_id: int, by: str, at: dt.datetime, resolution: str
) -> Escalation:
    """Close an escalation with its resolution (acknowledging it too, when nobody had).

    Raises
    ------
    UnknownControlRecord, EscalationClosed, InputErrors
        No such escalation; already closed; ``at`` before it was opened, or an empty resolution.
    """
    row = _escalation_row(session, escalation_id)
    if row.closed_at is not None:
        raise EscalationClosed(
            f"escalation {escalation_id}: already closed by {row.closed_by} at "
            f"{row.closed_at:%Y-%m-%d %H:%M:%S}; rule: closed once"
        )
    _not_before("at", at, row.opened_at, "an escalation is closed after it was opened")
    if not resolution.strip():
        raise InputErrors([Problem("resolution", "a closure says how it was resolved", resolution)])
    before = _escalation(row)
    if row.acknowledged_at is None:
        row.acknowledged_by, row.acknowledged_at = by, at
    row.closed_by, row.closed_at, row.resolution = by, at, resolution
    session.flush()
    after = _escalation(row)
    audit.record(session, by, "control.escalation.close", "control_escalation", row.id, before, after)
    return after


# --------------------------------------------------------------------------------------------------
# reads
# --------------------------------------------------------------------------------------------------


def get_review(session: Session, review_id: int) -> Review:
    """One review; :class:`UnknownControlRecord` when there is none."""
    row = session.get(ControlReviewRow, review_id)
    if row is None:
        raise UnknownControlRecord(f"review {review_id}: not found")
    return _review(row)


def get_escalation(session: Session, escalation_id: int) -> Escalation:
    """One escalation; :class:`UnknownControlRecord` when there is none."""
    row = session.get(ControlEscalationRow, escalation_id)
    if row is None:
        raise UnknownControlRecord(f"escalation {escalation_id}: not found")
    return _escalation(row)


def reminders_of(session: Session, order_id: str) -> list[Reminder]:
    """The reminders logged against an order, oldest first."""
    rows = session.scalars(
        select(ControlReminderRow)
        .where(ControlReminderRow.order_id == order_id)
        .order_by(ControlReminderRow.at, ControlReminderRow.id)
    )
    return [_reminder(r) for r in rows]


def _branch_areas(session: Session, branch_id: str) -> list[str]:
    if session.get(BranchRow, branch_id) is None:
        raise UnknownControlRecord(f"branch {branch_id}: not found")
    return list(
        session.scalars(
            select(SmallAreaRow.id)
            .join(RegionGroupRow, SmallAreaRow.region_group_id == RegionGroupRow.id)
            .where(RegionGroupRow.branch_id == branch_id)
        )
    )


def _orders(session: Session, rows: Sequence[WorkOrderRow]) -> list[WorkOrder]:
    events: dict[str, list[OrderEventRow]] = defaultdict(list)
    for part in _chunks(r.id for r in rows):
        for e in session.scalars(
            select(OrderEventRow)
            .where(OrderEventRow.order_id.in_(part))
            .order_by(OrderEventRow.order_id, OrderEventRow.id)
        ):
            events[e.order_id].append(e)
    out = []
    for r in rows:
        try:
            out.append(order_from_row(r, events.get(r.id, [])))
        except ValueError as exc:  # one inconsistent stored order must not stop the branch's control
            log.warning("control: order %s skipped, its stored record is inconsistent: %s", r.id, exc)
    return out


def load_input(
    session: Session,
    branch_id: str,
    now: dt.datetime,
    policy: ControlPolicy | None = None,
    *,
    order_ids: Collection[str] | None = None,
    repeat_check_since: dt.datetime | None = None,
    repeat_check: bool = True,
) -> ControlInput:
    """The rules' input for a branch at ``now``: its open orders, the recent repair orders (fault
    clusters), the orders of its escalations, their records, and the past repairs at the places of
    open repairs not yet known as repeats.

    Parameters
    ----------
    order_ids
        Only these orders (what a dispatch event touched), with the recent repairs and the area
        escalations of their areas; default: every order of the branch.
    repeat_check_since
        Look up past repairs only for open repairs created after this (default: all). Whether an
        order repeats an earlier repair is fixed when it comes in, so the clock checks each order
        on the ticks after its creation, not on every tick for ever.
    repeat_check
        False: no past repairs at all (the read-only queue opens no escalations).
    """
    policy = policy or ControlPolicy()
    branch_areas = set(_branch_areas(session, branch_id))
    recent = now - dt.timedelta(minutes=policy.major_lookback_min)
    rows: dict[str, WorkOrderRow] = {}
    # index-friendly reads (id; status; creation time), cut to the branch's areas here
    if order_ids is not None:
        for part in _chunks(order_ids):
            for r in session.scalars(select(WorkOrderRow).where(WorkOrderRow.id.in_(part))):
                if r.area_id in branch_areas and r.created <= now:
                    rows[r.id] = r
        areas = {r.area_id for r in rows.values()}
    else:
        areas = branch_areas
        for r in session.scalars(
            select(WorkOrderRow).where(WorkOrderRow.status.in_(_OPEN), WorkOrderRow.created <= now)
        ):
            if r.area_id in areas:
                rows[r.id] = r
    touched = set(rows)
    for r in session.scalars(
        select(WorkOrderRow).where(
            WorkOrderRow.created > recent,
            WorkOrderRow.created <= now,
            WorkOrderRow.order_type == OrderType.REPAIR.value,
        )
    ):
        if r.area_id in areas:
            rows[r.id] = r
    area_escalations = select(ControlEscalationRow).where(
        ControlEscalationRow.branch_id == branch_id,
        ControlEscalationRow.order_id.is_(None),
        or_(ControlEscalationRow.closed_at.is_(None), ControlEscalationRow.closed_at > recent),
    )
    escalation_rows: dict[int, ControlEscalationRow] = {
        e.id: e for e in session.scalars(area_escalations) if e.area_id in areas
    }
    if order_ids is None:  # the open escalations of the whole branch climb on the clock
        for e in session.scalars(
            select(ControlEscalationRow).where(
                ControlEscalationRow.branch_id == branch_id, ControlEscalationRow.closed_at.is_(None)
            )
        ):
            escalation_rows[e.id] = e
    for part in _chunks(rows):
        for e in session.scalars(select(ControlEscalationRow).where(ControlEscalationRow.order_id.in_(part))):
            escalation_rows[e.id] = e
    missing = {e.order_id for e in escalation_rows.values() if e.order_id and e.order_id not in rows}
    for part in _chunks(missing):
        for r in session.scalars(
            select(WorkOrderRow).where(WorkOrderRow.id.in_(part), WorkOrderRow.created <= now)
        ):
            rows[r.id] = r
    ordered = sorted(rows.values(), key=lambda r: (r.created, r.id))
    orders = _orders(session, ordered)
    known = {o.id for o in orders}
    escalations = [
        _escalation(e)
        for e in sorted(escalation_rows.values(), key=lambda e: e.id)
        if (e.order_id is None or e.order_id in known) and e.opened_at <= now
    ]
    reminders: list[Reminder] = []
    reviews: list[Review] = []
    flags: list[Flag] = []
    for part in _chunks(known):
        reminders += [
            _reminder(r)
            for r in session.scalars(
                select(ControlReminderRow).where(
                    ControlReminderRow.order_id.in_(part), ControlReminderRow.at <= now
                )
            )
        ]
        reviews += [
            _review(r)
            for r in session.scalars(
                select(ControlReviewRow).where(
                    ControlReviewRow.order_id.in_(part), ControlReviewRow.requested_at <= now
                )
            )
        ]
        flags += [
            _flag(r)
            for r in session.scalars(
                select(ControlFlagRow).where(ControlFlagRow.order_id.in_(part), ControlFlagRow.at <= now)
            )
        ]
    # the order table may already say which earlier order a report repeats
    flagged = {f.order_id for f in flags if f.kind == FlagKind.REPEAT_FAULT}
    flags += [
        Flag(order_id=r.id, kind=FlagKind.REPEAT_FAULT, at=r.created, by=ORDER_TABLE, repeat_of=r.repeat_of)
        for r in ordered
        if r.repeat_of
        and r.id in known
        and r.id not in flagged
        and r.status not in _TERMINAL
        and r.order_type == OrderType.REPAIR.value
    ]
    # a decision recorded after ``now`` (evaluating an earlier moment) is not known yet
    reviews = [
        r
        if r.decided_at is None or r.decided_at <= now
        else r.model_copy(update={"decision": None, "decided_by": None, "decided_at": None, "act_by": None})
        for r in reviews
    ]
    repeat_known = {e.order_id for e in escalations if e.trigger == Trigger.REPEAT_FAULT}
    candidates = [
        o
        for o in orders
        if repeat_check
        and o.id in touched
        and o.order_type == OrderType.REPAIR
        and o.status not in WorkOrder.terminal
        and o.id not in repeat_known
        and (order_ids is not None or repeat_check_since is None or o.created > repeat_check_since)
    ]
    return ControlInput(
        now=now,
        orders=tuple(orders),
        reminders=tuple(sorted(reminders, key=lambda r: (r.at, r.id or 0))),
        reviews=tuple(sorted(reviews, key=lambda r: (r.requested_at, r.id or 0))),
        flags=tuple(sorted(flags, key=lambda f: (f.at, f.id or 0))),
        escalations=tuple(escalations),
        past_repairs=tuple(past_repairs(session, candidates, now, policy)),
    )


def past_repairs(
    session: Session, candidates: Sequence[WorkOrder], now: dt.datetime, policy: ControlPolicy
) -> list[PastRepair]:
    """Repairs completed at the places of ``candidates`` (within ``policy.same_place_m``, same area)
    in the ``policy.repeat_days`` before the earliest of them came in: what the repeat-fault rule
    compares them with. The database is asked only for orders near each candidate (one box per
    candidate, searched through the area index), then for the completion times of those."""
    if not candidates or policy.same_place_m is None:
        return []
    window = dt.timedelta(days=policy.repeat_days)
    near: dict[str, tuple[str, float, float]] = {}
    ordered = sorted(candidates, key=lambda o: o.id)
    earliest = min(o.created for o in ordered) - window
    for i in range(0, len(ordered), _BOX_CHUNK):
        part = ordered[i : i + _BOX_CHUNK]
        boxes = []
        for o in part:
            dlat, dlon = degree_box(o.location, policy.same_place_m)
            boxes.append(
                and_(
                    WorkOrderRow.area_id == o.area_id,
                    WorkOrderRow.lat.between(o.location.lat - dlat, o.location.lat + dlat),
                    WorkOrderRow.lon.between(o.location.lon - dlon, o.location.lon + dlon),
                )
            )
        # status and type are checked here, not in SQL: the planner would pick the status index
        # (every completed order) over the area index
        query = select(
            WorkOrderRow.id,
            WorkOrderRow.area_id,
            WorkOrderRow.lat,
            WorkOrderRow.lon,
            WorkOrderRow.status,
            WorkOrderRow.order_type,
        ).where(or_(*boxes), WorkOrderRow.created <= now, WorkOrderRow.created >= earliest - window)
        for oid, area_id, lat, lon, status, order_type in session.execute(query).all():
            if status == OrderStatus.COMPLETED.value and order_type == OrderType.REPAIR.value:
                near[oid] = (area_id, lat, lon)
    out: list[PastRepair] = []
    for ids in _chunks(near):
        completions = (
            select(OrderEventRow.order_id, func.max(OrderEventRow.at))
            .where(OrderEventRow.order_id.in_(ids), OrderEventRow.status == OrderStatus.COMPLETED.value)
            .group_by(OrderEventRow.order_id)
        )
        for oid, completed in session.execute(completions).all():
            area_id, lat, lon = near[oid]
            if completed is not None and earliest <= completed <= now:
                out.append(
                    PastRepair(
                        order_id=oid,
                        area_id=area_id,
                        location=Location(lat=lat, lon=lon),
                        completed_at=completed,
                    )
                )
    return sorted(out, key=lambda p: (p.completed_at, p.order_id))


# --------------------------------------------------------------------------------------------------
# the clock
# --------------------------------------------------------------------------------------------------


def tick(
    session: Session,
    branch_id: str,
    now: dt.datetime,
    policy: ControlPolicy | None = None,
    actor: str = CLOCK_ACTOR,
    order_ids: Collection[str] | None = None,
) -> ControlReport:
    """Evaluate the branch's control at ``now`` and record what it found: new escalations (level 1,
    owner of the ladder's first level) and level-ups, each audited.

    Run every minute while the service runs (the whole branch), and after every dispatch event
    with the orders it touched (``order_ids``: only those orders, the fault clusters of their
    areas and their escalations are evaluated; the report's warnings are theirs). The clock never
    runs backwards: a ``now`` before the branch's last evaluation is evaluated at that evaluation
    instead (``ControlReport.evaluated_at``). Evaluating twice at the same time records nothing new.

    The rules run before the branch's lock is taken (a tick of a busy branch reads for a while);
    under the lock each new escalation and level is checked again against what is stored, so
    concurrent ticks never record one twice.

    Raises
    ------
    UnknownControlRecord
        No such branch.
    """
    policy = policy or ControlPolicy()
    _branch_areas(session, branch_id)
    last = session.scalar(select(ControlClockRow.evaluated_at).where(ControlClockRow.branch_id == branch_id))
    at = max(now, last) if last is not None else now
    # orders that came in since the last tick (with a margin for late entries) get their
    # repeat-fault check; older ones had theirs
    since = last - REPEAT_CHECK_MARGIN if last is not None else None
    inp = load_input(session, branch_id, at, policy, order_ids=order_ids, repeat_check_since=since)
    result = evaluate(inp, policy)
    clock = lock_branch(session, branch_id)
    opened = _record_openings(session, branch_id, result.new_escalations, actor)
    raised = _record_level_ups(session, result.level_ups, actor)
    clock.evaluated_at = max(at, clock.evaluated_at) if clock.evaluated_at is not None else at
    clock.ticks = (clock.ticks or 0) + 1
    session.flush()
    return ControlReport(
        branch_id=branch_id,
        requested_at=now,
        evaluated_at=at,
        warnings=result.warnings,
        opened=tuple(opened),
        level_ups=tuple(raised),
    )


def _record_openings(
    session: Session, branch_id: str, fresh: Sequence[Escalation], actor: str
) -> list[Escalation]:
    """Store the new escalations that nobody stored meanwhile (under the branch's lock)."""
    stored_keys: set[tuple[str, str]] = set()
    for part in _chunks(e.subject for e in fresh):
        stored_keys.update(
            (trigger, subject)
            for trigger, subject in session.execute(
                select(ControlEscalationRow.trigger, ControlEscalationRow.subject).where(
                    ControlEscalationRow.subject.in_(part)
                )
            ).all()
        )
    opened: list[Escalation] = []
    for e in fresh:
        if (e.trigger.value, e.subject) in stored_keys:
            continue
        row = ControlEscalationRow(
            branch_id=branch_id,
            trigger=e.trigger.value,
            subject=e.subject,
            order_id=e.order_id,
            area_id=e.area_id,
            related=list(e.related),
            level=e.level,
            owner=e.owner,
            since=e.since,
            opened_at=e.opened_at,
            level_since=e.level_since,
            reason=e.reason,
        )
        session.add(row)
        session.flush()
        stored = _escalation(row)
        opened.append(stored)
        audit.record(session, actor, "control.escalation.open", "control_escalation", row.id, None, stored)
    return opened


def _record_level_ups(session: Session, ups: Sequence[LevelUp], actor: str) -> list[LevelUp]:
    """Raise the levels still due (under the branch's lock): not if the escalation was closed,
    acknowledged in time, or raised meanwhile."""
    raised: list[LevelUp] = []
    for up in ups:
        esc = session.get(ControlEscalationRow, up.escalation_id, populate_existing=True)
        if (
            esc is None
            or esc.closed_at is not None
            or (esc.acknowledged_at is not None and esc.acknowledged_at <= up.at)
            or esc.level >= up.to_level
        ):
            continue
        before: dict[str, Any] = {"level": esc.level, "owner": esc.owner, "level_since": esc.level_since}
        esc.level, esc.owner, esc.level_since = up.to_level, up.owner, up.at
        audit.record(
            session,
            actor,
            "control.escalation.level_up",
            "control_escalation",
            esc.id,
            before,
            {"level": up.to_level, "owner": up.owner, "level_since": up.at, "reason": up.reason},
        )
        raised.append(up)
    return raised


def on_event(
    session: Session,
    branch_id: str,
    order_ids: Collection[str],
    at: dt.datetime,
    actor: str = CLOCK_ACTOR,
    policy: ControlPolicy | None = None,
) -> ControlReport:
    """Re-evaluate the orders a dispatch event touched, in the event's transaction (:func:`tick`
    with ``order_ids``): a new order is checked at once for a repeat or a cluster, a VIP order
    dispatched late is escalated before the next minute."""
    return tick(session, branch_id, at, policy, actor, order_ids=order_ids)


def tick_all(url: str | None, now: dt.datetime, policy: ControlPolicy | None = None) -> list[ControlReport]:
    """:func:`tick` every branch at ``now``, each in its own transaction (the service's minute clock).

    A branch whose tick fails is logged and skipped; the others are still evaluated.
    """
    with session_scope(url) as session:
        branches = list(session.scalars(select(BranchRow.id).order_by(BranchRow.id)))
    reports = []
    for branch_id in branches:
        try:
            with session_scope(url) as session:
                reports.append(tick(session, branch_id, now, policy))
        except Exception:  # the minute clock goes on for the other branches; the failure is in the log
            log.exception("control tick of branch %s at %s failed", branch_id, now)
    return reports


def queue(
    session: Session,
    branch_id: str,
    day: dt.date,
    now: dt.datetime | None = None,
    policy: ControlPolicy | None = None,
) -> ControlQueue:
    """The board's control list of a branch on ``day``: open escalations first (highest level, most
    serious trigger), then the standing warnings by severity, each with its reason in words.

    ``now`` defaults to the current local time, held inside ``day`` (a past day is shown as at its
    last second, a future one as at its first). Read-only: the clock (:func:`tick`) records
    escalations; the queue shows them and evaluates the warnings live.
    """
    policy = policy or ControlPolicy()
    first = dt.datetime.combine(day, dt.time())
    last = first + dt.timedelta(days=1, seconds=-1)
    at = min(max(now or local_now(), first), last)
    inp = load_input(session, branch_id, at, policy, repeat_check=False)
    standing = warnings(inp, policy)
    counts: dict[str, int] = defaultdict(int)
    for r in inp.reminders:
        counts[r.order_id] += 1
    items = queue_items(
        [e for e in inp.escalations if e.is_open],
        standing,
        technicians={o.id: o.technician_id for o in inp.orders},
        reminders=dict(counts),
    )
    by_code: dict[str, int] = defaultdict(int)
    for item in items:
        by_code[item.code] += 1
    return ControlQueue(branch_id=branch_id, day=day, now=at, items=tuple(items), counts=dict(by_code))


def escalation_of(session: Session, order_id: str, trigger: Trigger) -> Escalation | None:
    """The escalation of an order for a trigger, if one was ever opened."""
    row = session.scalar(
        select(ControlEscalationRow).where(
            ControlEscalationRow.trigger == trigger.value,
            ControlEscalationRow.subject == order_subject(order_id),
        )
    )
    return _escalation(row) if row is not None else None
