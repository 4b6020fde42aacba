"""Which open orders a day takes: the day's intake (pure; no database, no solver).

The order table holds every open order of the branch, the backlog of earlier days included. A day
plan must not sweep all of them into today: the solver would spend its time on orders that cannot
be served, and nobody would see which ones were put off. The rule (:data:`INTAKE_RULE`):

1. every order with an **appointment that day** is taken: the customer booked the visit;
2. orders with an appointment on a **later** day wait for that day (they are not listed);
3. orders whose appointment day has **passed** are listed as deferred: the customer needs a new
   appointment first (``appointment_rescheduled``);
4. orders needing a skill **nobody on duty** has are listed as deferred;
5. the others (no appointment, existing by the end of the day) are taken **most urgent first** —
   overdue or due by the end of the day before later ones, then by customer grade (VIP, gold,
   ordinary), then by deadline, creation time and id — while their on-site minutes fit in
   ``policy.intake_work_share`` × the on-duty shift minutes (what the appointments already use
   counts). The first one that does not fit ends the intake: everything ranked after it is
   deferred, so no lower-ranked order ever jumps ahead of a higher-ranked one.

The plan records the deferred orders with their reason (:class:`~scheduler.dispatch.domain.DayIntake`),
and the board shows them as "left for later".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.dispatch.domain import DeferredOrder, DispatchOrder, DispatchPolicy, OnDutyTechnician
from vocabulary.staff import Skill

#: The intake rule in one sentence (stored with every plan made from the order table).
INTAKE_RULE = (
    "appointments of the day first; then open orders without an appointment, overdue or due today "
    "first, by customer grade and deadline, while their on-site minutes fit in the day's capacity "
    "(intake_work_share × on-duty shift minutes); past appointments and skills nobody on duty has "
    "wait; appointments on later days wait for their day"
)


@dataclass(frozen=True)
class Intake:
    """The orders a day takes and the ones it leaves for later (with the figures behind the cut)."""

    taken: tuple[DispatchOrder, ...]
    deferred: tuple[DeferredOrder, ...]
    #: on-duty shift minutes × ``intake_work_share``
    capacity_min: int
    #: on-site minutes of the taken orders
    taken_min: int


def urgency_key(order: DispatchOrder, day_end: dt.datetime) -> tuple[int, int, dt.datetime, dt.datetime, str]:
    """Rank of an order in the intake: due by the end of the day first, then grade, deadline, creation."""
    return (
        0 if order.deadline <= day_end else 1,
        order.customer_grade.rank,
        order.deadline,
        order.created,
        order.id,
    )


def choose_orders(
    candidates: Sequence[DispatchOrder],
    technicians: Sequence[OnDutyTechnician],
    day: dt.date,
    policy: DispatchPolicy | None = None,
) -> Intake:
    """Apply the intake rule of this module to the open orders ``candidates`` of a branch on ``day``.

    Parameters
    ----------
    candidates
        Open orders (created, or dispatched and not started) of the branch's areas that exist by
        the end of ``day``.
    technicians
        The technicians on duty that day (their shift minutes make the capacity; their skills
        decide which orders anyone can do).
    day
        The day planned.
    policy
        ``intake_work_share`` (default :class:`DispatchPolicy`'s).
    """
    policy = policy or DispatchPolicy()
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    shift_min = sum(
        int((t.shift_end - t.shift_start).total_seconds() // 60) for t in technicians if t.available
    )
    capacity = int(shift_min * policy.intake_work_share)
    skills: frozenset[Skill] = frozenset()
    for t in technicians:
        if t.available:
            skills |= t.skills
    taken: list[DispatchOrder] = []
    deferred: list[DeferredOrder] = []
    ranked: list[DispatchOrder] = []
    used = 0

    def defer(order: DispatchOrder, reason: str) -> None:
        deferred.append(
            DeferredOrder(
                order_id=order.id,
                customer_grade=order.customer_grade,
                deadline=order.deadline,
                overdue=order.deadline <= day_end,
                reason=reason,
            )
        )

    for order in candidates:
        appointment_day = order.appointment.start.date() if order.appointment is not None else None
        if appointment_day is not None and appointment_day > day:
            continue  # booked for a later day: that day's plan takes it
        missing = sorted(order.required_skills - skills)
        if missing:
            defer(order, f"skills: nobody on duty on {day} has {', '.join(missing)}")
        elif appointment_day is not None and appointment_day < day:
            defer(
                order,
                f"its appointment on {appointment_day} has passed: reschedule it with the customer "
                "(appointment_rescheduled) to plan it",
            )
        elif appointment_day == day:
            taken.append(order)
            used += order.duration_min
        else:
            ranked.append(order)
    ranked.sort(key=lambda o: urgency_key(o, day_end))
    for i, order in enumerate(ranked):
        if used + order.duration_min > capacity:
            reason = (
                f"capacity: {used} of {capacity} on-site minutes ({policy.intake_work_share:.0%} of "
                f"{shift_min} shift minutes on duty) went to appointments and to orders more urgent, of a "
                "higher grade or due earlier"
            )
            for rest in ranked[i:]:
                defer(rest, reason)
            break
        taken.append(order)
        used += order.duration_min
    return Intake(tuple(taken), tuple(deferred), capacity, used)
