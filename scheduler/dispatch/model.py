"""The dispatch problem in engine terms: integer minutes, indexed places, allowed technicians.

:class:`DispatchContext` validates a :class:`~scheduler.dispatch.domain.DayInput` eagerly (every
problem reported together, naming the record and the rule), then exposes what the engines need:
travel minutes between places, each order's window, each technician's start state, and
:func:`schedule_route`, the forward pass that times a sequence of orders (earliest start, waiting
allowed) and says which hard rule a sequence breaks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.dispatch import rules
from scheduler.dispatch.domain import Area, DayInput, DispatchOrder, OnDutyTechnician
from scheduler.dispatch.errors import InputErrors, Problem
from scheduler.dispatch.travel import Point, tech_end_key, tech_start_key, travel_matrix, travel_minutes
from vocabulary.orders import OrderStatus
from vocabulary.organisation import AreaType

#: statuses that still need a technician today
OPEN_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.DISPATCHED})
#: far beyond any shift end (minutes); used as "no upper bound"
FAR = 3 * 24 * 60


@dataclass(frozen=True)
class TechStart:
    """Where and when a technician's remaining day starts (after any locked, started order)."""

    point: int
    minute: int
    shift_end: int
    end_point: int | None


@dataclass(frozen=True)
class Timed:
    """One timed stop of :func:`schedule_route` (engine minutes)."""

    order_id: str
    travel: int
    arrival: int
    start: int
    end: int


@dataclass(frozen=True)
class RouteTiming:
    """Result of :func:`schedule_route`: timed stops, or the rule broken and by which order."""

    stops: list[Timed]
    finish: int
    travel: int
    broken_rule: str | None = None
    broken_by: str | None = None

    @property
    def feasible(self) -> bool:
        """True when no hard rule is broken."""
        return self.broken_rule is None


