"""Compute a month's payslips: per technician, the rules of :mod:`payroll.rules` in order.

``compute_month(inputs, policy) -> list[Payslip]`` is pure and deterministic: the same inputs and
policy always give the same payslips (sorted by technician id, lines in rule order, groups sorted).
Money is :class:`~decimal.Decimal` in computation and integer fen on the lines; :func:`assert_no_float`
enforces that no float ever reached a payslip.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import compress
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from payroll.domain import (
    AdditionalDeduction,
    AttendanceDay,
    DayStatus,
    LossDeduction,
    PayInputs,
    PayLine,
    PayOrder,
    Payslip,
    PayTechnician,
    QualityRecord,
    TimeOffLot,
    employment_rule,
)
from payroll.errors import PayInputError
from payroll.policy import BaseDeduction, BaseFill, PayPolicy, WorkingTimeSystem
from payroll.rules import (
    ENUM_VALUES,
    RULE_CATEGORY,
    Category,
    MonthCalendar,
    OvertimeClass,
    TechMonth,
    deduct_base_chronological,
    deduct_base_pro_rata,
    line_rules,
    period_standard_hours,
    prepare,
    prorate_for_days_employed_and_leave,
    quality_grade_multiplier,
    repeat_fault_handling,
    standard_minutes_done,
    time_off_accrual,
)
from payroll.tables import AttendanceTable, OrderTable
from payroll.vectorised import (
    CLASSES,
    NIGHT,
    MonthAttendance,
    MonthOrders,
    OrderColumns,
    bonus_and_penalty_items_month,
    group_paid_orders,
    month_attendance,
    month_line_rules,
    order_classes,
    overtime_days,
    overtime_hours_month,
    period_crossing,
    piece_pay_month,
    sort_orders,
    tier_minutes,
)
from vocabulary.calendar import month_bounds
from vocabulary.errors import Problem
from vocabulary.money import fen_to_yuan
from vocabulary.orders import DIFFICULTY_LEVELS, OrderType

_ORDER_KEY = attrgetter("completed_at", "id")
#: the statuses of days the preparation rules look at one by one (leave, sick leave, time off)
_LEAVE = frozenset({DayStatus.PAID_LEAVE, DayStatus.UNPAID_LEAVE, DayStatus.SICK_LEAVE, DayStatus.TIME_OFF})


def check_inputs(inputs: PayInputs, policy: PayPolicy) -> list[Problem]:
    """Cross-check in-memory inputs against each other and the policy (no file or row known).

    :mod:`payroll.io` runs the same checks with file and row numbers; this is for callers that
    build :class:`PayInputs` themselves (the database loader, tests).
    """
    return _check_inputs(inputs, policy, OrderColumns(inputs.orders, month_bounds(inputs.month)[0]))


def _check_inputs(
    inputs: PayInputs, policy: PayPolicy, columns: OrderColumns, tech_index: dict[str, int] | None = None
) -> list[Problem]:
    """:func:`check_inputs` on columns shared with the sort (``tech_index``: the employed technicians)."""
    problems: list[Problem] = []
    techs: dict[str, Any] = {}
    for index, tech in enumerate(inputs.technicians, start=1):
        if tech.id in techs:
            problems.append(
                Problem("technician_id", "technician ids must be unique", tech.id, index, "technicians")
            )
        techs[tech.id] = tech
        if tech.post_grade not in policy.post_wages:
            problems.append(
                Problem(
                    "post_grade",
                    f"post grade must be one of {sorted(policy.post_wages)}",
                    tech.post_grade,
                    index,
                    "technicians",
                )
            )
    first, last = month_bounds(inputs.month)
    if not _orders_look_fine(columns, techs, first, last, tech_index):
        problems.extend(_order_problems(inputs, techs, first, last))
    for index, record in enumerate(inputs.quality, start=1):
        if record.technician_id not in techs:
            problems.append(
                Problem(
                    "technician_id", "KPI row of an unknown technician", record.technician_id, index, "kpi"
                )
            )
        if record.grade not in policy.grade_multipliers:
            problems.append(
                Problem("grade", f"grade must be one of {list(policy.grades)}", record.grade, index, "kpi")
            )
    attendance = AttendanceTable.from_days(inputs.attendance)  # the columns (a table is kept as it is)
    tech_of_day = set(attendance.technician_ids)
    minutes = set(attendance.worked_minutes.tolist())
    if not tech_of_day <= techs.keys() or (minutes and not 0 <= min(minutes) <= max(minutes) <= 24 * 60):
        for index, day in enumerate(attendance, start=1):
            if day.technician_id not in techs:
                problems.append(
                    Problem(
                        "technician_id",
                        "attendance of an unknown technician",
                        day.technician_id,
                        index,
                        "attendance",
                    )
                )
            if not 0 <= day.worked_minutes <= 24 * 60:
                problems.append(
                    Problem(
                        "worked_minutes",
                        "minutes worked in a day must be in 0..1440",
                        day.worked_minutes,
                        index,
                        "attendance",
                    )
                )
    problems += _take_home_problems(inputs, policy, techs)
    for index, loss in enumerate(inputs.losses, start=1):
        if loss.technician_id not in techs:
            problems.append(
                Problem(
                    "technician_id",
                    "deduction of an unknown technician",
                    loss.technician_id,
                    index,
                    "deductions",
                )
            )
        if loss.amount < 0:
            problems.append(
                Problem(
                    "amount", "a loss deduction is a positive amount", str(loss.amount), index, "deductions"
                )
            )
    return problems


def _take_home_problems(inputs: PayInputs, policy: PayPolicy, techs: dict[str, Any]) -> list[Problem]:
    """Checks of the take-home inputs: previous year's wages, year to date, declared deductions."""
    problems: list[Problem] = []
    for index, tech in enumerate(inputs.technicians, start=1):
        wage = tech.previous_year_average_wage
        if wage is not None and wage < 0:
            problems.append(
                Problem(
                    "previous_year_average_wage",
                    "an average monthly wage is >= 0",
                    str(wage),
                    index,
                    "technicians",
                )
            )
    first, _ = month_bounds(inputs.month)
    seen: set[str] = set()
    for index, ytd in enumerate(inputs.year_to_date, start=1):
        if ytd.technician_id not in techs:
            problems.append(
                Problem(
                    "technician_id",
                    "year-to-date row of an unknown technician",
                    ytd.technician_id,
                    index,
                    "year_to_date",
                )
            )
        elif ytd.technician_id in seen:
            problems.append(
                Problem(
                    "technician_id",
                    "one year-to-date row per technician",
                    ytd.technician_id,
                    index,
                    "year_to_date",
                )
            )
        seen.add(ytd.technician_id)
        if not 0 <= ytd.months < first.month:
            problems.append(
                Problem(
                    "months",
                    f"the months of {first.year} before {inputs.month}: 0..{first.month - 1}",
                    ytd.months,
                    index,
                    "year_to_date",
                )
            )
        for name in ("income_fen", "contributions_fen", "additional_deductions_fen", "tax_fen"):
            if getattr(ytd, name) < 0:
                problems.append(
                    Problem(name, "year-to-date amounts are >= 0", getattr(ytd, name), index, "year_to_date")
                )
    for index, lot in enumerate(inputs.time_off_balance, start=1):
        if lot.technician_id not in techs:
            problems.append(
                Problem(
                    "technician_id",
                    "time-off balance of an unknown technician",
                    lot.technician_id,
                    index,
                    "time_off_balance",
                )
            )
        if not (len(lot.earned_month) == 7 and lot.earned_month < inputs.month):
            problems.append(
                Problem(
                    "earned_month",
                    f"a month YYYY-MM before {inputs.month}",
                    lot.earned_month,
                    index,
                    "time_off_balance",
                )
            )
        if lot.minutes <= 0:
            problems.append(
                Problem("minutes", "minutes owed are > 0", lot.minutes, index, "time_off_balance")
            )
    tax = policy.month_law(inputs.month).income_tax
    kinds = tax.additional_deduction_kinds if tax is not None else {}
    declared: set[tuple[str, str]] = set()
    for index, item in enumerate(inputs.additional_deductions, start=1):
        if item.technician_id not in techs:
            problems.append(
                Problem(
                    "technician_id",
                    "special additional deduction of an unknown technician",
                    item.technician_id,
                    index,
                    "additional_deductions",
                )
            )
        if kinds and item.kind not in kinds:
            problems.append(
                Problem(
                    "kind",
                    f"must be one of the jurisdiction's special additional deductions ({', '.join(kinds)})",
                    item.kind,
                    index,
                    "additional_deductions",
                )
            )
        if (item.technician_id, item.kind) in declared:
            problems.append(
                Problem(
                    "kind",
                    "one row per technician and kind (add the amounts up)",
                    item.kind,
                    index,
                    "additional_deductions",
                )
            )
        declared.add((item.technician_id, item.kind))
        if item.monthly_amount < 0 or item.monthly_amount.as_tuple().exponent < -2:  # type: ignore[operator]
            problems.append(
                Problem(
                    "monthly_amount",
                    "a monthly amount is >= 0 yuan with at most 2 decimal places",
                    str(item.monthly_amount),
                    index,
                    "additional_deductions",
                )
            )
    return problems


