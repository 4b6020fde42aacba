"""The pay rules: one named function per rule, each producing itemised pay lines.

``monthly pay = post wage + piece-rate wage + individual bonuses/penalties``, then the law.
Every rule reads a :class:`TechMonth` (one technician's month, with the derived figures it needs)
and the lines produced so far, and returns new :class:`~payroll.domain.PayLine` objects whose amount
is ``to_fen(quantity × rate × coefficient × multiplier)``. :data:`RULES` lists them in the order they
run, with a sentence each and the category that the law rules (20% cap, minimum wage) look at.

The two base-workload deductions are explicit policy choices, each its own function:
:func:`deduct_base_pro_rata` and :func:`deduct_base_chronological`.

This module is the reference: it walks each technician's orders and days one by one. The
month-wide fast path (:mod:`payroll.vectorised`) builds on it — it fills :class:`TechOrders` and
prices its lines with the same :func:`piece_terms`, :func:`overtime_priced` and
:func:`item_priced` — and this module imports nothing from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from operator import attrgetter
from typing import TypeVar, cast

from payroll.domain import (
    LINE_FIGURES,
    QUANTITY_PLACES,
    RATE_PLACES,
    AttendanceDay,
    DayStatus,
    LossDeduction,
    PayLine,
    PayOrder,
    PayTechnician,
    QualityRecord,
    make_line,
)
from payroll.policy import BaseDeduction, PayPolicy, RepeatFaultMode, WorkingTimeSystem
from vocabulary import calendar as cal
from vocabulary.money import to_fen
from vocabulary.orders import OrderType

_T = TypeVar("_T")
_WORKED = attrgetter("worked_minutes")
#: ``member.value`` of the policy's enums, for the per-technician paths: a dict lookup instead of
#: the enum's Python-level ``value`` property (~1 µs, 40,000 times a month)
ENUM_VALUES: dict[StrEnum, str] = {
    member: member.value for enum in (BaseDeduction, WorkingTimeSystem, RepeatFaultMode) for member in enum
}
ZERO = Decimal(0)
ONE = Decimal(1)
_MINUTES_PER_HOUR = Decimal(60)


class Category(StrEnum):
    """What a line is, for the law rules: wage, overtime, bonus, deduction or information."""

    WAGE = "wage"  # normal-hours pay: post wage, piece pay, minimum-wage top-up
    OVERTIME = "overtime"  # overtime pay (excluded from the minimum-wage comparison)
    BONUS = "bonus"  # bonus items and their cap
    DEDUCTION = "deduction"  # penalties, loss deductions, their caps (at most 20% of the month's wage)
    INFO = "info"  # zero-amount lines that explain (base workload, unpaid repeat orders)


def quantity(value: Decimal) -> Decimal:
    """Quantise a derived quantity to :data:`~payroll.domain.QUANTITY_PLACES` (half-up)."""
    return value.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)


def derived_rate(value: Decimal) -> Decimal:
    """Quantise a derived rate to :data:`~payroll.domain.RATE_PLACES` (half-up)."""
    return value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def fen_as_yuan(fen: int) -> Decimal:
    """Exact yuan of an integer fen amount (for lines whose rate is a computed amount)."""
    return Decimal(fen).scaleb(-2)


@dataclass(frozen=True)
class MonthCalendar:
    """The month's days as the jurisdiction classifies them, and the policy's lookup tables (once per run).

    Lists are indexed by day of the month (index 0 unused) so the per-order work is a list lookup.
    """

    month: str
    first: dt.date
    last: dt.date
    dates: tuple[dt.date, ...]
    kinds: tuple[str, ...]
    #: per day: the end of the ordinary working day (orders completed later may be overtime)
    ordinary_end: tuple[dt.datetime, ...]
    work_days: tuple[dt.date, ...]
    #: the policy's standard minutes keyed by (order type, difficulty): one lookup per order
    standard_minutes: dict[tuple[OrderType, int], int]
    #: days of the month (numbers) that are statutory holidays
    holiday_days: tuple[int, ...] = ()
    #: ``YYYY-MM-DD`` of every day (for the sources of pay lines)
    iso: tuple[str, ...] = ()

    @staticmethod
    def build(month: str, policy: PayPolicy) -> MonthCalendar:
        """Classify every day of ``month`` with the policy's jurisdiction profile."""
        first, last = cal.month_bounds(month)
        dates = (first, *cal.days(first, last))  # index 0 is a placeholder
        kinds = ("work", *(policy.profile.day_kind(day) for day in dates[1:]))
        ends = tuple(dt.datetime.combine(day, policy.ordinary_day_end) for day in dates)
        work_days = tuple(day for day, kind in zip(dates[1:], kinds[1:], strict=True) if kind == "work")
        minutes = {
            (ot, level): m
            for ot, by_level in policy.standard_minutes.items()
            for level, m in by_level.items()
        }
        holidays = tuple(dom for dom in range(1, len(dates)) if kinds[dom] == "holiday")
        iso = tuple(day.isoformat() for day in dates)
        return MonthCalendar(month, first, last, dates, kinds, ends, work_days, minutes, holidays, iso)

    def kind(self, day: dt.date) -> str:
        """``work``, ``rest`` or ``holiday`` for a day of this month (``work`` outside it)."""
        if self.first <= day <= self.last:
            return self.kinds[day.day]
        return "work"


class OvertimeClass(StrEnum):
    """When an order was done, for overtime pay of piece-rate work."""

    NORMAL = "normal"
    EXTENDED = "extended_150"
    REST_DAY = "rest_day_200"
    HOLIDAY = "holiday_300"


