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
    AdditionalDeduction,
    AttendanceDay,
    DayStatus,
    LossDeduction,
    PayLine,
    PayOrder,
    PayTechnician,
    QualityRecord,
    TimeOffLot,
    YearToDate,
    make_line,
)
from payroll.law import FUNDS, IncomeTax, TaxBracket
from payroll.policy import BaseDeduction, BaseFill, MonthLaw, PayPolicy, RepeatFaultMode, WorkingTimeSystem
from vocabulary import calendar as cal
from vocabulary.money import to_fen
from vocabulary.orders import OrderType

_T = TypeVar("_T")
_WORKED = attrgetter("worked_minutes")
#: ``member.value`` of the policy's enums, for the per-technician paths: a dict lookup instead of
#: the enum's Python-level ``value`` property (~1 µs, 40,000 times a month)
ENUM_VALUES: dict[StrEnum, str] = {
    member: member.value
    for enum in (BaseDeduction, BaseFill, WorkingTimeSystem, RepeatFaultMode)
    for member in enum
}
ZERO = Decimal(0)
ONE = Decimal(1)
_MINUTES_PER_HOUR = Decimal(60)


class Category(StrEnum):
    """What a line is, for the law rules and the payslip's items.

    应发 (gross) = wage + overtime + bonus + allowance lines; 扣款 (deductions) = deduction lines;
    withheld: contribution and tax lines; 实发 (take-home) = the sum of all of them. Employer lines
    are costs beside the payslip.
    """

    WAGE = "wage"  # normal-hours pay: post wage, piece pay, minimum-wage top-up
    OVERTIME = "overtime"  # overtime pay (excluded from the minimum-wage comparison)
    BONUS = "bonus"  # bonus items and their cap
    ALLOWANCE = "allowance"  # allowances outside the minimum-wage comparison (high temperature, night)
    DEDUCTION = "deduction"  # penalties, loss deductions, their caps (at most 20% of the month's wage)
    CONTRIBUTION = "contribution"  # the employee's social insurance and housing fund, withheld
    TAX = "tax"  # individual income tax withheld
    EMPLOYER = "employer"  # the employer's contributions: costs, on the employer lines
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
    #: the law in force for the month in the policy's city (jurisdiction profile)
    law: MonthLaw
    #: days of the month (numbers) that are statutory holidays
    holiday_days: tuple[int, ...] = ()
    #: ``YYYY-MM-DD`` of every day (for the sources of pay lines)
    iso: tuple[str, ...] = ()

    @staticmethod
    def build(month: str, policy: PayPolicy) -> MonthCalendar:
        """Classify every day of ``month`` with the policy's jurisdiction profile.

        Raises
        ------
        NoPolicyInForce
            When the law the policy needs has no entry in force for the month.
        """
        law = policy.month_law(month)
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
        return MonthCalendar(month, first, last, dates, kinds, ends, work_days, minutes, law, holidays, iso)

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


