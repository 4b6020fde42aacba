"""Month-wide, vectorised preparation of the orders: the fast path of :func:`payroll.compute.compute_month`.

The per-technician rules in :mod:`payroll.rules` walk each technician's orders one by one; at
300,000 orders a month that walk is most of the run time. This module does the same order-level
work once for the whole month with numpy integer arrays (never money: counts, minutes, codes and
positions only) and hands every technician the *same intermediate results* the per-order code
derives — order counts, standard minutes done, where the base workload is reached, the
excluded repeat-fault orders, the order ids of every piece-pay group and of every bonus/penalty
item, the overtime minutes of every day. The pay lines are then priced with the shared pricing code
of :mod:`payroll.rules` (the lines of the rules with most lines month-wide, column by column), in
:class:`~decimal.Decimal`, with the one rounding rule, so both paths give identical payslips
(``tests/payroll/test_payroll_vectorised.py`` checks it on random months, JSON text included).

Steps, all on arrays of the month's orders:

1. completion order: one ``argsort`` by (technician, completion time in integer microseconds) as
   one integer key; the rare orders of one technician completed at the same instant are then put
   in id order — each technician's orders are a contiguous run in completion order (ties by id);
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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, repeat
from operator import attrgetter, floordiv, ge, is_, is_not, itemgetter, sub
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from payroll.domain import AttendanceDay, DayStatus, PayLine, PayOrder
from payroll.policy import ITEM_NAMES, PayPolicy, RepeatFaultMode, WorkingTimeSystem
from payroll.rules import OvertimeClass, OvertimeDays
from payroll.tables import (
    OPTIONAL_DEFAULTS,
    OPTIONAL_FIELDS,
    AttendanceTable,
    OrderTable,
    leave_positions,
    microsecond_of,
)
from vocabulary.orders import OrderType

#: Overtime classes in the sorted order of their values (the order the per-order code sorts groups in)
_CLASS_VALUES = ("extended_150", "holiday_300", "normal", "rest_day_200")
_EXTENDED, _HOLIDAY, _NORMAL, _REST_DAY = range(4)
#: Order types in the sorted order of their values
_TYPES: tuple[OrderType, ...] = tuple(sorted(OrderType, key=lambda t: t.value))
_TYPE_CODE: dict[OrderType, int] = {t: i for i, t in enumerate(_TYPES)}

IntArray = npt.NDArray[np.int64]
_T = TypeVar("_T")
_MICROSECOND = dt.timedelta(microseconds=1)
_DAY = 86_400_000_000  # microseconds


#: An order's optional fields (:data:`payroll.tables.OPTIONAL_FIELDS`) in one call
_OPTIONAL = attrgetter(*OPTIONAL_FIELDS)


class OrderColumns:
    """The orders' fields as lists, each read once on first use (shared by the checks and the sort).

    Given an :class:`~payroll.tables.OrderTable` (what the readers produce) the columns are the
    table's own and nothing is read from order objects.
    """

    def __init__(self, orders: Sequence[PayOrder], first: dt.date) -> None:
        self.orders = orders
        #: midnight starting the month: completion times are counted from it
        self.start = dt.datetime.combine(first, dt.time())
        self._codes: tuple[dict[str, int], IntArray] | None = None
        if isinstance(orders, OrderTable):  # the columns are there already: no pass over objects
            start_us = microsecond_of(self.start)
            self.__dict__.update(
                ids=orders.ids,
                technician_ids=orders.technician_ids,
                order_types=orders.order_types,
                difficulties=orders.difficulties,
                completed_us=orders.completed_us - start_us,
                _unusual=(orders.unusual_at, orders.unusual),
            )

    def technician_codes(self, index: dict[str, int]) -> IntArray:
        """Each order's technician numbered by ``index`` (−1: not in it); computed once per index."""
        if self._codes is None or self._codes[0] is not index:
            codes = np.fromiter(map(index.get, self.technician_ids, repeat(-1)), np.int64, len(self.orders))
            self._codes = (index, codes)
        return self._codes[1]

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
    def _unusual(self) -> tuple[list[int], list[tuple[Any, ...]]]:
        """Positions of the orders with an optional field set, and their optional fields.

        Most orders have none of their own standard minutes, a repeat fault, a complaint, praise
        or an appointment: one pass reading the six fields of every order and comparing them with
        the defaults, then passes over the unusual orders only, beat six passes over all of them.
        """
        orders = self.orders
        at = _where(map(OPTIONAL_DEFAULTS.__ne__, map(_OPTIONAL, orders)), len(orders))
        return at, list(map(_OPTIONAL, map(orders.__getitem__, at)))

    def optional(self, name: str) -> tuple[list[int], list[Any]]:
        """The orders whose optional field ``name`` may be set (elsewhere its default): positions, values."""
        at, rows = self._unusual
        return at, list(map(itemgetter(OPTIONAL_FIELDS.index(name)), rows))

    def given(self, name: str) -> tuple[list[int], list[Any]]:
        """Positions and values of the orders whose optional field ``name`` is not None."""
        at, values = self.optional(name)
        keep = _where(map(is_not, values, repeat(None)), len(values))
        return list(map(at.__getitem__, keep)), list(map(values.__getitem__, keep))

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
        The technician's piece-pay lines, priced month-wide by :func:`payroll.rules.piece_pay_month`.
    overtime_lines:
        The technician's overtime-hours lines, priced month-wide by
        :func:`payroll.rules.overtime_hours_month`.
    item_lines:
        The technician's bonus and penalty item lines, priced month-wide by
        :func:`payroll.rules.bonus_and_penalty_items_month`.
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


