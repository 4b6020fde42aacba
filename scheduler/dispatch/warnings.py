"""Dispatch warnings: predicted deadline misses, unservable orders, escalations, first response.

Process control in the operator's plan: "a 30-minute first response, timeout warnings, escalation of
major and overdue faults". Each warning names the order (and technician) and says what is due when.
"""

from __future__ import annotations

import contextvars
import datetime as dt

from scheduler.dispatch.domain import DayPlan, PlanWarning, StopStatus, WarningKind
from scheduler.dispatch.model import DispatchContext
from vocabulary.orders import CustomerGrade, OrderStatus


def compute_warnings(
    ctx: DispatchContext, plan: DayPlan, previous: DayPlan | None = None, kept: frozenset[str] = frozenset()
) -> list[PlanWarning]:
    """Every warning of a plan, escalations last.

    With ``previous`` and the technicians whose routes were ``kept`` unchanged, those routes'
    deadline warnings and unchanged unservable warnings are reused (a rolling event touches few).
    """
    token = _REUSE.set(
        {(w.kind, w.order_id, w.technician_id, w.message): w for w in previous.warnings} if previous else {}
    )
    try:
        return _compute(ctx, plan, previous, kept)
    finally:
        _REUSE.reset(token)


def _compute(
    ctx: DispatchContext, plan: DayPlan, previous: DayPlan | None, kept: frozenset[str]
) -> list[PlanWarning]:
    out: list[PlanWarning] = []
    policy = ctx.inp.policy
    now = ctx.inp.now
    if previous is not None and kept:
        out += [
            w
            for w in previous.warnings
            if w.technician_id in kept and w.kind in (WarningKind.DEADLINE_MISS, WarningKind.DEADLINE_NEAR)
        ]
        fresh = DayPlan.model_construct(
            **{**dict(plan), "routes": tuple(r for r in plan.routes if r.technician_id not in kept)}
        )
        out += deadline_warnings(fresh, policy.deadline_warning_min)
    else:
        out += deadline_warnings(plan, policy.deadline_warning_min)
    out += unservable_warnings(plan, previous)
    out += first_response_warnings(ctx, plan, now, policy.first_response_min)
    out += escalations(ctx, plan, now)
    return out


