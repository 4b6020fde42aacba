"""Solver-independent checks: a finished plan or route set is recomputed from the input alone.

Nothing here imports a solver. Each check returns :class:`Violation` records naming the record,
the rule and the values, so a test (or a user) sees why a plan is wrong, not just that it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.dispatch.domain import Area, DayInput, DayPlan, OnDutyTechnician, StopStatus, is_contract_unit
from scheduler.dispatch.solomon import SolomonInstance
from scheduler.dispatch.travel import Point, tech_start_key, travel_minutes
from vocabulary.orders import OrderStatus
from vocabulary.organisation import AreaType


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: which rule, which record, what was found."""

    rule: str
    record: str
    message: str

    def __str__(self) -> str:
        return f"{self.record}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class SolomonCheck:
    """Result of :func:`validate_solomon`: violations and the DIMACS distance recomputed."""

    violations: list[Violation]
    distance_tenths: int
    vehicles: int

    @property
    def ok(self) -> bool:
        """True when every hard rule holds."""
        return not self.violations

    @property
    def distance(self) -> float:
        """Total DIMACS distance recomputed from coordinates."""
        return self.distance_tenths / 10


def validate_solomon(instance: SolomonInstance, routes: list[list[int]]) -> SolomonCheck:
    """Check a Solomon route set: capacity, time windows, each customer once, fleet size.

    Distances are recomputed from the coordinates under DIMACS (each arc ``floor(10·d)/10``, also
    its travel time); all arithmetic is in integer tenths so no rounding can hide a violation.
    Service may start no earlier than the ready time (waiting allowed) and no later than the due
    date; every vehicle must be back at the depot by the depot's due date.
    """
    v: list[Violation] = []
    n = instance.num_clients
    d = instance.tenths
    cust = instance.customers
    non_empty = [r for r in routes if r]
    if len(non_empty) > instance.vehicles:
        v.append(
            Violation(
                "fleet_size",
                instance.name,
                f"{len(non_empty)} routes used, fleet size is {instance.vehicles}",
            )
        )
    seen: dict[int, int] = {}
    total = 0
    for k, route in enumerate(non_empty):
        load = 0
        t = 10 * instance.depot.ready
        prev = 0
        for c in route:
            if not 1 <= c <= n:
                v.append(Violation("known_customer", f"route {k}", f"customer {c} is not in 1..{n}"))
                continue
            if c in seen:
                v.append(
                    Violation(
                        "each_customer_once",
                        f"customer {c}",
                        f"visited on route {seen[c]} and again on route {k}",
                    )
                )
            seen[c] = k
            total += d[prev][c]
            t = max(t + d[prev][c], 10 * cust[c].ready)
            if t > 10 * cust[c].due:
                v.append(
                    Violation(
                        "time_window",
                        f"customer {c}",
                        f"service starts at {t / 10} after due date {cust[c].due} (route {k})",
                    )
                )
            t += 10 * cust[c].service
            load += cust[c].demand
            prev = c
        total += d[prev][0]
        t += d[prev][0]
        if t > 10 * instance.depot.due:
            v.append(
                Violation(
                    "depot_due",
                    f"route {k}",
                    f"returns at {t / 10} after the depot due date {instance.depot.due}",
                )
            )
        if load > instance.capacity:
            v.append(Violation("capacity", f"route {k}", f"load {load} exceeds capacity {instance.capacity}"))
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing:
        v.append(
            Violation(
                "each_customer_once",
                instance.name,
                f"{len(missing)} customer(s) never visited: {missing[:10]}",
            )
        )
    return SolomonCheck(v, total, len(non_empty))


# ============================================================================ day plans