@dataclass(slots=True)
class TechOrders:
    """What the month-wide fast path derived for one technician in place of the per-order walk.

    :mod:`payroll.vectorised` fills it (the rules read it, and never walk ``TechMonth.orders``,
    when a month has it); the figures are exactly those the per-order rules would derive.

    Attributes
    ----------
    count:
        Number of the technician's orders in the month.
    done_minutes:
        Standard minutes of all the orders.
    excluded:
        Orders the repeat-fault policy leaves unpaid, in completion order.
    covered:
        Chronological mode: number of orders (from the first) that fill the base workload completely.
    crossing:
        Chronological mode: ``(minutes beyond the base, standard minutes)`` of the order after the
        covered ones when it crosses the base workload (paid in part), else None.
    covering_ids:
        Chronological mode: ids of the orders that fill the base workload, the crossing one included.
    piece_lines:
        The technician's piece-pay lines, priced month-wide by :func:`payroll.vectorised.piece_pay_month`.
    overtime_lines:
        The technician's overtime-hours lines, priced month-wide by
        :func:`payroll.vectorised.overtime_hours_month`.
    item_lines:
        The technician's bonus and penalty item lines, priced month-wide by
        :func:`payroll.vectorised.bonus_and_penalty_items_month`.
    """

    count: int
    done_minutes: int
    excluded: list[PayOrder]
    covered: int = 0
    crossing: tuple[int, int] | None = None
    covering_ids: list[str] = field(default_factory=list)
    piece_lines: list[PayLine] = field(default_factory=list)
    overtime_lines: list[PayLine] = field(default_factory=list)
    item_lines: list[PayLine] = field(default_factory=list)


@dataclass(slots=True)
class TechMonth:
    """One technician's month: inputs, policy and the figures derived from them.

    ``orders`` are in completion order (ties by id); ``attendance`` is keyed by day of the month.
    On the month-wide fast path ``orders`` and ``attendance`` stay empty: what the rules derive
    from them is in ``fast`` instead.
    """

    tech: PayTechnician
    policy: PayPolicy
    calendar: MonthCalendar
    orders: list[PayOrder]
    attendance: dict[int, AttendanceDay]
    quality: QualityRecord | None
    losses: list[LossDeduction]
    #: the attendance records with a leave status (found while grouping the attendance)
    leave: list[AttendanceDay] = field(default_factory=list)
    # derived by prepare()
    full_month: bool = True
    #: comprehensive system: minutes worked on days other than statutory holidays
    period_worked: int = 0
    minutes: list[int] = field(default_factory=list)
    paid_work_days: int = 0
    paid_leave_days: int = 0
    unpaid_days: list[dt.date] = field(default_factory=list)
    month_share: Decimal = ONE
    base_minutes: int = 0
    done_minutes: int = 0
    excluded: dict[str, str] = field(default_factory=dict)  # order id -> reason
    #: pro-rata mode: the paid share of every order; chronological: None
    paid_share: Decimal | None = None
    #: chronological mode: orders before this index fill the base and earn nothing
    paid_from: int = 0
    #: chronological mode: paid fraction of ``orders[paid_from]`` when it crosses the base (else None)
    crossing_fraction: Decimal | None = None
    grade: str = ""
    grade_multiplier: Decimal = ONE
    crossing_day: int | None = None
    #: lookups shared by every technician of one run (priced line terms), filled on first use
    shared: dict[object, object] = field(default_factory=dict)
    #: the order-level results computed for the whole month at once (:mod:`payroll.vectorised`);
    #: None: the rules derive them order by order
    fast: TechOrders | None = None

    def employed_on(self, day: dt.date) -> bool:
        """Whether the technician is employed on ``day``."""
        return self.full_month or self.tech.employed_on(day)


def _per_run(ctx: TechMonth, key: Hashable, make: Callable[[], _T]) -> _T:
    """``make()`` once per run for ``key`` (kept in ``ctx.shared``): figures that every technician
    with the same inputs shares — priced lines, shares, fractions, wording — are worked out for the
    first of them only."""
    shared = ctx.shared
    if key in shared:
        return cast(_T, shared[key])
    value = shared[key] = make()
    return value


# --------------------------------------------------------------------------- preparation rules


def prorate_for_days_employed_and_leave(ctx: TechMonth) -> None:
    """Post wage and base workload are pro-rated for days employed and leave.

    Policy: "Base workload: standard hours per month covered by the post wage, from the work-hour
    pool, pro-rated for days employed and leave." Paid days = working days employed minus unpaid
    leave; the month share (paid ÷ working days of the month) scales the post wage and the minimum
    wage; the base workload is scaled by (paid days − paid leave days) ÷ working days.
    """
    calendar = ctx.calendar
    tech = ctx.tech
    ctx.full_month = tech.start_date <= calendar.first and (
        tech.end_date is None or tech.end_date >= calendar.last
    )
    work_days = calendar.work_days
    unpaid = ctx.unpaid_days
    if not ctx.full_month:
        unpaid.extend(day for day in work_days if not tech.employed_on(day))
    paid_leave = 0
    kinds = calendar.kinds
    for record in ctx.leave:
        day = record.day
        if kinds[day.day] != "work" or not ctx.employed_on(day):
            continue
        if record.status is DayStatus.UNPAID_LEAVE:
            unpaid.append(day)
        else:
            paid_leave += 1
    unpaid.sort()
    total = len(work_days)
    paid = total - len(unpaid)
    ctx.paid_work_days, ctx.paid_leave_days = paid, paid_leave
    ctx.month_share = ONE if paid == total else quantity(Decimal(paid) / Decimal(total)) if total else ZERO
    if total:
        days = paid - paid_leave

        def base() -> int:
            scaled = Decimal(ctx.policy.base_workload_minutes * days) / Decimal(total)
            return int(scaled.quantize(ONE, rounding=ROUND_HALF_UP))

        # the same for every technician with as many days: computed once per run for each
        ctx.base_minutes = _per_run(ctx, ("base_minutes", days), base)