def _orders_look_fine(
    columns: OrderColumns,
    techs: dict[str, Any],
    first: dt.date,
    last: dt.date,
    tech_index: dict[str, int] | None,
) -> bool:
    """Whole-column checks (fast, C-level); the row-by-row search runs only when one fails."""
    if not columns.orders:
        return True
    ids = columns.ids
    if len(set(ids)) != len(ids):
        return False
    if tech_index is not None and len(tech_index) == len(techs):
        # every technician is numbered (employed in the month): known ⟺ numbered, and the numbers
        # are what the sort needs anyway (one pass over the orders for both)
        if columns.technician_codes(tech_index).min() < 0:
            return False
    elif not set(columns.technician_ids) <= techs.keys():
        return False
    if not _within_employment(columns, techs, first, tech_index):
        return False
    if not all(type(t) is OrderType for t in set(columns.order_types)):
        return False
    if not set(columns.difficulties) <= set(DIFFICULTY_LEVELS):
        return False
    minutes: list[int] = columns.given("standard_minutes")[1]
    if minutes and min(minutes) <= 0:
        return False
    # completed inside the month: 0 <= microseconds since its first midnight < its length
    at = columns.completed_us
    return bool(at.min() >= 0 and at.max() < ((last - first).days + 1) * 86_400_000_000)