def deadline_warnings(plan: DayPlan, near_min: int) -> list[PlanWarning]:
    """Timeout warnings: planned orders predicted to finish after their deadline, or within
    ``near_min`` minutes of it."""
    out: list[PlanWarning] = []
    for r in plan.routes:
        for s in r.stops:
            if s.status == StopStatus.COMPLETED:
                continue
            if s.end > s.deadline:
                late = int((s.end - s.deadline).total_seconds() // 60)
                out.append(
                    _warn(
                        kind=WarningKind.DEADLINE_MISS,
                        order_id=s.order_id,
                        technician_id=r.technician_id,
                        message=f"predicted to finish {late} min after its deadline",
                        due_at=s.deadline,
                    )
                )
            elif s.deadline - s.end < dt.timedelta(minutes=near_min):
                left = int((s.deadline - s.end).total_seconds() // 60)
                out.append(
                    _warn(
                        kind=WarningKind.DEADLINE_NEAR,
                        order_id=s.order_id,
                        technician_id=r.technician_id,
                        message=f"predicted to finish only {left} min before its deadline",
                        due_at=s.deadline,
                    )
                )
    return out


def unservable_warnings(plan: DayPlan, previous: DayPlan | None = None) -> list[PlanWarning]:
    """Orders that cannot be served today, with the rule and the reason."""
    before = (
        {(w.order_id, w.message): w for w in previous.warnings if w.kind == WarningKind.UNSERVABLE}
        if previous is not None
        else {}
    )
    out = []
    for u in plan.unassigned:
        message = f"cannot be served today ({u.rule}): {u.reason}"
        out.append(
            before.get((u.order_id, message)) or _warn(WarningKind.UNSERVABLE, u.order_id, message, None)
        )
    return out


def first_response_warnings(
    ctx: DispatchContext, plan: DayPlan, now: dt.datetime, limit_min: int
) -> list[PlanWarning]:
    """The first-response clock: an order must be dispatched (technician named to the customer)
    within ``limit_min`` minutes of its creation. Orders not yet dispatched by this plan are on the
    clock; orders this plan dispatches after the limit are reported once, as late responses (the
    next plan sees them dispatched)."""
    out: list[PlanWarning] = []
    planned = plan.assignment()
    for o in ctx.inp.orders:
        if o.status != OrderStatus.CREATED or o.created > now:
            continue
        due = o.created + dt.timedelta(minutes=limit_min)
        if o.id in planned:
            # dispatched by this plan: the response is sent now; only a late one is worth a line
            if now > due:
                out.append(
                    _warn(
                        WarningKind.FIRST_RESPONSE,
                        o.id,
                        f"first response {_minutes(now - due)} min late",
                        due,
                        planned[o.id],
                    )
                )
        elif now > due:
            out.append(
                _warn(
                    WarningKind.FIRST_RESPONSE,
                    o.id,
                    f"first response overdue by {_minutes(now - due)} min; no technician assigned",
                    due,
                )
            )
        else:
            out.append(
                _warn(
                    WarningKind.FIRST_RESPONSE,
                    o.id,
                    f"first response due in {_minutes(due - now)} min; no technician assigned",
                    due,
                )
            )
    return out


def _warn(
    kind: WarningKind,
    order_id: str,
    message: str,
    due_at: dt.datetime | None = None,
    technician_id: str | None = None,
) -> PlanWarning:
    """A warning, built from already-validated values on every event: an identical warning of the
    previous plan is reused, else one is constructed without pydantic re-validation."""
    old = (_REUSE.get() or {}).get((kind, order_id, technician_id, message))
    if old is not None and old.due_at == due_at:
        return old
    return PlanWarning.model_construct(
        kind=kind, order_id=order_id, technician_id=technician_id, message=message, due_at=due_at
    )


#: identical warnings of the previous plan, reused while one plan's warnings are computed
_REUSE: contextvars.ContextVar[dict[tuple[object, ...], PlanWarning] | None] = contextvars.ContextVar(
    "previous_warnings", default=None
)


def escalations(ctx: DispatchContext, plan: DayPlan, now: dt.datetime) -> list[PlanWarning]:
    """The escalation list: VIP or gold orders left unserved, VIP orders predicted late, and every
    open order already past its deadline."""
    out: list[PlanWarning] = []
    seen: set[str] = set()
    for u in plan.unassigned:
        o = ctx.orders.get(u.order_id)
        if o is not None and o.customer_grade in (CustomerGrade.VIP, CustomerGrade.GOLD):
            out.append(
                _warn(
                    kind=WarningKind.ESCALATION,
                    order_id=o.id,
                    message=f"{o.customer_grade.value} order cannot be served today: {u.reason}",
                    due_at=o.deadline,
                )
            )
            seen.add(o.id)
    for r in plan.routes:
        for s in r.stops:
            o = ctx.orders.get(s.order_id)
            if (
                o is not None
                and s.status != StopStatus.COMPLETED
                and o.customer_grade == CustomerGrade.VIP
                and s.end > s.deadline
                and o.id not in seen
            ):
                out.append(
                    _warn(
                        kind=WarningKind.ESCALATION,
                        order_id=o.id,
                        technician_id=r.technician_id,
                        message="VIP order predicted to miss its deadline",
                        due_at=o.deadline,
                    )
                )
                seen.add(o.id)
    for o in ctx.inp.orders:
        if (
            o.id not in seen
            and o.status not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
            and o.deadline < now
        ):
            out.append(
                _warn(
                    kind=WarningKind.ESCALATION,
                    order_id=o.id,
                    message=f"overdue: deadline passed {_minutes(now - o.deadline)} min ago",
                    due_at=o.deadline,
                )
            )
    return out


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)
