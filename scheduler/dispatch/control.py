"""The dispatch centre's process control, live: what must happen now to every open order.

The operator's plan asks of every order "a 30-minute first response, timeout warnings, reminder
calls, review of suspended and re-scheduled orders, escalation of major and overdue faults". This
module turns those controls into behaviour. It is pure (no database, no solver): given the open
work orders, what the centre already recorded (reminders, reviews, flags, escalations) and ``now``,
it says which warnings stand and which escalations must be opened or raised a level, each with a
stable code and a reason in words. :mod:`scheduler.dispatch.control_store` persists the records and
runs these rules on a clock (every minute, and on every dispatch event).

Rules (one function each, registries :data:`WARNING_RULES` and :data:`ESCALATION_RULES`):

- :func:`first_response_warnings`: the first response (the order's first status change: the SMS
  naming the technician goes out with the dispatch) is due ``first_response_min`` after creation;
- :func:`timeout_warnings`: the service deadline is near (``deadline_lead_min`` by customer grade)
  or has passed; an approved suspension stops the clock, an approved reschedule moves it;
- :func:`appointment_warnings`: a booked window is about to end, or has ended, with no visit begun;
- :func:`review_warnings`: a suspend or reschedule review waits for its answer (due
  ``review_answer_min`` after the request), or an order sent back waits for the technician;
- :func:`vip_onsets`, :func:`overdue_onsets`, :func:`repeat_fault_onsets`,
  :func:`major_fault_onsets`, :func:`reminder_onsets`: when an order (or an area) needs an
  escalation;
- :func:`level_ups`: an escalation nobody acknowledged within its level's wait goes one level up
  the trigger's ladder, to that level's owner.

**Boundary rule** (every clock here): a duty due at instant ``d`` is met by an act at or before
``d``; it is breached only when ``now > d``, to the second. "Within 30 minutes" includes the
30th minute itself: an order created 10:00:00 and dispatched 10:30:00 was answered in time, and
one still waiting at 10:30:00 is "due now", breached from 10:30:01. The quality KPIs
(:mod:`quality.kpis`) count a response at exactly the due instant as on time, so the live control
and the monthly figure agree on every order.

Idempotence: an escalation is keyed by its trigger and subject (``order:<id>``, or
``area:<id>:<first order>`` for a cluster of faults); a key already recorded, open or closed, is
never opened again, and a level is a function of the escalation's opening time, its
acknowledgement and ``now``. Evaluating twice at the same ``now`` therefore creates nothing new,
and ticking every minute or once an hour reaches the same levels.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from vocabulary.errors import Conflict, InputErrors, NotFound, Problem
from vocabulary.orders import CustomerGrade, OrderStatus, OrderType, TimeWindow, WorkOrder
from vocabulary.organisation import Location

_frozen = ConfigDict(frozen=True)
_T = TypeVar("_T")
_R = TypeVar("_R")


# --------------------------------------------------------------------------------------------------
# words
# --------------------------------------------------------------------------------------------------


class Trigger(StrEnum):
    """Why an escalation was opened."""

    MAJOR_FAULT = "major_fault"
    VIP = "vip"
    OVERDUE = "overdue"
    REPEAT_FAULT = "repeat_fault"
    REMINDED = "reminded"

    @property
    def rank(self) -> int:
        """0 for the most serious trigger; the queue sorts by it within a level."""
        return list(Trigger).index(self)


class ReviewKind(StrEnum):
    """What a review decides: a suspension (挂起审核) or a new appointment (改约审核)."""

    SUSPEND = "suspend"
    RESCHEDULE = "reschedule"


class Decision(StrEnum):
    """The centre's answer to a review."""

    APPROVE = "approve"
    SEND_BACK = "send_back"


class ReminderChannel(StrEnum):
    """How a reminder (催单) came in or went out."""

    PHONE = "phone"
    SMS = "sms"
    APP = "app"
    ONLINE = "online"
    OTHER = "other"


class FlagKind(StrEnum):
    """A dispatcher's mark on an order that triggers an escalation."""

    MAJOR_FAULT = "major_fault"
    REPEAT_FAULT = "repeat_fault"


