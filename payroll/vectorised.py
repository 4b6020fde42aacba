"""Month-wide, vectorised preparation of the orders: the fast path of :func:`payroll.compute.compute_month`.

The per-technician rules in :mod:`payroll.rules` walk each technician's orders one by one; at
300,000 orders a month that walk is most of the run time. This module does the same order-level
work once for the whole month with numpy integer arrays (never money: counts, minutes, codes and
positions only) and hands every technician the *same intermediate results* the per-order code
derives — orders in completion order, standard minutes done, where the base workload is reached,
the excluded repeat-fault orders, the order ids of every piece-pay group and of every bonus/penalty
item. The pay lines are then priced by the one shared code in :mod:`payroll.rules`, in
:class:`~decimal.Decimal`, with the one rounding rule, so both paths give identical payslips
(``tests/payroll/test_payroll_vectorised.py`` checks it on random months).

Steps, all on arrays of the month's orders:

1. completion order: one ``lexsort`` by (technician, completion time in integer microseconds); the
   rare orders of one technician completed at the same instant are then put in id order — each
   technician's orders are a contiguous run in completion order (ties by id);
2. standard minutes: the order's own, else the policy table indexed by (type, difficulty);
3. chronological base deduction: per-technician cumulative minutes (one ``cumsum``); orders whose
   cumulative minutes stay within the base fill it, the next one crosses it;
4. overtime class of every order from the day's kind, the attendance matrix (technician × day) and
   whether it was completed after the ordinary end of its day (integer microseconds compared);
5. piece-pay groups: one stable sort by (technician, type, difficulty, overtime class), group
   boundaries where the key changes; the order ids of a group are a slice of one list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, repeat
from operator import attrgetter, floordiv, is_, is_not, sub
from typing import Any

import numpy as np
import numpy.typing as npt

from payroll.domain import AttendanceDay, DayStatus, PayOrder
from payroll.policy import PayPolicy, RepeatFaultMode, WorkingTimeSystem
from payroll.rules import OvertimeClass
from vocabulary.orders import OrderType

#: Overtime classes in the sorted order of their values (the order the per-order code sorts groups in)
_CLASS_VALUES = ("extended_150", "holiday_300", "normal", "rest_day_200")
_EXTENDED, _HOLIDAY, _NORMAL, _REST_DAY = range(4)
#: Order types in the sorted order of their values
_TYPES: tuple[OrderType, ...] = tuple(sorted(OrderType, key=lambda t: t.value))
_TYPE_CODE: dict[OrderType, int] = {t: i for i, t in enumerate(_TYPES)}
#: The bonus/penalty items counted per order, in the order :func:`payroll.rules._count_items` lists them
ITEM_NAMES = ("praise", "complaint", "repeat_fault", "missed_appointment")

IntArray = npt.NDArray[np.int64]
_MICROSECOND = dt.timedelta(microseconds=1)
_DAY = 86_400_000_000  # microseconds


class OrderColumns:
    """The orders' fields as lists, each read once on first use (shared by the checks and the sort)."""

    def __init__(self, orders: Sequence[PayOrder], first: dt.date) -> None:
        self.orders = orders
        #: midnight starting the month: completion times are counted from it
        self.start = dt.datetime.combine(first, dt.time())

    def _column(self, name: str) -> list[Any]:
        return list(map(attrgetter(name), self.orders))

    @cached_property
    def ids(self) -> list[str]:
        """Order ids."""
        return self._column("id")

    @cached_property
    def technician_ids(self) -> list[str]:
        """Technician ids."""
        return self._column("technician_id")

    @cached_property
    def order_types(self) -> list[OrderType]:
        """Order types."""
        return self._column("order_type")

    @cached_property
    def difficulties(self) -> list[int]:
        """Difficulty levels."""
        return self._column("difficulty")

    @cached_property
    def standard_minutes(self) -> list[int | None]:
        """The orders' own standard minutes (None: the policy's table)."""
        return self._column("standard_minutes")

    @cached_property
    def completed_at(self) -> list[dt.datetime]:
        """Completion times."""
        return self._column("completed_at")

    @cached_property
    def completed_us(self) -> IntArray:
        """Completion times in microseconds since the month's first midnight (C-level maps)."""
        deltas = map(sub, self.completed_at, repeat(self.start))
        return np.fromiter(map(floordiv, deltas, repeat(_MICROSECOND)), np.int64, len(self.orders))