#: The order in which the classes fill the base workload under ``base_fill = "ordinary_first"``:
#: ordinary time, then the cheapest overtime first (工资支付暂行规定 art. 13)
FILL_TIERS: tuple[OvertimeClass, ...] = (
    OvertimeClass.NORMAL,
    OvertimeClass.EXTENDED,
    OvertimeClass.REST_DAY,
    OvertimeClass.HOLIDAY,
)
TIER_OF: dict[OvertimeClass, int] = {klass: tier for tier, klass in enumerate(FILL_TIERS)}


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
    tier_minutes:
        Standard minutes done in each fill tier (:data:`FILL_TIERS`: ordinary time, 150 %, 200 %,
        300 %), for the pro-rata deduction.
    covered:
        Chronological mode: number of orders (in fill order) that fill the base workload completely.
    crossing:
        Chronological mode: ``(minutes beyond the base, standard minutes)`` of the order after the
        covered ones when it crosses the base workload (paid in part), else None.
    covering_ids:
        Chronological mode: ids of the orders that fill the base workload, in fill order, the
        crossing one (last) included.
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
    tier_minutes: tuple[int, int, int, int] = (0, 0, 0, 0)
    covered: int = 0
    crossing: tuple[int, int] | None = None
    covering_ids: list[str] = field(default_factory=list)
    piece_lines: list[PayLine] = field(default_factory=list)
    overtime_lines: list[PayLine] = field(default_factory=list)
    item_lines: list[PayLine] = field(default_factory=list)
    #: orders completed in the night window (night allowance), in completion order
    night_ids: list[str] = field(default_factory=list)
    #: overtime minutes counted day by day (extended, rest-day, holiday): the monthly limit's warning
    overtime_minutes: int = 0
    #: standard system: minutes of rest-day work to be compensated by time off in lieu
    comp_minutes: int = 0


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
    unpaid_leave_days: int = 0
    #: partial month: statutory holidays inside the employed part (paid days, 21.75-day convention)
    paid_holidays: int = 0
    unpaid_days: list[dt.date] = field(default_factory=list)
    #: share of the monthly wage paid (post wage, minimum wage): the 21.75-day convention
    month_share: Decimal = ONE
    #: share of the month's working days worked or on paid leave (period norm of the comprehensive system)
    work_share: Decimal = ONE
    base_minutes: int = 0
    done_minutes: int = 0
    excluded: dict[str, str] = field(default_factory=dict)  # order id -> reason
    #: the overtime class of every order (reference path; in completion order)
    classes: list[OvertimeClass] = field(default_factory=list)
    #: pro-rata mode: the paid share of the orders of each overtime class; chronological: None
    paid_shares: dict[OvertimeClass, Decimal] | None = None
    #: chronological mode: the orders that fill the base, in fill order (the crossing one last)
    covering_ids: list[str] = field(default_factory=list)
    #: chronological mode: the order that crosses the base (paid in part), if any
    crossing_id: str | None = None
    #: chronological mode: paid fraction of the crossing order (else None)
    crossing_fraction: Decimal | None = None
    grade: str = ""
    grade_multiplier: Decimal = ONE
    crossing_day: int | None = None
    #: lookups shared by every technician of one run (priced line terms), filled on first use
    shared: dict[object, object] = field(default_factory=dict)
    #: the order-level results computed for the whole month at once (:mod:`payroll.vectorised`);
    #: None: the rules derive them order by order
    fast: TechOrders | None = None
    #: the year's earlier months (income tax); None: the first month of the year with this employer
    year_to_date: YearToDate | None = None
    #: the special additional deductions declared for the month
    additional: list[AdditionalDeduction] = field(default_factory=list)
    #: the employer's contributions (costs beside the pay), filled by the contribution rules
    employer_lines: list[PayLine] = field(default_factory=list)
    #: the year to date after this month (income tax rule), for the payslip's summary
    year_to_date_after: dict[str, int] | None = None
    #: working days of sick leave in the month (employed)
    sick_days: list[dt.date] = field(default_factory=list)
    #: working days of time off in lieu taken in the month (employed)
    time_off_days: list[dt.date] = field(default_factory=list)
    #: standard system: minutes of rest-day work this month to be compensated by time off in lieu
    comp_minutes: int = 0
    #: time off in lieu owed from earlier months, oldest first
    time_off_lots: list[TimeOffLot] = field(default_factory=list)
    #: the balance after this month (time-off rule), for the payslip's summary
    time_off_after: list[dict[str, object]] | None = None

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
    """Post wage, minimum wage and base workload are pro-rated for days employed and leave.

    Policy: "Base workload: standard hours per month covered by the post wage, from the work-hour
    pool, pro-rated for days employed and leave." The wage follows the law's monthly pay-day
    convention (China: 月计薪天数 21.75, 劳社部发〔2008〕3号 / 人社部发〔2025〕2号: statutory holidays
    are paid days), see :func:`pay_share`. The base workload is scaled by working days:
    (working days employed − unpaid leave − paid leave) ÷ working days of the month, and the
    comprehensive system's period norm by ``work_share`` = (working days employed − unpaid leave)
    ÷ working days of the month.
    """
    calendar = ctx.calendar
    tech = ctx.tech
    ctx.full_month = tech.start_date <= calendar.first and (
        tech.end_date is None or tech.end_date >= calendar.last
    )
    work_days = calendar.work_days
    unpaid = ctx.unpaid_days
    holidays = 0
    if not ctx.full_month:
        unpaid.extend(day for day in work_days if not tech.employed_on(day))
        dates = calendar.dates
        holidays = sum(1 for dom in calendar.holiday_days if tech.employed_on(dates[dom]))
    paid_leave = unpaid_leave = 0
    kinds = calendar.kinds
    for record in ctx.leave:
        day = record.day
        if kinds[day.day] != "work" or not ctx.employed_on(day):
            continue
        status = record.status
        if status is DayStatus.UNPAID_LEAVE:
            unpaid.append(day)
            unpaid_leave += 1
        elif status is DayStatus.SICK_LEAVE:
            ctx.sick_days.append(day)
        elif status is DayStatus.TIME_OFF:  # a working day swapped for rest-day work: the base stays
            ctx.time_off_days.append(day)
        else:
            paid_leave += 1
    ctx.sick_days.sort()
    ctx.time_off_days.sort()
    unpaid.sort()
    total = len(work_days)
    paid = total - len(unpaid)
    ctx.paid_work_days, ctx.paid_leave_days, ctx.unpaid_leave_days = paid, paid_leave, unpaid_leave
    ctx.paid_holidays = holidays
    ctx.work_share = ONE if paid == total else quantity(Decimal(paid) / Decimal(total)) if total else ZERO
    full = ctx.full_month
    ctx.month_share = _per_run(
        ctx,
        ("pay_share", full, paid, holidays, unpaid_leave),
        lambda: pay_share(calendar.law.pay_days_per_month, full, paid + holidays, unpaid_leave),
    )
    if total:
        days = paid - paid_leave - len(ctx.sick_days)

        def base() -> int:
            scaled = Decimal(ctx.policy.base_workload_minutes * days) / Decimal(total)
            return int(scaled.quantize(ONE, rounding=ROUND_HALF_UP))

        # the same for every technician with as many days: computed once per run for each
        ctx.base_minutes = _per_run(ctx, ("base_minutes", days), base)


def pay_share(pay_days: Decimal, full_month: bool, paid_days: int, unpaid_leave: int) -> Decimal:
    """Share of the monthly wage due, by the monthly pay-day convention (China: 21.75 days).

    Daily wage = monthly wage ÷ ``pay_days`` (劳社部发〔2008〕3号, kept by 人社部发〔2025〕2号). A
    full month pays the month less one daily wage per day of unpaid leave. A partial month (a new
    hire or a leaver) pays one daily wage per paid day — the working days employed (less unpaid
    leave) *and the statutory holidays* inside the employed part — at most the full month.
    The share is quantised to 6 decimal places (half-up) and shown on the payslip.

    Examples (October 2026, leaver on the 9th: working days 8 and 9, holidays 1–3 October):
    5 ÷ 21.75 = 0.229885; × 4,350.00 = 1,000.00.
    """
    if full_month:
        if not unpaid_leave:
            return ONE
        return max(ZERO, quantity(ONE - Decimal(unpaid_leave) / pay_days))
    return min(ONE, quantity(Decimal(paid_days) / pay_days))


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


def classify_orders(ctx: TechMonth) -> None:
    """The overtime class of every order (see :func:`order_overtime_class`), before the base is filled.

    The class depends only on the day and on completion after the ordinary end of it, so it is
    worked out once per (day, late) pair. The fast path classifies month-wide instead.
    """
    if ctx.fast is not None:
        return
    ends = ctx.calendar.ordinary_end
    seen: dict[tuple[int, bool], OvertimeClass] = {}
    classes = ctx.classes
    for order in ctx.orders:
        at = order.completed_at
        when = (at.day, at > ends[at.day])
        klass = seen.get(when)
        if klass is None:
            klass = seen[when] = order_overtime_class(ctx, order)
        classes.append(klass)


def tier_minutes(ctx: TechMonth) -> tuple[int, int, int, int]:
    """Standard minutes done in each fill tier (:data:`FILL_TIERS`), from the classified orders."""
    if ctx.fast is not None:
        return ctx.fast.tier_minutes
    tiers = [0, 0, 0, 0]
    for klass, minutes in zip(ctx.classes, ctx.minutes, strict=True):
        tiers[TIER_OF[klass]] += minutes
    return tiers[0], tiers[1], tiers[2], tiers[3]