class Severity(StrEnum):
    """How urgent a queue item is; the queue lists critical first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"

    @property
    def rank(self) -> int:
        """0 for the most urgent."""
        return list(Severity).index(self)


class WarningCode(StrEnum):
    """Stable codes of the warnings (the console translates them; the reason is the English text)."""

    FIRST_RESPONSE_DUE = "first_response_due"
    FIRST_RESPONSE_BREACHED = "first_response_breached"
    DEADLINE_NEAR = "deadline_near"
    OVERDUE = "overdue"
    APPOINTMENT_AT_RISK = "appointment_at_risk"
    APPOINTMENT_MISSED = "appointment_missed"
    REVIEW_PENDING = "review_pending"
    REVIEW_OVERDUE = "review_overdue"
    SENT_BACK = "sent_back"
    SENT_BACK_NOT_ACTED = "sent_back_not_acted"


#: Severity of each warning code.
WARNING_SEVERITY: dict[WarningCode, Severity] = {
    WarningCode.FIRST_RESPONSE_DUE: Severity.MEDIUM,
    WarningCode.FIRST_RESPONSE_BREACHED: Severity.HIGH,
    WarningCode.DEADLINE_NEAR: Severity.MEDIUM,
    WarningCode.OVERDUE: Severity.HIGH,
    WarningCode.APPOINTMENT_AT_RISK: Severity.MEDIUM,
    WarningCode.APPOINTMENT_MISSED: Severity.HIGH,
    WarningCode.REVIEW_PENDING: Severity.MEDIUM,
    WarningCode.REVIEW_OVERDUE: Severity.HIGH,
    WarningCode.SENT_BACK: Severity.MEDIUM,
    WarningCode.SENT_BACK_NOT_ACTED: Severity.HIGH,
}


# --------------------------------------------------------------------------------------------------
# errors (the package's errors.py belongs to the dispatch engine; these are the control's own)
# --------------------------------------------------------------------------------------------------


class UnknownControlRecord(NotFound):
    """A review, escalation or order the control does not know (or a technician's order not his)."""


class AlreadyDecided(Conflict):
    """A review already approved or sent back: a decision is final."""

    title = "Review already decided"


class EscalationClosed(Conflict):
    """An escalation already closed (or already acknowledged, for an acknowledgement)."""

    title = "Escalation already handled"


class ControlConflict(Conflict):
    """A control record the order's state does not allow (a review of a completed order, …)."""

    title = "Not allowed in the order's state"


# --------------------------------------------------------------------------------------------------
# the policy
# --------------------------------------------------------------------------------------------------


class Level(BaseModel):
    """One rung of an escalation ladder: who owns the escalation there, and how long they have to
    acknowledge it before it goes up (``None`` on the top rung: it stays)."""

    model_config = _frozen

    owner: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    wait_min: int | None = Field(default=None, gt=0, le=7 * 24 * 60)


def _ladder(*rungs: tuple[str, int | None]) -> tuple[Level, ...]:
    return tuple(Level(owner=o, wait_min=w) for o, w in rungs)


def _default_ladders() -> dict[Trigger, tuple[Level, ...]]:
    return {
        # "major issues within 1 hour": two rungs of 20 + 40 minutes reach the branch manager at 1 h
        Trigger.MAJOR_FAULT: _ladder(
            ("centre_shift_lead", 20), ("network_ops", 40), ("branch_manager", None)
        ),
        Trigger.VIP: _ladder(("duty_dispatcher", 15), ("centre_shift_lead", 30), ("branch_manager", None)),
        Trigger.OVERDUE: _ladder(
            ("duty_dispatcher", 30), ("centre_shift_lead", 60), ("branch_manager", None)
        ),
        Trigger.REPEAT_FAULT: _ladder(("group_leader", 60), ("quality_manager", None)),
        Trigger.REMINDED: _ladder(("duty_dispatcher", 30), ("centre_shift_lead", None)),
    }


class ControlPolicy(BaseModel):
    """Every parameter of the process control, with the operator's figures as defaults.

    Minutes are wall-clock minutes (around the clock; the dispatch centre answers round the clock).
    """

    model_config = _frozen

    first_response_min: int = Field(
        default=30, gt=0, le=24 * 60, description="first response due this long after creation (30分钟响应)"
    )
    first_response_lead_min: int = Field(
        default=10, ge=0, le=24 * 60, description="warn this long before the first response is due"
    )
    deadline_lead_min: dict[CustomerGrade, int] = Field(
        default_factory=lambda: {CustomerGrade.VIP: 60, CustomerGrade.GOLD: 120, CustomerGrade.ORDINARY: 240},
        description="timeout warning this long before the service deadline, by customer grade",
    )
    appointment_lead_min: int = Field(
        default=30, ge=0, le=24 * 60, description="warn this long before a booked window ends unvisited"
    )
    review_answer_min: dict[ReviewKind, int] = Field(
        default_factory=lambda: {ReviewKind.SUSPEND: 30, ReviewKind.RESCHEDULE: 60},
        description="the centre answers a review within this long of the request",
    )
    send_back_act_min: int = Field(
        default=60, gt=0, le=7 * 24 * 60, description="a technician acts on a sent-back review within this"
    )
    repeat_days: int = Field(
        default=30, ge=1, le=365, description="a repair at a place repaired within this many days is a repeat"
    )
    same_place_m: float | None = Field(
        default=0.0,
        ge=0,
        le=5000,
        description="two repair orders this close are one customer's place (0: the same address point; "
        "None: only flags and the order table's repeat_of mark repeats)",
    )
    major_cluster_orders: int = Field(
        default=5, ge=2, le=1000, description="this many repair orders in one small area ..."
    )
    major_cluster_min: int = Field(default=60, gt=0, le=24 * 60, description="... created within this long")
    major_lookback_min: int = Field(
        default=3 * 60,
        gt=0,
        le=7 * 24 * 60,
        description="how far back the clock looks for fault clusters (at least major_cluster_min; more "
        "covers a clock that stood still)",
    )
    reminders_to_escalate: int = Field(
        default=2, ge=1, le=100, description="an order reminded (催单) this often is escalated"
    )
    ladders: dict[Trigger, tuple[Level, ...]] = Field(default_factory=_default_ladders)

    @model_validator(mode="after")
    def _complete(self) -> ControlPolicy:
        for grade in CustomerGrade:
            if grade not in self.deadline_lead_min:
                raise ValueError(f"deadline_lead_min: missing grade {grade}")
            if self.deadline_lead_min[grade] < 0:
                raise ValueError(f"deadline_lead_min[{grade}] must be >= 0")
        for kind in ReviewKind:
            if self.review_answer_min.get(kind, 0) <= 0:
                raise ValueError(f"review_answer_min[{kind}] must be > 0 minutes")
        for trigger in Trigger:
            ladder = self.ladders.get(trigger)
            if not ladder:
                raise ValueError(f"ladders[{trigger}]: a ladder needs at least one level")
            if any(rung.wait_min is None for rung in ladder[:-1]):
                raise ValueError(f"ladders[{trigger}]: every level below the top needs wait_min")
            if ladder[-1].wait_min is not None:
                raise ValueError(f"ladders[{trigger}]: the top level has no wait_min (it stays there)")
        if self.major_lookback_min < self.major_cluster_min:
            raise ValueError("major_lookback_min must be at least major_cluster_min")
        return self


# --------------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------------


class Reminder(BaseModel):
    """A reminder (催单) logged against an order: the customer chased it, or the centre chased the crew."""

    model_config = _frozen

    id: int | None = None
    order_id: str
    at: dt.datetime
    by: str = Field(min_length=1, max_length=100)
    channel: ReminderChannel = ReminderChannel.PHONE
    note: str = Field(default="", max_length=2000)


class Review(BaseModel):
    """A suspend or reschedule review: the request, its answer deadline and the centre's decision."""

    model_config = _frozen

    id: int | None = None
    order_id: str
    kind: ReviewKind
    requested_by: str = Field(min_length=1, max_length=100)
    requested_at: dt.datetime
    #: the technician asking (None: a dispatcher opened it on someone's behalf)
    technician_id: str | None = None
    reason: str = Field(min_length=1, max_length=2000)
    #: the new appointment a reschedule asks for
    proposed: TimeWindow | None = None
    deadline: dt.datetime
    decision: Decision | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    note: str = Field(default="", max_length=2000)
    #: a review sent back: the technician acts (resumes, visits, asks again) by then
    act_by: dt.datetime | None = None

    @property
    def pending(self) -> bool:
        """Not decided yet."""
        return self.decision is None


class Flag(BaseModel):
    """A dispatcher's mark: this order is (part of) a major fault, or a repeat fault."""

    model_config = _frozen

    id: int | None = None
    order_id: str
    kind: FlagKind
    at: dt.datetime
    by: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=2000)
    #: for a repeat fault: the earlier order whose fault came back
    repeat_of: str | None = None