class DispatchContext:
    """A validated day input, indexed for the engines (all times integer minutes after ``origin``)."""

    def __init__(self, inp: DayInput, check_orders: set[str] | None = None) -> None:
        self.inp = inp
        self.origin = inp.origin
        self.techs: dict[str, OnDutyTechnician] = {t.id: t for t in inp.technicians}
        self.orders: dict[str, DispatchOrder] = {o.id: o for o in inp.orders}
        self.areas: dict[str, Area] = {a.id: a for a in inp.areas}
        validate_input(inp, check_orders)
        self.now = self.minutes(inp.now)
        area_type = {a.id: a.area_type for a in inp.areas}
        points: list[Point] = [Point(o.id, o.location, area_type[o.area_id]) for o in inp.orders]
        for t in inp.technicians:
            home_type = (
                self.areas[t.home_area_id].area_type if t.home_area_id in self.areas else AreaType.URBAN
            )
            points.append(Point(tech_start_key(t.id), t.position or t.start_location, home_type))
            if t.end_location is not None:
                points.append(Point(tech_end_key(t.id), t.end_location, home_type))
        self.point_index = {p.key: i for i, p in enumerate(points)}
        self.points = points
        self._travel_cache: dict[tuple[int, int], int] = {}
        self._started: dict[str, DispatchOrder] = {
            o.technician_id: o for o in inp.orders if o.status == OrderStatus.STARTED and o.technician_id
        }
        self._tech_start: dict[str, TechStart] = {}
        self._windows: dict[str, tuple[int, int]] = {}
        self._fixed_ends: dict[str, int] | None = None
        self._allowed: dict[str, list[str]] = {}
        self._allowed_set: dict[str, frozenset[str]] = {}
        self._matrix: list[list[int]] | None = None
        if inp.travel.matrix is not None:
            self._matrix = travel_matrix(points, inp.travel).tolist()

    # ----------------------------------------------------------------- clock
    def minutes(self, when: dt.datetime) -> int:
        """Minutes after the origin (rounded up: an ETA is never earlier than the real time)."""
        seconds = (when - self.origin).total_seconds()
        return int(-(-seconds // 60))

    def at(self, minute: int) -> dt.datetime:
        """The local time of an engine minute."""
        return self.origin + dt.timedelta(minutes=minute)

    # ----------------------------------------------------------------- orders
    def group_of(self, order: DispatchOrder) -> str:
        """Region group of the order's small area."""
        return self.areas[order.area_id].region_group_id

    def window(self, order: DispatchOrder) -> tuple[int, int]:
        """Earliest and latest start of service: the appointment window, never before now."""
        cached = self._windows.get(order.id)
        if cached is None:
            cached = self._windows[order.id] = self._window(order)
        return cached

    def _window(self, order: DispatchOrder) -> tuple[int, int]:
        if order.appointment is not None:
            lo, hi = self.minutes(order.appointment.start), self.minutes(order.appointment.end)
        else:
            lo, hi = 0, FAR
        # never before now, nor before the order exists (orders created later in the day)
        return max(lo, self.now, self.minutes(order.created)), hi

    def deadline(self, order: DispatchOrder) -> int:
        """Service deadline in engine minutes."""
        return self.minutes(order.deadline)

    def allowed(self, order: DispatchOrder) -> list[str]:
        """Technicians the hard rules let take the order (skills, region group)."""
        cached = self._allowed.get(order.id)
        if cached is None:
            group = self.group_of(order)
            cached = self._allowed[order.id] = [
                t.id
                for t in self.inp.technicians
                if t.available
                and rules.has_required_skills(t, order)
                and (rules.serves_region_group(t, group) or rules.keeps_claimed_order(t, order))
            ]
        return cached

    def allowed_set(self, order: DispatchOrder) -> frozenset[str]:
        """:meth:`allowed` as a set (for membership tests in the forward pass)."""
        cached = self._allowed_set.get(order.id)
        if cached is None:
            cached = self._allowed_set[order.id] = frozenset(self.allowed(order))
        return cached

    def open_orders(self) -> list[DispatchOrder]:
        """Orders still needing a technician today (created or dispatched)."""
        return [o for o in self.inp.orders if o.status in OPEN_STATUSES]

    # ----------------------------------------------------------------- technicians
    def tech_start(self, tech_id: str) -> TechStart:
        """Start state of the technician's remaining day (after his started order, which is locked)."""
        cached = self._tech_start.get(tech_id)
        if cached is None:
            cached = self._tech_start[tech_id] = self._compute_tech_start(tech_id)
        return cached

    def _compute_tech_start(self, tech_id: str) -> TechStart:
        t = self.techs[tech_id]
        minute = max(self.minutes(t.available_from or t.shift_start), self.minutes(t.shift_start), self.now)
        point = self.point_index[tech_start_key(t.id)]
        started = self.started_order(tech_id)
        if started is not None and started.started_at is not None:
            point = self.point_index[started.id]
            minute = max(minute, self.minutes(started.started_at) + started.duration_min)
        end_point = self.point_index.get(tech_end_key(t.id))
        return TechStart(point, minute, self.minutes(t.shift_end), end_point)

    def started_order(self, tech_id: str) -> DispatchOrder | None:
        """The started (in-progress) order of a technician, if any."""
        return self._started.get(tech_id)

    def fixed_ends(self) -> dict[str, int]:
        """End minutes of completed and started orders (for dependencies); a copy."""
        if self._fixed_ends is None:
            ends: dict[str, int] = {}
            for o in self.inp.orders:
                if o.status == OrderStatus.COMPLETED:
                    ends[o.id] = self.minutes(o.completed_at) if o.completed_at else self.now
                elif o.status == OrderStatus.STARTED and o.started_at is not None:
                    ends[o.id] = max(self.now, self.minutes(o.started_at) + o.duration_min)
            self._fixed_ends = ends
        return dict(self._fixed_ends)

    def tt_block(self, indices: list[int]) -> list[list[int]]:
        """Travel minutes among ``indices`` (vectorised; for building a group's routing model)."""
        if self._matrix is not None:
            return [[self._matrix[a][b] for b in indices] for a in indices]
        block: list[list[int]] = travel_matrix([self.points[i] for i in indices], self.inp.travel).tolist()
        return block

    def tt(self, a: int, b: int) -> int:
        """Travel minutes between two place indices (computed on first use, then cached: a rolling
        event touches few pairs, so a full matrix would cost more than it saves)."""
        if self._matrix is not None:
            return self._matrix[a][b]
        key = (a, b)
        value = self._travel_cache.get(key)
        if value is None:
            if a == b:
                value = 0
            else:
                pa, pb = self.points[a], self.points[b]
                value = travel_minutes(pa.location, pb.location, pb.area_type, self.inp.travel)
            self._travel_cache[key] = value
        return value


def schedule_route(
    ctx: DispatchContext, tech_id: str, order_ids: list[str], fixed_ends: dict[str, int] | None = None
) -> RouteTiming:
    """Time a sequence of orders for a technician: earliest start, waiting allowed.

    Checks the hard rules skills, region group, appointment window, dependencies and shift end,
    and reports the first one broken (with the order that breaks it). ``fixed_ends`` gives the end
    minute of orders on other routes (or completed), for dependencies.
    """
    start = ctx.tech_start(tech_id)
    tech = ctx.techs[tech_id]
    t, here, travel_total = start.minute, start.point, 0
    stops: list[Timed] = []
    ends = dict(fixed_ends or {})
    for oid in order_ids:
        order = ctx.orders[oid]
        p = ctx.point_index[oid]
        travel = ctx.tt(here, p)
        arrival = t + travel
        lo, hi = ctx.window(order)
        begin = max(arrival, lo)
        preds = [ends[d] for d in order.depends_on if d in ends]
        if preds:
            begin = max(begin, *preds)
        broken = None
        if not (
            tech.available
            and rules.has_required_skills(tech, order)
            and (
                rules.serves_region_group(tech, ctx.group_of(order)) or rules.keeps_claimed_order(tech, order)
            )
        ):
            if not tech.available:
                broken = "available"
            elif not rules.has_required_skills(tech, order):
                broken = "skills"
            else:
                broken = "region_group"
        elif begin > hi:
            broken = "appointment_window"
        elif order.depends_on and any(
            d not in ends and ctx.orders[d].status != OrderStatus.COMPLETED for d in order.depends_on
        ):
            broken = "dependencies"
        if broken:
            return RouteTiming(stops, t, travel_total, broken, oid)
        end = begin + order.duration_min
        stops.append(Timed(oid, travel, arrival, begin, end))
        ends[oid] = end
        travel_total += travel
        t, here = end, p
    finish = t
    if start.end_point is not None:
        back = ctx.tt(here, start.end_point)
        finish += back
        travel_total += back
    if order_ids and not rules.within_shift(finish, start.shift_end):
        return RouteTiming(stops, finish, travel_total, "shift_end", order_ids[-1] if order_ids else None)
    return RouteTiming(stops, finish, travel_total)


def validate_input(inp: DayInput, only_orders: set[str] | None = None) -> None:
    """Check a day input eagerly; raise :class:`InputErrors` listing every problem (record, field, rule).

    ``only_orders`` limits the per-order checks to those orders (a rolling event changes few; the
    rest were checked when they entered the plan).
    """
    problems: list[Problem] = []
    areas = {a.id for a in inp.areas}
    tech_ids: set[str] = set()
    for i, t in enumerate(inp.technicians):
        if t.id in tech_ids:
            problems.append(Problem("technicians.id", "technician ids are unique", t.id, row=i))
        tech_ids.add(t.id)
        if t.home_area_id is not None and t.home_area_id not in areas:
            problems.append(
                Problem(
                    f"technician {t.id}: home_area_id", "must be a known small area", t.home_area_id, row=i
                )
            )
        for name, loc in (("start_location", t.start_location), ("position", t.position)):
            if loc is not None and not _inside(inp, loc.lat, loc.lon):
                problems.append(
                    Problem(
                        f"technician {t.id}: {name}",
                        "location must lie inside the branch",
                        f"{loc.lat},{loc.lon}",
                        row=i,
                    )
                )
    order_ids: set[str] = set()
    all_ids = {o.id for o in inp.orders}
    skills_on_duty = set().union(*(t.skills for t in inp.technicians)) if inp.technicians else set()
    for i, o in enumerate(inp.orders):
        rec = f"order {o.id}"
        if o.id in order_ids:
            problems.append(Problem("orders.id", "order ids are unique", o.id, row=i))
        order_ids.add(o.id)
        if only_orders is not None and o.id not in only_orders:
            continue
        if o.area_id not in areas:
            problems.append(Problem(f"{rec}: area_id", "must be a known small area", o.area_id, row=i))
        if not _inside(inp, o.location.lat, o.location.lon):
            problems.append(
                Problem(
                    f"{rec}: location",
                    "location must lie inside the branch",
                    f"{o.location.lat},{o.location.lon}",
                    row=i,
                )
            )
        if (
            o.technician_id is not None
            and o.technician_id not in tech_ids
            and o.status != OrderStatus.COMPLETED
        ):
            problems.append(
                Problem(f"{rec}: technician_id", "must be a technician on duty", o.technician_id, row=i)
            )
        missing = sorted(o.required_skills - skills_on_duty)
        if missing and o.status in OPEN_STATUSES:
            problems.append(
                Problem(
                    f"{rec}: required_skills",
                    "skills: some technician on duty must have every required skill",
                    ",".join(missing),
                    row=i,
                )
            )
        for d in o.depends_on:
            if d not in all_ids:
                problems.append(Problem(f"{rec}: depends_on", "must name a known order", d, row=i))
    started: dict[str, str] = {}
    for i, o in enumerate(inp.orders):
        if o.status == OrderStatus.STARTED and o.technician_id is not None:
            if o.technician_id in started:
                problems.append(
                    Problem(
                        f"order {o.id}: status",
                        f"a technician works one started order at a time (also {started[o.technician_id]})",
                        o.technician_id,
                        row=i,
                    )
                )
            started[o.technician_id] = o.id
    if problems:
        raise InputErrors(problems)


def _inside(inp: DayInput, lat: float, lon: float) -> bool:
    if inp.bbox is None:
        return True
    south, west, north, east = inp.bbox
    return south <= lat <= north and west <= lon <= east
