"""Warnings: red/yellow KPIs, the two-months-running trigger, and the escalation list of orders.

Rules (one function each):

- :func:`light_warnings`: every KPI cell that misses its target: yellow when it still meets the
  warning limit, red otherwise. Cells with fewer records than the KPI's ``min_sample`` are grey
  and never warn (too few records to judge).
- :func:`two_month_triggers`: "trigger action when an indicator misses its target two months
  running": a unit's KPI is yellow or red in the month **and** in the month before. The month
  before comes from the orders when they cover it, otherwise from the stored monthly snapshot
  (:mod:`quality.store`) passed as ``previous``.
- :func:`escalations`: orders to escalate: overdue, dissatisfied callback (score below the
  satisfied threshold or any "no"), repeat fault within N days, complaint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from quality.domain import (
    Escalation,
    EscalationReason,
    KpiOrder,
    KpiSettings,
    KpiWarning,
    Light,
    PeriodKind,
    UnitKind,
    Window,
)
from quality.kpis import completed_at, is_overdue, link_repeats, repeat_of_order
from quality.periods import month_window, previous_month
from quality.scorecard import ScoreScheme, default_scheme
from quality.table import ALL, AreaPlaces, KpiRow, kpi_table
from quality.validate import ValidatedOrders
from vocabulary.orders import OrderStatus, WorkOrder
from vocabulary.staff import Technician

MISSED = frozenset({Light.YELLOW, Light.RED})


def light_warnings(rows: Iterable[KpiRow]) -> list[KpiWarning]:
    """A warning for every yellow or red cell (``all`` breakdown rows only)."""
    out: list[KpiWarning] = []
    for row in rows:
        if row.breakdown != ALL or row.light not in MISSED or row.target is None:
            continue
        out.append(
            KpiWarning(
                unit_kind=row.unit_kind, unit_id=row.unit_id, period=row.period, kpi=row.kpi,
                light=row.light, value=row.value, target=row.target,
                message=f"{row.kpi} {row.value} misses target {row.target} "
                        f"({row.numerator}/{row.denominator})",
            )
        )
    return out


def two_month_triggers(
    this_month: Iterable[KpiRow],
    last_month: Iterable[KpiRow],
    previous: Mapping[tuple[str, str], Light] | None = None,
) -> list[KpiWarning]:
    """Triggers for KPIs that miss their target in this month and in the month before.

    Parameters
    ----------
    this_month, last_month:
        Monthly KPI rows of the two months (``all`` breakdown rows are used).
    previous:
        ``(unit_id, kpi) → light`` of the month before from the store, used when
        ``last_month`` has no judgeable (non-grey) row for that unit and KPI.
    """
    before: dict[tuple[str, str], Light] = dict(previous or {})
    for row in last_month:
        if row.breakdown == ALL and row.light != Light.GREY:
            before[(row.unit_id, row.kpi)] = row.light
    out: list[KpiWarning] = []
    for row in this_month:
        if row.breakdown != ALL or row.light not in MISSED or row.target is None:
            continue
        if before.get((row.unit_id, row.kpi)) in MISSED:
            out.append(
                KpiWarning(
                    unit_kind=row.unit_kind, unit_id=row.unit_id, period=row.period, kpi=row.kpi,
                    light=row.light, value=row.value, target=row.target, months_missed=2,
                    trigger=True,
                    message=f"{row.kpi} missed its target {row.target} two months running "
                            f"(now {row.value}, {row.numerator}/{row.denominator})",
                )
            )
    return out


def monthly_warnings(
    data: ValidatedOrders | Sequence[WorkOrder],
    month: str,
    unit: UnitKind | str = UnitKind.TECHNICIAN,
    *,
    technicians: Iterable[Technician] | None = None,
    settings: KpiSettings | None = None,
    scheme: ScoreScheme | None = None,
    previous: Mapping[tuple[str, str], Light] | None = None,
    areas: AreaPlaces | None = None,
) -> list[KpiWarning]:
    """All warnings of a month for a unit level: triggers first, then red, then yellow lights.

    A trigger replaces the plain light warning of the same unit and KPI.
    """
    scheme = scheme or default_scheme()
    techs = list(technicians) if technicians is not None else None
    rows = kpi_table(data, unit, PeriodKind.MONTH, [previous_month(month), month], technicians=techs,
                     settings=settings, scheme=scheme, areas=areas)
    this = [r for r in rows if r.period == month]
    last = [r for r in rows if r.period != month]
    triggers = two_month_triggers(this, last, previous)
    triggered = {(w.unit_id, w.kpi) for w in triggers}
    lights = [w for w in light_warnings(this) if (w.unit_id, w.kpi) not in triggered]
    lights.sort(key=lambda w: (w.light != Light.RED, w.unit_id, w.kpi))
    return triggers + lights


def escalation_reasons(order: WorkOrder, settings: KpiSettings, as_of: dt.datetime) -> list[EscalationReason]:
    """Why ``order`` must be escalated (empty: it need not be)."""
    reasons: list[EscalationReason] = []
    if order.status == OrderStatus.CANCELLED:
        return reasons
    if is_overdue(order, as_of):
        reasons.append(EscalationReason.OVERDUE)
    out = order.outcome
    if out is not None:
        answers = (out.contact_timely, out.appointment_kept, out.skill_satisfied, out.attitude_satisfied)
        if (out.satisfaction is not None and out.satisfaction < settings.satisfied_min) or False in answers:
            reasons.append(EscalationReason.DISSATISFIED)
    if repeat_of_order(order, settings.repeat_days)[0]:
        reasons.append(EscalationReason.REPEAT_FAULT)
    if out is not None and out.complaint:
        reasons.append(EscalationReason.COMPLAINT)
    return reasons


def escalations(
    orders: Iterable[WorkOrder], window: Window | str, settings: KpiSettings | None = None
) -> list[Escalation]:
    """Orders of the window to escalate, each with every reason that applies.

    An order belongs to the window when it was completed in it, or, still open, when its
    deadline falls in it. ``window`` may be a month label ``YYYY-MM``.
    """
    settings = settings or KpiSettings()
    win = month_window(window) if isinstance(window, str) else window
    as_of = settings.as_of or win.end
    out: list[Escalation] = []
    for order in link_repeats(list(orders)):
        done = completed_at(order)
        if not (win.contains(done) or (done is None and win.contains(order.deadline))):
            continue
        reasons = escalation_reasons(order, settings, as_of)
        if not reasons:
            continue
        detail = []
        if EscalationReason.OVERDUE in reasons:
            detail.append(f"deadline {order.deadline:%Y-%m-%d %H:%M}, "
                          + (f"completed {done:%Y-%m-%d %H:%M}" if done else "still open"))
        if order.outcome is not None and order.outcome.satisfaction is not None:
            detail.append(f"satisfaction {order.outcome.satisfaction}/5")
        if EscalationReason.REPEAT_FAULT in reasons:
            if isinstance(order, KpiOrder) and order.repeated_after is not None:
                detail.append(f"repeat fault: order {order.repeated_by} after "
                              f"{order.repeated_after.total_seconds() / 86400:.1f} day(s)")
            elif order.outcome is not None:
                detail.append(f"repeat fault after {order.outcome.repeat_fault_within_days} day(s)")
        out.append(Escalation(order_id=order.id, technician_id=order.technician_id,
                              reasons=tuple(reasons), detail="; ".join(detail)))
    out.sort(key=lambda e: (-len(e.reasons), e.order_id))
    return out