def standard_minutes_done(ctx: TechMonth) -> None:
    """Standard minutes of each order: its own (from the work-hour pool), else the policy's table."""
    if ctx.fast is not None:
        ctx.done_minutes = ctx.fast.done_minutes
        return
    table = ctx.calendar.standard_minutes
    # an order's own minutes are > 0 when given (checked on input), so `or` falls back only on None
    ctx.minutes = [o.standard_minutes or table[o.order_type, o.difficulty] for o in ctx.orders]
    ctx.done_minutes = sum(ctx.minutes)


def quality_grade_multiplier(ctx: TechMonth) -> None:
    """The quality grade sets the piece-pay multiplier: "unit prices are linked to the quality grade".

    The grade comes from the KPI scorecard (or is given); a technician without a KPI row gets the
    policy's ``default_grade``.
    """
    grade = ctx.quality.grade if ctx.quality is not None else ctx.policy.default_grade
    ctx.grade = grade
    ctx.grade_multiplier = ctx.policy.grade_multipliers[grade]


def repeat_fault_handling(ctx: TechMonth) -> None:
    """Repeat faults: "an order whose fault recurs within N days is paid once, or clawed back".

    ``paid_once``: a repeat visit (an order with ``repeat_of``) earns no piece pay, the fault was
    paid once already. ``claw_back``: an order whose fault recurred within the window earns no
    piece pay (if it was paid in an earlier month, re-running that month recovers it as a negative
    retro correction). The time of either still counts toward the base workload: it was worked.
    """
    policy = ctx.policy.repeat_fault
    excluded = ctx.excluded
    # the month-wide pass already picked the excluded orders: only they need their reason
    orders = ctx.orders if ctx.fast is None else ctx.fast.excluded
    if policy.mode is RepeatFaultMode.PAID_ONCE:
        for order in orders:
            if order.repeat_of is not None:
                excluded[order.id] = f"repeat visit of order {order.repeat_of}: the fault is paid once"
        return
    window = policy.window_days
    # the reason depends only on the days and the window: worded once per run for each
    reasons: dict[int, str] = _per_run(ctx, ("claw_back_reasons", window), dict)
    for order in orders:
        days = order.repeat_fault_within_days
        if days is not None and days <= window:
            reason = reasons.get(days)
            if reason is None:
                reason = reasons[days] = (
                    f"fault recurred after {days} days (within {window}): piece pay clawed back"
                )
            excluded[order.id] = reason


def deduct_base_pro_rata(ctx: TechMonth) -> None:
    """Base workload deducted pro rata: every order pays the share (done − base) ÷ done.

    Policy ``base_deduction = "pro_rata"``: only work beyond the base workload earns piece rates,
    and the base is spread evenly over all of the month's orders. The share is quantised to
    6 decimal places (half-up) and shown on the payslip.
    """
    done, base = ctx.done_minutes, ctx.base_minutes
    if done <= base:
        ctx.paid_share = ZERO
        return
    # technicians with the same minutes done and base have the same share: divided once per run
    ctx.paid_share = _per_run(
        ctx, ("paid_share", done, base), lambda: quantity(Decimal(done - base) / Decimal(done))
    )


def deduct_base_chronological(ctx: TechMonth) -> None:
    """Base workload deducted chronologically: orders after the base is reached earn piece pay.

    Policy ``base_deduction = "chronological"``: orders in completion order (ties by id) fill the
    base workload first and earn nothing; the order that crosses it is paid for the fraction of its
    standard minutes beyond the base (6 decimal places, half-up); every later order is paid in full.
    """
    if ctx.fast is not None:
        ctx.paid_from = ctx.fast.covered
        if ctx.fast.crossing is not None:
            # the same minutes beyond the base of an order as long give the same fraction: divided
            # once per run for each
            beyond, minutes = ctx.fast.crossing

            def fraction() -> Decimal:
                return quantity(Decimal(beyond) / Decimal(minutes))

            ctx.crossing_fraction = _per_run(ctx, ("crossing_fraction", beyond, minutes), fraction)
        return
    remaining = ctx.base_minutes
    index = 0
    for minutes in ctx.minutes:
        if remaining <= 0:
            break
        if remaining >= minutes:
            remaining -= minutes
            index += 1
        else:
            ctx.crossing_fraction = quantity(Decimal(minutes - remaining) / Decimal(minutes))
            remaining = 0
    ctx.paid_from = index


BASE_DEDUCTIONS: dict[BaseDeduction, Callable[[TechMonth], None]] = {
    BaseDeduction.PRO_RATA: deduct_base_pro_rata,
    BaseDeduction.CHRONOLOGICAL: deduct_base_chronological,
}


def period_standard_minutes(ctx: TechMonth) -> int:
    """Standard minutes of the comprehensive period for this technician (20.83 × 480 × month share)."""
    # the same for every technician with the same share of the month: computed once per run each
    profile = ctx.policy.profile

    def minutes() -> int:
        value = profile.work_days_per_month * profile.standard_day_minutes * ctx.month_share
        return int(value.quantize(ONE, rounding=ROUND_HALF_UP))

    return _per_run(ctx, ("period_standard_minutes", ctx.month_share), minutes)


