"""Outcomes of a replication: the quality instrument's KPIs, rest, overtime, workload, conservation."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from quality import kpis
from quality.domain import KpiSettings, Window
from simulator.branch import BranchSimulation
from vocabulary.orders import OrderStatus, OrderType, WorkOrder

#: How an order can end a period (conservation: every arrived order ends in exactly one).
ENDS = ("completed", "remote", "cancelled", "partner", "open")


def work_orders(sim: BranchSimulation) -> list[WorkOrder]:
    """Every arrived order as a :class:`~vocabulary.orders.WorkOrder` with the status history the
    simulation recorded (deadline and appointment as the customer was first given them)."""
    out = []
    for oid, events in sim.history.items():
        o = sim.sim[oid].order
        status = events[-1].status if events else OrderStatus.CREATED
        out.append(
            WorkOrder(
                id=oid,
                order_type=o.order_type,
                difficulty=o.difficulty,
                area_id=o.area_id,
                location=o.location,
                customer_grade=o.customer_grade,
                created=o.created,
                appointment=o.appointment,
                deadline=o.deadline,
                required_skills=o.required_skills,
                status=status,
                technician_id=next((e.technician_id for e in reversed(events) if e.technician_id), None),
                history=tuple(events),
            )
        )
    return out


def min_rest_in_any_7(worked: Mapping[str, Sequence[bool]]) -> float | None:
    """The fewest days not worked (rest, leave, sick) in any 7 consecutive days of any technician."""
    best: int | None = None
    for row in worked.values():
        for i in range(len(row) - 6):
            rest = 7 - sum(row[i : i + 7])
            best = rest if best is None else min(best, rest)
    return None if best is None else float(best)


def coefficient_of_variation(values: Sequence[float]) -> float | None:
    """Population standard deviation / mean (None without work)."""
    if not values or sum(values) == 0:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) / mean


def outcomes(sim: BranchSimulation) -> dict[str, float | None]:
    """The outcomes of one finished simulation (:data:`simulator.domain.OUTCOMES`)."""
    orders = work_orders(sim)
    window = Window(label="simulated", start=sim.origin, end=sim.end)
    settings = KpiSettings(as_of=sim.end)
    timely = kpis.repair_timeliness(orders, window, settings).value
    wait = kpis.install_wait_hours(orders, window, settings).value
    response = kpis.first_response_30min(orders, window, settings).value
    ends = end_counts(sim)
    return {
        "repair_timeliness": repair_timeliness_due(orders, sim.end),
        "repair_timeliness_kpi": None if timely is None else float(timely),
        "install_wait_hours_mean": None if wait is None else float(wait),
        "first_response_30min": None if response is None else float(response),
        "min_rest_days_in_any_7": min_rest_in_any_7(sim.worked),
        "overtime_hours": sim.overtime_min / 60,
        "workload_cv": coefficient_of_variation([float(v) for v in sim.busy_min.values()]),
        "orders_arrived": float(len(sim.history)),
        "orders_completed": float(ends["completed"] + ends["remote"]),
        "orders_remote": float(ends["remote"]),
        "orders_cancelled": float(ends["cancelled"]),
        "orders_open_at_end": float(ends["open"]),
        "orders_to_partners": float(ends["partner"]),
    }


def repair_timeliness_due(orders: Sequence[WorkOrder], end: dt.datetime) -> float | None:
    """The customer's view of repair timeliness: repairs done by their deadline / repairs that were
    done or fell due in the period. Unlike the KPI (:func:`quality.kpis.repair_timeliness`, completed
    orders only), a repair left open past its deadline counts as late: a model that starves an
    overloaded area's backlog cannot look timely by never finishing the late orders."""
    den = num = 0
    for o in orders:
        if o.order_type != OrderType.REPAIR:
            continue
        done = kpis.completed_at(o)
        if done is None and o.deadline >= end:
            continue
        den += 1
        num += done is not None and done <= o.deadline
    return None if den == 0 else num / den


def end_counts(sim: BranchSimulation) -> dict[str, int]:
    """How many arrived orders ended each way (see :data:`ENDS`)."""
    counts = dict.fromkeys(ENDS, 0)
    for oid in sim.history:
        counts[sim.ends.get(oid, "open")] += 1
    return counts


def visits_overlap(visits: Sequence[tuple[dt.datetime, dt.datetime, str]]) -> bool:
    """Whether two of a technician's visits of a day overlap in time."""
    ordered = sorted(visits)
    return any(b[0] < a[1] for a, b in zip(ordered, ordered[1:], strict=False))