def _where(flags: Iterable[bool], n: int) -> list[int]:
    """Positions (0 … n − 1) whose flag is true (C-level)."""
    return list(compress(range(n), flags))


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs ``(first, last)`` of sorted integer positions."""
    runs: list[tuple[int, int]] = []
    for p in positions:
        if runs and runs[-1][1] == p - 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


@dataclass(slots=True)
class TechOrders:
    """One technician's share of the month-wide order work (what the per-order rules would derive).

    Attributes
    ----------
    orders:
        The technician's orders in completion order (ties by id).
    ids:
        Their ids.
    done_minutes:
        Standard minutes of all the orders.
    excluded:
        Orders the repeat-fault policy leaves unpaid, in completion order.
    items:
        Order ids of each bonus/penalty item (:data:`ITEM_NAMES`), in completion order.
    covered:
        Chronological mode: number of orders (from the first) that fill the base workload completely.
    crossing:
        Chronological mode: ``(minutes beyond the base, standard minutes)`` of ``orders[covered]``
        when it crosses the base workload (paid in part), else None.
    piece_groups:
        Paid, non-excluded orders from the first paid one, grouped by (type, difficulty, overtime
        class) in sorted key order: ``(key, order ids in completion order)``.
    overtime_days:
        Overtime minutes of each day by overtime class (days with overtime only).
    """

    orders: list[PayOrder]
    ids: list[str]
    done_minutes: int
    excluded: list[PayOrder]
    items: dict[str, list[str]]
    covered: int = 0
    crossing: tuple[int, int] | None = None
    piece_groups: list[tuple[tuple[OrderType, int, OvertimeClass], list[str]]] = field(default_factory=list)
    #: overtime minutes by class and day of month (days with overtime only)
    overtime_days: dict[OvertimeClass, dict[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class MonthOrders:
    """The month's orders sorted and split per technician (index = position in ``tech_index``)."""

    chrono: list[PayOrder]
    ids: list[str]
    #: start of each technician's run in ``chrono`` (length technicians + 1)
    bounds: list[int]
    minutes: IntArray
    #: inclusive cumulative minutes within each technician's run
    cumulative: IntArray
    done: list[int]
    excluded_at: list[int]
    item_ids: dict[str, tuple[list[str], list[int]]]
    types: IntArray
    difficulty: IntArray
    days: IntArray
    after_end: npt.NDArray[np.bool_]
    tech: IntArray

    def per_technician(self) -> list[TechOrders]:
        """Each technician's orders, minutes done, excluded orders and item order ids."""
        bounds = self.bounds
        excluded_bounds = np.searchsorted(
            np.asarray(self.excluded_at, dtype=np.int64), np.asarray(bounds, dtype=np.int64)
        ).tolist()
        chrono = self.chrono
        excluded_orders = [chrono[i] for i in self.excluded_at]
        item_lists = [self.item_ids[name] for name in ITEM_NAMES]
        done = self.done
        ids_ = self.ids
        out = []
        for t in range(len(bounds) - 1):
            items = {
                name: ids[item_bounds[t] : item_bounds[t + 1]]
                for name, (ids, item_bounds) in zip(ITEM_NAMES, item_lists, strict=True)
            }
            out.append(
                TechOrders(
                    chrono[bounds[t] : bounds[t + 1]],
                    ids_[bounds[t] : bounds[t + 1]],
                    done[t],
                    excluded_orders[excluded_bounds[t] : excluded_bounds[t + 1]],
                    items,
                )
            )
        return out