def comprehensive_period_crossing(ctx: TechMonth) -> None:
    """Comprehensive system: find the day the period's standard hours were used up.

    Under the comprehensive working-time system overtime is counted over the period: the period
    standard is ``work_days_per_month × 8 h`` (China: 20.83 days) times the month share; piece
    orders completed after the day the attendance total passes it (on that day: after the ordinary
    end of the day) are overtime orders.
    """
    standard = period_standard_minutes(ctx)
    attendance = ctx.attendance
    if ctx.full_month:
        worked = sum(map(_WORKED, attendance.values()))
        holidays = [attendance[d] for d in ctx.calendar.holiday_days if d in attendance]
        ctx.period_worked = worked - sum(map(_WORKED, holidays))
    else:
        dates, kinds = ctx.calendar.dates, ctx.calendar.kinds
        ctx.period_worked = sum(
            record.worked_minutes
            for dom, record in attendance.items()
            if kinds[dom] != "holiday" and ctx.tech.employed_on(dates[dom])
        )
    if ctx.period_worked <= standard:
        return
    kinds = ctx.calendar.kinds
    total = 0
    for dom in sorted(attendance):
        if kinds[dom] == "holiday":
            continue
        if not ctx.full_month and not ctx.tech.employed_on(ctx.calendar.dates[dom]):
            continue
        total += attendance[dom].worked_minutes
        if total > standard:
            ctx.crossing_day = dom
            return


def prepare(ctx: TechMonth) -> TechMonth:
    """Run the preparation rules that derive the figures the line rules price."""
    prorate_for_days_employed_and_leave(ctx)
    standard_minutes_done(ctx)
    quality_grade_multiplier(ctx)
    repeat_fault_handling(ctx)
    BASE_DEDUCTIONS[ctx.policy.base_deduction](ctx)
    if ctx.policy.working_time_system is WorkingTimeSystem.COMPREHENSIVE:
        comprehensive_period_crossing(ctx)
    return ctx


def order_overtime_class(ctx: TechMonth, order: PayOrder) -> OvertimeClass:
    """When the order was done: normal time, extended hours, rest day or statutory holiday.

    China profile: statutory holiday → 300%. Standard system: rest day without time off in lieu →
    200%; a working day with more than 8 h worked and the order completed after the ordinary end
    of the day → 150%. Comprehensive system: after the period standard is used up → 150%.
    """
    at = order.completed_at
    dom = at.day
    kind = ctx.calendar.kinds[dom]
    if kind == "holiday":
        return OvertimeClass.HOLIDAY
    if ctx.policy.working_time_system is WorkingTimeSystem.STANDARD:
        record = ctx.attendance.get(dom)
        if kind == "rest":
            return (
                OvertimeClass.NORMAL
                if record is not None and record.comp_time_off
                else OvertimeClass.REST_DAY
            )
        if (
            record is not None
            and record.worked_minutes > ctx.policy.profile.standard_day_minutes
            and at > ctx.calendar.ordinary_end[dom]
        ):
            return OvertimeClass.EXTENDED
        return OvertimeClass.NORMAL
    crossing = ctx.crossing_day
    if crossing is not None and (dom > crossing or (dom == crossing and at > ctx.calendar.ordinary_end[dom])):
        return OvertimeClass.EXTENDED
    return OvertimeClass.NORMAL


def overtime_multiplier(ctx: TechMonth, klass: OvertimeClass) -> Decimal:
    """The jurisdiction's multiplier for an overtime class (1 for normal time)."""
    profile = ctx.policy.profile
    if klass is OvertimeClass.NORMAL:
        return ONE
    if klass is OvertimeClass.EXTENDED:
        return profile.extended_hours
    if klass is OvertimeClass.REST_DAY:
        return profile.rest_day
    return profile.statutory_holiday


# --------------------------------------------------------------------------- line rules

LineRule = Callable[[TechMonth, Sequence[PayLine]], list[PayLine]]