@dataclass(frozen=True)
class PieceGroups:
    """The month's paid, non-excluded orders grouped per technician by (type, difficulty, overtime class).

    One entry per group, groups sorted by (technician, key); a technician's paid orders start at
    the first paid one (chronological mode), and a group's order ids are in completion order.
    """

    #: technician (index) of each group
    tech: IntArray
    #: key code of each group (see ``keys``)
    codes: IntArray
    #: (order type, difficulty, overtime class) of each key code
    keys: dict[int, tuple[OrderType, int, OvertimeClass]]
    #: order ids of each group
    ids: list[list[str]]
    #: groups of technician t are ``bounds[t] : bounds[t + 1]``
    bounds: list[int]
    #: chronological mode: the groups whose first order crosses the base workload (paid in part)
    crossing: list[int]


@dataclass(frozen=True)
class MonthOrders:
    """The month's orders sorted and split per technician (index = position in ``tech_index``).

    The orders themselves are not gathered into completion order: a gather of 300,000 objects
    scattered in memory costs a cache miss per object (~0.1 s here); only their ids are, see
    :func:`_ids_in_order`.
    """

    #: order ids in completion order (the month's orders sorted by technician, then completion
    #: time, ties by id)
    ids: list[str]
    #: start of each technician's run in completion order (length technicians + 1)
    bounds: list[int]
    minutes: IntArray
    #: inclusive cumulative minutes within each technician's run
    cumulative: IntArray
    done: list[int]
    #: positions (in completion order) of the orders the repeat-fault policy leaves unpaid
    excluded_at: list[int]
    #: those orders
    excluded: list[PayOrder]
    item_ids: dict[str, tuple[list[str], list[int]]]
    types: IntArray
    difficulty: IntArray
    days: IntArray
    after_end: npt.NDArray[np.bool_]
    tech: IntArray

    def per_technician(self) -> list[TechOrders]:
        """Each technician's order count, minutes done and excluded orders."""
        bounds = self.bounds
        excluded_bounds = np.searchsorted(
            np.asarray(self.excluded_at, dtype=np.int64), np.asarray(bounds, dtype=np.int64)
        ).tolist()
        counts = np.diff(np.asarray(bounds, dtype=np.int64)).tolist()
        excluded = _slices(self.excluded, excluded_bounds[:-1], excluded_bounds[1:])
        return list(map(TechOrders, counts, self.done, excluded))