class Escalation(BaseModel):
    """An escalation: its trigger and subject, the level and owner it has reached, and its handling."""

    model_config = _frozen

    id: int | None = None
    trigger: Trigger
    #: ``order:<id>`` or ``area:<area id>:<first order of the cluster>``: one escalation per trigger each
    subject: str
    order_id: str | None = None
    area_id: str | None = None
    #: every order it concerns (the cluster's orders for a major fault)
    related: tuple[str, ...] = ()
    level: int = Field(default=1, ge=1)
    owner: str
    #: when the condition began (e.g. the deadline an overdue order passed)
    since: dt.datetime
    #: when the control opened it (the ladder's waits count from here)
    opened_at: dt.datetime
    #: when it reached its current level
    level_since: dt.datetime
    reason: str
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None
    closed_by: str | None = None
    closed_at: dt.datetime | None = None
    resolution: str | None = None

    @property
    def is_open(self) -> bool:
        """Not closed yet."""
        return self.closed_at is None


class PastRepair(BaseModel):
    """A completed repair, as the repeat-fault rule needs it."""

    model_config = _frozen

    order_id: str
    area_id: str
    location: Location
    completed_at: dt.datetime


class ControlInput(BaseModel):
    """What the rules read: the orders and the records of the centre, at ``now``.

    ``orders`` are the open orders plus any other order a record here concerns (the recent orders
    of a fault cluster, the orders of open escalations); the rules judge only open ones.
    """

    model_config = _frozen

    now: dt.datetime
    orders: tuple[WorkOrder, ...]
    reminders: tuple[Reminder, ...] = ()
    reviews: tuple[Review, ...] = ()
    flags: tuple[Flag, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    past_repairs: tuple[PastRepair, ...] = ()

    #: results of the rules already computed on this very input (the VIP rule reads every warning
    #: rule, the overdue rule the timeout rule; each checks the input): computed once per input
    _memo: dict[tuple[str, int], tuple[tuple[object, ...], object]] = PrivateAttr(default_factory=dict)

    def memo(self, name: str, policy: ControlPolicy | None, compute: Callable[[], _T]) -> _T:
        """``compute()``, or its result from an earlier call on the same input and policy.

        An entry holds the very objects it was computed from and is reused only when every field
        is still the same object (copies made with ``model_copy(update=...)`` share the memo).
        """
        state = (
            policy,
            self.now,
            self.orders,
            self.reminders,
            self.reviews,
            self.flags,
            self.escalations,
            self.past_repairs,
        )
        key = (name, id(policy))
        hit = self._memo.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], state, strict=True)):
            return cast(_T, hit[1])
        value = compute()
        self._memo[key] = (state, value)
        return value


def _memoised(
    rule: Callable[[ControlInput, ControlPolicy], list[_R]],
) -> Callable[[ControlInput, ControlPolicy], list[_R]]:
    """A rule whose result is computed once per input and policy (see :meth:`ControlInput.memo`)."""

    @functools.wraps(rule)
    def cached(inp: ControlInput, policy: ControlPolicy) -> list[_R]:
        return list(inp.memo(rule.__name__, policy, lambda: rule(inp, policy)))

    return cached


# --------------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------------


class ControlWarning(BaseModel):
    """A warning on the control queue, with the moment its condition began and what is due when."""

    model_config = _frozen

    code: WarningCode
    severity: Severity
    order_id: str
    area_id: str | None = None
    technician_id: str | None = None
    #: when the condition began (a breach: the due instant; a near miss: due − lead)
    since: dt.datetime
    due_at: dt.datetime | None = None
    review_id: int | None = None
    reason: str


class Onset(BaseModel):
    """An escalation's condition holds for a subject since a moment (what an escalation rule finds)."""

    model_config = _frozen

    trigger: Trigger
    subject: str
    order_id: str | None = None
    area_id: str | None = None
    related: tuple[str, ...] = ()
    since: dt.datetime
    reason: str


class LevelUp(BaseModel):
    """An escalation moved one level up its ladder."""

    model_config = _frozen

    escalation_id: int
    trigger: Trigger
    subject: str
    from_level: int
    to_level: int
    owner: str
    #: the instant the previous level's wait ran out
    at: dt.datetime
    reason: str


class Evaluation(BaseModel):
    """Everything the rules say at ``now``: standing warnings, escalations to open, levels to raise."""

    model_config = _frozen

    now: dt.datetime
    warnings: tuple[ControlWarning, ...]
    new_escalations: tuple[Escalation, ...]
    level_ups: tuple[LevelUp, ...]


# --------------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------------


def input_problems(inp: ControlInput) -> list[Problem]:
    """Every contradiction in ``inp``, naming the field and the rule it breaks (empty: consistent).

    Times are local naive (Asia/Shanghai); a record names a known order; nothing is recorded before
    its order exists or after ``now``; a decision comes after its request.
    """
    problems: list[Problem] = []
    now = inp.now

    def naive(field: str, value: dt.datetime | None) -> bool:
        if value is not None and value.tzinfo is not None:
            problems.append(Problem(field, "times are local naive datetimes (Asia/Shanghai)", str(value)))
            return False
        return True

    if not naive("now", now):
        return problems
    created: dict[str, dt.datetime] = {}
    for i, o in enumerate(inp.orders):
        if o.id in created:
            problems.append(Problem(f"orders[{i}].id", "each order is given once", o.id))
        elif naive(f"orders[{i}].created", o.created):
            created[o.id] = o.created
            if o.created > now:
                problems.append(
                    Problem(
                        f"orders[{i}].created",
                        "an order exists by the time it is evaluated (created <= now)",
                        str(o.created),
                    )
                )

    def order_ref(field: str, order_id: str, at: dt.datetime, what: str) -> None:
        if order_id not in created:
            problems.append(
                Problem(f"{field}.order_id", f"a {what} names an order given in orders", order_id)
            )
        elif naive(f"{field}.at", at) and at < created[order_id]:
            problems.append(Problem(f"{field}.at", f"a {what} comes after its order was created", str(at)))
        if at > now:
            problems.append(Problem(f"{field}.at", f"a {what} is recorded by now ({now})", str(at)))

    for i, r in enumerate(inp.reminders):
        order_ref(f"reminders[{i}]", r.order_id, r.at, "reminder")
    for i, f in enumerate(inp.flags):
        order_ref(f"flags[{i}]", f.order_id, f.at, "flag")
    for i, rv in enumerate(inp.reviews):
        order_ref(f"reviews[{i}]", rv.order_id, rv.requested_at, "review")
        if rv.decided_at is not None and naive(f"reviews[{i}].decided_at", rv.decided_at):
            if rv.decided_at < rv.requested_at:
                problems.append(
                    Problem(
                        f"reviews[{i}].decided_at",
                        "a review is decided after it was requested",
                        str(rv.decided_at),
                    )
                )
            if rv.decided_at > now:
                problems.append(
                    Problem(f"reviews[{i}].decided_at", f"decided by now ({now})", str(rv.decided_at))
                )
        if (rv.decision is None) != (rv.decided_at is None):
            problems.append(
                Problem(f"reviews[{i}].decision", "a decision has a time and a time a decision", rv.decision)
            )
    for i, e in enumerate(inp.escalations):
        if e.order_id is not None and e.order_id not in created:
            problems.append(
                Problem(
                    f"escalations[{i}].order_id", "an escalation names an order given in orders", e.order_id
                )
            )
        if naive(f"escalations[{i}].opened_at", e.opened_at) and e.opened_at > now:
            problems.append(
                Problem(f"escalations[{i}].opened_at", f"opened by now ({now})", str(e.opened_at))
            )
    for i, p in enumerate(inp.past_repairs):
        if naive(f"past_repairs[{i}].completed_at", p.completed_at) and p.completed_at > now:
            problems.append(
                Problem(
                    f"past_repairs[{i}].completed_at",
                    f"a past repair was completed by now ({now})",
                    str(p.completed_at),
                )
            )
    return problems