def post_wage(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Post wage: "the post wage is the guaranteed base", by post grade, pro-rated by paid days.

    quantity = paid working days ÷ working days of the month (1 for a full month), rate = the post
    grade's monthly wage.
    """
    grade = ctx.tech.post_grade
    priced = _per_run(
        ctx,
        ("post_wage", grade, ctx.month_share),
        lambda: PayLine.priced(
            "post_wage",
            "post_wage",
            f"post wage of grade {grade} × share of the month worked",
            ctx.month_share,
            ctx.policy.post_wages[grade],
        ),
    )
    sources: dict[str, object] = {
        "post_grade": grade,
        "paid_work_days": ctx.paid_work_days,
        "month_work_days": len(ctx.calendar.work_days),
        "unpaid_days": list(map(dt.date.isoformat, ctx.unpaid_days)),
    }
    return [_with_sources(priced, sources)]


def base_workload(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Base workload: "only work beyond it earns piece rates" (zero-amount line that explains).

    quantity = the base workload in standard minutes covered by the post wage; amount 0.
    """
    mode = ctx.policy.base_deduction
    sources: dict[str, object] = {
        "mode": ENUM_VALUES[mode],
        "base_minutes": ctx.base_minutes,
        "done_minutes": ctx.done_minutes,
        "full_month_base_minutes": ctx.policy.base_workload_minutes,
        "paid_leave_days": ctx.paid_leave_days,
    }
    if mode is BaseDeduction.PRO_RATA:
        sources["paid_share"] = str(ctx.paid_share)
    else:
        covering = ctx.paid_from + (1 if ctx.crossing_fraction is not None else 0)
        sources["covering_order_ids"] = (
            ctx.fast.covering_ids if ctx.fast is not None else [o.id for o in ctx.orders[:covering]]
        )
    # the line's figures depend only on the base minutes: priced once per run for each value
    priced = _per_run(
        ctx,
        ("base_workload", ctx.base_minutes),
        lambda: PayLine.priced(
            "base_workload",
            "base_workload",
            f"base workload covered by the post wage ({mode.value} deduction)",
            Decimal(ctx.base_minutes),
            ZERO,
        ),
    )
    return [_with_sources(priced, sources)]


def repeat_fault_unpaid(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Orders left unpaid by the repeat-fault policy, shown with multiplier 0 (amount 0)."""
    if not ctx.excluded:
        return []
    groups: dict[tuple[OrderType, int], list[str]] = {}
    for order in ctx.orders if ctx.fast is None else ctx.fast.excluded:
        if order.id in ctx.excluded:
            groups.setdefault((order.order_type, order.difficulty), []).append(order.id)
    out = []
    for (order_type, difficulty), ids in sorted(groups.items()):
        priced = _repeat_fault_priced(ctx, order_type, difficulty, len(ids))
        out.append(_with_sources(priced, {"order_ids": ids, "reasons": {i: ctx.excluded[i] for i in ids}}))
    return out


def _repeat_fault_priced(ctx: TechMonth, order_type: OrderType, difficulty: int, count: int) -> PayLine:
    """The figures of a repeat-fault line: they depend only on type, difficulty and count (once per run)."""
    policy = ctx.policy
    return _per_run(
        ctx,
        ("repeat_fault_unpaid", order_type, difficulty, count),
        lambda: PayLine.priced(
            "repeat_fault_unpaid",
            f"repeat_fault_unpaid:{order_type.value}:{difficulty}",
            f"{order_type.value} orders (difficulty {difficulty}) not paid: repeat fault "
            f"({policy.repeat_fault.mode.value})",
            Decimal(count),
            policy.unit_prices[order_type],
            policy.difficulty_coefficients[difficulty],
            ZERO,
        ),
    )


def piece_pay(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Piece pay = Σ over paid orders of unit price × difficulty coefficient × quality multiplier.

    Orders are grouped by type, difficulty and overtime class; quantity = paid order-equivalents
    (1 per order beyond the base, a fraction for the pro-rata share or the order crossing the base).
    "For piece-rate workers the multiplier applies to the piece price of orders done in overtime
    once the quota is met": overtime groups carry multiplier = quality × 150/200/300% (rule
    ``piece_pay_overtime``).
    """
    if ctx.fast is not None:  # priced for the whole month at once by piece_pay_month
        return ctx.fast.piece_lines
    share = ctx.paid_share
    if share is not None and share == ZERO:
        return []
    start = 0 if share is not None else ctx.paid_from
    crossing_id = ctx.orders[start].id if share is None and ctx.crossing_fraction is not None else None
    groups = sorted(_piece_groups(ctx, start).items())
    kpi_values = dict(ctx.quality.kpi_values) if ctx.quality is not None and ctx.quality.kpi_values else None
    share_text = str(share)
    out = []
    for key, ids in groups:
        terms = piece_terms(ctx, key)
        sources = {**terms.sources, "order_ids": ids}
        if share is not None:
            qty = Decimal(len(ids)) * share
            sources["paid_share"] = share_text
            # rate × coefficient × multiplier is exact in Decimal: qty × factor = qty × rate × coef × mult
            amount = to_fen(qty * terms.factor)
        elif crossing_id is not None and ids[0] == crossing_id:
            assert ctx.crossing_fraction is not None
            qty = Decimal(len(ids) - 1) + ctx.crossing_fraction
            sources["partially_paid"] = {crossing_id: str(ctx.crossing_fraction)}
            amount = to_fen(qty * terms.factor)
        else:
            priced = terms.amounts.get(len(ids))
            if priced is None:  # n whole orders of one group price the same line: once per run
                qty = Decimal(len(ids))
                priced = terms.amounts[len(ids)] = (qty, to_fen(qty * terms.factor))
            qty, amount = priced
        if kpi_values:
            sources["kpi_values"] = kpi_values
        out.append(
            make_line(
                terms.rule,
                terms.key,
                terms.label,
                qty,
                terms.rate,
                terms.coefficient,
                terms.multiplier,
                amount,
                sources,
            )
        )
    return out


def _piece_groups(ctx: TechMonth, start: int) -> dict[tuple[OrderType, int, OvertimeClass], list[str]]:
    """Order by order: ids of the paid, non-excluded orders from ``start`` per (type, difficulty, class)."""
    groups: dict[tuple[OrderType, int, OvertimeClass], list[str]] = {}
    excluded = ctx.excluded
    ends = ctx.calendar.ordinary_end
    # the overtime class depends only on the day and on completion after the ordinary end of it
    classes: dict[tuple[int, bool], OvertimeClass] = {}
    for order in ctx.orders[start:]:
        if order.id in excluded:
            continue
        at = order.completed_at
        when = (at.day, at > ends[at.day])
        klass = classes.get(when)
        if klass is None:
            klass = classes[when] = order_overtime_class(ctx, order)
        key = (order.order_type, order.difficulty, klass)
        ids = groups.get(key)
        if ids is None:
            groups[key] = [order.id]
        else:
            ids.append(order.id)
    return groups


@dataclass(frozen=True, slots=True)
class PieceTerms:
    """What every piece line of one (type, difficulty, overtime class, grade) shares (cached per run)."""

    rule: str
    key: str
    label: str
    rate: Decimal
    coefficient: Decimal
    multiplier: Decimal
    factor: Decimal
    sources: dict[str, object]
    #: quantity and amount in fen of a line of n whole orders, by n (filled on first use)
    amounts: dict[int, tuple[Decimal, int]] = field(default_factory=dict)


def piece_terms(ctx: TechMonth, group: tuple[OrderType, int, OvertimeClass]) -> PieceTerms:
    """What every piece line of ``group`` and the technician's grade shares (once per run)."""
    return _per_run(ctx, ("piece", *group, ctx.grade), lambda: _price_piece_terms(ctx, group))


def _price_piece_terms(ctx: TechMonth, group: tuple[OrderType, int, OvertimeClass]) -> PieceTerms:
    order_type, difficulty, klass = group
    policy = ctx.policy
    ot = overtime_multiplier(ctx, klass)
    rule = "piece_pay" if klass is OvertimeClass.NORMAL else "piece_pay_overtime"
    label = f"{order_type.value} orders, difficulty {difficulty}, grade {ctx.grade}"
    if klass is not OvertimeClass.NORMAL:
        label += f", overtime {klass.value}"
    rate = policy.unit_prices[order_type]
    coefficient = policy.difficulty_coefficients[difficulty]
    multiplier = ctx.grade_multiplier * ot
    return PieceTerms(
        rule,
        f"{rule}:{order_type.value}:{difficulty}:{klass.value}",
        label,
        rate,
        coefficient,
        multiplier,
        rate * coefficient * multiplier,
        {
            "quality_grade": ctx.grade,
            "quality_multiplier": str(ctx.grade_multiplier),
            "overtime": klass.value,
            "overtime_multiplier": str(ot),
        },
    )


def hourly_base(ctx: TechMonth) -> Decimal:
    """Hourly base for overtime = monthly post wage ÷ 21.75 days ÷ 8 hours (to 0.0001 CNY).

    China: 劳社部发〔2008〕3号 — 日工资 = 月工资收入 ÷ 月计薪天数 (21.75); 小时工资 = 日工资 ÷ 8.
    """
    profile = ctx.policy.profile
    wage = ctx.policy.post_wages[ctx.tech.post_grade]
    hours = Decimal(profile.standard_day_minutes) / _MINUTES_PER_HOUR
    return derived_rate(wage / profile.pay_days_per_month / hours)


def overtime_hours(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Overtime hours on the post wage: extended hours 150%, rest day 200%, statutory holiday 300%.

    Labour Law art. 44. Standard system: minutes beyond 8 h on a working day at 150%; work on a rest
    day without time off in lieu at 200%; work on a statutory holiday at 300%. Comprehensive system:
    holiday work at 300%; the month's other minutes beyond the period standard (20.83 days × 8 h ×
    month share) at 150%. quantity = hours (minutes ÷ 60, 6 decimal places), rate = hourly base.
    """
    if ctx.fast is not None:  # priced for the whole month at once by overtime_hours_month
        return ctx.fast.overtime_lines
    if not ctx.policy.pay_overtime_hours:
        return []
    standard_system = ctx.policy.working_time_system is WorkingTimeSystem.STANDARD
    classified = _overtime_by_day(ctx, standard_system)
    period: dict[str, int] | None = None
    if not standard_system:
        standard = period_standard_minutes(ctx)
        if ctx.period_worked > standard:  # computed by comprehensive_period_crossing
            period = {
                "period_worked_minutes": ctx.period_worked,
                "period_standard_minutes": standard,
                "overtime_minutes": ctx.period_worked - standard,
            }
    if not classified and period is None:
        return []
    system = ENUM_VALUES[ctx.policy.working_time_system]
    out = []
    for klass in (OvertimeClass.EXTENDED, OvertimeClass.REST_DAY, OvertimeClass.HOLIDAY):
        sources: dict[str, object]
        if klass is OvertimeClass.EXTENDED and period is not None:
            minutes = period["overtime_minutes"]
            sources = {"minutes": minutes, "period": period}
        elif klass in classified:
            minutes, days = classified[klass]
            sources = {"minutes": minutes, "days": days}
        else:
            continue
        sources["system"] = system
        out.append(_with_sources(overtime_priced(ctx, klass, minutes), sources))
    return out


def overtime_priced(ctx: TechMonth, klass: OvertimeClass, minutes: int) -> PayLine:
    """The figures of an overtime-hours line: they depend only on post grade, class and minutes.

    Priced once per run for each (the sources are the technician's own).
    """
    grade = ctx.tech.post_grade

    def price() -> PayLine:
        profile = ctx.policy.profile
        return PayLine.priced(
            "overtime_hours",
            f"overtime_hours:{klass.value}",
            f"overtime hours ({klass.value}) at the hourly base (post wage ÷ "
            f"{profile.pay_days_per_month} ÷ {profile.standard_day_minutes // 60})",
            quantity(Decimal(minutes) / _MINUTES_PER_HOUR),
            _per_run(ctx, ("hourly_base", grade), lambda: hourly_base(ctx)),
            ONE,
            overtime_multiplier(ctx, klass),
        )

    return _per_run(ctx, ("overtime_hours", grade, klass, minutes), price)


def _overtime_by_day(
    ctx: TechMonth, standard_system: bool
) -> dict[OvertimeClass, tuple[int, dict[str, int]]]:
    """Record by record: per overtime class, its minutes and those of each day (``YYYY-MM-DD``, in order)."""
    day_limit = ctx.policy.profile.standard_day_minutes
    kinds = ctx.calendar.kinds
    buckets: dict[OvertimeClass, dict[int, int]] = {}
    attendance = ctx.attendance
    # comprehensive system: only holidays are looked at day by day (the rest is the period total)
    days = attendance if standard_system else [d for d in ctx.calendar.holiday_days if d in attendance]
    for dom in days:
        record = attendance[dom]
        worked = record.worked_minutes
        if worked <= 0 or not (ctx.full_month or ctx.tech.employed_on(ctx.calendar.dates[dom])):
            continue
        kind = kinds[dom]
        if kind == "holiday":
            buckets.setdefault(OvertimeClass.HOLIDAY, {})[dom] = worked
        elif kind == "rest":
            if not record.comp_time_off:
                buckets.setdefault(OvertimeClass.REST_DAY, {})[dom] = worked
        elif worked > day_limit:
            buckets.setdefault(OvertimeClass.EXTENDED, {})[dom] = worked - day_limit
    iso = ctx.calendar.iso
    return {
        klass: (sum(by_day.values()), {iso[d]: by_day[d] for d in sorted(by_day)})
        for klass, by_day in buckets.items()
    }


def _with_sources(line: PayLine, sources: dict[str, object]) -> PayLine:
    """A copy of a priced line (figures shared by many payslips) with this payslip's sources."""
    rule, key, label, qty, rate, coefficient, multiplier, amount = LINE_FIGURES(line)
    return make_line(rule, key, label, qty, rate, coefficient, multiplier, amount, sources)


def _count_items(ctx: TechMonth) -> dict[str, list[str]]:
    """Order by order: the ids of each item's occurrences (items in the order of ``ITEM_NAMES``)."""
    window = ctx.policy.repeat_fault.window_days
    counts: dict[str, list[str]] = {
        "praise": [],
        "complaint": [],
        "repeat_fault": [],
        "missed_appointment": [],
    }
    for order in ctx.orders:
        if order.praise:
            counts["praise"].append(order.id)
        if order.complaint:
            counts["complaint"].append(order.id)
        if order.repeat_fault_within_days is not None and order.repeat_fault_within_days <= window:
            counts["repeat_fault"].append(order.id)
        if order.appointment_kept is False:
            counts["missed_appointment"].append(order.id)
    return counts


def bonus_and_penalty_items(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Bonuses and penalties per item (praise, complaint, repeat fault, missed appointment).

    "Bonuses/penalties pull on single items": quantity = occurrences, rate = the item's amount
    (positive for a bonus, negative for a penalty).
    """
    if ctx.fast is not None:  # priced for the whole month at once by bonus_and_penalty_items_month
        return ctx.fast.item_lines
    items = ctx.policy.items
    if not items:
        return []
    out = []
    for name, ids in _count_items(ctx).items():
        item = items.get(name)
        if item is None or not ids:
            continue
        out.append(_with_sources(item_priced(ctx, name, len(ids)), {"item": name, "order_ids": ids}))
    return out


def item_priced(ctx: TechMonth, name: str, count: int) -> PayLine:
    """The figures of an item line: the same count of an item prices the same line (once per run)."""
    item = ctx.policy.items[name]
    return _per_run(
        ctx,
        ("item", name, count),
        lambda: PayLine.priced(
            "bonus_item" if item.amount >= 0 else "penalty_item",
            f"item:{name}",
            item.label or name.replace("_", " "),
            Decimal(count),
            item.amount,
        ),
    )


def bonus_and_penalty_caps(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Caps on items: bonuses add at most ``bonus_cap``, penalties take at most ``penalty_cap`` a month.

    The excess is taken back (bonus) or given back (penalty) by a line of quantity 1.
    """
    out = []
    bonus = penalty = 0
    for li in lines:
        rule = li.rule
        if rule == "bonus_item":
            bonus += li.amount_fen
        elif rule == "penalty_item":
            penalty -= li.amount_fen
    bonus_cap_fen, penalty_cap_fen = _item_caps_fen(ctx)
    cap = ctx.policy.bonus_cap
    if cap is not None and bonus_cap_fen is not None and bonus > bonus_cap_fen:
        excess = bonus - bonus_cap_fen
        out.append(
            PayLine.priced(
                "bonus_cap",
                "bonus_cap",
                f"bonus items capped at {cap} a month",
                ONE,
                -fen_as_yuan(excess),
                sources={"bonus_items_fen": bonus, "cap": str(cap)},
            )
        )
    cap = ctx.policy.penalty_cap
    if cap is not None and penalty_cap_fen is not None and penalty > penalty_cap_fen:
        excess = penalty - penalty_cap_fen
        out.append(
            PayLine.priced(
                "penalty_cap",
                "penalty_cap",
                f"penalty items capped at {cap} a month",
                ONE,
                fen_as_yuan(excess),
                sources={"penalty_items_fen": penalty, "cap": str(cap)},
            )
        )
    return out


def _item_caps_fen(ctx: TechMonth) -> tuple[int | None, int | None]:
    """The bonus and penalty caps in fen (None: no cap), converted once per run."""
    policy = ctx.policy
    return _per_run(
        ctx,
        "item_caps_fen",
        lambda: (
            None if policy.bonus_cap is None else to_fen(policy.bonus_cap),
            None if policy.penalty_cap is None else to_fen(policy.penalty_cap),
        ),
    )


def loss_deductions(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Deductions for losses the technician caused (compensation), one line each, negative."""
    return [
        PayLine.priced(
            "loss_deduction",
            f"loss_deduction:{index}:{loss.reference}",
            f"compensation for loss: {loss.reason}",
            ONE,
            -loss.amount,
            sources={"reason": loss.reason, "reference": loss.reference},
        )
        for index, loss in enumerate(ctx.losses, start=1)
    ]


def deductions_at_most_20_percent(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Deductions at most 20% of the month's wage (工资支付暂行规定 art. 16, China profile).

    The month's wage = wage + overtime + bonus lines; deductions = penalties and loss deductions
    (after their own cap). The excess over the allowed share is given back by a line of quantity 1.
    """
    wage = deducted = 0
    for li in lines:
        rule = li.rule
        if rule in _GROSS_RULES:
            wage += li.amount_fen
        elif rule in _DEDUCTION_RULES:
            deducted -= li.amount_fen
    if deducted <= 0:  # nothing to cap (the allowed share is never negative)
        return []
    share = ctx.policy.profile.loss_deduction_cap_share
    allowed = max(0, to_fen(fen_as_yuan(wage) * share))
    if deducted <= allowed:
        return []
    excess = deducted - allowed
    return [
        PayLine.priced(
            "deduction_cap",
            "deduction_cap",
            f"deductions limited to {share * 100:.0f}% of the month's wage",
            ONE,
            fen_as_yuan(excess),
            sources={"month_wage_fen": wage, "deductions_fen": deducted, "allowed_fen": allowed},
        )
    ]


def minimum_wage_top_up(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Pay after deductions never below the local minimum wage: a top-up line when it falls short.

    Compared: every line except overtime pay (the minimum wage is for normal working hours) against
    the policy's monthly minimum wage × the share of the month worked.
    """
    basis = 0
    for li in lines:
        if li.rule not in _OVERTIME_RULES:
            basis += li.amount_fen
    due = _per_run(
        ctx, ("minimum_wage", ctx.month_share), lambda: to_fen(ctx.policy.minimum_wage * ctx.month_share)
    )
    if basis >= due:
        return []
    return [
        PayLine.priced(
            "minimum_wage_top_up",
            "minimum_wage_top_up",
            f"top-up to the local minimum wage {ctx.policy.minimum_wage} × share of the month",
            ONE,
            fen_as_yuan(due - basis),
            sources={
                "minimum_wage": str(ctx.policy.minimum_wage),
                "month_share": str(ctx.month_share),
                "due_fen": due,
                "pay_before_top_up_fen": basis,
            },
        )
    ]


@dataclass(frozen=True)
class RuleSpec:
    """A registered line rule: its function, the sentence it enforces and the category of its lines."""

    name: str
    function: LineRule
    sentence: str
    category: Category


#: Every line rule, in the order they run (later rules see the lines of earlier ones).
RULES: tuple[RuleSpec, ...] = (
    RuleSpec("post_wage", post_wage, "The post wage is the guaranteed base.", Category.WAGE),
    RuleSpec(
        "base_workload", base_workload, "Only work beyond the base workload earns piece rates.", Category.INFO
    ),
    RuleSpec(
        "repeat_fault_unpaid",
        repeat_fault_unpaid,
        "A repeated fault is paid once or clawed back.",
        Category.INFO,
    ),
    RuleSpec(
        "piece_pay", piece_pay, "Unit price × difficulty × quality multiplier per paid order.", Category.WAGE
    ),
    RuleSpec(
        "overtime_hours",
        overtime_hours,
        "Overtime at 150% / 200% / 300% of the hourly base.",
        Category.OVERTIME,
    ),
    RuleSpec(
        "bonus_and_penalty_items", bonus_and_penalty_items, "Bonuses and penalties per item.", Category.BONUS
    ),
    RuleSpec(
        "bonus_and_penalty_caps",
        bonus_and_penalty_caps,
        "Bonuses and penalties are capped per month.",
        Category.BONUS,
    ),
    RuleSpec(
        "loss_deductions", loss_deductions, "Losses the technician caused are deducted.", Category.DEDUCTION
    ),
    RuleSpec(
        "deductions_at_most_20_percent",
        deductions_at_most_20_percent,
        "Deductions take at most 20% of the month's wage.",
        Category.DEDUCTION,
    ),
    RuleSpec(
        "minimum_wage_top_up",
        minimum_wage_top_up,
        "Pay after deductions is never below the local minimum wage.",
        Category.WAGE,
    ),
)

#: Category of every line rule name (a rule function may emit lines under several names).
RULE_CATEGORY: dict[str, Category] = {
    "post_wage": Category.WAGE,
    "base_workload": Category.INFO,
    "repeat_fault_unpaid": Category.INFO,
    "piece_pay": Category.WAGE,
    "piece_pay_overtime": Category.OVERTIME,
    "overtime_hours": Category.OVERTIME,
    "bonus_item": Category.BONUS,
    "bonus_cap": Category.BONUS,
    "penalty_item": Category.DEDUCTION,
    "penalty_cap": Category.DEDUCTION,
    "loss_deduction": Category.DEDUCTION,
    "deduction_cap": Category.DEDUCTION,
    "minimum_wage_top_up": Category.WAGE,
}

_GROSS = frozenset({Category.WAGE, Category.OVERTIME, Category.BONUS})
_GROSS_RULES = frozenset(rule for rule, category in RULE_CATEGORY.items() if category in _GROSS)
_DEDUCTION_RULES = frozenset(
    rule for rule, category in RULE_CATEGORY.items() if category is Category.DEDUCTION
)
_OVERTIME_RULES = frozenset(rule for rule, category in RULE_CATEGORY.items() if category is Category.OVERTIME)


_FUNCTION = attrgetter("function")


def line_rules(ctx: TechMonth) -> list[PayLine]:
    """Run every rule of :data:`RULES` in order on a prepared month; return all lines."""
    lines: list[PayLine] = []
    extend = lines.extend
    for function in map(_FUNCTION, RULES):
        extend(function(ctx, lines))
    return lines


def apply_rules(ctx: TechMonth) -> list[PayLine]:
    """Run :func:`prepare` and then every rule of :data:`RULES` in order; return all lines."""
    prepare(ctx)
    return line_rules(ctx)