def validate_plan(inp: DayInput, plan: DayPlan, previous: DayPlan | None = None) -> list[Violation]:
    """Check a day plan against its input without any solver code.

    Hard rules: known technicians and orders, each order at most once, skills, region group,
    technician available, appointment windows, service after ``now``, ETAs consistent with travel
    times recomputed from the travel model, durations, dependencies, shift ends, every open order
    either planned or listed as unassigned. With ``previous``: started and completed work in the
    previous plan is unchanged (same technician, same start; completed also same end), unless the
    order has since been completed, suspended or cancelled.
    """
    v: list[Violation] = []
    orders = {o.id: o for o in inp.orders}
    techs = {t.id: t for t in inp.technicians}
    areas = {a.id: a for a in inp.areas}
    seen: dict[str, str] = {}
    ends: dict[str, dt.datetime] = {}
    for o in inp.orders:
        if o.status == OrderStatus.COMPLETED and o.completed_at is not None:
            ends[o.id] = o.completed_at
    for route in plan.routes:
        for s in route.stops:
            ends.setdefault(s.order_id, s.end)
    for route in plan.routes:
        tech = techs.get(route.technician_id)
        if tech is None:
            v.append(
                Violation("known_technician", f"technician {route.technician_id}", "not on duty in the input")
            )
            continue
        here = _tech_point(tech, areas)
        t = max(tech.shift_start, tech.available_from or tech.shift_start)
        last_end: dt.datetime | None = None
        for s in route.stops:
            rec = f"order {s.order_id}"
            found = orders.get(s.order_id)
            if found is None:
                v.append(Violation("known_order", rec, f"on {tech.id}'s route but not in the input"))
                continue
            o = found
            if s.order_id in seen:
                v.append(Violation("each_order_once", rec, f"on {seen[s.order_id]} and on {tech.id}"))
            seen[s.order_id] = tech.id
            if s.status in (StopStatus.STARTED, StopStatus.COMPLETED):
                expected = OrderStatus.STARTED if s.status == StopStatus.STARTED else OrderStatus.COMPLETED
                if o.status != expected or o.technician_id != tech.id:
                    v.append(
                        Violation(
                            "locked_stop",
                            rec,
                            f"stop is {s.status} on {tech.id} but the order is "
                            f"{o.status} on {o.technician_id}",
                        )
                    )
                if s.status == StopStatus.STARTED:
                    here = Point(
                        o.id, o.location, areas[o.area_id].area_type if o.area_id in areas else AreaType.URBAN
                    )
                    t = max(t, s.end)
                last_end = s.end
                continue
            if o.status not in (OrderStatus.CREATED, OrderStatus.DISPATCHED):
                v.append(Violation("open_order", rec, f"planned but its status is {o.status}"))
            if not o.required_skills <= tech.skills:
                v.append(
                    Violation("skills", rec, f"{tech.id} lacks {sorted(o.required_skills - tech.skills)}")
                )
            claimed = o.claimed_by == tech.id  # rule "claim": the volunteer who claimed it
            unit = areas[o.area_id].region_group_id if o.area_id in areas else None
            covers = tech.support_team and not (unit is not None and is_contract_unit(unit))  # no cover
            if unit is not None and not (covers or tech.region_group_id == unit or claimed):
                v.append(
                    Violation(
                        "region_group", rec, f"{tech.id} is not in group {areas[o.area_id].region_group_id}"
                    )
                )
            if not tech.available:
                v.append(Violation("available", rec, f"{tech.id} is unavailable but has planned work"))
            dest = Point(
                o.id, o.location, areas[o.area_id].area_type if o.area_id in areas else AreaType.URBAN
            )
            travel = _travel(here, dest, inp)
            if s.travel_min != travel:
                v.append(Violation("travel_time", rec, f"travel {s.travel_min} min, recomputed {travel} min"))
            if s.arrival < t + dt.timedelta(minutes=travel):
                v.append(
                    Violation(
                        "eta", rec, f"arrival {s.arrival:%H:%M} before leaving at {t:%H:%M} + {travel} min"
                    )
                )
            if s.start < s.arrival or s.start < inp.now:
                v.append(
                    Violation("eta", rec, f"start {s.start:%H:%M} before arrival {s.arrival:%H:%M} or now")
                )
            if o.appointment is not None and not (o.appointment.start <= s.start <= o.appointment.end):
                v.append(
                    Violation(
                        "appointment_window",
                        rec,
                        f"starts {s.start:%H:%M}, window "
                        f"{o.appointment.start:%H:%M}–{o.appointment.end:%H:%M}",
                    )
                )
            if s.end - s.start != dt.timedelta(minutes=o.duration_min):
                v.append(
                    Violation("duration", rec, f"{s.start:%H:%M}–{s.end:%H:%M} is not {o.duration_min} min")
                )
            for d in o.depends_on:
                if d not in ends or s.start < ends[d]:
                    v.append(Violation("dependencies", rec, f"starts before order {d} is finished"))
            t, here, last_end = s.end, dest, s.end
        if last_end is not None and any(s.status == StopStatus.PLANNED for s in route.stops):
            finish = last_end
            if tech.end_location is not None:
                back = Point("end", tech.end_location, here.area_type)
                finish = last_end + dt.timedelta(minutes=_travel(here, back, inp))
            if finish > tech.shift_end:
                v.append(
                    Violation(
                        "shift_end",
                        f"technician {tech.id}",
                        f"day ends {finish:%H:%M} after shift end {tech.shift_end:%H:%M}",
                    )
                )
    listed = {u.order_id for u in plan.unassigned}
    for o in inp.orders:
        if (
            o.status in (OrderStatus.CREATED, OrderStatus.DISPATCHED)
            and o.id not in seen
            and o.id not in listed
        ):
            v.append(
                Violation("every_open_order_accounted", f"order {o.id}", "neither planned nor unassigned")
            )
        if o.id in seen and o.id in listed:
            v.append(Violation("each_order_once", f"order {o.id}", "both planned and unassigned"))
    if previous is not None:
        v += _fixed_work_unchanged(inp, plan, previous)
    return v


