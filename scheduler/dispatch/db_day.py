"""A day input read from the platform tables (branches, small areas, technicians, work orders).

On-duty technicians: the typed shifts given (:class:`~scheduler.dispatch.domain.OnDutyShift`, from
the published roster through ``scheduler.day``, or an explicit list with :func:`default_shifts`),
each with the technician's skills and his home area as start location; a support-team member
deployed to a region group works for that group that day. Order minutes: the standard minutes given,
else the branch's latest stored standard-hour table of the work-hour pool (cell order type ×
difficulty × area type, rounded up), else :data:`~scheduler.dispatch.demo_day.DEFAULT_MINUTES`.
Orders: the open orders (created, or dispatched and not started) of the branch that exist by the
end of the day, cut by the day's intake (:mod:`scheduler.dispatch.intake`); the orders left for
later are listed in the input's :class:`~scheduler.dispatch.domain.DayIntake`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew.tables import BranchRow, RegionGroupRow, SmallAreaRow, TechnicianRow, WorkOrderRow
from scheduler.dispatch.demo_day import DEFAULT_MINUTES
from scheduler.dispatch.domain import (
    Area,
    DayInput,
    DayIntake,
    DispatchOrder,
    DispatchPolicy,
    OnDutyShift,
    OnDutyTechnician,
)
from scheduler.dispatch.intake import INTAKE_RULE, choose_orders
from scheduler.dispatch.ledger import OrderMark
from scheduler.dispatch.partners_store import with_partners
from timepool.store import load_standard_table
from vocabulary.errors import NotFound
from vocabulary.orders import CustomerGrade, OrderStatus, OrderType, TimeWindow
from vocabulary.organisation import AreaType, Location
from vocabulary.staff import Skill

#: Shift of an on-duty technician given by id only (no roster shift): 08:30–17:30.
DEFAULT_SHIFT: tuple[dt.time, dt.time] = (dt.time(8, 30), dt.time(17, 30))


def default_shifts(
    technician_ids: Sequence[str], day: dt.date, shift: tuple[dt.time, dt.time] = DEFAULT_SHIFT
) -> list[OnDutyShift]:
    """On-duty shifts of technicians given by id (no roster): everyone works ``shift`` on ``day``."""
    start, end = dt.datetime.combine(day, shift[0]), dt.datetime.combine(day, shift[1])
    return [OnDutyShift(technician_id=t, start=start, end=end) for t in dict.fromkeys(technician_ids)]


def day_from_db(
    session: Session,
    branch_id: str,
    day: dt.date,
    on_duty: Sequence[OnDutyShift],
    intake: DayIntake,
    minutes: Mapping[OrderType, Mapping[int, int]] | None = None,
    now: dt.time = dt.time(8, 0),
    policy: DispatchPolicy | None = None,
) -> tuple[DayInput, dict[str, OrderMark]]:
    """The morning-plan input of ``branch_id`` on ``day``, and the order table's state of its orders.

    Parameters
    ----------
    on_duty
        Who works, when, and for which group (support team); every one must be employed by the
        branch that day, else :class:`NotFound` names them.
    intake
        Where the on-duty list came from (roster or override); completed here with the intake's
        figures and the orders left for later.
    minutes
        On-site minutes per order type and difficulty instead of the work-hour pool's.

    Returns
    -------
    The day input, and ``order id → (status, technician)`` as the order table holds them now:
    what storing the plan checks nobody changed meanwhile (an order dispatched to a technician
    who is off today enters the input as ``created``).
    """
    policy = policy or DispatchPolicy()
    standard = None if minutes is not None else branch_standard_minutes(session, branch_id)
    minutes = minutes or DEFAULT_MINUTES
    branch, areas = _branch_areas(session, branch_id)
    techs = _on_duty(session, branch, areas, day, on_duty)
    day_end = dt.datetime.combine(day, dt.time(23, 59))
    rows = list(session.scalars(
        select(WorkOrderRow)
        .where(
            WorkOrderRow.area_id.in_(list(areas)),
            WorkOrderRow.status.in_([OrderStatus.CREATED.value, OrderStatus.DISPATCHED.value]),
            WorkOrderRow.created <= day_end,
        )
        .order_by(WorkOrderRow.id)
    ))
    tech_ids = {t.id for t in techs}
    candidates: list[DispatchOrder] = []
    marks: dict[str, OrderMark] = {}
    at_partners = with_partners(session, [o.id for o in rows])  # handed off: never taken back
    for o in rows:
        if o.id in at_partners:
            continue
        otype = OrderType(o.order_type)
        area_type = AreaType(areas[o.area_id].area_type)
        duration = (standard or {}).get((otype, o.difficulty, area_type)) or minutes[otype][o.difficulty]
        appointment = (
            TimeWindow(start=o.appointment_start, end=o.appointment_end)
            if o.appointment_start is not None and o.appointment_end is not None
            else None
        )
        marks[o.id] = OrderMark(OrderStatus(o.status), o.technician_id)
        candidates.append(
            DispatchOrder(
                id=o.id,
                order_type=otype,
                difficulty=o.difficulty,
                area_id=o.area_id,
                location=Location(lat=o.lat, lon=o.lon),
                customer_grade=CustomerGrade(o.customer_grade),
                created=o.created,
                deadline=o.deadline,
                appointment=appointment,
                duration_min=duration,
                required_skills=frozenset(Skill(s) for s in o.required_skills),
                status=OrderStatus(o.status) if o.technician_id in tech_ids else OrderStatus.CREATED,
                technician_id=o.technician_id if o.technician_id in tech_ids else None,
            )
        )
    chosen = choose_orders(candidates, techs, day, policy)
    taken = {o.id for o in chosen.taken}
    inp = DayInput(
        branch_id=branch_id,
        day=day,
        now=dt.datetime.combine(day, now),
        technicians=tuple(techs),
        orders=chosen.taken,
        bbox=tuple(branch.bbox) if branch.bbox else None,
        areas=tuple(
            Area(id=a.id, region_group_id=a.region_group_id, area_type=AreaType(a.area_type))
            for a in areas.values()
        ),
        policy=policy,
        intake=intake.model_copy(
            update={
                "capacity_min": chosen.capacity_min,
                "taken_min": chosen.taken_min,
                "rule": INTAKE_RULE,
                "deferred": chosen.deferred,
            }
        ),
    )
    return inp, {k: v for k, v in marks.items() if k in taken}


def on_duty_technicians(
    session: Session, branch_id: str, day: dt.date, on_duty: Sequence[OnDutyShift]
) -> list[OnDutyTechnician]:
    """The technicians of ``on_duty`` as dispatch sees them (skills, group, start location, shift)."""
    branch, areas = _branch_areas(session, branch_id)
    return _on_duty(session, branch, areas, day, on_duty)


def _branch_areas(session: Session, branch_id: str) -> tuple[BranchRow, dict[str, SmallAreaRow]]:
    branch = session.get(BranchRow, branch_id)
    if branch is None:
        raise NotFound(f"branch {branch_id}: not found; rule: plan a known branch")
    area_rows = session.scalars(
        select(SmallAreaRow)
        .join(RegionGroupRow, SmallAreaRow.region_group_id == RegionGroupRow.id)
        .where(RegionGroupRow.branch_id == branch_id)
        .order_by(SmallAreaRow.id)
    )
    return branch, {a.id: a for a in area_rows}


def _on_duty(
    session: Session,
    branch: BranchRow,
    areas: Mapping[str, SmallAreaRow],
    day: dt.date,
    on_duty: Sequence[OnDutyShift],
) -> list[OnDutyTechnician]:
    shifts = {s.technician_id: s for s in on_duty}
    staff = {
        t.id: t
        for t in session.scalars(
            select(TechnicianRow).where(TechnicianRow.branch_id == branch.id).order_by(TechnicianRow.id)
        )
        if t.start_date <= day and (t.end_date is None or day <= t.end_date)
    }
    missing = sorted(set(shifts) - set(staff))
    if missing:
        raise NotFound(
            f"technician(s) {missing}: not employed in branch {branch.id} on {day}; "
            "rule: on-duty technicians must be staff of the branch"
        )
    techs: list[OnDutyTechnician] = []
    for tech_id in sorted(shifts):
        t, shift = staff[tech_id], shifts[tech_id]
        group = shift.region_group_id if t.support_team and shift.region_group_id else None
        home = areas.get(t.home_area_id or "")
        if home is not None:
            loc = Location(lat=home.lat, lon=home.lon)
        elif group is not None:
            loc = _centre_of([a for a in areas.values() if a.region_group_id == group]) or _centre(branch)
        else:
            loc = _centre(branch)
        techs.append(
            OnDutyTechnician(
                id=t.id,
                # a support-team member deployed to a group works as one of its members that day
                region_group_id=group or t.region_group_id,
                home_area_id=t.home_area_id,
                skills=frozenset(Skill(s) for s in t.skills),
                support_team=t.support_team and group is None,
                shift_start=shift.start,
                shift_end=shift.end,
                start_location=loc,
            )
        )
    return techs


def branch_standard_minutes(
    session: Session, branch_id: str
) -> dict[tuple[OrderType, int, AreaType], int] | None:
    """Standard on-site minutes per (order type, difficulty, area type) from the branch's latest
    standard-hour table (work-hour pool), or None when the pool has none stored."""
    try:
        table = load_standard_table(session, branch_id)
    except NotFound:
        return None
    return {
        (OrderType(c.order_type), c.difficulty, AreaType(c.area_type)): max(1, math.ceil(c.standard_min))
        for c in table.cells
        if c.standard_min > 0
    }


def _centre_of(areas: Sequence[SmallAreaRow]) -> Location | None:
    if not areas:
        return None
    return Location(lat=sum(a.lat for a in areas) / len(areas), lon=sum(a.lon for a in areas) / len(areas))


def _centre(branch: BranchRow) -> Location:
    if not branch.bbox:
        raise NotFound(
            f"branch {branch.id}: no bbox and a technician without a home area; rule: a start location"
        )
    south, west, north, east = branch.bbox
    return Location(lat=(south + north) / 2, lon=(west + east) / 2)