def sort_orders(
    columns: OrderColumns,
    tech_index: dict[str, int],
    policy: PayPolicy,
    ordinary_end: Sequence[dt.datetime],
) -> MonthOrders:
    """Sort the month's orders per technician in completion order and derive the per-order arrays.

    ``tech_index`` numbers the technicians (0 … count − 1); ``ordinary_end`` is the end of the
    ordinary working day per day of the month (index 0 unused). Raises ``KeyError`` for an order
    of an unknown technician or type (the inputs are checked before).
    """
    orders = columns.orders
    n = len(orders)
    technicians = len(tech_index)
    ids = columns.ids
    tech = np.fromiter(map(tech_index.__getitem__, columns.technician_ids), np.int64, n)
    base = columns.start
    at = columns.completed_us
    perm = np.lexsort((at, tech))
    same = np.flatnonzero((np.diff(at[perm]) == 0) & (np.diff(tech[perm]) == 0))
    perm_list = perm.tolist()
    if same.size:  # a technician's orders completed at the same instant: in id order
        for first, last in _runs(same.tolist()):
            perm_list[first : last + 2] = sorted(perm_list[first : last + 2], key=ids.__getitem__)
        perm = np.array(perm_list, dtype=np.int64)
    days = at // _DAY + 1
    day_ends = np.array([(end - base) // _MICROSECOND for end in ordinary_end], dtype=np.int64)
    after_end = at > day_ends[days]

    types = np.fromiter(map(_TYPE_CODE.__getitem__, columns.order_types), np.int64, n)
    difficulty = np.fromiter(columns.difficulties, np.int64, n)
    table = np.zeros((len(_TYPES), int(difficulty.max(initial=0)) + 1), dtype=np.int64)
    for order_type, by_level in policy.standard_minutes.items():
        for level, value in by_level.items():
            if level < table.shape[1]:
                table[_TYPE_CODE[order_type], level] = value
    own = columns.standard_minutes
    minutes = table[types, difficulty]
    given = _where(map(is_not, own, repeat(None)), n)
    if given:
        minutes[given] = np.fromiter(map(own.__getitem__, given), np.int64, len(given))

    chrono = list(map(orders.__getitem__, perm_list))
    chrono_ids = list(map(ids.__getitem__, perm_list))
    tech_sorted = tech[perm]
    bounds_arr = np.searchsorted(tech_sorted, np.arange(technicians + 1)).astype(np.int64)
    bounds = bounds_arr.tolist()
    minutes_sorted = minutes[perm]
    cumulative = np.cumsum(minutes_sorted)
    counts = np.diff(bounds_arr)
    if n:
        starts = bounds_arr[:-1]
        before = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0)
        cumulative = cumulative - np.repeat(before, counts)
        done = np.where(counts > 0, cumulative[np.maximum(bounds_arr[1:] - 1, 0)], 0).tolist()
    else:
        done = [0] * technicians

    window = policy.repeat_fault.window_days
    repeat_fault = np.zeros(n, dtype=np.bool_)
    repeat_days = list(map(attrgetter("repeat_fault_within_days"), orders))
    recurred = _where(map(is_not, repeat_days, repeat(None)), n)
    repeat_fault[[i for i in recurred if repeat_days[i] <= window]] = True
    if policy.repeat_fault.mode is RepeatFaultMode.PAID_ONCE:
        excluded = np.zeros(n, dtype=np.bool_)
        excluded[_where(map(is_not, map(attrgetter("repeat_of"), orders), repeat(None)), n)] = True
    else:
        excluded = repeat_fault
    excluded_at = np.flatnonzero(excluded[perm]).tolist()

    missed = np.zeros(n, dtype=np.bool_)
    missed[_where(map(is_, map(attrgetter("appointment_kept"), orders), repeat(False)), n)] = True
    flags = {
        "praise": np.fromiter(map(attrgetter("praise"), orders), np.bool_, n),
        "complaint": np.fromiter(map(attrgetter("complaint"), orders), np.bool_, n),
        "repeat_fault": repeat_fault,
        "missed_appointment": missed,
    }
    item_ids: dict[str, tuple[list[str], list[int]]] = {}
    for name in ITEM_NAMES:
        at = np.flatnonzero(flags[name][perm])
        item_ids[name] = ([chrono_ids[i] for i in at.tolist()], np.searchsorted(at, bounds_arr).tolist())
    return MonthOrders(
        chrono,
        chrono_ids,
        bounds,
        minutes_sorted,
        cumulative,
        done,
        excluded_at,
        item_ids,
        types[perm],
        difficulty[perm],
        days[perm],
        after_end[perm],
        tech_sorted,
    )


@dataclass(frozen=True)
class MonthAttendance:
    """The month's attendance as matrices indexed by (technician, day of month), and the leave records."""

    worked: IntArray
    comp_time_off: npt.NDArray[np.bool_]
    #: per technician: the records with a leave status, in input order
    leave: list[list[AttendanceDay]]


_LEAVE = frozenset({DayStatus.PAID_LEAVE, DayStatus.UNPAID_LEAVE})


def month_attendance(
    records: Sequence[AttendanceDay], tech_index: dict[str, int], first: dt.date, last: dt.date
) -> MonthAttendance | None:
    """Minutes worked and time off in lieu per (technician, day) from the records inside the month.

    Returns None when a record of the month belongs to a technician outside ``tech_index`` or
    repeats a (technician, day): the record-by-record grouping then reports or ignores it.
    """
    days = list(map(attrgetter("day"), records))
    if days and not (first <= min(days) and max(days) <= last):
        inside = [i for i, day in enumerate(days) if first <= day <= last]
        records = [records[i] for i in inside]
        days = [days[i] for i in inside]
    rows_of = list(map(tech_index.get, map(attrgetter("technician_id"), records)))
    if None in rows_of:
        return None
    n = len(records)
    rows = np.fromiter(rows_of, np.int64, n)
    cols = np.fromiter(map(attrgetter("day"), days), np.int64, n)
    if n and np.bincount(rows * 32 + cols).max() > 1:
        return None
    technicians = len(tech_index)
    worked = np.zeros((technicians, 32), dtype=np.int64)
    comp = np.zeros((technicians, 32), dtype=np.bool_)
    worked[rows, cols] = np.fromiter(map(attrgetter("worked_minutes"), records), np.int64, n)
    comp[rows, cols] = np.fromiter(map(attrgetter("comp_time_off"), records), np.bool_, n)
    leave: list[list[AttendanceDay]] = [[] for _ in range(technicians)]
    for i in compress(range(n), map(_LEAVE.__contains__, map(attrgetter("status"), records))):
        leave[rows_of[i]].append(records[i])  # type: ignore[index]
    return MonthAttendance(worked, comp, leave)


def overtime_days(
    attendance: MonthAttendance,
    kinds: Sequence[str],
    employed: npt.NDArray[np.bool_],
    standard_system: bool,
    day_limit: int,
) -> list[dict[OvertimeClass, dict[int, int]]]:
    """Per technician, the overtime minutes of each day by class (see :func:`payroll.rules.overtime_hours`).

    Holiday work → 300%; standard system also: rest-day work without time off in lieu → 200%,
    minutes beyond ``day_limit`` on a working day → 150%. Days outside employment don't count.
    """
    worked = np.where(employed, attendance.worked, 0)
    holiday = np.array([k == "holiday" for k in kinds] + [False] * (32 - len(kinds)), dtype=np.bool_)
    classes: list[tuple[OvertimeClass, IntArray]] = [(OvertimeClass.HOLIDAY, np.where(holiday, worked, 0))]
    if standard_system:
        rest = np.array([k == "rest" for k in kinds] + [False] * (32 - len(kinds)), dtype=np.bool_)
        work = ~rest & ~holiday
        work[0] = False
        classes.append((OvertimeClass.REST_DAY, np.where(rest & ~attendance.comp_time_off, worked, 0)))
        classes.append((OvertimeClass.EXTENDED, np.where(work & (worked > day_limit), worked - day_limit, 0)))
    technicians = worked.shape[0]
    out: list[dict[OvertimeClass, dict[int, int]]] = [{} for _ in range(technicians)]
    for klass, minutes in classes:
        rows, cols = np.nonzero(minutes)
        if not rows.size:
            continue
        values = minutes[rows, cols].tolist()
        days = cols.tolist()
        bounds = np.searchsorted(rows, np.arange(technicians + 1)).tolist()
        for t in np.unique(rows).tolist():
            a, b = bounds[t], bounds[t + 1]
            out[t][klass] = dict(zip(days[a:b], values[a:b], strict=True))
    return out


def period_crossing(
    attendance: MonthAttendance,
    kinds: Sequence[str],
    employed: npt.NDArray[np.bool_],
    standard: IntArray,
) -> tuple[list[int], list[int | None]]:
    """Comprehensive system: minutes worked in the period (holidays aside) and the day they pass ``standard``.

    See :func:`payroll.rules.comprehensive_period_crossing`; ``standard`` is per technician.
    """
    holiday = np.array([k == "holiday" for k in kinds] + [False] * (32 - len(kinds)), dtype=np.bool_)
    worked = np.where(employed & ~holiday, attendance.worked, 0)
    running = np.cumsum(worked, axis=1)
    period = running[:, -1]
    over = running > standard[:, None]
    day = np.argmax(over, axis=1)
    crossing = [
        int(d) if p > s else None
        for d, p, s in zip(day.tolist(), period.tolist(), standard.tolist(), strict=True)
    ]
    return period.tolist(), crossing


def group_paid_orders(
    month: MonthOrders,
    per_tech: Sequence[TechOrders],
    policy: PayPolicy,
    kinds: Sequence[str],
    attendance: MonthAttendance,
    base_minutes: IntArray,
    crossing_day: IntArray,
    pro_rata_paid: npt.NDArray[np.bool_] | None,
) -> None:
    """Fill ``covered``, ``crossing`` and ``piece_groups`` of every technician's :class:`TechOrders`.

    Parameters
    ----------
    attendance
        Minutes worked and time off in lieu per (technician, day), see :func:`month_attendance`.
    base_minutes
        Base workload of each technician (after pro-rating).
    crossing_day
        Comprehensive system: day of the month the period standard was used up (99: never).
    pro_rata_paid
        Pro-rata mode: whether the technician's paid share is above zero; None: chronological mode.
    """
    bounds = month.bounds
    technicians = len(bounds) - 1
    n = len(month.chrono)
    tech = month.tech
    positions = np.arange(n, dtype=np.int64)
    if pro_rata_paid is None:
        within = month.cumulative <= base_minutes[tech]
        covered = np.bincount(tech[within], minlength=technicians).astype(np.int64)
        first_paid = np.asarray(bounds[:-1], dtype=np.int64) + covered
        paid = positions >= first_paid[tech]
        # the order at first_paid crosses the base when part of the base is still to be filled
        has_next = np.flatnonzero(first_paid < np.asarray(bounds[1:], dtype=np.int64))
        at = first_paid[has_next]
        minutes = month.minutes[at]
        remaining = base_minutes[has_next] - (month.cumulative[at] - minutes)
        crossing = remaining > 0
        for t, count in enumerate(covered.tolist()):
            per_tech[t].covered = count
        for t, m, r in zip(
            has_next[crossing].tolist(), minutes[crossing].tolist(), remaining[crossing].tolist(), strict=True
        ):
            per_tech[t].crossing = (m - r, m)
    else:
        paid = pro_rata_paid[tech]
    paid[month.excluded_at] = False

    klass = _overtime_classes(month, policy, kinds, attendance, crossing_day)
    sel = np.flatnonzero(paid)
    levels = int(month.difficulty.max(initial=0)) + 1
    span = len(_TYPES) * levels * 4
    key = ((tech[sel] * len(_TYPES) + month.types[sel]) * levels + month.difficulty[sel]) * 4 + klass[sel]
    order = np.argsort(key, kind="stable")
    sel, key = sel[order], key[order]
    if not key.size:
        return
    group_start = np.concatenate(([0], np.flatnonzero(np.diff(key)) + 1)).astype(np.int64)
    group_end = np.concatenate((group_start[1:], [key.size])).astype(np.int64)
    group_key = key[group_start]
    rest = group_key % span
    key_objects = {
        code: (_TYPES[code // (levels * 4)], code // 4 % levels, OvertimeClass(_CLASS_VALUES[code % 4]))
        for code in np.unique(rest).tolist()
    }
    ids = month.ids
    grouped_ids = [ids[i] for i in sel.tolist()]
    tech_groups = np.searchsorted(group_key // span, np.arange(technicians + 1)).tolist()
    starts, ends, rests = group_start.tolist(), group_end.tolist(), rest.tolist()
    for t in range(technicians):
        first, last = tech_groups[t], tech_groups[t + 1]
        if first < last:
            per_tech[t].piece_groups = [
                (key_objects[rests[g]], grouped_ids[starts[g] : ends[g]]) for g in range(first, last)
            ]


def _overtime_classes(
    month: MonthOrders,
    policy: PayPolicy,
    kinds: Sequence[str],
    attendance: MonthAttendance,
    crossing_day: IntArray,
) -> IntArray:
    """Overtime class code of every order (see :func:`payroll.rules.order_overtime_class`)."""
    worked, comp = attendance.worked, attendance.comp_time_off
    days, tech, after = month.days, month.tech, month.after_end
    holiday = np.array([k == "holiday" for k in kinds], dtype=np.bool_)[days]
    klass = np.full(days.size, _NORMAL, dtype=np.int64)
    if policy.working_time_system is WorkingTimeSystem.STANDARD:
        rest = np.array([k == "rest" for k in kinds], dtype=np.bool_)[days]
        klass[rest & ~comp[tech, days]] = _REST_DAY
        work = ~rest & ~holiday
        klass[work & (worked[tech, days] > policy.profile.standard_day_minutes) & after] = _EXTENDED
    else:
        cross = crossing_day[tech]
        klass[(days > cross) | ((days == cross) & after)] = _EXTENDED
    klass[holiday] = _HOLIDAY
    return klass
