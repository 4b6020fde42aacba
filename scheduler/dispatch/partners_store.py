"""Outsourcing partners' records: partners, their daily capacity, the orders handed to them.

Tables (on :class:`fieldcrew.db.Base`, migration ``partners_0001``, Alembic branch ``partners``):
``partners`` (id, branch, name, the small areas it serves, active), ``partner_capacity`` (partner,
day, area or ``*`` for all its areas, orders) and ``partner_assignments`` (one row per order handed
to a partner: partner, day, area, when and by whom; its completion and outcome). The work order
itself stays in the platform's ``work_orders`` (``technician_id`` names technicians only, so a
partner's order is ``dispatched`` with no technician; the partner is here).

Every function works inside the caller's transaction and returns domain objects of
:mod:`scheduler.dispatch.partners`; refusals raise before anything is written: an unknown partner
:class:`~scheduler.dispatch.partners.UnknownPartner` (404), a hand-off beyond capacity
:class:`~scheduler.dispatch.partners.PartnerCapacityUsedUp` (409), the completion of an order not
handed to the partner :class:`~scheduler.dispatch.partners.NotHandedToPartner` (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldcrew import audit
from fieldcrew.db import Base
from fieldcrew.tables import BranchRow, OrderEventRow, SmallAreaRow, WorkOrderRow, utcnow
from scheduler.dispatch.domain import DispatchOrder
from scheduler.dispatch.errors import OrderTableConflict
from scheduler.dispatch.partners import (
    ALL_AREAS,
    CapacityUse,
    NotHandedToPartner,
    Partner,
    PartnerAssignment,
    PartnerCapacity,
    PartnerCapacityUsedUp,
    PartnerOutcome,
    PartnerRating,
    RatedOrder,
    RatingPolicy,
    UnknownPartner,
    capacities_for,
    capacity_refusal,
    rate_partner,
    serves_area,
)
from vocabulary.errors import InputErrors, NotFound, Problem
from vocabulary.orders import IllegalTransition, OrderStatus, check_transition

# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------


class PartnerRow(Base):
    """An outsourcing partner (代维) of a branch."""

    __tablename__ = "partners"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: small area ids it serves
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PartnerCapacityRow(Base):
    """Orders a partner takes on a day, in one area or in all its areas (``area_id = '*'``)."""

    __tablename__ = "partner_capacity"
    __table_args__ = (UniqueConstraint("partner_id", "day", "area_id", name="uq_partner_capacity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    area_id: Mapped[str] = mapped_column(String(64))
    orders: Mapped[int] = mapped_column(Integer)


class PartnerAssignmentRow(Base):
    """An order handed to a partner, and its completion."""

    __tablename__ = "partner_assignments"
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    area_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)


def _partner(row: PartnerRow) -> Partner:
    return Partner(
        id=row.id, branch_id=row.branch_id, name=row.name, areas=tuple(row.areas), active=row.active
    )


def _assignment(row: PartnerAssignmentRow) -> PartnerAssignment:
    return PartnerAssignment(
        order_id=row.order_id,
        partner_id=row.partner_id,
        day=row.day,
        area_id=row.area_id,
        at=row.at,
        by=row.by,
        completed_at=row.completed_at,
        outcome=PartnerOutcome(row.outcome) if row.outcome else None,
    )


def _row(session: Session, partner_id: str) -> PartnerRow:
    row = session.get(PartnerRow, partner_id)
    if row is None:
        raise UnknownPartner(f"partner {partner_id}: not found; rule: name a stored partner")
    return row


# --------------------------------------------------------------------------------------------------
# partners and capacity
# --------------------------------------------------------------------------------------------------


def list_partners(session: Session, branch_id: str | None = None) -> list[Partner]:
    """Every partner (of ``branch_id``), by id."""
    q = select(PartnerRow).order_by(PartnerRow.id)
    if branch_id is not None:
        q = q.where(PartnerRow.branch_id == branch_id)
    return [_partner(r) for r in session.scalars(q)]


def get_partner(session: Session, partner_id: str) -> Partner:
    """One partner (404 when unknown)."""
    return _partner(_row(session, partner_id))


def save_partner(session: Session, partner: Partner, actor: str) -> Partner:
    """Create or replace a partner; its branch and areas must be stored, the areas of that branch.

    Raises
    ------
    InputErrors
        Unknown branch, or an area not of the branch (field ``areas``).
    """
    if session.get(BranchRow, partner.branch_id) is None:
        raise InputErrors([Problem("branch_id", "must name a stored branch", partner.branch_id)])
    known = set(session.scalars(select(SmallAreaRow.id).where(SmallAreaRow.id.in_(list(partner.areas)))))
    bad = [a for a in partner.areas if a not in known]
    if bad:
        raise InputErrors([Problem("areas", "must name stored small areas", a) for a in bad])
    row = session.get(PartnerRow, partner.id)
    before = _partner(row).model_dump(mode="json") if row is not None else None
    if row is None:
        row = PartnerRow(id=partner.id, branch_id=partner.branch_id)
        session.add(row)
    row.branch_id, row.name = partner.branch_id, partner.name
    row.areas, row.active = sorted(set(partner.areas)), partner.active
    session.flush()
    after = _partner(row)
    audit.record(
        session, actor, "partners.save", "partner", partner.id, before, after.model_dump(mode="json")
    )
    return after


def deactivate_partner(session: Session, partner_id: str, actor: str) -> Partner:
    """Stop handing orders to a partner (its history stays for ratings and pay checks)."""
    row = _row(session, partner_id)
    before = _partner(row).model_dump(mode="json")
    row.active = False
    session.flush()
    after = _partner(row)
    audit.record(
        session, actor, "partners.deactivate", "partner", partner_id, before, after.model_dump(mode="json")
    )
    return after


def set_capacity(session: Session, capacity: PartnerCapacity, actor: str) -> PartnerCapacity:
    """Declare (or replace) a partner's capacity for a day in one area or in all its areas.

    Raises
    ------
    UnknownPartner
        The partner is not stored.
    InputErrors
        The area is neither ``*`` nor one the partner serves (field ``area_id``).
    """
    partner = get_partner(session, capacity.partner_id)
    if capacity.area_id != ALL_AREAS and capacity.area_id not in partner.areas:
        raise InputErrors(
            [
                Problem(
                    "area_id", f"'{ALL_AREAS}' or a small area partner {partner.id} serves", capacity.area_id
                )
            ]
        )
    row = session.scalar(
        select(PartnerCapacityRow).where(
            PartnerCapacityRow.partner_id == capacity.partner_id,
            PartnerCapacityRow.day == capacity.day,
            PartnerCapacityRow.area_id == capacity.area_id,
        )
    )
    before = row.orders if row is not None else None
    if row is None:
        row = PartnerCapacityRow(partner_id=capacity.partner_id, day=capacity.day, area_id=capacity.area_id)
        session.add(row)
    row.orders = capacity.orders
    session.flush()
    audit.record(
        session,
        actor,
        "partners.capacity",
        "partner_capacity",
        f"{capacity.partner_id}/{capacity.day}/{capacity.area_id}",
        {"orders": before},
        {"orders": capacity.orders},
    )
    return capacity


def capacity_uses(session: Session, partner_id: str, day: dt.date) -> list[CapacityUse]:
    """Every capacity of the partner's day and how many hand-offs count against it."""
    get_partner(session, partner_id)
    caps = [
        PartnerCapacity(partner_id=r.partner_id, day=r.day, area_id=r.area_id, orders=r.orders)
        for r in session.scalars(
            select(PartnerCapacityRow)
            .where(PartnerCapacityRow.partner_id == partner_id, PartnerCapacityRow.day == day)
            .order_by(PartnerCapacityRow.area_id)
        )
    ]
    per_area: dict[str, int] = {
        area: n
        for area, n in session.execute(
            select(PartnerAssignmentRow.area_id, func.count())
            .where(PartnerAssignmentRow.partner_id == partner_id, PartnerAssignmentRow.day == day)
            .group_by(PartnerAssignmentRow.area_id)
        )
    }
    return [
        CapacityUse(
            capacity=c, used=sum(per_area.values()) if c.area_id == ALL_AREAS else per_area.get(c.area_id, 0)
        )
        for c in caps
    ]