def paid_shares(base: int, tiers: Sequence[int], ordinary_first: bool) -> tuple[Decimal, ...]:
    """Pro-rata paid share of the orders of each fill tier, 6 decimal places, half-up.

    ``completion_order``: one share (done − base) ÷ done for every order. ``ordinary_first``: the
    base is taken out of the tiers in order (ordinary time first); the tier where it runs out pays
    (tier minutes − base left) ÷ tier minutes per order, earlier tiers nothing, later ones in full.
    """
    if not ordinary_first:
        done = sum(tiers)
        share = ZERO if done <= base else quantity(Decimal(done - base) / Decimal(done))
        return (share,) * len(tiers)
    left = base
    shares = []
    for minutes in tiers:
        if left >= minutes:
            shares.append(ZERO if minutes else ONE)
            left -= minutes
        elif left > 0:
            shares.append(quantity(Decimal(minutes - left) / Decimal(minutes)))
            left = 0
        else:
            shares.append(ONE)
    return tuple(shares)


def deduct_base_pro_rata(ctx: TechMonth) -> None:
    """Base workload deducted pro rata: the orders share the base evenly (within a fill tier).

    Policy ``base_deduction = "pro_rata"``: only work beyond the base workload earns piece rates.
    With ``base_fill = "ordinary_first"`` (the default) the base is taken out of ordinary-time
    orders first (工资支付暂行规定 art. 13: overtime pay for piece work once the quota is met), so
    each fill tier has its own share (:func:`paid_shares`); with ``"completion_order"`` every order
    pays (done − base) ÷ done. Shares are quantised to 6 decimal places (half-up) and shown.
    """
    tiers = tier_minutes(ctx)
    base = ctx.base_minutes
    ordinary_first = ctx.policy.base_fill is BaseFill.ORDINARY_FIRST
    # technicians with the same minutes per tier and base share the same shares: divided once per run
    ctx.paid_shares = _per_run(
        ctx,
        ("paid_shares", base, tiers, ordinary_first),
        lambda: dict(zip(FILL_TIERS, paid_shares(base, tiers, ordinary_first), strict=True)),
    )


def fill_order(ctx: TechMonth) -> list[int]:
    """Positions of the orders (completion order) in the order they fill the base workload.

    ``base_fill = "ordinary_first"``: ordinary-time orders first, then 150 %, 200 % and 300 % ones
    (:data:`FILL_TIERS`), each in completion order; ``"completion_order"``: completion order.
    """
    positions = list(range(len(ctx.orders)))
    if ctx.policy.base_fill is BaseFill.COMPLETION_ORDER:
        return positions
    classes = ctx.classes
    return sorted(positions, key=lambda i: TIER_OF[classes[i]])  # stable: completion order within a tier


def deduct_base_chronological(ctx: TechMonth) -> None:
    """Base workload deducted chronologically: orders after the base is reached earn piece pay.

    Policy ``base_deduction = "chronological"``: orders in fill order (:func:`fill_order`: by
    default ordinary-time orders first, 工资支付暂行规定 art. 13) fill the base workload and earn
    nothing; the order that crosses it is paid for the fraction of its standard minutes beyond the
    base (6 decimal places, half-up); every other order is paid in full.
    """
    if ctx.fast is not None:
        ctx.covering_ids = ctx.fast.covering_ids
        if ctx.fast.crossing is not None:
            ctx.crossing_id = ctx.fast.covering_ids[-1]
            # the same minutes beyond the base of an order as long give the same fraction: divided
            # once per run for each
            beyond, minutes = ctx.fast.crossing

            def fraction() -> Decimal:
                return quantity(Decimal(beyond) / Decimal(minutes))

            ctx.crossing_fraction = _per_run(ctx, ("crossing_fraction", beyond, minutes), fraction)
        return
    remaining = ctx.base_minutes
    covering = ctx.covering_ids
    for index in fill_order(ctx):
        if remaining <= 0:
            break
        minutes = ctx.minutes[index]
        order_id = ctx.orders[index].id
        covering.append(order_id)
        if remaining >= minutes:
            remaining -= minutes
        else:
            ctx.crossing_id = order_id
            ctx.crossing_fraction = quantity(Decimal(minutes - remaining) / Decimal(minutes))
            remaining = 0


BASE_DEDUCTIONS: dict[BaseDeduction, Callable[[TechMonth], None]] = {
    BaseDeduction.PRO_RATA: deduct_base_pro_rata,
    BaseDeduction.CHRONOLOGICAL: deduct_base_chronological,
}


def period_standard_hours(ctx: TechMonth) -> Decimal:
    """The comprehensive period's norm for this technician: monthly norm hours × work share.

    The monthly norm is the law's, in force for the month (China: 166.64 h = 20.83 days until
    2024, 劳社部发〔2008〕3号; 165.33 h = 20.67 days from 2025-01-01, 人社部发〔2025〕2号), times the
    share of the month's working days the technician was employed and not on unpaid leave
    (6 decimal places, half-up).
    """
    norm = ctx.calendar.law.working_time.norm_hours_per_month
    # the same for every technician with the same share of the month: computed once per run each
    return _per_run(ctx, ("period_standard_hours", ctx.work_share), lambda: quantity(norm * ctx.work_share))


def comprehensive_period_crossing(ctx: TechMonth) -> None:
    """Comprehensive system: find the day the period's norm hours were used up.

    Under the comprehensive working-time system overtime is counted over the period: the norm is
    :func:`period_standard_hours`; piece orders completed after the day the attendance total
    passes it (on that day: after the ordinary end of the day) are overtime orders. Statutory
    holidays are not counted here: work on them is paid at 300 % on its own.
    """
    standard = period_standard_hours(ctx) * _MINUTES_PER_HOUR
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


def time_off_accrual(ctx: TechMonth) -> None:
    """Standard system: the minutes of rest-day work marked ``comp_time_off`` earn time off in lieu."""
    if ctx.fast is not None:
        ctx.comp_minutes = ctx.fast.comp_minutes
        return
    if ctx.policy.working_time_system is not WorkingTimeSystem.STANDARD:
        return
    kinds, dates = ctx.calendar.kinds, ctx.calendar.dates
    ctx.comp_minutes = sum(
        record.worked_minutes
        for dom, record in ctx.attendance.items()
        if record.comp_time_off and kinds[dom] == "rest" and ctx.employed_on(dates[dom])
    )