def _fixed_work_unchanged(inp: DayInput, plan: DayPlan, previous: DayPlan) -> list[Violation]:
    v: list[Violation] = []
    orders = {o.id: o for o in inp.orders}
    now_stops = {s.order_id: (r.technician_id, s) for r in plan.routes for s in r.stops}
    for r in previous.routes:
        for s in r.stops:
            if s.status == StopStatus.PLANNED:
                continue
            o = orders.get(s.order_id)
            if o is not None and o.status in (OrderStatus.SUSPENDED, OrderStatus.CANCELLED):
                continue
            got = now_stops.get(s.order_id)
            rec = f"order {s.order_id}"
            if got is None:
                v.append(Violation("fixed_work_unchanged", rec, f"{s.status} work vanished from the plan"))
                continue
            tech_id, new = got
            if tech_id != r.technician_id or new.start != s.start:
                v.append(
                    Violation(
                        "fixed_work_unchanged",
                        rec,
                        f"was {s.status} on {r.technician_id} at "
                        f"{s.start:%H:%M}, now on {tech_id} at {new.start:%H:%M}",
                    )
                )
            if s.status == StopStatus.COMPLETED and (new.status != StopStatus.COMPLETED or new.end != s.end):
                v.append(Violation("fixed_work_unchanged", rec, "completed work changed"))
    return v


def _tech_point(tech: OnDutyTechnician, areas: dict[str, Area]) -> Point:
    home = areas.get(tech.home_area_id or "")
    return Point(
        tech_start_key(tech.id),
        tech.position or tech.start_location,
        home.area_type if home else AreaType.URBAN,
    )


def _travel(a: Point, b: Point, inp: DayInput) -> int:
    if inp.travel.matrix is not None:
        return 0 if a.key == b.key else inp.travel.matrix[a.key][b.key]
    if a.location == b.location:
        return 0
    return travel_minutes(a.location, b.location, b.area_type, inp.travel)