# --------------------------------------------------------------------------------------------------
# hand-off and completion
# --------------------------------------------------------------------------------------------------


def hand_off(
    session: Session, partner_id: str, order: DispatchOrder, day: dt.date, at: dt.datetime, actor: str
) -> PartnerAssignment:
    """Record ``order`` (of the day's plan) as handed to the partner; the caller moves the work order
    (:mod:`scheduler.dispatch.service`, event ``handed_to_partner``).

    Raises
    ------
    UnknownPartner
        The partner is not stored.
    PartnerCapacityUsedUp
        The partner is inactive, does not serve the order's area, or its capacity of the day (area or
        all areas) is used up: the message names the capacity.
    """
    partner = get_partner(session, partner_id)
    if not serves_area(partner, order.area_id):
        raise PartnerCapacityUsedUp(
            f"handed_to_partner {order.id}: partner {partner.id} "
            f"{'does not serve area ' + order.area_id if partner.active else 'is inactive'}; rule: a partner "
            "takes orders only in the small areas it serves"
        )
    day_uses = capacity_uses(session, partner_id, day)
    counted = capacities_for([u.capacity for u in day_uses], order.area_id)
    uses = [u for u in day_uses if u.capacity in counted]
    refusal = capacity_refusal(uses, partner.id, day, order.area_id)
    if refusal is not None:
        raise PartnerCapacityUsedUp(f"handed_to_partner {order.id}: {refusal}")
    if session.get(PartnerAssignmentRow, order.id) is not None:
        raise OrderTableConflict(f"handed_to_partner {order.id}: already handed to a partner")
    row = PartnerAssignmentRow(
        order_id=order.id, partner_id=partner.id, day=day, area_id=order.area_id, at=at, by=actor
    )
    session.add(row)
    session.flush()
    return _assignment(row)