def _within_employment(
    columns: OrderColumns, techs: dict[str, Any], first: dt.date, tech_index: dict[str, int] | None
) -> bool:
    """Whether every order was completed while its technician was employed (whole columns).

    Called once every order's technician is known; the completion day of each order is compared
    with its technician's ``start_date`` and ``end_date`` as proleptic ordinals.
    """
    index = (
        tech_index
        if tech_index is not None and len(tech_index) == len(techs)
        else dict(zip(techs, range(len(techs)), strict=True))
    )
    start = np.zeros(len(index), dtype=np.int64)
    end = np.zeros(len(index), dtype=np.int64)
    for tech_id, at in index.items():
        tech = techs[tech_id]
        start[at] = tech.start_date.toordinal()
        end[at] = tech.end_date.toordinal() if tech.end_date is not None else dt.date.max.toordinal()
    codes = columns.technician_codes(index)
    day = columns.completed_us // 86_400_000_000 + first.toordinal()
    return bool(((start[codes] <= day) & (day <= end[codes])).all())


def _order_problems(inputs: PayInputs, techs: dict[str, Any], first: dt.date, last: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, order in enumerate(inputs.orders, start=1):
        if order.id in seen:
            problems.append(Problem("order_id", "order ids must be unique", order.id, index, "orders"))
        seen.add(order.id)
        if order.technician_id not in techs:
            problems.append(
                Problem(
                    "technician_id", "order of an unknown technician", order.technician_id, index, "orders"
                )
            )
        elif isinstance(order.completed_at, dt.datetime) and not techs[order.technician_id].employed_on(
            order.completed_at.date()
        ):
            problems.append(
                Problem(
                    "completed_at",
                    employment_rule(techs[order.technician_id]),
                    order.completed_at.isoformat(),
                    index,
                    "orders",
                )
            )
        if not isinstance(order.order_type, OrderType):
            problems.append(Problem("order_type", "unknown order type", order.order_type, index, "orders"))
        if order.difficulty not in DIFFICULTY_LEVELS:
            problems.append(
                Problem(
                    "difficulty",
                    f"difficulty must be one of {DIFFICULTY_LEVELS}",
                    order.difficulty,
                    index,
                    "orders",
                )
            )
        if order.standard_minutes is not None and order.standard_minutes <= 0:
            problems.append(
                Problem(
                    "standard_minutes",
                    "standard minutes must be > 0",
                    order.standard_minutes,
                    index,
                    "orders",
                )
            )
        if not first <= order.completed_at.date() <= last:
            problems.append(
                Problem(
                    "completed_at",
                    f"order must be completed in {inputs.month}",
                    order.completed_at.isoformat(),
                    index,
                    "orders",
                )
            )
    return problems


def compute_month(
    inputs: PayInputs, policy: PayPolicy, *, check: bool = True, vectorised: bool = True
) -> list[Payslip]:
    """Payslips of every technician for ``inputs.month`` under ``policy``.

    Parameters
    ----------
    inputs
        Technicians, completed orders, attendance days, quality grades and loss deductions.
    policy
        The pay policy version in force for the month (see :func:`payroll.policy.policy_for_month`).
    check
        Cross-check the inputs first (:func:`check_inputs`); callers that already did may skip it.
    vectorised
        Do the order-level work (sorting, minutes, base deduction, overtime classes, grouping) for
        the whole month at once with :mod:`payroll.vectorised` (the default, fast); False: every
        technician's rules walk their orders one by one (the reference the fast path is tested
        against). Both give identical payslips.

    Raises
    ------
    PayInputError
        Listing every problem; nothing is computed.
    """
    with _no_cyclic_gc():
        return _compute_month(inputs, policy, check=check, vectorised=vectorised)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a month is computed.

    A month creates about a million short-lived objects but no reference cycles (refcounting frees
    them all), yet each generation-2 pass of the collector walks every live object, including the
    caller's 300,000 input orders: a quarter of the run time at 10,000 technicians. The previous
    state is restored on exit, also on error.

    On exit the objects that survive (the payslips: some 200,000 lines with their sources) are
    moved straight to the oldest generation (``gc.freeze()`` then ``gc.unfreeze()``, two list
    splices) instead of being walked by the youngest generation's next pass, which would find
    nothing to free in them (they are results, not garbage) and cost ~0.3 s at 10,000
    technicians. Cycles among them, if any ever formed, are still found by full collections.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _compute_month(inputs: PayInputs, policy: PayPolicy, *, check: bool, vectorised: bool) -> list[Payslip]:
    first, last = month_bounds(inputs.month)
    technicians = sorted(
        (t for t in inputs.technicians if _employed_in_month(t.start_date, t.end_date, first, last)),
        key=attrgetter("id"),
    )
    tech_index = {tech.id: index for index, tech in enumerate(technicians)}
    if vectorised:  # attendance read as columns once, by the checks and the month-wide work
        inputs = dataclasses.replace(inputs, attendance=AttendanceTable.from_days(inputs.attendance))
    columns = OrderColumns(inputs.orders, first)
    if check:
        problems = _check_inputs(inputs, policy, columns, tech_index)
        if problems:
            raise PayInputError(problems)
    calendar = MonthCalendar.build(inputs.month, policy)
    month_att = (
        month_attendance(inputs.attendance, tech_index, calendar.first, calendar.last) if vectorised else None
    )
    quality: dict[str, QualityRecord] = {q.technician_id: q for q in inputs.quality}
    losses: dict[str, list[LossDeduction]] = defaultdict(list)
    for loss in inputs.losses:
        losses[loss.technician_id].append(loss)
    shared: dict[object, object] = {}
    if month_att is not None:
        # the order-level and attendance-level work for the whole month at once
        if not check or len(tech_index) != len(inputs.technicians):
            # orders of technicians not employed in the month (or unknown: unchecked) are on no payslip
            orders = inputs.orders
            if isinstance(orders, OrderTable):
                keep = map(tech_index.__contains__, orders.technician_ids)
                columns = OrderColumns(orders.take(compress(range(len(orders)), keep)), calendar.first)
            else:
                columns = OrderColumns([o for o in orders if o.technician_id in tech_index], calendar.first)
        month_orders = sort_orders(columns, tech_index, policy, calendar.ordinary_end)
        contexts = [
            TechMonth(
                tech=tech,
                policy=policy,
                calendar=calendar,
                orders=[],  # the order-level results are in `fast`
                attendance={},
                quality=quality.get(tech.id),
                losses=losses.get(tech.id, []),
                leave=leave,
                shared=shared,
                fast=fast,
            )
            for tech, fast, leave in zip(
                technicians, month_orders.per_technician(), month_att.leave, strict=True
            )
        ]
        _prepare_vectorised(contexts, month_orders, month_att, policy, calendar)
    else:
        contexts = _contexts_one_by_one(inputs, technicians, policy, calendar, quality, losses, shared)
        for ctx in contexts:
            prepare(ctx)
    _take_home_inputs(contexts, inputs)
    payslips = []
    all_lines = month_line_rules(contexts) if month_att is not None else map(line_rules, contexts)
    for ctx, lines in zip(contexts, all_lines, strict=True):
        payslips.append(
            Payslip(
                ctx.tech.id,
                inputs.month,
                policy.version,
                tuple(lines),
                _summary(ctx, lines),
                tuple(ctx.employer_lines),
            )
        )
    return payslips


def _take_home_inputs(contexts: Sequence[TechMonth], inputs: PayInputs) -> None:
    """Each technician's year to date and declared special additional deductions."""
    if not inputs.year_to_date and not inputs.additional_deductions and not inputs.time_off_balance:
        return
    year_to_date = {y.technician_id: y for y in inputs.year_to_date}
    additional: dict[str, list[AdditionalDeduction]] = defaultdict(list)
    for declared in inputs.additional_deductions:
        additional[declared.technician_id].append(declared)
    lots: dict[str, list[TimeOffLot]] = defaultdict(list)
    for lot in sorted(inputs.time_off_balance, key=attrgetter("earned_month")):
        lots[lot.technician_id].append(lot)
    for ctx in contexts:
        tech_id = ctx.tech.id
        ctx.year_to_date = year_to_date.get(tech_id)
        ctx.additional = additional.get(tech_id, [])
        ctx.time_off_lots = lots.get(tech_id, [])


def _contexts_one_by_one(
    inputs: PayInputs,
    technicians: Sequence[PayTechnician],
    policy: PayPolicy,
    calendar: MonthCalendar,
    quality: dict[str, QualityRecord],
    losses: dict[str, list[LossDeduction]],
    shared: dict[object, object],
) -> list[TechMonth]:
    """Every technician's month with their orders and attendance grouped record by record."""
    orders: dict[str, list[PayOrder]] = {}
    for order in inputs.orders:
        bucket = orders.get(order.technician_id)
        if bucket is None:
            orders[order.technician_id] = [order]
        else:
            bucket.append(order)
    # completion order (ties by id) so that the input order of rows never changes a payslip
    for bucket in orders.values():
        bucket.sort(key=_ORDER_KEY)
    attendance: dict[str, dict[int, AttendanceDay]] = defaultdict(dict)
    leave: dict[str, list[AttendanceDay]] = defaultdict(list)
    first, last = calendar.first, calendar.last
    duplicates: list[Problem] = []
    for index, record in enumerate(inputs.attendance, start=1):
        if first <= record.day <= last:
            days = attendance[record.technician_id]
            if record.day.day in days:
                duplicates.append(
                    Problem(
                        "date",
                        "one attendance record per technician and day",
                        record.day.isoformat(),
                        index,
                        "attendance",
                    )
                )
            days[record.day.day] = record
            if record.status in _LEAVE:
                leave[record.technician_id].append(record)
    if duplicates:
        raise PayInputError(duplicates)
    return [
        TechMonth(
            tech=tech,
            policy=policy,
            calendar=calendar,
            orders=orders.get(tech.id, []),
            attendance=attendance.get(tech.id, {}),
            quality=quality.get(tech.id),
            losses=losses.get(tech.id, []),
            leave=leave.get(tech.id, []),
            shared=shared,
        )
        for tech in technicians
    ]


def _prepare_vectorised(
    contexts: Sequence[TechMonth],
    month_orders: MonthOrders,
    attendance: MonthAttendance,
    policy: PayPolicy,
    calendar: MonthCalendar,
) -> None:
    """The preparation rules of :func:`payroll.rules.prepare`, the order- and day-level ones month-wide."""
    chronological = policy.base_deduction is BaseDeduction.CHRONOLOGICAL
    comprehensive = policy.working_time_system is WorkingTimeSystem.COMPREHENSIVE
    for ctx in contexts:
        prorate_for_days_employed_and_leave(ctx)
        standard_minutes_done(ctx)  # minutes done: month-wide
        quality_grade_multiplier(ctx)
        repeat_fault_handling(ctx)  # the excluded orders: month-wide, their reasons here
    count = len(contexts)
    employed = np.ones((count, 32), dtype=np.bool_)
    for index, ctx in enumerate(contexts):
        if not ctx.full_month:
            employed[index, 1 : len(calendar.dates)] = [ctx.tech.employed_on(d) for d in calendar.dates[1:]]
    fast = [ctx.fast for ctx in contexts if ctx.fast is not None]
    if policy.working_time_system is WorkingTimeSystem.STANDARD:  # rest-day work to take off in lieu
        rest = np.array([k == "rest" for k in calendar.kinds] + [False] * (32 - len(calendar.kinds)))
        comp = np.where(employed & attendance.comp_time_off & rest, attendance.worked, 0).sum(axis=1)
        for tech_orders, minutes in zip(fast, comp.tolist(), strict=True):
            tech_orders.comp_minutes = minutes
    if NIGHT in month_orders.item_ids:
        night_ids, night_bounds = month_orders.item_ids[NIGHT]
        for tech_orders, start, stop in zip(fast, night_bounds[:-1], night_bounds[1:], strict=True):
            tech_orders.night_ids = night_ids[start:stop]
    for ctx in contexts:
        time_off_accrual(ctx)
    crossing = np.full(count, 99, dtype=np.int64)
    if comprehensive:
        # each norm (hours, 6 decimal places) in millionths of a minute: an exact integer
        standard = np.fromiter(
            (int(period_standard_hours(ctx) * 60_000_000) for ctx in contexts), np.int64, count
        )
        worked, days = period_crossing(attendance, calendar.kinds, employed, standard)
        for index, (ctx, minutes, day) in enumerate(zip(contexts, worked, days, strict=True)):
            ctx.period_worked, ctx.crossing_day = minutes, day
            if day is not None:
                crossing[index] = day
    standard_system = policy.working_time_system is WorkingTimeSystem.STANDARD
    day_limit = calendar.law.standard_day_minutes
    klass = order_classes(month_orders, standard_system, calendar.kinds, attendance, crossing, day_limit)
    paid: npt.NDArray[np.bool_] | None = None
    if not chronological:
        for ctx, tiers in zip(contexts, tier_minutes(month_orders, klass, count), strict=True):
            assert ctx.fast is not None
            ctx.fast.tier_minutes = tiers
            deduct_base_pro_rata(ctx)
        paid = np.array(
            [[bool(shares[k]) for k in CLASSES] for shares in map(_paid_shares, contexts)], dtype=np.bool_
        ).reshape(count, 4)
    base = np.fromiter((ctx.base_minutes for ctx in contexts), np.int64, count)
    per_tech = [ctx.fast for ctx in contexts if ctx.fast is not None]
    ordinary_first = policy.base_fill is BaseFill.ORDINARY_FIRST
    groups = group_paid_orders(month_orders, per_tech, klass, base, paid, ordinary_first)
    by_day = overtime_days(
        attendance,
        calendar.kinds,
        calendar.iso,
        employed,
        standard_system,
        day_limit,
    )
    overtime = np.zeros(count, dtype=np.int64)
    for techs, minutes, _ in by_day.values():
        np.add.at(overtime, np.asarray(techs, dtype=np.int64), np.asarray(minutes, dtype=np.int64))
    for tech_orders, minutes in zip(fast, overtime.tolist(), strict=True):
        tech_orders.overtime_minutes = minutes
    if chronological:
        for ctx in contexts:
            deduct_base_chronological(ctx)  # where the base is reached: month-wide
    # the lines of the rules with most lines, for the whole month at once
    piece_pay_month(contexts, groups)
    overtime_hours_month(contexts, by_day)
    bonus_and_penalty_items_month(contexts, month_orders.item_ids)


def _paid_shares(ctx: TechMonth) -> dict[OvertimeClass, Decimal]:
    shares = ctx.paid_shares
    assert shares is not None  # set by deduct_base_pro_rata
    return shares


def _employed_in_month(start: dt.date, end: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return start <= last and (end is None or end >= first)


def _summary(ctx: TechMonth, lines: Sequence[PayLine]) -> dict[str, Any]:
    totals = [0, 0, 0, 0, 0]  # gross, deductions, contributions, income tax, (other)
    item_of = _ITEM_OF_RULE
    for line in lines:
        totals[item_of[line.rule]] += line.amount_fen
    gross, deductions, contributions, tax, _ = totals
    summary: dict[str, Any] = {
        "gross_fen": gross,
        "deductions_fen": -deductions,
        "contributions_fen": -contributions,
        "income_tax_fen": -tax,
        "net_fen": gross + deductions + contributions + tax,
        "employer_fen": sum(line.amount_fen for line in ctx.employer_lines),
    }
    if ctx.year_to_date_after is not None:
        summary["year_to_date"] = ctx.year_to_date_after
    if ctx.time_off_after is not None:
        summary["time_off_balance"] = ctx.time_off_after
    warnings = [line.rule for line in lines if line.rule in _WARNINGS]
    if summary["net_fen"] < 0:
        warnings.append("negative_take_home_pay")
    if warnings:
        summary["warnings"] = warnings
    return summary | {
        "post_grade": ctx.tech.post_grade,
        "grade": ctx.grade,
        "grade_multiplier": str(ctx.grade_multiplier),
        "orders": len(ctx.orders) if ctx.fast is None else ctx.fast.count,
        "done_minutes": ctx.done_minutes,
        "base_minutes": ctx.base_minutes,
        "base_deduction": ENUM_VALUES[ctx.policy.base_deduction],
        "working_time_system": ENUM_VALUES[ctx.policy.working_time_system],
        "month_share": str(ctx.month_share),
        "paid_work_days": ctx.paid_work_days,
        "jurisdiction": ctx.policy.jurisdiction,
        "rounding": "each line to 0.01 CNY, half-up (vocabulary.money.ROUNDING)",
    }


#: the lines that warn HR (the payslip's summary lists them)
_WARNINGS = frozenset({"overtime_over_limit", "time_off_beyond_balance"})
#: the payslip item (:data:`payroll.catalog.PAYSLIP_ITEMS`) each line category adds to
_ITEM_OF: dict[Category, str] = {
    Category.WAGE: "gross",
    Category.OVERTIME: "gross",
    Category.BONUS: "gross",
    Category.ALLOWANCE: "gross",
    Category.DEDUCTION: "deductions",
    Category.CONTRIBUTION: "contributions",
    Category.TAX: "income_tax",
}


_ITEMS = ("gross", "deductions", "contributions", "income_tax")
#: the position of each rule's item in :func:`_summary`'s totals (4: no item)
_ITEM_OF_RULE: dict[str, int] = {
    rule: _ITEMS.index(_ITEM_OF[category]) if category in _ITEM_OF else 4
    for rule, category in RULE_CATEGORY.items()
}


def assert_no_float(value: Any, path: str = "payslip") -> None:
    """Raise ``TypeError`` if a float appears anywhere in ``value`` (payslip, line, dict, list)."""
    if isinstance(value, float):
        raise TypeError(f"float found at {path}: {value!r}; money must be int fen or Decimal")
    if isinstance(value, Payslip | PayLine):
        for name in value.__slots__:
            assert_no_float(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_no_float(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            assert_no_float(item, f"{path}[{index}]")


def payslips_json(payslips: Sequence[Payslip]) -> dict[str, Any]:
    """The JSON document the CLI prints: every payslip and the run's grand total."""
    total = sum(p.total_fen for p in payslips)
    return {
        "payslips": [p.to_dict() for p in payslips],
        "count": len(payslips),
        "total_fen": total,
        "total": f"{fen_to_yuan(total):.2f}",
    }


def total_fen(payslips: Iterable[Payslip]) -> int:
    """Grand total of a set of payslips, in fen."""
    return sum(p.total_fen for p in payslips)
