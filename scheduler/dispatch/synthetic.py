"""Synthetic demo-like dispatch days (for benchmarks and tests when no demo city is loaded).

A city grid of region groups, each of ``areas_per_group`` small areas (about 2 km across) with one
technician per area; orders scattered over the areas with the demo city's mix of types, grades,
appointments and skills. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random

from scheduler.dispatch.domain import Area, DayInput, DispatchOrder, OnDutyTechnician
from vocabulary.orders import CustomerGrade, OrderType, ServiceDeadlines, TimeWindow
from vocabulary.organisation import AreaType, Location
from vocabulary.staff import Skill

CITY_LAT, CITY_LON = 30.55, 114.30
#: degrees per km (approximately, at the city's latitude)
KM_LAT, KM_LON = 1 / 111.0, 1 / 95.6


def synthetic_day(
    seed: int = 0,
    groups: int = 18,
    techs_per_group: int = 5,
    orders: int = 800,
    day: dt.date = dt.date(2026, 4, 1),
    support: int = 0,
) -> DayInput:
    """A morning-plan input: ``groups × techs_per_group`` technicians (+ ``support``), ``orders`` orders."""
    rng = random.Random(seed)
    deadlines = ServiceDeadlines()
    origin = dt.datetime.combine(day, dt.time())
    shift_start, shift_end = (
        origin + dt.timedelta(hours=8, minutes=30),
        origin + dt.timedelta(hours=17, minutes=30),
    )
    cols = max(1, round(groups**0.5))
    areas: list[Area] = []
    centres: dict[str, tuple[float, float]] = {}
    techs: list[OnDutyTechnician] = []
    for g in range(groups):
        gid = f"G{g:02d}"
        gx, gy = (g % cols) * 6.0, (g // cols) * 5.0  # km
        area_type = AreaType.URBAN if g < groups * 0.7 else AreaType.SUBURBAN
        for a in range(techs_per_group):
            aid = f"{gid}-A{a}"
            ax, ay = gx + (a % 3) * 2.0, gy + (a // 3) * 2.5
            areas.append(Area(id=aid, region_group_id=gid, area_type=area_type))
            centres[aid] = (ax, ay)
            skills = {Skill.BROADBAND, Skill.FIXED_LINE}
            if a == 0:
                skills.add(Skill.FIBRE_SPLICING)
            if a in (1, 2):
                skills.add(Skill.IPTV)
            techs.append(
                OnDutyTechnician(
                    id=f"T{g:02d}{a}",
                    region_group_id=gid,
                    home_area_id=aid,
                    skills=frozenset(skills),
                    shift_start=shift_start,
                    shift_end=shift_end,
                    start_location=_loc(ax + 0.3, ay - 0.2),
                )
            )
    for s in range(support):
        techs.append(
            OnDutyTechnician(
                id=f"S{s:02d}",
                support_team=True,
                skills=frozenset(Skill),
                shift_start=shift_start,
                shift_end=shift_end,
                start_location=_loc(cols * 3.0, cols * 2.5),
            )
        )
    out: list[DispatchOrder] = []
    area_ids = [a.id for a in areas]
    for i in range(orders):
        aid = rng.choice(area_ids)
        cx, cy = centres[aid]
        otype = rng.choices(list(OrderType), weights=[3, 1, 7])[0]
        grade = rng.choices(list(CustomerGrade), weights=[5, 15, 80])[0]
        created = shift_start - dt.timedelta(minutes=rng.randint(30, 20 * 60))
        appointment = None
        if otype != OrderType.REPAIR and rng.random() < 0.6:
            h = rng.choice([9, 11, 13, 15])
            appointment = TimeWindow(
                start=origin + dt.timedelta(hours=h), end=origin + dt.timedelta(hours=h + 2)
            )
        skills = {Skill.BROADBAND} if rng.random() < 0.7 else {Skill.FIXED_LINE}
        r = rng.random()
        if r < 0.05:
            skills.add(Skill.FIBRE_SPLICING)
        elif r < 0.15:
            skills.add(Skill.IPTV)
        duration = {OrderType.INSTALL: 60, OrderType.MOVE: 50, OrderType.REPAIR: 40}[otype]
        out.append(
            DispatchOrder(
                id=f"O{i:04d}",
                order_type=otype,
                difficulty=rng.randint(1, 3),
                area_id=aid,
                location=_loc(cx + rng.uniform(0, 2.0), cy + rng.uniform(0, 2.5)),
                customer_grade=grade,
                created=created,
                deadline=deadlines.deadline(otype, grade, created),
                appointment=appointment,
                duration_min=duration + rng.randint(-10, 20),
                required_skills=frozenset(skills),
            )
        )
    return DayInput(
        branch_id="B1",
        day=day,
        now=shift_start,
        technicians=tuple(techs),
        orders=tuple(out),
        areas=tuple(areas),
    )


def _loc(x_km: float, y_km: float) -> Location:
    return Location(lat=CITY_LAT + y_km * KM_LAT, lon=CITY_LON + x_km * KM_LON)


# --------------------------------------------------------------------------- tiny hand-built fixtures

DAY = dt.date(2026, 4, 1)


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    """``"09:30"`` on the fixture day."""
    h, m = hhmm.split(":")
    return dt.datetime.combine(day, dt.time(int(h), int(m)))


def make_tech(
    tech_id: str,
    group: str = "G1",
    home: str | None = "A1",
    skills: set[Skill] | None = None,
    start: str = "08:00",
    end: str = "17:00",
    x_km: float = 0.0,
    y_km: float = 0.0,
    support: bool = False,
) -> OnDutyTechnician:
    """A technician at ``(x_km, y_km)`` from the city centre."""
    return OnDutyTechnician(
        id=tech_id,
        region_group_id=None if support else group,
        home_area_id=home,
        skills=frozenset(skills if skills is not None else {Skill.BROADBAND}),
        support_team=support,
        shift_start=at(start),
        shift_end=at(end),
        start_location=_loc(x_km, y_km),
    )


def make_order(
    order_id: str,
    area: str = "A1",
    x_km: float = 1.0,
    y_km: float = 0.0,
    duration: int = 60,
    grade: CustomerGrade = CustomerGrade.ORDINARY,
    skills: set[Skill] | None = None,
    window: tuple[str, str] | None = None,
    deadline: str = "23:00",
    created: str = "07:00",
    depends_on: tuple[str, ...] = (),
) -> DispatchOrder:
    """An order at ``(x_km, y_km)`` from the city centre."""
    return DispatchOrder(
        id=order_id,
        area_id=area,
        location=_loc(x_km, y_km),
        customer_grade=grade,
        created=at(created),
        deadline=at(deadline),
        duration_min=duration,
        required_skills=frozenset(skills if skills is not None else {Skill.BROADBAND}),
        appointment=TimeWindow(start=at(window[0]), end=at(window[1])) if window else None,
        depends_on=depends_on,
    )


def make_input(
    techs: list[OnDutyTechnician],
    orders: list[DispatchOrder],
    now: str = "08:00",
    areas: list[Area] | None = None,
    **kw: object,
) -> DayInput:
    """A day input with areas A1, A2 (group G1) and B1 (group G2) unless given."""
    areas = areas or [
        Area(id="A1", region_group_id="G1"),
        Area(id="A2", region_group_id="G1"),
        Area(id="B1", region_group_id="G2"),
    ]
    return DayInput(
        branch_id="B1",
        day=DAY,
        now=at(now),
        technicians=tuple(techs),
        orders=tuple(orders),
        areas=tuple(areas),
        **kw,
    )


def km_east(km: float) -> Location:
    """A location ``km`` east of the city centre (for tests that need a place)."""
    return _loc(km, 0.0)
