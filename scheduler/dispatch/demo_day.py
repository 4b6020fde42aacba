"""A dispatch day cut from the demo city (``fieldcrew.demo.generate_city``).

On-duty technicians normally come from the published roster (``scheduler.roster``); without one,
one technician of each region group rests by rotation (the operator's "about one technician of each
group rests every day") and the support team works. Order minutes normally come from the standard
hours of the work-hour pool; without them :data:`DEFAULT_MINUTES` (by type and difficulty) is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from fieldcrew.demo import DemoCity
from scheduler.dispatch.domain import Area, DayInput, DispatchOrder, OnDutyTechnician
from vocabulary.errors import NotFound
from vocabulary.orders import OrderStatus, OrderType
from vocabulary.organisation import Location
from vocabulary.staff import Technician

#: On-site minutes by order type and difficulty, when no standard hours are given.
DEFAULT_MINUTES: dict[OrderType, dict[int, int]] = {
    OrderType.INSTALL: {1: 60, 2: 80, 3: 100},
    OrderType.MOVE: {1: 50, 2: 70, 3: 90},
    OrderType.REPAIR: {1: 40, 2: 55, 3: 75},
}


def day_from_city(
    city: DemoCity,
    day: dt.date,
    minutes: Mapping[OrderType, Mapping[int, int]] | None = None,
    on_duty: set[str] | None = None,
    shift: tuple[dt.time, dt.time] = (dt.time(8, 30), dt.time(17, 30)),
    now: dt.time = dt.time(8, 0),
) -> DayInput:
    """The morning-plan input of ``day``: its orders (created that day, or with an appointment that
    day) as open orders, and the technicians on duty (``on_duty`` ids, or the rest rotation)."""
    minutes = minutes or DEFAULT_MINUTES
    areas = {a.id: a for a in city.areas}
    groups: dict[str, list[Technician]] = {}
    for t in city.technicians:
        if t.region_group_id and not t.support_team:
            groups.setdefault(t.region_group_id, []).append(t)
    if on_duty is None:
        resting = {members[day.toordinal() % len(members)].id for members in groups.values()}
        on_duty = {t.id for t in city.technicians if t.employed_on(day) and t.id not in resting}
    start, end = dt.datetime.combine(day, shift[0]), dt.datetime.combine(day, shift[1])
    techs = []
    for t in city.technicians:
        if t.id not in on_duty:
            continue
        home = areas.get(t.home_area_id) if t.home_area_id else None
        loc = home.centroid if home is not None else _branch_centre(city)
        techs.append(OnDutyTechnician.from_technician(t, start, end, loc))
    orders = []
    for o in city.orders:
        appt_day = o.appointment.start.date() if o.appointment is not None else None
        if appt_day == day or (appt_day is None and o.created.date() == day):
            base = DispatchOrder.from_work_order(o, minutes[o.order_type][o.difficulty])
            orders.append(
                base.model_copy(
                    update={
                        "status": OrderStatus.CREATED,
                        "technician_id": None,
                        "started_at": None,
                        "completed_at": None,
                    }
                )
            )
    return DayInput(
        branch_id=city.branch.id,
        day=day,
        now=dt.datetime.combine(day, now),
        technicians=tuple(techs),
        orders=tuple(orders),
        bbox=city.branch.bbox,
        areas=tuple(
            Area(id=a.id, region_group_id=a.region_group_id, area_type=a.area_type) for a in city.areas
        ),
    )


def _branch_centre(city: DemoCity) -> Location:
    if city.branch.bbox is None:
        raise NotFound(
            f"branch {city.branch.id}: no bbox and a technician without a home area; rule: a start location"
        )
    south, west, north, east = city.branch.bbox
    return Location(lat=(south + north) / 2, lon=(west + east) / 2)


def on_duty_from_roster(assignment: Mapping[str, list[str | None]], day_index: int) -> dict[str, str]:
    """Technicians working on day ``day_index`` of a published roster, with their shift id.

    ``assignment`` is the roster's ``employee id → shift id or None per day``
    (``scheduler.roster.domain.Assignment``); pass ``set(result)`` as ``on_duty`` to
    :func:`day_from_city`, or use the shift ids to set each technician's shift window.
    """
    out: dict[str, str] = {}
    for tech, shifts in assignment.items():
        shift = shifts[day_index] if 0 <= day_index < len(shifts) else None
        if shift is not None:
            out[tech] = shift
    return out