def with_partners(session: Session, order_ids: Sequence[str]) -> set[str]:
    """The orders of ``order_ids`` that are handed to a partner: no day plan may take them back."""
    if not order_ids:
        return set()
    return set(
        session.scalars(
            select(PartnerAssignmentRow.order_id).where(PartnerAssignmentRow.order_id.in_(list(order_ids)))
        )
    )


def assignments(session: Session, partner_id: str, day: dt.date | None = None) -> list[PartnerAssignment]:
    """The orders handed to the partner (on ``day``), by time."""
    get_partner(session, partner_id)
    q = select(PartnerAssignmentRow).where(PartnerAssignmentRow.partner_id == partner_id)
    if day is not None:
        q = q.where(PartnerAssignmentRow.day == day)
    return [
        _assignment(r)
        for r in session.scalars(q.order_by(PartnerAssignmentRow.at, PartnerAssignmentRow.order_id))
    ]


def complete(
    session: Session,
    partner_id: str,
    order_id: str,
    at: dt.datetime,
    outcome: PartnerOutcome,
    actor: str,
    started_at: dt.datetime | None = None,
) -> PartnerAssignment:
    """The partner completed an order handed to it: the work order goes ``dispatched → started →
    completed`` (the life cycle of :mod:`vocabulary.orders`), one ``order_events`` row per step naming
    the partner, ``fixed`` from the outcome; the assignment records the completion.

    Raises
    ------
    UnknownPartner
        The partner is not stored.
    NotHandedToPartner
        The order was not handed to this partner, or is already completed.
    OrderTableConflict
        The work order is no longer dispatched with no technician (changed outside the hand-off).
    InputErrors
        ``at`` before the hand-off, or ``started_at`` after ``at``.
    """
    get_partner(session, partner_id)
    row = session.get(PartnerAssignmentRow, order_id)
    if row is None or row.partner_id != partner_id:
        raise NotHandedToPartner(
            f"order {order_id}: not handed to partner {partner_id}; rule: a partner completes only the "
            "orders handed to it"
        )
    if row.completed_at is not None:
        raise NotHandedToPartner(
            f"order {order_id}: partner {partner_id} already completed it at "
            f"{row.completed_at:%Y-%m-%d %H:%M}; rule: an order is completed once"
        )
    start = started_at or at
    problems = []
    if at < row.at:
        problems.append(Problem("at", f"not before the hand-off at {row.at:%Y-%m-%d %H:%M}", at.isoformat()))
    if start > at or start < row.at:
        problems.append(Problem("started_at", "between the hand-off and the completion", start.isoformat()))
    if problems:
        raise InputErrors(problems)
    order = session.get(WorkOrderRow, order_id)
    if order is None:
        raise NotFound(f"work order {order_id}: not found")
    if order.status != OrderStatus.DISPATCHED.value or order.technician_id is not None:
        raise OrderTableConflict(
            f"order {order_id}: the order table says {order.status}"
            f"{' by ' + order.technician_id if order.technician_id else ''}, a partner's order is dispatched "
            "with no technician (changed outside the hand-off); nothing was changed"
        )
    current = OrderStatus.DISPATCHED
    for status, when in ((OrderStatus.STARTED, start), (OrderStatus.COMPLETED, at)):
        try:
            check_transition(order_id, current, status)
        except IllegalTransition as exc:  # pragma: no cover - the path above is the life cycle's
            raise OrderTableConflict(str(exc)) from None
        session.add(
            OrderEventRow(
                order_id=order_id,
                status=status.value,
                at=when,
                technician_id=None,
                actor=actor,
                reason=f"partner {partner_id}: {outcome.value}"
                if status == OrderStatus.COMPLETED
                else f"partner {partner_id}",
            )
        )
        current = status
    before = _assignment(row).model_dump(mode="json")
    order.status = OrderStatus.COMPLETED.value
    order.fixed = outcome == PartnerOutcome.FIXED
    row.completed_at, row.outcome = at, outcome.value
    session.flush()
    after = _assignment(row)
    audit.record(
        session,
        actor,
        "partners.complete",
        "partner_assignment",
        order_id,
        before,
        after.model_dump(mode="json"),
    )
    return after


