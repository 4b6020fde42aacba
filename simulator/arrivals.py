"""The random world of a replication: arriving orders, real on-site minutes, suspensions, sick calls.

Common random numbers: every draw comes from a generator seeded by ``(seed, replication, stream)``
and is made whatever the parameters that use it, so the same seed gives the same arrivals,
durations, suspensions and sick calls to every operating model (and to every remote share).

Arrivals reuse the demo city's generator (:func:`fieldcrew.demo.generate_city`): its month of orders
is the profile. Each simulated day draws a Poisson number of repair and of install/move orders with
the month's mean for that weekday (times the volume share), and each order copies a random order of
the same kind and weekday of the month: type, small area, place, hour and minute of creation,
customer grade, difficulty, required skills and, for installs and moves, the appointment slot the
same number of days ahead. Deadlines follow the service deadlines from the new creation time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fieldcrew.demo import MONTH_DAYS, MONTH_START, DemoCity
from scheduler.dispatch.domain import DispatchOrder
from simulator.domain import SimOrder, SimParams
from simulator.world import World
from vocabulary.orders import CustomerGrade, OrderType, TimeWindow
from vocabulary.organisation import Location
from vocabulary.staff import Skill

KINDS = ("repair", "install")


@dataclass(frozen=True)
class Template:
    """An order of the demo month, as a pattern to copy."""

    order_type: OrderType
    area_id: str
    second_of_day: int
    grade: CustomerGrade
    difficulty: int
    skills: frozenset[Skill]
    location: Location
    #: (days after creation, minute of the day, window minutes) of the appointment
    appointment: tuple[int, int, int] | None


@dataclass(frozen=True)
class Profile:
    """Order templates and mean daily volume per kind (repair, install) and weekday (Monday = 0)."""

    templates: dict[tuple[str, int], tuple[Template, ...]]
    per_day: dict[tuple[str, int], float]
    #: volume of the month the templates come from, relative to the operator's (1 = real volume)
    scale: float


def profile_from_city(city: DemoCity, area_ids: Sequence[str], city_scale: float) -> Profile:
    """The order profile of the demo month, restricted to ``area_ids``."""
    keep = set(area_ids)
    templates: dict[tuple[str, int], list[Template]] = {(k, w): [] for k in KINDS for w in range(7)}
    for o in city.orders:
        if o.area_id not in keep:
            continue
        kind = "repair" if o.order_type == OrderType.REPAIR else "install"
        day = o.created.date()
        appt = None
        if o.appointment is not None:
            start = o.appointment.start
            appt = (
                (start.date() - day).days,
                start.hour * 60 + start.minute,
                int((o.appointment.end - start).total_seconds() // 60),
            )
        templates[(kind, day.weekday())].append(
            Template(
                order_type=o.order_type,
                area_id=o.area_id,
                second_of_day=o.created.hour * 3600 + o.created.minute * 60 + o.created.second,
                grade=o.customer_grade,
                difficulty=o.difficulty,
                skills=o.required_skills,
                location=o.location,
                appointment=appt,
            )
        )
    weekdays = [(MONTH_START + dt.timedelta(days=d)).weekday() for d in range(MONTH_DAYS)]
    per_day = {(k, w): len(v) / max(1, weekdays.count(w)) for (k, w), v in templates.items()}
    return Profile({k: tuple(v) for k, v in templates.items()}, per_day, city_scale)


def draw_orders(
    profile: Profile, world: World, params: SimParams, seed: int, replication: int
) -> list[SimOrder]:
    """The orders arriving over the period, in creation order."""
    rng = np.random.default_rng([seed, replication, 1])
    factor = params.scale / profile.scale
    raw: list[tuple[dt.datetime, str, Template, float, float, float]] = []
    for d in range(params.days):
        day = params.start + dt.timedelta(days=d)
        midnight = dt.datetime.combine(day, dt.time())
        for kind in KINDS:
            pool = profile.templates[(kind, day.weekday())]
            n = int(rng.poisson(profile.per_day[(kind, day.weekday())] * factor)) if pool else 0
            picks = rng.integers(0, max(1, len(pool)), size=n)
            normal = rng.standard_normal(size=n)
            uniform = rng.random(size=(n, 2))
            for k in range(n):
                t = pool[int(picks[k])]
                created = midnight + dt.timedelta(seconds=t.second_of_day)
                raw.append((created, kind, t, float(normal[k]), float(uniform[k, 0]), float(uniform[k, 1])))
    raw.sort(key=lambda r: (r[0], r[1]))
    out: list[SimOrder] = []
    for seq, (created, _kind, t, z, u_remote, u_suspend) in enumerate(raw, start=1):
        appointment = None
        deadline = world.deadlines.deadline(t.order_type, t.grade, created)
        if t.appointment is not None:
            days_ahead, minute, length = t.appointment
            start = dt.datetime.combine(
                created.date() + dt.timedelta(days=days_ahead), dt.time()
            ) + dt.timedelta(minutes=minute)
            appointment = TimeWindow(start=start, end=start + dt.timedelta(minutes=length))
            if deadline < appointment.end:  # a booked visit is never due before it ends
                deadline = appointment.end + dt.timedelta(hours=2)
        standard = world.minutes[t.order_type][t.difficulty]
        out.append(
            SimOrder(
                order=DispatchOrder(
                    id=f"S{created:%y%m%d}{seq:06d}",
                    order_type=t.order_type,
                    difficulty=t.difficulty,
                    area_id=t.area_id,
                    location=t.location,
                    customer_grade=t.grade,
                    created=created,
                    deadline=deadline,
                    appointment=appointment,
                    duration_min=standard,
                    required_skills=t.skills,
                ),
                actual_min=actual_minutes(standard, params.duration_sigma, z),
                remote=t.order_type == OrderType.REPAIR and u_remote < params.remote_share,
                suspend=u_suspend < params.suspend_rate,
            )
        )
    return out


def actual_minutes(standard: int, sigma: float, z: float) -> int:
    """Real on-site minutes: lognormal around the standard (mean = standard), at least one minute."""
    return max(1, round(standard * math.exp(sigma * z - sigma * sigma / 2)))


def draw_sick(
    technician_ids: Sequence[str], start: dt.date, days: int, rate: float, seed: int, replication: int
) -> set[tuple[str, dt.date]]:
    """(technician, day) of every sick call of the period (drawn for every technician and day)."""
    rng = np.random.default_rng([seed, replication, 2])
    u = rng.random(size=(len(technician_ids), days))
    return {
        (t, start + dt.timedelta(days=d))
        for i, t in enumerate(sorted(technician_ids))
        for d in range(days)
        if u[i, d] < rate
    }
