"""Dispatch speed: morning plan of a demo-city day, urgent insertion into a running day, one group.

Goals (issue 5): demo-city day (≈800 orders, 90 technicians) morning plan ≤ 10 s; urgent insertion
into a running day p95 ≤ 50 ms; one region group (≈40 orders, 5 technicians) ≤ 1 s. The day is
the demo city's (``fieldcrew.demo.generate_city``); the quick run takes a smaller synthetic
demo-like day (:mod:`scheduler.dispatch.synthetic`). ``python -m benchmarks.dispatch_speed [--quick]``.

``value`` is wall-clock (what a user waits; ratio_to_goal uses it); ``cpu`` is this process's CPU
time for the same work, which shows how much of the wall time was waiting for a core on a shared
machine.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from benchmarks import run_cli
from fieldcrew.demo import generate_city
from scheduler.dispatch.demo_day import day_from_city
from scheduler.dispatch.domain import DayInput, DispatchOrder, StopStatus
from scheduler.dispatch.engine import SolveParams
from scheduler.dispatch.events import (
    DispatchState,
    NewOrder,
    OrderCompleted,
    OrderStarted,
    apply_event,
    start_day,
)
from scheduler.dispatch.synthetic import synthetic_day
from scheduler.dispatch.validate import validate_plan
from vocabulary.orders import CustomerGrade, OrderStatus, OrderType

GOAL_DAY_S = 10.0
GOAL_INSERT_P95_MS = 50.0
GOAL_GROUP_S = 1.0


def play_until(
    state: DispatchState, until: dt.datetime, cpu: list[float] | None = None
) -> tuple[DispatchState, list[float]]:
    """Advance the day: technicians start their next planned order at its ETA and complete it at its
    planned end, event by event, until ``until``. Returns the state and each event's seconds."""
    seconds: list[float] = []
    while True:
        nxt: tuple[dt.datetime, object] | None = None
        for r in state.plan.routes:
            started = [s for s in r.stops if s.status == StopStatus.STARTED]
            if started:
                cand: tuple[dt.datetime, object] = (
                    max(started[0].end, state.inp.now),
                    OrderCompleted(at=max(started[0].end, state.inp.now), order_id=started[0].order_id),
                )
            else:
                planned = [s for s in r.stops if s.status == StopStatus.PLANNED]
                if not planned:
                    continue
                at = max(planned[0].start, state.inp.now)
                cand = (at, OrderStarted(at=at, order_id=planned[0].order_id, technician_id=r.technician_id))
            if nxt is None or cand[0] < nxt[0]:
                nxt = cand
        if nxt is None or nxt[0] > until:
            return state, seconds
        t0, c0 = time.perf_counter(), time.process_time()
        state = apply_event(state, nxt[1])  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def urgent_orders(inp: DayInput, at: dt.datetime, count: int, seed: int) -> list[DispatchOrder]:
    """Urgent repair orders appearing at ``at`` at random places of the city."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        src = rng.choice(inp.orders)
        out.append(
            DispatchOrder(
                id=f"URG{i:03d}",
                order_type=OrderType.REPAIR,
                area_id=src.area_id,
                location=src.location,
                customer_grade=rng.choice(list(CustomerGrade)),
                created=at,
                deadline=at + dt.timedelta(hours=4),
                duration_min=40,
                required_skills=src.required_skills,
            )
        )
    return out


def city_day(quick: bool) -> tuple[DayInput, str]:
    """The demo city's 10 June 2026 (full run) or a small synthetic day (quick run)."""
    if not quick:
        return day_from_city(generate_city(), dt.date(2026, 6, 10)), "demo city 2026-06-10"
    return synthetic_day(seed=7, groups=6, orders=270), "synthetic"


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows: morning plan of a city day, urgent insertion latency, event latency, one region group."""
    rows: list[dict[str, Any]] = []
    inp, source = city_day(quick)
    orders = len(inp.orders)
    t0, c0 = time.perf_counter(), time.process_time()
    state = start_day(inp, SolveParams(time_limit_s=6.0 if not quick else 3.0))
    day_s, day_cpu = time.perf_counter() - t0, time.process_time() - c0
    ok = not validate_plan(state.inp, state.plan)
    planned = sum(1 for r in state.plan.routes for s in r.stops)
    rows.append(
        {
            "case": f"morning plan, {source} ({orders} orders, {len(inp.technicians)} techs)",
            "value": round(day_s, 2),
            "cpu": round(day_cpu, 2),
            "unit": "s",
            "goal": GOAL_DAY_S,
            "ratio_to_goal": round(day_s / GOAL_DAY_S, 3),
            "planned": planned,
            "unassigned": len(state.plan.unassigned),
            "valid": ok,
        }
    )
    noon = dt.datetime.combine(inp.day, dt.time(11, 0))
    event_cpu: list[float] = []
    state, event_s = play_until(state, noon, event_cpu)
    ok = not validate_plan(state.inp, state.plan)
    done = sum(1 for o in state.inp.orders if o.status == OrderStatus.COMPLETED)
    rows.append(
        {
            "case": f"start/complete events until 11:00 ({len(event_s)} events)",
            "value": round(1000 * _pct(event_s, 0.95), 1) if event_s else None,
            "cpu": round(1000 * _pct(event_cpu, 0.95), 1) if event_cpu else None,
            "unit": "ms p95",
            "goal": None,
            "planned": done,
            "valid": ok,
        }
    )
    at = max(noon, state.inp.now)
    ins_s: list[float] = []
    ins_cpu: list[float] = []
    placed = 0
    valid = True
    for order in urgent_orders(inp, at, 20 if quick else 60, seed=3):
        t1, c1 = time.perf_counter(), time.process_time()
        after = apply_event(state, NewOrder(at=at, order=order))
        ins_s.append(time.perf_counter() - t1)
        ins_cpu.append(time.process_time() - c1)
        placed += order.id in after.plan.assignment()
        if len(ins_s) <= 5:
            valid = valid and not validate_plan(after.inp, after.plan, previous=state.plan)
    p95 = 1000 * _pct(ins_s, 0.95)
    rows.append(
        {
            "case": f"urgent insertion at 11:00 ({len(ins_s)} orders)",
            "value": round(p95, 1),
            "cpu": round(1000 * _pct(ins_cpu, 0.95), 1),
            "unit": "ms p95",
            "goal": GOAL_INSERT_P95_MS,
            "ratio_to_goal": round(p95 / GOAL_INSERT_P95_MS, 3),
            "planned": placed,
            "valid": valid,
        }
    )
    one = synthetic_day(seed=11, groups=1, orders=40)
    t2, c2 = time.perf_counter(), time.process_time()
    st1 = start_day(one, SolveParams(time_limit_s=0.6))
    g_s, g_cpu = time.perf_counter() - t2, time.process_time() - c2
    rows.append(
        {
            "case": "one region group (40 orders, 5 techs)",
            "value": round(g_s, 3),
            "cpu": round(g_cpu, 3),
            "unit": "s",
            "goal": GOAL_GROUP_S,
            "ratio_to_goal": round(g_s / GOAL_GROUP_S, 3),
            "planned": sum(len(r.stops) for r in st1.plan.routes),
            "unassigned": len(st1.plan.unassigned),
            "valid": not validate_plan(st1.inp, st1.plan),
        }
    )
    return rows


def main() -> None:
    """Command-line entry: print the table."""
    run_cli(run, __doc__)


if __name__ == "__main__":
    main()