# --------------------------------------------------------------------------------------------------
# the monthly rating
# --------------------------------------------------------------------------------------------------


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """First moment of ``YYYY-MM`` and of the next month (422 naming ``month`` when malformed)."""
    try:
        first = dt.datetime.strptime(month + "-01", "%Y-%m-%d")
    except ValueError:
        raise InputErrors([Problem("month", "a month as YYYY-MM", month)]) from None
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt


def rated_orders(session: Session, partner_id: str, month: str) -> list[RatedOrder]:
    """The partner's orders completed in ``month``, as the rating reads them."""
    get_partner(session, partner_id)
    first, nxt = month_bounds(month)
    rows = session.execute(
        select(PartnerAssignmentRow, WorkOrderRow)
        .join(WorkOrderRow, WorkOrderRow.id == PartnerAssignmentRow.order_id)
        .where(
            PartnerAssignmentRow.partner_id == partner_id,
            PartnerAssignmentRow.completed_at >= first,
            PartnerAssignmentRow.completed_at < nxt,
        )
        .order_by(PartnerAssignmentRow.order_id)
    )
    out = []
    for a, o in rows:
        assert a.completed_at is not None
        out.append(
            RatedOrder(
                order_id=o.id,
                deadline=o.deadline,
                completed_at=a.completed_at,
                fixed=a.outcome == PartnerOutcome.FIXED.value,
                repeated=o.repeat_fault_within_days is not None,
                complaint=bool(o.complaint),
            )
        )
    return out


def monthly_rating(
    session: Session, partner_id: str, month: str, policy: RatingPolicy | None = None
) -> PartnerRating:
    """The partner's rating of ``month`` (:func:`scheduler.dispatch.partners.rate_partner`)."""
    return rate_partner(partner_id, month, rated_orders(session, partner_id, month), policy)
