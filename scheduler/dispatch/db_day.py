"""A day input read from the platform tables (branches, small areas, technicians, work orders).

On-duty technicians: the ids given (the published roster's day), else every technician of the
branch employed that day. Order minutes: the standard minutes given, else the branch's latest
stored standard-hour table of the work-hour pool (cell order type × difficulty × area type, rounded
up), else :data:`~scheduler.dispatch.demo_day.DEFAULT_MINUTES`. Open orders of the day: created or dispatched,
with an appointment that day, or without one and created by the end of the day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew.tables import BranchRow, RegionGroupRow, SmallAreaRow, TechnicianRow, WorkOrderRow
from scheduler.dispatch.demo_day import DEFAULT_MINUTES
from scheduler.dispatch.domain import Area, DayInput, DispatchOrder, OnDutyTechnician
from timepool.store import load_standard_table
from vocabulary.errors import NotFound
from vocabulary.orders import CustomerGrade, OrderStatus, OrderType, TimeWindow
from vocabulary.organisation import AreaType, Location
from vocabulary.staff import Skill


def day_from_db(
    session: Session,
    branch_id: str,
    day: dt.date,
    on_duty: list[str] | None = None,
    minutes: Mapping[OrderType, Mapping[int, int]] | None = None,
    shift: tuple[dt.time, dt.time] = (dt.time(8, 30), dt.time(17, 30)),
    now: dt.time = dt.time(8, 0),
) -> DayInput:
    """Build the morning-plan input of ``branch_id`` on ``day`` from the database."""
    standard = None if minutes is not None else branch_standard_minutes(session, branch_id)
    minutes = minutes or DEFAULT_MINUTES
    branch = session.get(BranchRow, branch_id)
    if branch is None:
        raise NotFound(f"branch {branch_id}: not found; rule: plan a known branch")
    area_rows = session.execute(
        select(SmallAreaRow, RegionGroupRow.id)
        .join(RegionGroupRow, SmallAreaRow.region_group_id == RegionGroupRow.id)
        .where(RegionGroupRow.branch_id == branch_id)
    ).all()
    areas = {a.id: a for a, _ in area_rows}
    start, end = dt.datetime.combine(day, shift[0]), dt.datetime.combine(day, shift[1])
    techs: list[OnDutyTechnician] = []
    wanted = set(on_duty) if on_duty is not None else None
    for t in session.scalars(
        select(TechnicianRow).where(TechnicianRow.branch_id == branch_id).order_by(TechnicianRow.id)
    ):
        employed = t.start_date <= day and (t.end_date is None or day <= t.end_date)
        if not employed or (wanted is not None and t.id not in wanted):
            continue
        home = areas.get(t.home_area_id or "")
        loc = Location(lat=home.lat, lon=home.lon) if home is not None else _centre(branch)
        techs.append(
            OnDutyTechnician(
                id=t.id,
                region_group_id=t.region_group_id,
                home_area_id=t.home_area_id,
                skills=frozenset(Skill(s) for s in t.skills),
                support_team=t.support_team,
                shift_start=start,
                shift_end=end,
                start_location=loc,
            )
        )
    if wanted is not None:
        missing = wanted - {t.id for t in techs}
        if missing:
            raise NotFound(
                f"technician(s) {sorted(missing)}: not employed in branch {branch_id} on {day}; "
                "rule: on-duty technicians must be staff of the branch"
            )
    day_end = dt.datetime.combine(day, dt.time(23, 59))
    orders: list[DispatchOrder] = []
    rows = session.scalars(
        select(WorkOrderRow)
        .where(
            WorkOrderRow.area_id.in_(list(areas)),
            WorkOrderRow.status.in_([OrderStatus.CREATED.value, OrderStatus.DISPATCHED.value]),
            WorkOrderRow.created <= day_end,
        )
        .order_by(WorkOrderRow.id)
    )
    tech_ids = {t.id for t in techs}
    for o in rows:
        if o.appointment_start is not None and o.appointment_start.date() != day:
            continue
        otype = OrderType(o.order_type)
        area_type = AreaType(areas[o.area_id].area_type)
        duration = (standard or {}).get((otype, o.difficulty, area_type)) or minutes[otype][o.difficulty]
        appointment = (
            TimeWindow(start=o.appointment_start, end=o.appointment_end)
            if o.appointment_start is not None and o.appointment_end is not None
            else None
        )
        orders.append(
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
    return DayInput(
        branch_id=branch_id,
        day=day,
        now=dt.datetime.combine(day, now),
        technicians=tuple(techs),
        orders=tuple(orders),
        bbox=tuple(branch.bbox) if branch.bbox else None,
        areas=tuple(
            Area(id=a.id, region_group_id=a.region_group_id, area_type=AreaType(a.area_type))
            for a in areas.values()
        ),
    )


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


def _centre(branch: BranchRow) -> Location:
    if not branch.bbox:
        raise NotFound(
            f"branch {branch.id}: no bbox and a technician without a home area; rule: a start location"
        )
    south, west, north, east = branch.bbox
    return Location(lat=(south + north) / 2, lon=(west + east) / 2)