def _completion_order(tech: IntArray, at: IntArray, ids: list[str]) -> IntArray:
    """Input positions sorted by technician, then completion time (µs), ties by order id.

    One quicksort of a combined integer key (technician × time span + time; 4× faster than a
    ``lexsort`` of the two) when it fits in 63 bits, as it always does for a month. Equal keys
    are then put in id order, and equal ids (only possible unchecked) in input order, so the
    result is that of a stable sort.
    """
    n = tech.size
    low = int(at.min()) if n else 0
    span = int(at.max()) - low + 1 if n else 1
    if n == 0 or (int(tech.max()) + 1) * span < 2**62:
        key = tech * span + (at - low)
        perm = np.argsort(key)
        same = np.flatnonzero(np.diff(key[perm]) == 0)
    else:  # completion times centuries apart (unchecked input)
        perm = np.lexsort((at, tech))
        same = np.flatnonzero((np.diff(at[perm]) == 0) & (np.diff(tech[perm]) == 0))
    if same.size:  # a technician's orders completed at the same instant: in id order
        perm_list = perm.tolist()
        for first, last in _runs(same.tolist()):
            run = sorted(perm_list[first : last + 2])  # input order first: ties of equal ids
            perm_list[first : last + 2] = sorted(run, key=ids.__getitem__)
        perm = np.array(perm_list, dtype=np.int64)
    return perm


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
    tech = columns.technician_codes(tech_index)
    if n and tech.min() < 0:
        raise KeyError(columns.technician_ids[int(np.argmin(tech))])
    base = columns.start
    at = columns.completed_us
    perm = _completion_order(tech, at, ids)
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
    minutes = table[types, difficulty]
    given, own = columns.given("standard_minutes")
    if given:
        minutes[given] = own

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
    recurred, after_days = columns.given("repeat_fault_within_days")
    repeat_fault = _flags(n, compress(recurred, map(ge, repeat(window), after_days)))
    if policy.repeat_fault.mode is RepeatFaultMode.PAID_ONCE:
        excluded = _flags(n, columns.given("repeat_of")[0])
    else:
        excluded = repeat_fault
    excluded_at = np.flatnonzero(excluded[perm])
    unusual, kept = columns.optional("appointment_kept")
    flags = {
        "praise": _flags(n, compress(*columns.optional("praise"))),
        "complaint": _flags(n, compress(*columns.optional("complaint"))),
        "repeat_fault": repeat_fault,
        "missed_appointment": _flags(n, compress(unusual, map(is_, kept, repeat(False)))),
    }
    chrono_ids = _ids_in_order(ids, perm)
    item_ids: dict[str, tuple[list[str], list[int]]] = {}
    for name in ITEM_NAMES:
        item_at = np.flatnonzero(flags[name][perm])
        item_ids[name] = (
            list(map(chrono_ids.__getitem__, item_at.tolist())),
            np.searchsorted(item_at, bounds_arr).tolist(),
        )
    return MonthOrders(
        chrono_ids,
        bounds,
        minutes_sorted,
        cumulative,
        done,
        excluded_at.tolist(),
        _records(orders, perm[excluded_at].tolist()),
        item_ids,
        types[perm],
        difficulty[perm],
        days[perm],
        after_end[perm],
        tech_sorted,
    )


def _records(orders: Sequence[PayOrder], positions: list[int]) -> list[PayOrder]:
    """The order objects at ``positions`` (a table builds them column by column)."""
    if isinstance(orders, OrderTable):
        return orders.records(positions)
    return list(map(orders.__getitem__, positions))


def _ids_in_order(ids: list[str], perm: IntArray) -> list[str]:
    """``[ids[i] for i in perm]``, as equal strings laid out in memory in that order.

    The id objects sit in memory in input order; in completion order every access to one is a
    cache miss, in the gather and again in each later pass (piece groups, covering orders, item
    lines): ~0.1 s per pass over 300,000 ids here. Copied through a numpy unicode array they come
    back as new, equal strings allocated one after another in completion order, and the later
    passes read memory in order. Ids that might not survive the round trip unchanged (not all
    strings, or one with a NUL, which numpy drops at the end) take the plain gather.
    """
    if not ids:
        return []
    try:
        round_trip = "\x00" not in "".join(ids)
    except TypeError:  # an id that is not a string
        round_trip = False
    if not round_trip:
        return list(map(ids.__getitem__, perm.tolist()))
    array = np.array(ids, dtype=f"U{max(map(len, ids)) or 1}")
    ordered: list[str] = array[perm].tolist()
    return ordered


def _slices(values: list[_T], starts: list[int], ends: list[int]) -> Iterator[list[_T]]:
    """``values[start:end]`` for each pair (C-level)."""
    return map(values.__getitem__, map(slice, starts, ends))