def check_input(inp: ControlInput) -> None:
    """Raise :class:`InputErrors` listing every problem of :func:`input_problems` (checked once per input)."""
    problems = inp.memo("input_problems", None, lambda: input_problems(inp))
    if problems:
        raise InputErrors(problems)


def check_ladder(escalation: Escalation, policy: ControlPolicy, field: str = "escalation") -> None:
    """:class:`InputErrors` when an escalation's level is not on its trigger's ladder."""
    top = len(policy.ladders[escalation.trigger])
    if escalation.level > top:
        raise InputErrors(
            [
                Problem(
                    f"{field}.level", f"the {escalation.trigger} ladder has {top} level(s)", escalation.level
                )
            ]
        )


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def is_open(order: WorkOrder) -> bool:
    """Neither completed nor cancelled."""
    return order.status not in WorkOrder.terminal


def closed_at(order: WorkOrder) -> dt.datetime | None:
    """When the order was completed or cancelled (None while open)."""
    if is_open(order):
        return None
    return order.last_time_of(order.status)


def first_response_at(order: WorkOrder) -> dt.datetime | None:
    """The first response: the order's first status change after creation (the dispatch, whose SMS
    names the technician; or a cancellation). None while there is none."""
    return order.history[0].at if order.history else None


def span(delta: dt.timedelta) -> str:
    """A duration in words: ``45 s``, ``12 min``, ``2 h 05 min``, ``3 d 4 h`` (whole units, floored)."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _clock(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}"


def _minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def _warning(
    code: WarningCode,
    order: WorkOrder,
    since: dt.datetime,
    due: dt.datetime | None,
    reason: str,
    review_id: int | None = None,
) -> ControlWarning:
    return ControlWarning(
        code=code,
        severity=WARNING_SEVERITY[code],
        order_id=order.id,
        area_id=order.area_id,
        technician_id=order.technician_id,
        since=since,
        due_at=due,
        review_id=review_id,
        reason=reason,
    )


def order_subject(order_id: str) -> str:
    """The escalation subject of one order."""
    return f"order:{order_id}"


def _reviews_by_order(reviews: Iterable[Review]) -> dict[str, list[Review]]:
    out: dict[str, list[Review]] = defaultdict(list)
    for r in reviews:
        out[r.order_id].append(r)
    for rs in out.values():
        rs.sort(key=lambda r: (r.requested_at, r.id or 0))
    return out


def _approved(reviews: Iterable[Review], kind: ReviewKind) -> list[Review]:
    return [r for r in reviews if r.kind == kind and r.decision == Decision.APPROVE]


def suspension_paused(order: WorkOrder, reviews: Sequence[Review]) -> bool:
    """The order is suspended now and the centre approved this suspension: its clocks stand still."""
    if order.status != OrderStatus.SUSPENDED:
        return False
    since = order.last_time_of(OrderStatus.SUSPENDED)
    return since is not None and any(r.requested_at >= since for r in _approved(reviews, ReviewKind.SUSPEND))


def effective_deadline(order: WorkOrder, reviews: Sequence[Review], now: dt.datetime) -> dt.datetime:
    """The service deadline after the centre's approvals.

    Every approved suspension adds the time the order stayed suspended (from the suspension the
    review was asked for to the order's next status change, or ``now``): the customer's wait does
    not count against the crew. An approved reschedule moves the deadline to the end of the new
    appointment window when that is later: the customer chose the later visit.
    """
    deadline = order.deadline
    history = order.history
    for review in _approved(reviews, ReviewKind.SUSPEND):
        start_i = max(
            (
                i
                for i, e in enumerate(history)
                if e.status == OrderStatus.SUSPENDED and e.at <= review.requested_at
            ),
            default=None,
        )
        if start_i is None:
            continue
        start = history[start_i].at
        end = history[start_i + 1].at if start_i + 1 < len(history) else now
        deadline += max(dt.timedelta(0), end - start)
    for review in _approved(reviews, ReviewKind.RESCHEDULE):
        if review.proposed is not None and review.proposed.end > deadline:
            deadline = review.proposed.end
    return deadline


def ladder_steps(
    opened_at: dt.datetime, stop: dt.datetime, ladder: Sequence[Level]
) -> list[tuple[int, dt.datetime]]:
    """``(level, reached at)`` of every level an escalation opened at ``opened_at`` has reached by ``stop``.

    Level 1 is reached on opening; level ``k + 1`` when level ``k``'s wait ran out unacknowledged
    (strictly after ``reached + wait``: an acknowledgement at the instant itself is in time).
    """
    steps = [(1, opened_at)]
    reached = opened_at
    for i, rung in enumerate(ladder[:-1]):
        assert rung.wait_min is not None  # the policy guarantees every rung below the top has a wait
        due = reached + _minutes(rung.wait_min)
        if not stop > due:
            break
        steps.append((i + 2, due))
        reached = due
    return steps


# --------------------------------------------------------------------------------------------------
# warning rules
# --------------------------------------------------------------------------------------------------


@_memoised
def first_response_warnings(inp: ControlInput, policy: ControlPolicy) -> list[ControlWarning]:
    """30-minute first response (30分钟首响): "for every order: a 30-minute first response, SMS to the
    customer with the technician's name".

    An open order without any status change yet is due ``first_response_min`` after creation:
    ``first_response_due`` from ``first_response_lead_min`` before that, ``first_response_breached``
    once ``now`` is past the due instant (an answer at the due instant itself is in time).
    """
    check_input(inp)
    out: list[ControlWarning] = []
    now = inp.now
    lead = _minutes(policy.first_response_lead_min)
    for o in inp.orders:
        if not is_open(o) or first_response_at(o) is not None:
            continue
        due = o.created + _minutes(policy.first_response_min)
        if now > due:
            out.append(
                _warning(
                    WarningCode.FIRST_RESPONSE_BREACHED,
                    o,
                    due,
                    due,
                    f"no first response {policy.first_response_min} min after the order came in at "
                    f"{_clock(o.created)}: overdue by {span(now - due)} (due {_clock(due)})",
                )
            )
        elif now >= due - lead:
            out.append(
                _warning(
                    WarningCode.FIRST_RESPONSE_DUE,
                    o,
                    due - lead,
                    due,
                    f"first response due in {span(due - now)} (at {_clock(due)}); no technician named yet",
                )
            )
    return out


@_memoised
def timeout_warnings(inp: ControlInput, policy: ControlPolicy) -> list[ControlWarning]:
    """Timeout warnings (超时预警): "timeout warnings" before the service deadline.

    An open order whose effective deadline (:func:`effective_deadline`) is at most
    ``deadline_lead_min[grade]`` away is ``deadline_near``; one past it is ``overdue``. An order
    whose suspension the centre approved is paused and gets neither while it stays suspended.
    """
    check_input(inp)
    out: list[ControlWarning] = []
    now = inp.now
    reviews = _reviews_by_order(inp.reviews)
    for o in inp.orders:
        mine = reviews.get(o.id, [])
        if not is_open(o) or suspension_paused(o, mine):
            continue
        deadline = effective_deadline(o, mine, now)
        moved = "" if deadline == o.deadline else f" (moved from {_clock(o.deadline)} by approved reviews)"
        lead = _minutes(policy.deadline_lead_min[o.customer_grade])
        if now > deadline:
            out.append(
                _warning(
                    WarningCode.OVERDUE,
                    o,
                    deadline,
                    deadline,
                    f"{o.customer_grade.value} {o.order_type.value} order overdue by {span(now - deadline)}: "
                    f"deadline {_clock(deadline)}{moved}, status {o.status.value}",
                )
            )
        elif now >= deadline - lead:
            out.append(
                _warning(
                    WarningCode.DEADLINE_NEAR,
                    o,
                    deadline - lead,
                    deadline,
                    f"{o.customer_grade.value} {o.order_type.value} order due in {span(deadline - now)} "
                    f"(deadline {_clock(deadline)}{moved}), status {o.status.value}",
                )
            )
    return out


@_memoised
def appointment_warnings(inp: ControlInput, policy: ControlPolicy) -> list[ControlWarning]:
    """Appointment kept (预约履约): "promised appointments were missed twice" must not happen unseen.

    An open order waiting for its visit (created or dispatched) with a booked window is
    ``appointment_at_risk`` from ``appointment_lead_min`` before the window ends, and
    ``appointment_missed`` once the window has ended (a start at its last instant is in time).
    """
    check_input(inp)
    out: list[ControlWarning] = []
    now = inp.now
    lead = _minutes(policy.appointment_lead_min)
    for o in inp.orders:
        if o.appointment is None or o.status not in (OrderStatus.CREATED, OrderStatus.DISPATCHED):
            continue
        end = o.appointment.end
        window = f"{_clock(o.appointment.start)}–{o.appointment.end:%H:%M:%S}"
        if now > end:
            out.append(
                _warning(
                    WarningCode.APPOINTMENT_MISSED,
                    o,
                    end,
                    end,
                    f"appointment {window} missed {span(now - end)} ago: no visit begun; agree a new one",
                )
            )
        elif now >= end - lead:
            out.append(
                _warning(
                    WarningCode.APPOINTMENT_AT_RISK,
                    o,
                    end - lead,
                    end,
                    f"appointment window {window} ends in {span(end - now)} and no visit has begun",
                )
            )
    return out


def _acted(order: WorkOrder, review: Review, later: Sequence[Review]) -> bool:
    """The technician acted on a sent-back review: the order changed status after the decision, or
    he asked again."""
    assert review.decided_at is not None
    decided = review.decided_at
    return any(e.at > decided for e in order.history) or any(
        r.requested_at >= decided and r is not review for r in later
    )


@_memoised
def review_warnings(inp: ControlInput, policy: ControlPolicy) -> list[ControlWarning]:
    """Review of suspended and re-scheduled orders (挂起审核, 改约审核): "review of suspended and
    re-scheduled orders".

    A pending review of an open order is ``review_pending`` until its answer deadline and
    ``review_overdue`` after it. A review sent back is ``sent_back`` until its ``act_by`` and
    ``sent_back_not_acted`` after it, unless the technician acted (:func:`_acted`).
    """
    check_input(inp)
    out: list[ControlWarning] = []
    now = inp.now
    orders = {o.id: o for o in inp.orders}
    by_order = _reviews_by_order(inp.reviews)
    for oid, reviews in by_order.items():
        o = orders[oid]
        if not is_open(o):
            continue
        for r in reviews:
            what = "suspension" if r.kind == ReviewKind.SUSPEND else "reschedule"
            if r.pending:
                if now > r.deadline:
                    out.append(
                        _warning(
                            WarningCode.REVIEW_OVERDUE,
                            o,
                            r.deadline,
                            r.deadline,
                            f"{what} review asked by {r.requested_by} at {_clock(r.requested_at)} unanswered "
                            f"{span(now - r.deadline)} past its deadline {_clock(r.deadline)}: {r.reason}",
                            r.id,
                        )
                    )
                else:
                    out.append(
                        _warning(
                            WarningCode.REVIEW_PENDING,
                            o,
                            r.requested_at,
                            r.deadline,
                            f"{what} review asked by {r.requested_by}: approve or send back by "
                            f"{_clock(r.deadline)} ({span(r.deadline - now)} left): {r.reason}",
                            r.id,
                        )
                    )
            elif r.decision == Decision.SEND_BACK and r.act_by is not None and not _acted(o, r, reviews):
                if now > r.act_by:
                    out.append(
                        _warning(
                            WarningCode.SENT_BACK_NOT_ACTED,
                            o,
                            r.act_by,
                            r.act_by,
                            f"{what} sent back by {r.decided_by} at {_clock(r.decided_at or r.act_by)}; "
                            f"technician has not acted {span(now - r.act_by)} after {_clock(r.act_by)}",
                            r.id,
                        )
                    )
                else:
                    out.append(
                        _warning(
                            WarningCode.SENT_BACK,
                            o,
                            r.decided_at or r.act_by,
                            r.act_by,
                            f"{what} sent back by {r.decided_by}: the technician acts by {_clock(r.act_by)} "
                            f"({span(r.act_by - now)} left){': ' + r.note if r.note else ''}",
                            r.id,
                        )
                    )
    return out


#: The warning rules, in the order the queue explains them.
WARNING_RULES: tuple[Callable[[ControlInput, ControlPolicy], list[ControlWarning]], ...] = (
    first_response_warnings,
    timeout_warnings,
    appointment_warnings,
    review_warnings,
)


def warnings(inp: ControlInput, policy: ControlPolicy) -> list[ControlWarning]:
    """Every standing warning, most severe first, then by when it began."""
    out = [w for rule in WARNING_RULES for w in rule(inp, policy)]
    out.sort(key=lambda w: (w.severity.rank, w.since, w.order_id, w.code.value))
    return out


# --------------------------------------------------------------------------------------------------
# escalation rules: when a subject needs an escalation
# --------------------------------------------------------------------------------------------------


@_memoised
def vip_onsets(inp: ControlInput, policy: ControlPolicy) -> list[Onset]:
    """VIP guarantee (VIP保障): a VIP customer's open order is escalated as soon as any control
    warns about it (first response, deadline, appointment, review), from the earliest such warning.
    """
    vip = {o.id for o in inp.orders if o.customer_grade == CustomerGrade.VIP and is_open(o)}
    first: dict[str, ControlWarning] = {}
    for rule in WARNING_RULES:
        for w in rule(inp, policy):
            if w.order_id in vip and (w.order_id not in first or w.since < first[w.order_id].since):
                first[w.order_id] = w
    return [
        Onset(
            trigger=Trigger.VIP,
            subject=order_subject(oid),
            order_id=oid,
            area_id=w.area_id,
            related=(oid,),
            since=w.since,
            reason=f"VIP customer: {w.code.value}: {w.reason}",
        )
        for oid, w in sorted(first.items())
    ]


@_memoised
def overdue_onsets(inp: ControlInput, policy: ControlPolicy) -> list[Onset]:
    """Escalation of overdue faults (超时升级): "escalation of major and overdue faults" — every open
    order past its effective deadline, from the deadline on (paused orders excepted, as
    :func:`timeout_warnings`)."""
    return [
        Onset(
            trigger=Trigger.OVERDUE,
            subject=order_subject(w.order_id),
            order_id=w.order_id,
            area_id=w.area_id,
            related=(w.order_id,),
            since=w.since,
            reason=w.reason,
        )
        for w in timeout_warnings(inp, policy)
        if w.code == WarningCode.OVERDUE
    ]


#: metres per degree of latitude (and of longitude at the equator)
_M_PER_DEGREE = 111_195.0


def degree_box(location: Location, metres: float) -> tuple[float, float]:
    """Half-widths (latitude, longitude degrees) of a box holding every point ``metres`` away
    (with a centimetre of slack for rounding)."""
    dlat = metres / _M_PER_DEGREE + 1e-7
    dlon = dlat / max(math.cos(math.radians(location.lat)), 0.01)
    return dlat, dlon


def _near(location: Location, points: Sequence[PastRepair], metres: float) -> list[tuple[PastRepair, float]]:
    """The past repairs within ``metres`` of ``location`` and their distance in metres."""
    dlat, dlon = degree_box(location, metres)
    out = []
    for p in points:
        if abs(p.location.lat - location.lat) > dlat or abs(p.location.lon - location.lon) > dlon:
            continue
        d = p.location.distance_km(location) * 1000
        if d <= metres:
            out.append((p, d))
    return out


@_memoised
def repeat_fault_onsets(inp: ControlInput, policy: ControlPolicy) -> list[Onset]:
    """Repeat faults (重复故障): the customer reports a fault again. An open repair order is a repeat
    when a dispatcher flagged it so (or the order table names the order it repeats), or when a
    repair at the same place (within ``same_place_m``; default 0: the same address point) was
    completed at most ``repeat_days`` before it came in (inclusive). From its creation (or the
    flag, when later).

    The order table knows no customer line yet, so the place stands for the customer: in an
    apartment block every household shares the building's point, hence the strict default.
    """
    check_input(inp)
    flagged = {f.order_id: f for f in inp.flags if f.kind == FlagKind.REPEAT_FAULT}
    by_area: dict[str, list[PastRepair]] = defaultdict(list)
    for p in inp.past_repairs:
        by_area[p.area_id].append(p)
    window = dt.timedelta(days=policy.repeat_days)
    out: list[Onset] = []
    for o in inp.orders:
        if not is_open(o) or o.order_type != OrderType.REPAIR:
            continue
        flag = flagged.get(o.id)
        if flag is not None:
            earlier = f" of order {flag.repeat_of}" if flag.repeat_of else ""
            note = f": {flag.note}" if flag.note else ""
            out.append(
                Onset(
                    trigger=Trigger.REPEAT_FAULT,
                    subject=order_subject(o.id),
                    order_id=o.id,
                    area_id=o.area_id,
                    related=tuple(x for x in (o.id, flag.repeat_of) if x),
                    since=max(o.created, flag.at),
                    reason=f"repeat fault{earlier}, flagged by {flag.by} at {_clock(flag.at)}{note}",
                )
            )
            continue
        if policy.same_place_m is None:
            continue
        near = _near(o.location, by_area.get(o.area_id, []), policy.same_place_m)
        matches = [
            (p, d)
            for p, d in near
            if p.order_id != o.id and p.completed_at <= o.created and o.created - p.completed_at <= window
        ]
        if not matches:
            continue
        p, d = max(matches, key=lambda m: (m[0].completed_at, m[0].order_id))
        out.append(
            Onset(
                trigger=Trigger.REPEAT_FAULT,
                subject=order_subject(o.id),
                order_id=o.id,
                area_id=o.area_id,
                related=(o.id, p.order_id),
                since=o.created,
                reason=f"repeat fault: repair {p.order_id} at the same place ({d:.0f} m away) was completed "
                f"{_clock(p.completed_at)}, {span(o.created - p.completed_at)} before this report "
                f"(repeat window {policy.repeat_days} days)",
            )
        )
    return out


def area_subject(area_id: str, first_order: str) -> str:
    """The escalation subject of a fault cluster in an area, named by its first order."""
    return f"area:{area_id}:{first_order}"


@_memoised
def major_fault_onsets(inp: ControlInput, policy: ControlPolicy) -> list[Onset]:
    """Major faults (重大故障): "escalation of major … faults".

    An order a dispatcher flagged major is escalated from the flag. And an outage shows as a
    cluster: ``major_cluster_orders`` repair orders created in one small area within
    ``major_cluster_min`` minutes (the first and the last at most that far apart, inclusive) make
    one escalation of the area, from the creation of the order that completes the cluster. While
    an area has an open cluster escalation no second one is opened; after it is closed, only
    orders created after its closure count towards a new one.
    """
    check_input(inp)
    out: list[Onset] = []
    orders = {o.id: o for o in inp.orders}
    for f in sorted(inp.flags, key=lambda f: (f.at, f.order_id)):
        if f.kind != FlagKind.MAJOR_FAULT:
            continue
        o = orders[f.order_id]
        if not is_open(o):
            continue
        out.append(
            Onset(
                trigger=Trigger.MAJOR_FAULT,
                subject=order_subject(o.id),
                order_id=o.id,
                area_id=o.area_id,
                related=(o.id,),
                since=f.at,
                reason=f"major fault flagged by {f.by} at {_clock(f.at)}{': ' + f.note if f.note else ''}",
            )
        )
    area_open: set[str] = set()
    area_closed: dict[str, dt.datetime] = {}
    for e in inp.escalations:
        if e.trigger != Trigger.MAJOR_FAULT or e.order_id is not None or e.area_id is None:
            continue
        if e.closed_at is None:
            area_open.add(e.area_id)
        else:
            area_closed[e.area_id] = max(e.closed_at, area_closed.get(e.area_id, e.closed_at))
    repairs: dict[str, list[WorkOrder]] = defaultdict(list)
    for o in inp.orders:
        if o.order_type == OrderType.REPAIR and o.status != OrderStatus.CANCELLED:
            repairs[o.area_id].append(o)
    k, window = policy.major_cluster_orders, _minutes(policy.major_cluster_min)
    for area_id in sorted(repairs):
        if area_id in area_open:
            continue
        after = area_closed.get(area_id)
        seq = sorted(
            (o for o in repairs[area_id] if after is None or o.created > after),
            key=lambda o: (o.created, o.id),
        )
        for i in range(len(seq) - k + 1):
            if seq[i + k - 1].created - seq[i].created <= window:
                # the cluster takes every order of the window that follows its first one
                cluster = [o for o in seq[i:] if o.created - seq[i].created <= window]
                out.append(
                    Onset(
                        trigger=Trigger.MAJOR_FAULT,
                        subject=area_subject(area_id, seq[i].id),
                        order_id=None,
                        area_id=area_id,
                        related=tuple(o.id for o in cluster),
                        since=seq[i + k - 1].created,
                        reason=f"possible outage: {len(cluster)} repair orders in area {area_id} between "
                        f"{_clock(cluster[0].created)} and {_clock(cluster[-1].created)} "
                        f"({k} within {policy.major_cluster_min} min make a major fault)",
                    )
                )
                break
    return out


@_memoised
def reminder_onsets(inp: ControlInput, policy: ControlPolicy) -> list[Onset]:
    """Reminders (催单): "reminder calls"; "overdue reminders" are a KPI judged by customers. An open
    order reminded ``reminders_to_escalate`` times is escalated from that reminder on."""
    check_input(inp)
    by_order: dict[str, list[Reminder]] = defaultdict(list)
    for r in inp.reminders:
        by_order[r.order_id].append(r)
    orders = {o.id: o for o in inp.orders}
    n = policy.reminders_to_escalate
    out: list[Onset] = []
    for oid in sorted(by_order):
        o = orders[oid]
        rs = sorted(by_order[oid], key=lambda r: (r.at, r.id or 0))
        if not is_open(o) or len(rs) < n:
            continue
        nth = rs[n - 1]
        out.append(
            Onset(
                trigger=Trigger.REMINDED,
                subject=order_subject(oid),
                order_id=oid,
                area_id=o.area_id,
                related=(oid,),
                since=nth.at,
                reason=f"reminded {len(rs)} time(s) (escalated at {n}); reminder {n} by {nth.by} via "
                f"{nth.channel.value} at {_clock(nth.at)}{': ' + nth.note if nth.note else ''}",
            )
        )
    return out


#: The escalation rules, one per trigger.
ESCALATION_RULES: dict[Trigger, Callable[[ControlInput, ControlPolicy], list[Onset]]] = {
    Trigger.MAJOR_FAULT: major_fault_onsets,
    Trigger.VIP: vip_onsets,
    Trigger.OVERDUE: overdue_onsets,
    Trigger.REPEAT_FAULT: repeat_fault_onsets,
    Trigger.REMINDED: reminder_onsets,
}


# --------------------------------------------------------------------------------------------------
# escalations: open and raise
# --------------------------------------------------------------------------------------------------


def new_escalations(inp: ControlInput, policy: ControlPolicy) -> list[Escalation]:
    """Escalations to open now: every onset whose (trigger, subject) was never recorded, at level 1
    with the ladder's first owner, opened at ``now`` (the ladder's waits count from the moment the
    control knew), with the time the condition began as ``since``."""
    known = {(e.trigger, e.subject) for e in inp.escalations}
    out: list[Escalation] = []
    for trigger, rule in ESCALATION_RULES.items():
        owner = policy.ladders[trigger][0].owner
        for onset in rule(inp, policy):
            if (trigger, onset.subject) in known:
                continue
            known.add((trigger, onset.subject))
            out.append(
                Escalation(
                    trigger=trigger,
                    subject=onset.subject,
                    order_id=onset.order_id,
                    area_id=onset.area_id,
                    related=onset.related,
                    level=1,
                    owner=owner,
                    since=onset.since,
                    opened_at=inp.now,
                    level_since=inp.now,
                    reason=onset.reason,
                )
            )
    return out


def climb_stop(escalation: Escalation, order: WorkOrder | None, now: dt.datetime) -> dt.datetime:
    """Until when an escalation climbs: ``now``, or earlier when it was acknowledged, closed, or its
    order was completed or cancelled (nobody needs to be called up for a finished order)."""
    stops = [now]
    for t in (escalation.acknowledged_at, escalation.closed_at, closed_at(order) if order else None):
        if t is not None:
            stops.append(t)
    return min(stops)


def level_ups(inp: ControlInput, policy: ControlPolicy) -> list[LevelUp]:
    """Escalation ladder (逐级升级): an escalation not acknowledged within its level's ``wait_min``
    goes one level up, to the next level's owner (strictly after the wait ran out); acknowledging,
    closing or finishing the order stops the climb. One :class:`LevelUp` per level passed."""
    check_input(inp)
    orders = {o.id: o for o in inp.orders}
    out: list[LevelUp] = []
    for i, e in enumerate(inp.escalations):
        if e.id is None or not e.is_open:
            continue
        check_ladder(e, policy, f"escalations[{i}]")
        ladder = policy.ladders[e.trigger]
        stop = climb_stop(e, orders.get(e.order_id) if e.order_id else None, inp.now)
        for level, reached in ladder_steps(e.opened_at, stop, ladder):
            if level <= e.level:
                continue
            below = ladder[level - 2]
            out.append(
                LevelUp(
                    escalation_id=e.id,
                    trigger=e.trigger,
                    subject=e.subject,
                    from_level=level - 1,
                    to_level=level,
                    owner=ladder[level - 1].owner,
                    at=reached,
                    reason=f"not acknowledged within {below.wait_min} min at level {level - 1} "
                    f"({below.owner}): level {level}, owner {ladder[level - 1].owner}",
                )
            )
    return out


def evaluate(inp: ControlInput, policy: ControlPolicy | None = None) -> Evaluation:
    """Every rule at ``inp.now``: the standing warnings, the escalations to open, the levels to raise.

    Raises
    ------
    InputErrors
        ``inp`` contradicts itself (see :func:`input_problems`); nothing is evaluated.
    """
    policy = policy or ControlPolicy()
    check_input(inp)
    return Evaluation(
        now=inp.now,
        warnings=tuple(warnings(inp, policy)),
        new_escalations=tuple(new_escalations(inp, policy)),
        level_ups=tuple(level_ups(inp, policy)),
    )


def apply(inp: ControlInput, evaluation: Evaluation, first_id: int = 1) -> ControlInput:
    """``inp`` with an evaluation's escalations recorded (new ones numbered from ``first_id``, levels
    raised): what the store holds after a tick. Tests use it to check idempotence without a database."""
    raised: dict[int, LevelUp] = {}
    for up in evaluation.level_ups:
        if up.escalation_id not in raised or up.to_level > raised[up.escalation_id].to_level:
            raised[up.escalation_id] = up
    kept = []
    for e in inp.escalations:
        step = raised.get(e.id) if e.id is not None else None
        kept.append(
            e
            if step is None
            else e.model_copy(update={"level": step.to_level, "owner": step.owner, "level_since": step.at})
        )
    fresh = [e.model_copy(update={"id": first_id + i}) for i, e in enumerate(evaluation.new_escalations)]
    return inp.model_copy(update={"escalations": (*kept, *fresh)})


# --------------------------------------------------------------------------------------------------
# the queue
# --------------------------------------------------------------------------------------------------


class QueueItem(BaseModel):
    """One line of the control queue: an open escalation or a standing warning, with its reason."""

    model_config = _frozen

    kind: Literal["escalation", "warning"]
    #: ``escalation.<trigger>`` or the warning code: stable, for the console's translations
    code: str
    severity: Severity
    order_id: str | None = None
    area_id: str | None = None
    technician_id: str | None = None
    since: dt.datetime
    due_at: dt.datetime | None = None
    reason: str
    escalation_id: int | None = None
    trigger: Trigger | None = None
    level: int | None = None
    owner: str | None = None
    acknowledged: bool = False
    related: tuple[str, ...] = ()
    review_id: int | None = None
    #: reminders (催单) logged against the order so far
    reminders: int = 0


def escalation_severity(escalation: Escalation) -> Severity:
    """Critical above level 1 and for every major fault; high otherwise."""
    if escalation.level > 1 or escalation.trigger == Trigger.MAJOR_FAULT:
        return Severity.CRITICAL
    return Severity.HIGH


def queue_items(
    escalations: Sequence[Escalation],
    standing: Sequence[ControlWarning],
    technicians: dict[str, str | None] | None = None,
    reminders: dict[str, int] | None = None,
) -> list[QueueItem]:
    """The board's list: open escalations first (highest level, most serious trigger, oldest
    first), then warnings by severity and by when they began.

    Parameters
    ----------
    technicians
        order id → technician of the order (shown on escalation lines).
    reminders
        order id → reminders logged so far.
    """
    technicians = technicians or {}
    reminders = reminders or {}
    items: list[tuple[tuple[int, int, int, dt.datetime, str, str], QueueItem]] = []
    for e in escalations:
        if not e.is_open:
            continue
        ack = (
            f"; acknowledged by {e.acknowledged_by} at {_clock(e.acknowledged_at)}"
            if e.acknowledged_at
            else ""
        )
        items.append(
            (
                (0, -e.level, e.trigger.rank, e.since, e.subject, ""),
                QueueItem(
                    kind="escalation",
                    code=f"escalation.{e.trigger.value}",
                    severity=escalation_severity(e),
                    order_id=e.order_id,
                    area_id=e.area_id,
                    technician_id=technicians.get(e.order_id or ""),
                    since=e.since,
                    due_at=None,
                    reason=f"level {e.level} ({e.owner}) since {_clock(e.level_since)}: {e.reason}{ack}",
                    escalation_id=e.id,
                    trigger=e.trigger,
                    level=e.level,
                    owner=e.owner,
                    acknowledged=e.acknowledged_at is not None,
                    related=e.related,
                    reminders=reminders.get(e.order_id or "", 0),
                ),
            )
        )
    for w in standing:
        items.append(
            (
                (1, w.severity.rank, 0, w.since, w.order_id, w.code.value),
                QueueItem(
                    kind="warning",
                    code=w.code.value,
                    severity=w.severity,
                    order_id=w.order_id,
                    area_id=w.area_id,
                    technician_id=w.technician_id,
                    since=w.since,
                    due_at=w.due_at,
                    reason=w.reason,
                    review_id=w.review_id,
                    reminders=reminders.get(w.order_id, 0),
                ),
            )
        )
    items.sort(key=lambda kv: kv[0])
    return [item for _, item in items]


class ControlQueue(BaseModel):
    """A branch's control queue at ``now``: escalations first, then warnings (:func:`queue_items`)."""

    model_config = _frozen

    branch_id: str
    day: dt.date
    now: dt.datetime
    items: tuple[QueueItem, ...]
    #: items per code (``escalation.<trigger>`` or warning code)
    counts: dict[str, int]


class ControlReport(BaseModel):
    """What one evaluation (a tick) found and recorded."""

    model_config = _frozen

    branch_id: str
    #: the time asked for
    requested_at: dt.datetime
    #: the time evaluated: the control's clock never runs backwards, so an earlier request is
    #: evaluated at the branch's last evaluation instead
    evaluated_at: dt.datetime
    warnings: tuple[ControlWarning, ...]
    opened: tuple[Escalation, ...]
    level_ups: tuple[LevelUp, ...]


class Reschedule(BaseModel):
    """An approved reschedule: the order's new appointment, to be applied to the order (and to the
    dispatch day holding it)."""

    model_config = _frozen

    order_id: str
    review_id: int
    appointment: TimeWindow
    at: dt.datetime
    actor: str
    reason: str