def prepare(ctx: TechMonth) -> TechMonth:
    """Run the preparation rules that derive the figures the line rules price."""
    prorate_for_days_employed_and_leave(ctx)
    time_off_accrual(ctx)
    standard_minutes_done(ctx)
    quality_grade_multiplier(ctx)
    repeat_fault_handling(ctx)
    if ctx.policy.working_time_system is WorkingTimeSystem.COMPREHENSIVE:
        comprehensive_period_crossing(ctx)
    classify_orders(ctx)  # the base is filled by ordinary time first: classes come before the base
    BASE_DEDUCTIONS[ctx.policy.base_deduction](ctx)
    return ctx


def order_overtime_class(ctx: TechMonth, order: PayOrder) -> OvertimeClass:
    """When the order was done: normal time, extended hours, rest day or statutory holiday.

    China profile: statutory holiday → 300%. Standard system: rest day without time off in lieu →
    200%; a working day with more than 8 h worked and the order completed after the ordinary end
    of the day → 150%. Comprehensive system: after the period norm is used up → 150%.
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
            and record.worked_minutes > ctx.calendar.law.standard_day_minutes
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
    overtime = ctx.calendar.law.overtime
    if klass is OvertimeClass.NORMAL:
        return ONE
    if klass is OvertimeClass.EXTENDED:
        return overtime.extended_hours
    if klass is OvertimeClass.REST_DAY:
        return overtime.rest_day
    return overtime.statutory_holiday


# --------------------------------------------------------------------------- line rules

LineRule = Callable[[TechMonth, Sequence[PayLine]], list[PayLine]]


def post_wage(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Post wage: "the post wage is the guaranteed base", by post grade, pro-rated by paid days.

    quantity = the share of the month paid (:func:`pay_share`: 1 for a full month; paid days ÷
    21.75 for a partial one, statutory holidays in the employed part counting as paid days; a full
    month less 1 ÷ 21.75 per day of unpaid leave), rate = the post grade's monthly wage.
    """
    grade = ctx.tech.post_grade
    pay_days = ctx.calendar.law.pay_days_per_month
    priced = _per_run(
        ctx,
        ("post_wage", grade, ctx.month_share),
        lambda: PayLine.priced(
            "post_wage",
            "post_wage",
            f"post wage of grade {grade} × share of the month paid ({pay_days} paid days a month)",
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
    if not ctx.full_month:
        sources["paid_holidays"] = ctx.paid_holidays
    if not ctx.full_month or ctx.unpaid_leave_days:
        sources["pay_days_per_month"] = str(pay_days)
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
    sources["fill"] = ENUM_VALUES[ctx.policy.base_fill]
    if ctx.paid_shares is not None:
        sources["paid_shares"] = {klass.value: str(share) for klass, share in ctx.paid_shares.items()}
    else:
        sources["covering_order_ids"] = ctx.covering_ids
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
    shares = ctx.paid_shares
    crossing_id = ctx.crossing_id
    groups = sorted(_piece_groups(ctx).items())
    kpi_values = dict(ctx.quality.kpi_values) if ctx.quality is not None and ctx.quality.kpi_values else None
    out = []
    for key, ids in groups:
        terms = piece_terms(ctx, key)
        sources = {**terms.sources, "order_ids": ids}
        if shares is not None:
            share = shares[key[2]]
            qty = Decimal(len(ids)) * share
            sources["paid_share"] = str(share)
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


def _piece_groups(ctx: TechMonth) -> dict[tuple[OrderType, int, OvertimeClass], list[str]]:
    """Order by order: ids of the paid, non-excluded orders per (type, difficulty, class).

    Paid: chronological mode, not among the orders that fill the base (the crossing one is paid
    in part); pro-rata mode, of a class whose share is above zero.
    """
    groups: dict[tuple[OrderType, int, OvertimeClass], list[str]] = {}
    excluded = ctx.excluded
    covered = set(ctx.covering_ids)
    if ctx.crossing_id is not None:
        covered.discard(ctx.crossing_id)
    shares = ctx.paid_shares
    for order, klass in zip(ctx.orders, ctx.classes, strict=True):
        if order.id in excluded or order.id in covered or (shares is not None and not shares[klass]):
            continue
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
    """Hourly base for overtime = monthly post wage ÷ 21.75 days ÷ 8 hours (to 0.0001 CNY), never
    below the minimum wage's.

    China: 劳社部发〔2008〕3号, kept by 人社部发〔2025〕2号 — 日工资 = 月工资收入 ÷ 月计薪天数 (21.75);
    小时工资 = 日工资 ÷ 8 (the law in force for the month). The base of overtime pay is never below
    the local minimum wage: a post wage below it is raised to it first (:func:`minimum_wage`).
    """
    law = ctx.calendar.law
    wage = max(
        ctx.policy.post_wages[ctx.tech.post_grade],
        _per_run(ctx, "minimum_wage", lambda: minimum_wage(ctx))[0],
    )
    hours = Decimal(law.standard_day_minutes) / _MINUTES_PER_HOUR
    return derived_rate(wage / law.pay_days_per_month / hours)


def hours_of(ctx: TechMonth, minutes: int) -> Decimal:
    """Hours of ``minutes`` (6 decimal places, half-up), divided once per run for each value."""
    return _per_run(ctx, ("hours", minutes), lambda: quantity(Decimal(minutes) / _MINUTES_PER_HOUR))


def period_overtime(ctx: TechMonth) -> dict[str, object] | None:
    """Comprehensive system: the period's figures when the minutes worked pass its norm, else None.

    overtime hours = (minutes worked − norm hours × 60) ÷ 60, 6 decimal places half-up: 166 h
    against the 2025 norm of 165.33 h = 0.67 h. The figures depend only on the minutes worked and
    the work share: worked out once per run for each pair (the dict is shared, never changed).
    """
    standard = period_standard_hours(ctx)
    worked = ctx.period_worked

    def figures() -> dict[str, object] | None:
        over = Decimal(worked) - standard * _MINUTES_PER_HOUR
        if over <= 0:
            return None
        return {
            "period_worked_minutes": worked,
            "period_standard_hours": str(standard),
            "overtime_hours": str(quantity(over / _MINUTES_PER_HOUR)),
        }

    return _per_run(ctx, ("period_overtime", worked, standard), figures)


def overtime_hours(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Overtime hours on the post wage: extended hours 150%, rest day 200%, statutory holiday 300%.

    Labour Law art. 44. Standard system: minutes beyond 8 h on a working day at 150%; work on a rest
    day without time off in lieu at 200%; work on a statutory holiday at 300%. Comprehensive system:
    holiday work at 300%; the month's other minutes beyond the period norm (the law's monthly norm
    hours × work share, :func:`period_overtime`) at 150%. quantity = hours (6 decimal places),
    rate = hourly base.
    """
    if ctx.fast is not None:  # priced for the whole month at once by overtime_hours_month
        return ctx.fast.overtime_lines
    if not ctx.policy.pay_overtime_hours:
        return []
    standard_system = ctx.policy.working_time_system is WorkingTimeSystem.STANDARD
    classified = _overtime_by_day(ctx, standard_system)
    period = None if standard_system else period_overtime(ctx)
    if not classified and period is None:
        return []
    system = ENUM_VALUES[ctx.policy.working_time_system]
    out = []
    for klass in (OvertimeClass.EXTENDED, OvertimeClass.REST_DAY, OvertimeClass.HOLIDAY):
        sources: dict[str, object]
        if klass is OvertimeClass.EXTENDED and period is not None:
            hours = Decimal(cast(str, period["overtime_hours"]))
            sources = {"period": period}
        elif klass in classified:
            minutes, days = classified[klass]
            hours = hours_of(ctx, minutes)
            sources = {"minutes": minutes, "days": days}
        else:
            continue
        sources["system"] = system
        out.append(_with_sources(overtime_priced(ctx, klass, hours), sources))
    return out


def overtime_priced(ctx: TechMonth, klass: OvertimeClass, hours: Decimal) -> PayLine:
    """The figures of an overtime-hours line: they depend only on post grade, class and hours.

    Priced once per run for each (the sources are the technician's own).
    """
    grade = ctx.tech.post_grade

    def price() -> PayLine:
        law = ctx.calendar.law
        return PayLine.priced(
            "overtime_hours",
            f"overtime_hours:{klass.value}",
            f"overtime hours ({klass.value}) at the hourly base (post wage, at least the minimum "
            f"wage, ÷ {law.pay_days_per_month} ÷ {law.standard_day_minutes // 60})",
            hours,
            _per_run(ctx, ("hourly_base", grade), lambda: hourly_base(ctx)),
            ONE,
            overtime_multiplier(ctx, klass),
        )

    return _per_run(ctx, ("overtime_hours", grade, klass, hours), price)


def _overtime_by_day(
    ctx: TechMonth, standard_system: bool
) -> dict[OvertimeClass, tuple[int, dict[str, int]]]:
    """Record by record: per overtime class, its minutes and those of each day (``YYYY-MM-DD``, in order)."""
    day_limit = ctx.calendar.law.standard_day_minutes
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
    share = ctx.calendar.law.deduction_cap_share
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


# --------------------------------------------------------------------------- allowances and days not worked


def daily_wage(ctx: TechMonth) -> Decimal:
    """The daily wage: monthly post wage ÷ 21.75 (the law's pay days per month), to 0.0001 CNY."""
    grade = ctx.tech.post_grade
    pay_days = ctx.calendar.law.pay_days_per_month
    return _per_run(ctx, ("daily_wage", grade), lambda: derived_rate(ctx.policy.post_wages[grade] / pay_days))


def sick_leave_pay(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Sick leave: each sick working day pays the policy's share of the daily wage.

    quantity = sick days, rate = −daily wage (post wage ÷ 21.75), multiplier = 1 − ``sick_pay_share``:
    the part of the post wage not paid for those days. The law's floor (劳部发〔1995〕309号 art.
    59: sick pay not below 80 % of the local minimum wage) is applied by
    :func:`minimum_wage_top_up`, whose due amount counts the sick days at 80 %.
    """
    days = ctx.sick_days
    share = ctx.policy.allowances.sick_pay_share
    if not days or share == ONE:
        return []
    grade = ctx.tech.post_grade
    priced = _per_run(
        ctx,
        ("sick_leave", grade, len(days)),
        lambda: PayLine.priced(
            "sick_leave",
            "sick_leave",
            f"sick leave: {share * 100:.0f}% of the daily wage is paid",
            Decimal(len(days)),
            -daily_wage(ctx),
            ONE,
            ONE - share,
        ),
    )
    return [_with_sources(priced, {"days": list(map(dt.date.isoformat, days)), "sick_pay_share": str(share)})]


def _at_night(minute_of_day: int, start: int, end: int) -> bool:
    """Whether a time of day (minutes after midnight) is in the night window ``start``..``end``."""
    if start <= end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


def night_orders(ctx: TechMonth) -> list[str]:
    """Ids of the orders completed in the policy's night window, in completion order."""
    night = ctx.policy.allowances.night
    if night is None:
        return []
    if ctx.fast is not None:
        return ctx.fast.night_ids
    start, end = night.start.hour * 60 + night.start.minute, night.end.hour * 60 + night.end.minute
    return [
        o.id for o in ctx.orders if _at_night(o.completed_at.hour * 60 + o.completed_at.minute, start, end)
    ]


def night_allowance(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Night-work allowance: the policy's amount per order completed in its night window.

    Company policy (no national amount); an allowance outside the minimum-wage comparison
    (最低工资规定 art. 12: night-shift allowances are not part of the minimum wage).
    """
    night = ctx.policy.allowances.night
    ids = night_orders(ctx)
    if night is None or not ids:
        return []
    priced = _per_run(
        ctx,
        ("night_allowance", len(ids)),
        lambda: PayLine.priced(
            "night_allowance",
            "night_allowance",
            f"night work ({night.start:%H:%M}–{night.end:%H:%M}) per order",
            Decimal(len(ids)),
            night.amount_per_order,
        ),
    )
    return [_with_sources(priced, {"order_ids": ids})]


def high_temperature_allowance(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Summer high-temperature allowance for outdoor work, in the province's months and amount.

    防暑降温措施管理办法 (安监总安健〔2012〕89号) art. 17 and the province's figures in the
    jurisdiction profile. quantity = the share of the month paid (as the post wage), rate = the
    monthly amount. Outside the minimum-wage comparison (最低工资规定 art. 12).
    """
    law = ctx.calendar.law.high_temperature
    if (
        not ctx.policy.allowances.high_temperature
        or not ctx.tech.outdoor
        or law is None
        or ctx.calendar.first.month not in law.months
    ):
        return []
    priced = _per_run(
        ctx,
        ("high_temperature", ctx.month_share),
        lambda: PayLine.priced(
            "high_temperature_allowance",
            "high_temperature_allowance",
            "summer high-temperature allowance for outdoor work × share of the month",
            ctx.month_share,
            law.monthly_amount,
        ),
    )
    sources: dict[str, object] = {"months": list(law.months), "in_force_from": law.effective_from.isoformat()}
    return [_with_sources(priced, sources)]


def time_off_in_lieu(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Time off in lieu as a balance: rest-day work earns it, days off use it, unused minutes expire into pay.

    Standard system: the minutes of rest-day work marked ``comp_time_off`` are added to the balance
    (the month earned); each ``time_off`` day takes the standard day's minutes, oldest first. What
    is left of a month's minutes ``time_off_expires_after_months`` later is paid at the rest-day
    rate (Labour Law art. 44: 200 % when no time off is given): quantity = hours, rate = hourly
    base, multiplier = 200 %. Days off beyond the balance are shown (a warning line), not paid out.
    The balance after the month is on the payslip's summary (``time_off_balance``).
    """
    earned = [lot.earned_month for lot in ctx.time_off_lots]
    left = [lot.minutes for lot in ctx.time_off_lots]
    if ctx.comp_minutes:
        earned.append(ctx.calendar.month)
        left.append(ctx.comp_minutes)
    if not earned and not ctx.time_off_days:
        return []
    taking = len(ctx.time_off_days) * ctx.calendar.law.standard_day_minutes
    for at, minutes in enumerate(left):  # oldest first
        used = min(minutes, taking)
        left[at] -= used
        taking -= used
    months = ctx.policy.allowances.time_off_expires_after_months
    cutoff = _month_before(ctx.calendar.first, months)
    expired = [(month, m) for month, m in zip(earned, left, strict=True) if month <= cutoff and m]
    ctx.time_off_after = [
        {"earned_month": month, "minutes": m}
        for month, m in zip(earned, left, strict=True)
        if m and month > cutoff
    ]
    out = []
    if expired:
        minutes = sum(m for _, m in expired)
        priced = overtime_priced(ctx, OvertimeClass.REST_DAY, hours_of(ctx, minutes))
        rule, _, _, qty, rate, coefficient, multiplier, amount = LINE_FIGURES(priced)
        out.append(
            make_line(
                "time_off_expired",
                "time_off_expired",
                f"time off in lieu not taken within {months} months, paid at the rest-day rate",
                qty,
                rate,
                coefficient,
                multiplier,
                amount,
                {"minutes": minutes, "lots": {month: m for month, m in expired}},
            )
        )
    if taking:
        out.append(
            PayLine.priced(
                "time_off_beyond_balance",
                "time_off_beyond_balance",
                "time off in lieu taken beyond the balance (warning: check the attendance)",
                hours_of(ctx, taking),
                ZERO,
                sources={"minutes": taking, "days": list(map(dt.date.isoformat, ctx.time_off_days))},
            )
        )
    return out


def _month_before(first: dt.date, months: int) -> str:
    """``YYYY-MM`` of the month ``months`` before the month starting ``first``."""
    index = first.year * 12 + first.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def overtime_over_limit(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """A warning when the month's overtime passes the legal limit (Labour Law art. 41: 36 h a month).

    Overtime hours = extended hours (day by day, or the comprehensive period's excess), rest-day
    work without time off in lieu and holiday work. A zero-amount line says by how much; the
    payslip's summary lists the warning.
    """
    limit = ctx.calendar.law.overtime.monthly_limit_hours
    standard_system = ctx.policy.working_time_system is WorkingTimeSystem.STANDARD
    if ctx.fast is not None:
        minutes = ctx.fast.overtime_minutes
    else:
        minutes = sum(total for total, _ in _overtime_by_day(ctx, standard_system).values())
    hours = hours_of(ctx, minutes)
    if not standard_system:
        period = period_overtime(ctx)
        if period is not None:
            hours += Decimal(cast(str, period["overtime_hours"]))
    if hours <= limit:
        return []
    return [
        PayLine.priced(
            "overtime_over_limit",
            "overtime_over_limit",
            f"overtime beyond the legal {limit} h a month (warning)",
            hours,
            ZERO,
            sources={"overtime_hours": str(hours), "limit_hours": limit, "over_hours": str(hours - limit)},
        )
    ]


def minimum_wage(ctx: TechMonth) -> tuple[Decimal, str]:
    """The monthly minimum wage that applies and where it comes from.

    The city's statutory minimum wage in force for the month (jurisdiction profile); the policy's
    own ``minimum_wage`` when that is higher (a company may guarantee more, never less).
    """
    law = ctx.calendar.law
    statutory = law.minimum_wage
    assert statutory is not None  # PayPolicy.month_law requires it
    own = ctx.policy.minimum_wage
    if own is not None and own > statutory.monthly:
        return own, f"policy {ctx.policy.version} (above the statutory {statutory.monthly} of {law.city})"
    return statutory.monthly, f"{law.city}: {statutory.source} (in force from {statutory.effective_from})"


def minimum_wage_top_up(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Pay after deductions never below the local minimum wage: a top-up line when it falls short.

    Compared: normal pay after deductions — every line but overtime pay and allowances (最低工资规定
    art. 12: overtime pay and night, high-temperature … allowances are not part of the minimum wage)
    — against the monthly minimum wage (:func:`minimum_wage`) × the share of the month paid
    (21.75-day convention, as the post wage), sick days counted at the law's sick-pay floor (80 %,
    劳部发〔1995〕309号 art. 59).
    """
    basis = 0
    for li in lines:
        if RULE_CATEGORY[li.rule] in _MINIMUM_WAGE_BASIS:
            basis += li.amount_fen
    wage, source = _per_run(ctx, "minimum_wage", lambda: minimum_wage(ctx))
    sick = len(ctx.sick_days)
    law = ctx.calendar.law

    def due_share() -> Decimal:
        if not sick:
            return ctx.month_share
        off = (ONE - law.wage_protection.sick_pay_floor_share) * sick / law.pay_days_per_month
        return max(ZERO, quantity(ctx.month_share - off))

    share = _per_run(ctx, ("minimum_wage_share", ctx.month_share, sick), due_share)
    due = _per_run(ctx, ("minimum_wage", share), lambda: to_fen(wage * share))
    if basis >= due:
        return []
    return [
        PayLine.priced(
            "minimum_wage_top_up",
            "minimum_wage_top_up",
            f"top-up to the local minimum wage {wage} × share of the month",
            ONE,
            fen_as_yuan(due - basis),
            sources={
                "minimum_wage": str(wage),
                "minimum_wage_source": source,
                "month_share": str(share),
                **({"sick_days": sick} if sick else {}),
                "due_fen": due,
                "pay_before_top_up_fen": basis,
            },
        )
    ]


# --------------------------------------------------------------------------- take-home pay
# 应发 (gross) − 扣款 (deductions) − the employee's contributions − income tax = 实发 (take-home).
# The contributions and the tax are computed from the law in force for the month in the policy's
# city (jurisdiction profile); the employer's own contributions are costs beside the pay
# (``ctx.employer_lines``, the payslip's ``employer_lines``), never part of it.


def contribution_base(wage: Decimal | None, floor: Decimal, ceiling: Decimal) -> tuple[Decimal, str]:
    """The contribution base: the previous year's average monthly wage within [floor, ceiling].

    Without a previous year's wage (a new hire, or none given) the base is the floor. Returns the
    base and what it is (``wage``, ``floor`` or ``ceiling``) for the payslip.
    """
    if wage is None or wage <= floor:
        return floor, "floor"
    if wage >= ceiling:
        return ceiling, "ceiling"
    return wage, "wage"


#: what every line of one fund shares: rule, key, label and the signed rate (negative: withheld)
ContributionTerms = tuple[str, str, str, Decimal]


def _terms(
    rule: str, label: str, rates: Sequence[tuple[str, Decimal]], sign: Decimal
) -> tuple[ContributionTerms, ...]:
    return tuple((rule, f"{rule}:{fund}", f"{label}: {fund}", sign * rate) for fund, rate in rates if rate)


def contribution_terms(
    ctx: TechMonth, kind: str
) -> tuple[tuple[ContributionTerms, ...], tuple[ContributionTerms, ...], Decimal, Decimal]:
    """The employee's and the employer's line terms of ``social_insurance`` or ``housing_fund``
    (one per fund with a rate, in :data:`~payroll.law.FUNDS` order) and the base's floor and
    ceiling, from the law in force (and the policy's housing-fund rate)."""
    law = ctx.calendar.law
    if kind == "social_insurance":
        insurance = law.social_insurance
        assert insurance is not None  # PayPolicy.month_law requires it when withheld
        employee = [(fund, getattr(insurance.employee, fund)) for fund in FUNDS]
        employer = [(fund, getattr(insurance.employer, fund)) for fund in FUNDS]
        return (
            _terms("social_insurance", "social insurance, employee", employee, -ONE),
            _terms("employer_social_insurance", "social insurance, employer", employer, ONE),
            insurance.base_floor,
            insurance.base_ceiling,
        )
    fund = law.housing_fund
    assert fund is not None  # PayPolicy.month_law requires it when withheld
    rate = [("fund", ctx.policy.withholding.housing_fund_rate)]
    return (
        _terms("housing_fund", "housing fund, employee", rate, -ONE),
        _terms("employer_housing_fund", "housing fund, employer", rate, ONE),
        fund.base_floor,
        fund.base_ceiling,
    )


def _contributions(ctx: TechMonth, kind: str) -> list[PayLine]:
    """The employee's lines of one contribution (base × rate, withheld); the employer's go on
    ``ctx.employer_lines``. Priced once per run for each base."""
    employee, employer, floor, ceiling = _per_run(
        ctx, ("contribution_terms", kind), lambda: contribution_terms(ctx, kind)
    )
    base, basis = contribution_base(ctx.tech.previous_year_average_wage, floor, ceiling)

    def price() -> tuple[tuple[PayLine, ...], tuple[PayLine, ...]]:
        return tuple(PayLine.priced(r, k, lb, base, rate) for r, k, lb, rate in employee), tuple(
            PayLine.priced(r, k, lb, base, rate) for r, k, lb, rate in employer
        )

    own, theirs = _per_run(ctx, (kind, base), price)
    sources: dict[str, object] = {"base": str(base), "basis": basis, "city": ctx.calendar.law.city}
    ctx.employer_lines.extend(_with_sources(line, sources) for line in theirs)
    return [_with_sources(line, sources) for line in own]


def social_insurance(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Social insurance: the employee's pension, medical and unemployment contributions are withheld.

    Base = the previous year's average monthly wage within the city's floor and ceiling (the floor
    when none is given); each fund's line = base × the employee's rate, withheld (negative). The
    employer's contributions (pension, medical, unemployment, injury, maternity) go on the
    payslip's employer lines as costs. Rates, floor and ceiling: the city's entry in force for the
    month (jurisdiction profile, with its source). A technician employed on any day of the month
    contributes for the month (contributions are declared by month).
    """
    if not ctx.policy.withholding.social_insurance:
        return []
    return _contributions(ctx, "social_insurance")


def housing_fund(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Housing fund (住房公积金): the employee's contribution is withheld, the employer's is a cost.

    Base = the previous year's average monthly wage within the city's housing-fund floor and
    ceiling (the floor when none is given); rate = the policy's ``housing_fund_rate`` for both
    sides, within the city's range (checked with the policy).
    """
    if not ctx.policy.withholding.housing_fund:
        return []
    return _contributions(ctx, "housing_fund")


def tax_on(law: IncomeTax, taxable_fen: int) -> int:
    """Tax on a cumulative taxable income (fen) by the annual table: income × rate − quick deduction.

    The bracket is the first whose ``up_to`` the income does not exceed; the result is rounded to
    the fen with the one rounding rule. Nothing is due on an income of zero or less.
    """
    if taxable_fen <= 0:
        return 0
    income = fen_as_yuan(taxable_fen)
    bracket = next(b for b in law.brackets if b.up_to is None or income <= b.up_to)
    return to_fen(income * bracket.rate - bracket.quick_deduction)


def bracket_of(law: IncomeTax, taxable_fen: int) -> TaxBracket:
    """The bracket a cumulative taxable income (fen) falls in (the first for zero or less)."""
    income = fen_as_yuan(max(taxable_fen, 0))
    return next(b for b in law.brackets if b.up_to is None or income <= b.up_to)


def income_tax(ctx: TechMonth, lines: Sequence[PayLine]) -> list[PayLine]:
    """Individual income tax by the cumulative withholding method (累计预扣预缴).

    国家税务总局公告2018年第61号 art. 6: cumulative taxable income = cumulative income − 5,000 ×
    months employed this year − cumulative special deductions (the employee's social insurance and
    housing fund) − cumulative special additional deductions (declared per technician); tax this
    month = tax on that by the annual table − tax already withheld this year; a negative result is
    not refunded through pay (nothing is withheld; the annual settlement squares it). Income = the
    month's gross pay (应发: wage, overtime, bonus and allowance lines); penalties and loss
    deductions are taken after tax. The earlier months come from ``year_to_date`` (runs of the
    year read back); without it this is the first month of the year with this employer.
    """
    if not ctx.policy.withholding.income_tax:
        return []
    law = ctx.calendar.law.income_tax
    assert law is not None  # PayPolicy.month_law requires it when withheld
    gross = contributions = 0
    for line in lines:
        category = RULE_CATEGORY[line.rule]
        if category in _GROSS:
            gross += line.amount_fen
        elif category is Category.CONTRIBUTION:
            contributions -= line.amount_fen
    additional = sum(to_fen(d.monthly_amount) for d in ctx.additional)
    before = ctx.year_to_date
    months = 1 + (before.months if before else 0)
    basic = _per_run(ctx, ("basic_deduction", months), lambda: to_fen(law.monthly_basic_deduction) * months)
    income = gross + (before.income_fen if before else 0)
    special = contributions + (before.contributions_fen if before else 0)
    additional_total = additional + (before.additional_deductions_fen if before else 0)
    withheld = before.tax_fen if before else 0
    taxable = income - basic - special - additional_total
    cumulative_tax = tax_on(law, taxable)
    due = max(0, cumulative_tax - withheld)
    bracket = bracket_of(law, taxable)
    ctx.year_to_date_after = {
        "months": months,
        "income_fen": income,
        "contributions_fen": special,
        "additional_deductions_fen": additional_total,
        "tax_fen": withheld + due,
    }
    return [
        PayLine.priced(
            "income_tax",
            "income_tax",
            "individual income tax, cumulative withholding",
            ONE,
            -fen_as_yuan(due) if due else ZERO,
            sources={
                "month_income_fen": gross,
                "cumulative_income_fen": income,
                "cumulative_basic_deduction_fen": basic,
                "cumulative_contributions_fen": special,
                "cumulative_additional_deductions_fen": additional_total,
                "additional_deductions": {d.kind: str(d.monthly_amount) for d in ctx.additional},
                "cumulative_taxable_fen": taxable,
                "bracket_rate": str(bracket.rate),
                "quick_deduction": str(bracket.quick_deduction),
                "cumulative_tax_fen": cumulative_tax,
                "withheld_before_fen": withheld,
                "months": months,
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
        "sick_leave_pay", sick_leave_pay, "Sick days pay the policy's share of the daily wage.", Category.WAGE
    ),
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
        "time_off_in_lieu",
        time_off_in_lieu,
        "Time off in lieu not taken in time is paid at the rest-day rate.",
        Category.OVERTIME,
    ),
    RuleSpec(
        "night_allowance",
        night_allowance,
        "Orders done at night earn the night allowance.",
        Category.ALLOWANCE,
    ),
    RuleSpec(
        "high_temperature_allowance",
        high_temperature_allowance,
        "Outdoor work in the summer months earns the high-temperature allowance.",
        Category.ALLOWANCE,
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
    RuleSpec(
        "overtime_over_limit",
        overtime_over_limit,
        "Overtime beyond 36 hours a month is flagged.",
        Category.INFO,
    ),
    RuleSpec(
        "social_insurance",
        social_insurance,
        "The employee's social insurance is withheld; the employer's is a cost.",
        Category.CONTRIBUTION,
    ),
    RuleSpec(
        "housing_fund",
        housing_fund,
        "The employee's housing fund is withheld; the employer's is a cost.",
        Category.CONTRIBUTION,
    ),
    RuleSpec(
        "income_tax",
        income_tax,
        "Income tax is withheld by the cumulative method.",
        Category.TAX,
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
    "sick_leave": Category.WAGE,
    "time_off_expired": Category.OVERTIME,
    "time_off_beyond_balance": Category.INFO,
    "night_allowance": Category.ALLOWANCE,
    "high_temperature_allowance": Category.ALLOWANCE,
    "overtime_over_limit": Category.INFO,
    "social_insurance": Category.CONTRIBUTION,
    "housing_fund": Category.CONTRIBUTION,
    "income_tax": Category.TAX,
    "employer_social_insurance": Category.EMPLOYER,
    "employer_housing_fund": Category.EMPLOYER,
}

_GROSS = frozenset({Category.WAGE, Category.OVERTIME, Category.BONUS, Category.ALLOWANCE})
_GROSS_RULES = frozenset(rule for rule, category in RULE_CATEGORY.items() if category in _GROSS)
#: the rules whose lines are gross pay (应发): wage, overtime, bonus and allowance lines
GROSS_RULES = _GROSS_RULES
_DEDUCTION_RULES = frozenset(
    rule for rule, category in RULE_CATEGORY.items() if category is Category.DEDUCTION
)
_OVERTIME_RULES = frozenset(rule for rule, category in RULE_CATEGORY.items() if category is Category.OVERTIME)
#: what the minimum wage is compared with: normal pay after deductions (no overtime pay,
#: allowances, contributions or tax)
_MINIMUM_WAGE_BASIS = frozenset({Category.WAGE, Category.BONUS, Category.DEDUCTION, Category.INFO})


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
