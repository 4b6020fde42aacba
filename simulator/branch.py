"""One replication of one operating model: the branch's days on a SimPy clock, through the real engines.

The clock counts minutes from midnight of the first day. Processes:

- **arrivals**: each order appears at its creation time. A repair resolved remotely is closed
  ``remote_minutes`` later without a visit. A repair arriving while the day runs is inserted at once
  (the real ``new_order`` event: cheap insertion, no re-solve); every other order waits in the
  backlog for the next morning.
- **days**: at 07:30 the day's input is built from the roster's shifts of the day (rest and leave
  excluded) and the backlog, cut by the real intake rule (:func:`scheduler.dispatch.intake.choose_orders`),
  put into the operating model's dispatch units (:func:`scheduler.dispatch.operating.apply_operating_models`)
  and planned by the real morning plan (:func:`scheduler.dispatch.events.start_day`). A sick call is
  the real ``technician_unavailable`` event at 07:45. At noon the real background re-optimisation
  (:func:`scheduler.dispatch.events.reoptimise`) runs once. When every technician has finished, the
  orders not served go back to the backlog (missed appointments re-booked for the next day).
- **technicians**: each on-duty technician works his timeline: travels (the plan's travel minutes,
  from the dispatch travel model), starts (``order_started``), works the real minutes drawn for the
  order, and completes it (``order_completed``), or — for a visit drawn to fail — suspends it after
  ten minutes (``order_suspended``) and re-books it for the next day (``appointment_rescheduled``).
  After every event the engine re-plans minimally, and he takes the next stop of the plan in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Iterable
from typing import Any

import simpy

from scheduler.dispatch import engine, operating
from scheduler.dispatch.domain import DayInput, DispatchOrder, OnDutyTechnician, StopStatus
from scheduler.dispatch.events import (
    AnyEvent,
    AppointmentRescheduled,
    DispatchState,
    NewOrder,
    OrderCompleted,
    OrderStarted,
    OrderSuspended,
    TechnicianUnavailable,
    apply_event,
    reoptimise,
    start_day,
)
from scheduler.dispatch.intake import choose_orders
from simulator.domain import LogEvent, RosterCell, SimOrder, SimParams
from simulator.rostering import RosterPlan
from simulator.world import World
from vocabulary.orders import OrderStatus, OrderType, StatusEvent, TimeWindow
from vocabulary.organisation import OperatingModel

#: When the dispatch centre makes the morning plan, and when sick calls come in.
MORNING = dt.time(7, 30)
SICK_CALL = dt.time(7, 45)
#: When the background re-optimisation runs once a day.
REOPTIMISE_AT = dt.time(12, 0)
#: Minutes on site before a failed visit is suspended.
SUSPEND_AFTER_MIN = 10
#: The slot a suspended or missed visit is re-booked into, the next day.
REBOOK_SLOT = (dt.time(9, 0), dt.time(11, 0))

Proc = Generator[simpy.Event, Any, None]


class BranchSimulation:
    """The simulated period of one branch under one operating model (see the module)."""

    def __init__(
        self,
        world: World,
        roster: RosterPlan,
        orders: Iterable[SimOrder],
        sick: set[tuple[str, dt.date]],
        params: SimParams,
        model: OperatingModel,
    ) -> None:
        self.world, self.roster, self.params, self.model = world, roster, params, model
        self.sick = sick
        self.orders = sorted(orders, key=lambda o: (o.order.created, o.order.id))
        self.sim = {o.order.id: o for o in self.orders}
        self.origin = dt.datetime.combine(params.start, dt.time())
        self.end = self.origin + dt.timedelta(days=params.days)
        self.env = simpy.Environment()
        self.models = {a.region_group_id: model for a in world.areas}
        self.techs = {t.id: t for t in world.technicians}
        self.plan_params = engine.SolveParams(
            time_limit_s=params.plan_seconds, max_group_s=params.plan_group_seconds
        )
        self.state: DispatchState | None = None
        self.day_open = False
        self.shift_end: dt.datetime | None = None
        self.changed = self.env.event()
        self.backlog: dict[str, DispatchOrder] = {}
        self.history: dict[str, list[StatusEvent]] = {}
        self.final: dict[str, DispatchOrder] = {}
        self.ends: dict[str, str] = {}
        self.log: list[LogEvent] = []
        self.roster_rows: list[RosterCell] = []
        self.visits: dict[tuple[str, dt.date], list[tuple[dt.datetime, dt.datetime, str]]] = {}
        self.busy_min: dict[str, int] = {t.id: 0 for t in world.technicians}
        self.overtime_min = 0
        self.worked: dict[str, list[bool]] = {t.id: [] for t in world.technicians}
        self.suspended_once: set[str] = set()

    # ------------------------------------------------------------------ clock
    def now(self) -> dt.datetime:
        """The simulated moment (whole seconds)."""
        return self.origin + dt.timedelta(seconds=round(self.env.now * 60))

    def until(self, when: dt.datetime) -> simpy.Timeout:
        """A timeout that ends at ``when`` (at once when it has passed)."""
        return self.env.timeout(max(0.0, (when - self.origin).total_seconds() / 60 - self.env.now))

    def run(self) -> None:
        """Run the whole period."""
        self.env.process(self._arrivals())
        self.env.process(self._days())
        self.env.run(until=(self.end - self.origin).total_seconds() / 60)
        self._close_period()

    # ------------------------------------------------------------------ records
    def _note(self, at: dt.datetime, order_id: str, tech: str | None, event: str) -> None:
        self.log.append(LogEvent(at, order_id, tech or "", event))

    def _status(self, order_id: str, status: OrderStatus, at: dt.datetime, tech: str | None) -> None:
        self.history.setdefault(order_id, []).append(StatusEvent(status=status, at=at, technician_id=tech))

    def _apply(self, event: AnyEvent) -> None:
        """Apply a real dispatch event and record every order it moved."""
        assert self.state is not None
        before = {o.id: (o.status, o.technician_id) for o in self.state.inp.orders}
        self.state = apply_event(self.state, event)
        self._record_moves(before, event.at, event.kind)
        old, self.changed = self.changed, self.env.event()
        old.succeed()

    def _record_moves(
        self, before: dict[str, tuple[OrderStatus, str | None]], at: dt.datetime, cause: str
    ) -> None:
        assert self.state is not None
        for o in self.state.inp.orders:
            was = before.get(o.id)
            now = (o.status, o.technician_id)
            if was == now:
                continue
            if was is not None and was[0] == OrderStatus.DISPATCHED and o.status == OrderStatus.DISPATCHED:
                self._status(o.id, OrderStatus.CREATED, at, None)  # un-dispatch, then dispatch again
            if was is None and o.status == OrderStatus.CREATED:
                continue  # a new order left unassigned: nothing moved
            self._status(o.id, o.status, at, o.technician_id)
            label = cause if o.status != OrderStatus.DISPATCHED else "dispatched"
            if o.status == OrderStatus.CREATED and was is not None and was[0] == OrderStatus.DISPATCHED:
                label = "undispatched"
            self._note(at, o.id, o.technician_id or (was[1] if was else None), label)

    # ------------------------------------------------------------------ arrivals
    def _arrivals(self) -> Proc:
        for so in self.orders:
            o = so.order
            if o.created >= self.end:
                break
            yield self.until(o.created)
            self.history[o.id] = []
            self._note(o.created, o.id, None, "arrived")
            if so.remote:
                at = o.created + dt.timedelta(minutes=self.params.remote_minutes)
                if at < self.end:
                    for status in (OrderStatus.DISPATCHED, OrderStatus.STARTED, OrderStatus.COMPLETED):
                        self._status(o.id, status, at, None)
                    self._note(at, o.id, None, "remote_resolved")
                    self.ends[o.id] = "remote"
                    self.final[o.id] = o.model_copy(
                        update={"status": OrderStatus.COMPLETED, "completed_at": at}
                    )
                    continue
            if self._insert_now(o):
                self._apply(NewOrder(at=self.now(), order=o))
            else:
                self.backlog[o.id] = o

    def _insert_now(self, o: DispatchOrder) -> bool:
        if self.state is None or not self.day_open or self.shift_end is None:
            return False
        if o.order_type != OrderType.REPAIR or o.appointment is not None:
            return False
        return self.now() <= self.shift_end - dt.timedelta(minutes=self.params.insert_until_min_before_end)

    # ------------------------------------------------------------------ days
    def _days(self) -> Proc:
        for d in range(self.params.days):
            day = self.params.start + dt.timedelta(days=d)
            yield self.until(dt.datetime.combine(day, MORNING))
            workers = self._morning(day)
            yield self.until(dt.datetime.combine(day, SICK_CALL))
            for tid in sorted(workers):
                if (tid, day) in self.sick:
                    self._apply(TechnicianUnavailable(at=self.now(), technician_id=tid, reason="sick call"))
            procs = [self.env.process(self._technician(t, day)) for t in sorted(workers)]
            self.env.process(self._reoptimise(day))
            yield self.env.all_of(procs)
            self._close_day(day)

    def _on_duty(self, day: dt.date) -> list[OnDutyTechnician]:
        out = []
        for t in self.world.technicians:
            shift = self.roster.shift_of(t.id, day) if t.employed_on(day) else None
            group = self.roster.group_of(t.id, day)
            sick = (t.id, day) in self.sick
            cell = "rest" if shift is None else ("sick" if sick else shift.id)
            self.roster_rows.append(RosterCell(t.id, day, cell, group or ""))
            self.worked[t.id].append(shift is not None and not sick)
            if shift is None or shift.start_minute is None:
                continue
            start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=shift.start_minute)
            out.append(self.world.on_duty(t, start, start + dt.timedelta(minutes=shift.minutes), group))
        return out

    def _morning(self, day: dt.date) -> set[str]:
        techs = self._on_duty(day)
        now = self.now()
        candidates = [o for o in self.backlog.values() if o.created <= now]
        intake = choose_orders(candidates, techs, day, operating.PLAN_POLICY)
        inp = DayInput(
            branch_id=self.world.branch_id,
            day=day,
            now=now,
            technicians=tuple(techs),
            orders=intake.taken,
            areas=self.world.areas,
            bbox=self.world.bbox,
            policy=operating.PLAN_POLICY,
        )
        inp = operating.apply_operating_models(inp, self.models)
        for o in intake.taken:
            del self.backlog[o.id]
        before = {o.id: (o.status, o.technician_id) for o in inp.orders}
        self.state = start_day(inp, self.plan_params)
        self._record_moves(before, now, "morning_plan")
        self.day_open = True
        self.shift_end = max((t.shift_end for t in techs), default=now)
        return {t.id for t in techs}

    def _reoptimise(self, day: dt.date) -> Proc:
        yield self.until(dt.datetime.combine(day, REOPTIMISE_AT))
        if self.state is None or not self.day_open or self.state.inp.day != day:
            return
        before = {o.id: (o.status, o.technician_id) for o in self.state.inp.orders}
        self.state = reoptimise(self.state, self.plan_params)
        self._record_moves(before, self.now(), "reoptimised")
        old, self.changed = self.changed, self.env.event()
        old.succeed()

    def _technician(self, tid: str, day: dt.date) -> Proc:
        assert self.state is not None
        shift_end = next(t.shift_end for t in self.state.inp.technicians if t.id == tid)
        yield self.until(next(t.shift_start for t in self.state.inp.technicians if t.id == tid))
        last_end: dt.datetime | None = None
        while True:
            state = self.state
            tech = next(t for t in state.inp.technicians if t.id == tid)
            if not tech.available:
                break
            route = state.plan.route_of(tid)
            stop = next((s for s in route.stops if s.status == StopStatus.PLANNED), None) if route else None
            if stop is None:
                if self.now() >= shift_end:
                    break
                yield self.changed | self.until(shift_end)
                continue
            order = next(o for o in state.inp.orders if o.id == stop.order_id)
            begin = self.now() + dt.timedelta(minutes=stop.travel_min)
            if order.appointment is not None:
                begin = max(begin, order.appointment.start)
            set_off = self.now()
            yield self.until(begin)
            current = next((o for o in self.state.inp.orders if o.id == order.id), None)
            if current is None or current.status != OrderStatus.DISPATCHED or current.technician_id != tid:
                if self.now() == set_off:
                    yield self.env.timeout(1)
                continue
            self._apply(OrderStarted(at=self.now(), order_id=order.id, technician_id=tid))
            started = self.now()
            so = self.sim[order.id]
            if so.suspend and order.id not in self.suspended_once:
                yield self.env.timeout(SUSPEND_AFTER_MIN)
                self.suspended_once.add(order.id)
                self._apply(OrderSuspended(at=self.now(), order_id=order.id, reason="customer absent"))
                nxt = day + dt.timedelta(days=1)
                window = TimeWindow(
                    start=dt.datetime.combine(nxt, REBOOK_SLOT[0]),
                    end=dt.datetime.combine(nxt, REBOOK_SLOT[1]),
                )
                self._apply(AppointmentRescheduled(at=self.now(), order_id=order.id, appointment=window))
            else:
                yield self.env.timeout(so.actual_min)
                self._apply(OrderCompleted(at=self.now(), order_id=order.id))
                self.ends[order.id] = "completed"
            last_end = self.now()
            self.visits.setdefault((tid, day), []).append((started, last_end, order.id))
            self.busy_min[tid] += int((last_end - set_off).total_seconds() // 60)
        if last_end is not None and last_end > shift_end:
            self.overtime_min += int((last_end - shift_end).total_seconds() // 60)

    def _close_day(self, day: dt.date) -> None:
        """Orders not served go back to the backlog; missed appointments are re-booked for tomorrow."""
        assert self.state is not None
        at = self.now()
        nxt = day + dt.timedelta(days=1)
        for o in self.state.inp.orders:
            if o.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
                self.final[o.id] = o
                continue
            if o.status == OrderStatus.DISPATCHED:
                self._status(o.id, OrderStatus.CREATED, at, None)
                self._note(at, o.id, o.technician_id, "undispatched")
            if o.status not in (OrderStatus.CREATED, OrderStatus.DISPATCHED):
                raise RuntimeError(f"order {o.id} is {o.status} when the day {day} closes")
            self.backlog[o.id] = o.model_copy(
                update={"status": OrderStatus.CREATED, "technician_id": None, "started_at": None}
            )
        for oid, o in list(self.backlog.items()):
            if o.appointment is not None and o.appointment.start.date() <= day:
                window = TimeWindow(
                    start=dt.datetime.combine(nxt, REBOOK_SLOT[0]),
                    end=dt.datetime.combine(nxt, REBOOK_SLOT[1]),
                )
                self.backlog[oid] = o.model_copy(update={"appointment": window})
                self._note(at, oid, None, "rebooked")
        self.state = None
        self.day_open = False
        self.shift_end = None

    def _close_period(self) -> None:
        if self.state is not None:  # the period ended inside a day (should not happen: days end at night)
            self._close_day(self.state.inp.day)
        for oid, o in self.backlog.items():
            self.final[oid] = o
            self.ends[oid] = "open"