def _flags(n: int, positions: Iterable[int]) -> npt.NDArray[np.bool_]:
    """A boolean array of length ``n``, true at ``positions``."""
    flags = np.zeros(n, dtype=np.bool_)
    flags[np.fromiter(positions, np.int64)] = True
    return flags


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

    ``records`` may be an :class:`~payroll.tables.AttendanceTable` (read column by column) or
    record objects (made into one first). Returns None when a record of the month belongs to a
    technician outside ``tech_index`` or repeats a (technician, day): the record-by-record grouping
    then reports or ignores it.
    """
    table = AttendanceTable.from_days(records)
    low, high = first.toordinal(), last.toordinal()
    ordinals = table.days
    if ordinals.size and not (low <= ordinals.min() and ordinals.max() <= high):
        table = table.take(np.flatnonzero((ordinals >= low) & (ordinals <= high)).tolist())
        ordinals = table.days
    rows_of = list(map(tech_index.get, table.technician_ids))
    if None in rows_of:
        return None
    n = len(table)
    rows = np.fromiter(rows_of, np.int64, n)
    cols = ordinals - (low - 1)
    if n and np.bincount(rows * 32 + cols).max() > 1:
        return None
    technicians = len(tech_index)
    worked = np.zeros((technicians, 32), dtype=np.int64)
    comp = np.zeros((technicians, 32), dtype=np.bool_)
    worked[rows, cols] = table.worked_minutes
    comp[rows, cols] = table.comp_time_off
    leave: list[list[AttendanceDay]] = [[] for _ in range(technicians)]
    for i in leave_positions(table, _LEAVE):
        leave[rows_of[i]].append(table[i])  # type: ignore[index]
    return MonthAttendance(worked, comp, leave)


def overtime_days(
    attendance: MonthAttendance,
    kinds: Sequence[str],
    iso: Sequence[str],
    employed: npt.NDArray[np.bool_],
    standard_system: bool,
    day_limit: int,
) -> OvertimeDays:
    """Per overtime class: the technicians with overtime of it, their minutes and those of each day.

    See :func:`payroll.rules.overtime_hours`, whose line sources these are (``{YYYY-MM-DD:
    minutes}``, days in order). Holiday work → 300%; standard system also: rest-day work without
    time off in lieu → 200%, minutes beyond ``day_limit`` on a working day → 150%. Days outside
    employment don't count.
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
    out: OvertimeDays = {}
    for klass, minutes in classes:
        rows, cols = np.nonzero(minutes)  # row-major: each technician's days in order
        if not rows.size:
            continue
        values = minutes[rows, cols].tolist()
        days = list(map(iso.__getitem__, cols.tolist()))
        techs, starts = np.unique(rows, return_index=True)
        first, ends = starts.tolist(), [*starts[1:].tolist(), rows.size]
        # {day: minutes} of each technician, built by C-level maps over slices of the two lists
        by_day = list(map(dict, map(zip, _slices(days, first, ends), _slices(values, first, ends))))
        out[klass] = (techs.tolist(), minutes.sum(axis=1)[techs].tolist(), by_day)
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
) -> PieceGroups:
    """Fill ``covered`` and ``crossing`` of every technician's :class:`TechOrders`; group the paid orders.

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
    n = month.tech.size
    tech = month.tech
    positions = np.arange(n, dtype=np.int64)
    #: position of each technician's order that crosses the base workload (-1: none)
    crossing_at = np.full(technicians, -1, dtype=np.int64)
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
        crossing_at[has_next[crossing]] = at[crossing]
        # covered orders fill the base, the next one crosses it (when some base is left for it)
        ends = (first_paid + (crossing_at >= 0)).tolist()
        ids = month.ids
        for tech_orders, start, count, end in zip(per_tech, bounds[:-1], covered.tolist(), ends, strict=True):
            tech_orders.covered = count
            tech_orders.covering_ids = ids[start:end]
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
        return PieceGroups(np.zeros(0, np.int64), np.zeros(0, np.int64), {}, [], [0] * (technicians + 1), [])
    group_start = np.concatenate(([0], np.flatnonzero(np.diff(key)) + 1)).astype(np.int64)
    group_end = np.concatenate((group_start[1:], [key.size])).astype(np.int64)
    group_key = key[group_start]
    group_tech, rest = group_key // span, group_key % span
    key_objects = {
        code: (_TYPES[code // (levels * 4)], code // 4 % levels, OvertimeClass(_CLASS_VALUES[code % 4]))
        for code in np.unique(rest).tolist()
    }
    ids = month.ids
    grouped_ids = list(map(ids.__getitem__, sel.tolist()))
    tech_groups = np.searchsorted(group_tech, np.arange(technicians + 1)).tolist()
    # the order ids of every group: one slice each of the grouped ids (C-level maps)
    group_ids = list(_slices(grouped_ids, group_start.tolist(), group_end.tolist()))
    return PieceGroups(
        group_tech,
        rest,
        key_objects,
        group_ids,
        tech_groups,
        np.flatnonzero(sel[group_start] == crossing_at[group_tech]).tolist(),
    )


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
