"""Month-wide, vectorised preparation of the orders: the fast path of :func:`payroll.compute.compute_month`.

The per-technician rules in :mod:`payroll.rules` walk each technician's orders one by one; at
300,000 orders a month that walk is most of the run time. This module does the same order-level
work once for the whole month with numpy integer arrays (never money: counts, minutes, codes and
positions only) and hands every technician the *same intermediate results* the per-order code
derives — order counts, standard minutes done, where the base workload is reached, the
excluded repeat-fault orders, the order ids of every piece-pay group and of every bonus/penalty
item, the overtime minutes of every day. The pay lines are then priced with the shared pricing code
of :mod:`payroll.rules` (the lines of the rules with most lines month-wide, column by column, by
:func:`piece_pay_month`, :func:`overtime_hours_month` and :func:`bonus_and_penalty_items_month`), in
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
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, getcontext
from functools import cached_property
from itertools import compress, pairwise, repeat
from operator import attrgetter, floordiv, ge, is_, is_not, itemgetter, mul, setitem, sub
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from payroll.domain import LINE_FIGURES, AttendanceDay, DayStatus, PayLine, PayOrder, make_line, make_lines
from payroll.law import IncomeTax
from payroll.policy import ITEM_NAMES, PayPolicy, RepeatFaultMode, WorkingTimeSystem
from payroll.rules import (
    ENUM_VALUES,
    GROSS_RULES,
    ONE,
    RULES,
    TIER_OF,
    ZERO,
    OvertimeClass,
    PieceTerms,
    TechMonth,
    TechOrders,
    contribution_base,
    contribution_terms,
    fen_as_yuan,
    hours_of,
    item_priced,
    overtime_over_limit,
    overtime_priced,
    period_overtime,
    period_standard_hours,
    piece_terms,
)
from payroll.tables import (
    OPTIONAL_DEFAULTS,
    OPTIONAL_FIELDS,
    AttendanceTable,
    OrderTable,
    leave_positions,
    microsecond_of,
)
from vocabulary.money import decimal_units, to_fen, to_fen_many, to_fen_scaled
from vocabulary.orders import OrderType

#: Overtime classes in the sorted order of their values (the order the per-order code sorts groups in)
_CLASS_VALUES = ("extended_150", "holiday_300", "normal", "rest_day_200")
_EXTENDED, _HOLIDAY, _NORMAL, _REST_DAY = range(4)
#: the overtime class of each code
CLASSES: tuple[OvertimeClass, ...] = tuple(OvertimeClass(value) for value in _CLASS_VALUES)
#: fill tier (:data:`payroll.rules.FILL_TIERS`) of each class code
_TIER_OF_CODE = np.array([TIER_OF[klass] for klass in CLASSES], dtype=np.int64)
#: the key of the night orders among a month's per-item order ids
NIGHT = "night"
#: millionths: an exact integer form of quantities with 6 decimal places
_MICRO = 1_000_000
#: Order types in the sorted order of their values
_TYPES: tuple[OrderType, ...] = tuple(sorted(OrderType, key=lambda t: t.value))
_TYPE_CODE: dict[OrderType, int] = {t: i for i, t in enumerate(_TYPES)}

IntArray = npt.NDArray[np.int64]
#: per overtime class: the technicians (indexes) with overtime of it, their minutes and their
#: ``{YYYY-MM-DD: minutes}`` (see :func:`overtime_days`)
OvertimeDays = dict[OvertimeClass, tuple[list[int], list[int], list[dict[str, int]]]]
_T = TypeVar("_T")
_MICROSECOND = dt.timedelta(microseconds=1)
_DAY = 86_400_000_000  # microseconds
#: np.int64's largest value (integer amounts beyond it are priced with Decimal)
_INT64_MAX = int(np.iinfo(np.int64).max)


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
    night = policy.allowances.night
    if night is not None:  # orders completed in the night window (by the minute, as the rules)
        minute = at % _DAY // 60_000_000
        start, end = night.start.hour * 60 + night.start.minute, night.end.hour * 60 + night.end.minute
        at_night = (start <= minute) & (minute < end) if start <= end else (minute >= start) | (minute < end)
        flags[NIGHT] = at_night
    chrono_ids = _ids_in_order(ids, perm)
    item_ids: dict[str, tuple[list[str], list[int]]] = {}
    for name in flags:
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


_LEAVE = frozenset({DayStatus.PAID_LEAVE, DayStatus.UNPAID_LEAVE, DayStatus.SICK_LEAVE, DayStatus.TIME_OFF})


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
    standard_micro: IntArray,
) -> tuple[list[int], list[int | None]]:
    """Comprehensive system: minutes worked in the period (holidays aside) and the day they pass the norm.

    See :func:`payroll.rules.comprehensive_period_crossing`; ``standard_micro`` is each technician's
    norm in millionths of a minute (:func:`payroll.rules.period_standard_hours` × 60 × 10⁶, exact:
    the norm has at most 6 decimal places), so the comparison is exact in integers.
    """
    holiday = np.array([k == "holiday" for k in kinds] + [False] * (32 - len(kinds)), dtype=np.bool_)
    worked = np.where(employed & ~holiday, attendance.worked, 0)
    running = np.cumsum(worked, axis=1)
    period = running[:, -1]
    over = running * _MICRO > standard_micro[:, None]
    day = np.argmax(over, axis=1)
    passed = over[:, -1]
    crossing = [int(d) if p else None for d, p in zip(day.tolist(), passed.tolist(), strict=True)]
    return period.tolist(), crossing


def order_classes(
    month: MonthOrders,
    standard_system: bool,
    kinds: Sequence[str],
    attendance: MonthAttendance,
    crossing_day: IntArray,
    day_limit: int,
) -> IntArray:
    """Overtime class code of every order, in completion order.

    See :func:`payroll.rules.order_overtime_class`.
    """
    worked, comp = attendance.worked, attendance.comp_time_off
    days, tech, after = month.days, month.tech, month.after_end
    holiday = np.array([k == "holiday" for k in kinds], dtype=np.bool_)[days]
    klass = np.full(days.size, _NORMAL, dtype=np.int64)
    if standard_system:
        rest = np.array([k == "rest" for k in kinds], dtype=np.bool_)[days]
        klass[rest & ~comp[tech, days]] = _REST_DAY
        work = ~rest & ~holiday
        klass[work & (worked[tech, days] > day_limit) & after] = _EXTENDED
    else:
        cross = crossing_day[tech]
        klass[(days > cross) | ((days == cross) & after)] = _EXTENDED
    klass[holiday] = _HOLIDAY
    return klass


def tier_minutes(month: MonthOrders, klass: IntArray, technicians: int) -> list[tuple[int, int, int, int]]:
    """Standard minutes each technician did in each fill tier (:data:`payroll.rules.FILL_TIERS`)."""
    minutes = np.zeros((technicians, 4), dtype=np.int64)
    np.add.at(minutes, (month.tech, _TIER_OF_CODE[klass]), month.minutes)
    return [(a, b, c, d) for a, b, c, d in minutes.tolist()]


def _per_tech_cumsum(values: IntArray, bounds: IntArray) -> IntArray:
    """Inclusive cumulative sums of ``values`` restarting at each technician's run (``bounds``)."""
    cumulative = np.cumsum(values)
    if not values.size:
        return cumulative
    starts = bounds[:-1]
    counts = np.diff(bounds)
    before = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0)
    result: IntArray = cumulative - np.repeat(before, counts)
    return result


def group_paid_orders(
    month: MonthOrders,
    per_tech: Sequence[TechOrders],
    klass: IntArray,
    base_minutes: IntArray,
    pro_rata_paid: npt.NDArray[np.bool_] | None,
    ordinary_first: bool,
) -> PieceGroups:
    """Fill ``covered``, ``crossing`` and ``covering_ids`` of every technician's :class:`TechOrders`;
    group the paid orders.

    Parameters
    ----------
    klass
        Overtime class code of every order (completion order), see :func:`order_classes`.
    base_minutes
        Base workload of each technician (after pro-rating).
    pro_rata_paid
        Pro-rata mode: whether the technician's paid share of each class code is above zero
        (technicians × 4); None: chronological mode.
    ordinary_first
        Chronological mode: the base is filled by ordinary-time orders first, then 150 %, 200 %
        and 300 % ones (each in completion order); else in completion order.
    """
    bounds = month.bounds
    technicians = len(bounds) - 1
    n = month.tech.size
    tech = month.tech
    positions = np.arange(n, dtype=np.int64)
    #: position of each technician's order that crosses the base workload (-1: none)
    crossing_at = np.full(technicians, -1, dtype=np.int64)
    if pro_rata_paid is None:
        bounds_arr = np.asarray(bounds, dtype=np.int64)
        if ordinary_first:  # fill order: by technician, tier, then completion order
            fill = np.argsort(tech * (4 * max(n, 1)) + _TIER_OF_CODE[klass] * max(n, 1) + positions)
            minutes_fill = month.minutes[fill]
            cumulative = _per_tech_cumsum(minutes_fill, bounds_arr)
        else:
            fill = positions
            minutes_fill = month.minutes
            cumulative = month.cumulative
        within = cumulative <= base_minutes[tech]
        covered = np.bincount(tech[within], minlength=technicians).astype(np.int64)
        first_paid = bounds_arr[:-1] + covered  # in fill order
        paid_fill = positions >= first_paid[tech]
        # the order at first_paid crosses the base when part of the base is still to be filled
        has_next = np.flatnonzero(first_paid < bounds_arr[1:])
        at = first_paid[has_next]
        minutes = minutes_fill[at]
        remaining = base_minutes[has_next] - (cumulative[at] - minutes)
        crossing = remaining > 0
        crossing_at[has_next[crossing]] = fill[at[crossing]]
        # covered orders fill the base, the next one crosses it (when some base is left for it)
        ends = first_paid.copy()
        ends[has_next[crossing]] += 1
        ids = month.ids
        if ordinary_first:
            covering_at = np.flatnonzero(positions < ends[tech])  # fill positions that fill the base
            covering_ids = list(map(ids.__getitem__, fill[covering_at].tolist()))
            edges = np.searchsorted(covering_at, bounds_arr).tolist()
            starts, stops = edges[:-1], edges[1:]
            paid = np.empty(n, dtype=np.bool_)
            paid[fill] = paid_fill
        else:
            covering_ids, starts, stops = ids, bounds[:-1], ends.tolist()
            paid = paid_fill
        for tech_orders, count, start, stop in zip(per_tech, covered.tolist(), starts, stops, strict=True):
            tech_orders.covered = count
            tech_orders.covering_ids = covering_ids[start:stop]
        for t, m, r in zip(
            has_next[crossing].tolist(), minutes[crossing].tolist(), remaining[crossing].tolist(), strict=True
        ):
            per_tech[t].crossing = (m - r, m)
    else:
        paid = pro_rata_paid[tech, klass]
    paid[month.excluded_at] = False

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


# --------------------------------------------------------------------------- month-wide pricing
# The lines of the rules with most lines (piece pay, overtime hours, bonus and penalty items) for
# every technician at once, from the same priced figures as the per-technician rules.

_TERMS_RULE = attrgetter("rule")
_TERMS_KEY = attrgetter("key")
_TERMS_LABEL = attrgetter("label")
_TERMS_RATE = attrgetter("rate")
_TERMS_COEFFICIENT = attrgetter("coefficient")
_TERMS_MULTIPLIER = attrgetter("multiplier")
_TERMS_FACTOR = attrgetter("factor")
_POST_GRADE = attrgetter("tech.post_grade")


def piece_pay_month(contexts: Sequence[TechMonth], groups: PieceGroups) -> None:
    """:func:`~payroll.rules.piece_pay` for every technician of the month at once (the fast path).

    Sets ``ctx.fast.piece_lines`` of every prepared month to exactly the lines
    :func:`~payroll.rules.piece_pay` derives order by order: the same cached terms
    (:func:`~payroll.rules.piece_terms`), quantities, amounts (:func:`~vocabulary.money.to_fen` of
    quantity × factor) and sources, keys in the same order.
    What differs is the shape of the work: ~150,000 lines a month (60% of all lines) are built
    column by column (:func:`~payroll.domain.make_lines`): what a line takes from its terms or its
    technician is gathered by numpy (:func:`_spread`), its sources start as a copy of a
    template with every key in place, and pro-rata amounts are rounded in exact integers
    (:func:`_pro_rata_amounts`). Only the order crossing the base workload (at most one line per
    technician) and KPI values are set line by line.
    """
    count = len(groups.ids)
    if not count:
        return
    # the terms of every group: the few distinct (grade, key) pairs priced once, then gathered
    grade_code: dict[str, int] = {}
    representative: list[TechMonth] = []  # one technician of each grade, to price its terms
    tech_grade = []
    for ctx in contexts:
        code = grade_code.get(ctx.grade)
        if code is None:
            code = grade_code[ctx.grade] = len(representative)
            representative.append(ctx)
        tech_grade.append(code)
    span = max(groups.keys) + 1
    codes = np.asarray(tech_grade, dtype=np.int64)[groups.tech] * span + groups.codes
    distinct, which = np.unique(codes, return_inverse=True)  # group g has terms[which[g]]
    terms = [
        piece_terms(representative[code // span], groups.keys[code % span]) for code in distinct.tolist()
    ]
    ids = groups.ids
    counts = list(map(len, ids))
    pro_rata = contexts[0].paid_shares is not None
    # the sources of a line: its terms' then these keys (in piece_pay's order), values set below
    later: dict[str, object] = {"order_ids": None, "paid_share": None} if pro_rata else {"order_ids": None}
    templates = [{**t.sources, **later} for t in terms]
    sources = list(map(dict.copy, _spread(templates, which)))
    deque(map(setitem, sources, repeat("order_ids"), ids), maxlen=0)
    if pro_rata:  # every order pays its technician's share of its class
        # the share of every (technician, class code), gathered per group
        table = [_paid_shares(ctx)[klass] for ctx in contexts for klass in CLASSES]
        at = groups.tech * 4 + groups.codes % 4
        group_shares = _spread(table, at)
        whole = [Decimal(n) for n in range(max(counts) + 1)]
        quantities = list(map(mul, map(whole.__getitem__, counts), group_shares))
        factors = list(map(_TERMS_FACTOR, terms))
        amounts = _pro_rata_amounts(np.asarray(counts, dtype=np.int64), group_shares, which, factors)
        if amounts is None:  # beyond int64: the Decimal products themselves
            amounts = to_fen_many(map(mul, quantities, _spread(factors, which)))
        share_texts = _spread(list(map(str, table)), at)
        deque(map(setitem, sources, repeat("paid_share"), share_texts), maxlen=0)
    else:  # chronological: n whole orders of a group price the same line, once per (terms, n)
        sizes = np.asarray(counts, dtype=np.int64)
        pairs = which * (int(sizes.max()) + 1) + sizes  # (terms, n) as one integer
        _, example, position = np.unique(pairs, return_index=True, return_inverse=True)
        priced = [_whole_orders(terms[which[g]], counts[g]) for g in example.tolist()]
        quantities = _spread([qty for qty, _ in priced], position)
        amounts = _spread([amount for _, amount in priced], position)
        group_tech = groups.tech
        for g in groups.crossing:  # the order crossing the base is paid for its fraction beyond it
            fraction = contexts[group_tech[g]].crossing_fraction
            assert fraction is not None
            quantities[g] = Decimal(counts[g] - 1) + fraction
            amounts[g] = to_fen(quantities[g] * terms[which[g]].factor)
            sources[g]["partially_paid"] = {ids[g][0]: str(fraction)}
    bounds = groups.bounds
    for t, ctx in enumerate(contexts):
        if ctx.quality is not None and ctx.quality.kpi_values and bounds[t] < bounds[t + 1]:
            kpi_values = dict(ctx.quality.kpi_values)
            for g in range(bounds[t], bounds[t + 1]):
                sources[g]["kpi_values"] = kpi_values
    lines = make_lines(
        _spread(list(map(_TERMS_RULE, terms)), which),
        _spread(list(map(_TERMS_KEY, terms)), which),
        _spread(list(map(_TERMS_LABEL, terms)), which),
        quantities,
        _spread(list(map(_TERMS_RATE, terms)), which),
        _spread(list(map(_TERMS_COEFFICIENT, terms)), which),
        _spread(list(map(_TERMS_MULTIPLIER, terms)), which),
        amounts,
        sources,
    )
    for ctx, (first, last) in zip(contexts, pairwise(bounds), strict=True):
        assert ctx.fast is not None
        ctx.fast.piece_lines = lines[first:last]


def _paid_shares(ctx: TechMonth) -> dict[OvertimeClass, Decimal]:
    shares = ctx.paid_shares
    assert shares is not None  # pro-rata mode: set by deduct_base_pro_rata
    return shares


def _spread(values: Sequence[_T], index: IntArray) -> list[_T]:
    """``[values[i] for i in index]``, gathered by numpy: ~4× faster than a ``map`` of ``__getitem__``.

    The values go into an object array one by one (``fromiter``: never read as nested sequences).
    """
    table = np.fromiter(values, dtype=object, count=len(values))
    gathered: list[_T] = table[index].tolist()
    return gathered


def _pro_rata_amounts(
    sizes: IntArray, shares: Sequence[Decimal], which: IntArray, factors: Sequence[Decimal]
) -> list[int] | None:
    """``to_fen(n × share × factor)`` of every pro-rata group, in exact integer arithmetic.

    Group g has ``sizes[g]`` orders, the share ``shares[g]`` (its technician's, of its class) and
    the factor ``factors[which[g]]`` of its terms. With share = S × 10**s and factor = F × 10**f
    (:func:`~vocabulary.money.decimal_units`), quantity × factor is exactly n·S·F × 10**(s + f)
    whenever n·S·F has at most the Decimal context's precision in digits (so neither Decimal
    product in :func:`~payroll.rules.piece_pay` rounds), and
    :func:`~vocabulary.money.to_fen_scaled` rounds that exact value with the one rule. ~150,000
    Decimal products and roundings become a few numpy passes. None when the largest n·S·F could
    exceed int64 or the precision: the caller then prices with Decimal.
    """
    # equal shares (also 0.5 and 0.50) have the same exact units: converted once per value
    distinct = dict.fromkeys(shares)
    share_units, share_exponent = decimal_units(list(distinct))
    units_of = dict(zip(distinct, share_units, strict=True))
    factor_units, factor_exponent = decimal_units(factors)
    largest = int(sizes.max()) * max(map(abs, share_units)) * max(1, *map(abs, factor_units))
    if largest > _INT64_MAX or largest >= 10 ** getcontext().prec:
        return None
    per_group = np.fromiter(map(units_of.__getitem__, shares), dtype=np.int64, count=len(shares))
    products = sizes * per_group * np.asarray(factor_units, dtype=np.int64)[which]
    try:
        amounts: list[int] = to_fen_scaled(products, share_exponent + factor_exponent).tolist()
    except OverflowError:
        return None
    return amounts


def _whole_orders(terms: PieceTerms, count: int) -> tuple[Decimal, int]:
    """Quantity and amount of a line of ``count`` whole orders (cached per terms, as in piece_pay)."""
    priced = terms.amounts.get(count)
    if priced is None:
        qty = Decimal(count)
        priced = terms.amounts[count] = (qty, to_fen(qty * terms.factor))
    return priced


def overtime_hours_month(contexts: Sequence[TechMonth], by_class: OvertimeDays) -> None:
    """:func:`~payroll.rules.overtime_hours` for every technician of the month at once (the fast path).

    Sets ``ctx.fast.overtime_lines`` to exactly the lines :func:`~payroll.rules.overtime_hours` derives: the
    same priced figures (:func:`~payroll.rules.overtime_priced`) and sources, lines in class order. The
    ~20,000 lines of a month are built per class with C-level ``map`` passes; only the
    comprehensive system's period overtime is worked out technician by technician.
    """
    if not contexts or not contexts[0].policy.pay_overtime_hours:
        return
    policy = contexts[0].policy
    system = ENUM_VALUES[policy.working_time_system]
    per_class: list[tuple[OvertimeClass, list[int], list[Decimal | int], list[dict[str, object]]]] = []
    if policy.working_time_system is WorkingTimeSystem.COMPREHENSIVE:
        # extended hours: the period's hours beyond its norm
        techs: list[int] = []
        amounts: list[Decimal | int] = []
        sources: list[dict[str, object]] = []
        for t, ctx in enumerate(contexts):
            if ctx.crossing_day is not None:  # the period's minutes passed its norm
                period = period_overtime(ctx)
                assert period is not None
                techs.append(t)
                amounts.append(Decimal(str(period["overtime_hours"])))
                sources.append({"period": period, "system": system})
        per_class.append((OvertimeClass.EXTENDED, techs, amounts, sources))
    for klass in (OvertimeClass.EXTENDED, OvertimeClass.REST_DAY, OvertimeClass.HOLIDAY):
        if klass in by_class:  # (extended hours day by day: standard system only)
            techs, minutes, days = by_class[klass]
            sources = [
                {"minutes": m, "days": d, "system": system} for m, d in zip(minutes, days, strict=True)
            ]
            per_class.append((klass, techs, list(minutes), sources))
    out: list[list[PayLine]] = [[] for _ in contexts]
    for klass, techs, quantities, sources in per_class:
        if not techs:
            continue
        grades = map(_POST_GRADE, map(contexts.__getitem__, techs))
        keys = list(zip(grades, quantities, strict=True))
        # the distinct (post grade, minutes or hours) of the class, each priced once
        example = dict(zip(keys, techs, strict=True))
        position = {key: index for index, key in enumerate(example)}
        priced = [
            overtime_priced(
                contexts[t], klass, key[1] if isinstance(key[1], Decimal) else hours_of(contexts[t], key[1])
            )
            for key, t in example.items()
        ]
        which = np.fromiter(map(position.__getitem__, keys), dtype=np.int64, count=len(keys))
        lines = _copies(priced, which, sources)
        deque(map(list.append, map(out.__getitem__, techs), lines), maxlen=0)
    for ctx, lines_of in zip(contexts, out, strict=True):
        assert ctx.fast is not None
        ctx.fast.overtime_lines = lines_of


def bonus_and_penalty_items_month(
    contexts: Sequence[TechMonth], item_ids: dict[str, tuple[list[str], list[int]]]
) -> None:
    """:func:`~payroll.rules.bonus_and_penalty_items` for every technician at once (the fast path).

    ``item_ids`` holds, per item, the order ids of the month's occurrences in completion order
    and where each technician's start (technician t: ``ids[bounds[t]:bounds[t + 1]]``). Sets
    ``ctx.fast.item_lines`` to exactly the lines :func:`~payroll.rules.bonus_and_penalty_items` derives, built
    per item with C-level ``map`` passes.
    """
    items = contexts[0].policy.items if contexts else None
    if not items:
        return
    out: list[list[PayLine]] = [[] for _ in contexts]
    for name in ITEM_NAMES:  # the order of _count_items
        if name not in items:
            continue
        ids, bounds = item_ids[name]
        edges = np.asarray(bounds, dtype=np.int64)
        counts = np.diff(edges)
        techs = np.flatnonzero(counts)
        if not techs.size:
            continue
        id_lists = map(ids.__getitem__, map(slice, edges[techs].tolist(), edges[techs + 1].tolist()))
        template: dict[str, object] = {"item": name, "order_ids": None}
        sources = list(map(dict.copy, repeat(template, techs.size)))
        deque(map(setitem, sources, repeat("order_ids"), id_lists), maxlen=0)
        sizes, which = np.unique(counts[techs], return_inverse=True)
        priced = [item_priced(contexts[0], name, size) for size in sizes.tolist()]
        lines = _copies(priced, which, sources)
        deque(map(list.append, map(out.__getitem__, techs.tolist()), lines), maxlen=0)
    for ctx, lines_of in zip(contexts, out, strict=True):
        assert ctx.fast is not None
        ctx.fast.item_lines = lines_of


def _copies(priced: Sequence[PayLine], which: IntArray, sources: Sequence[dict[str, Any]]) -> list[PayLine]:
    """Many copies of a few priced lines: line g has the figures of ``priced[which[g]]`` and ``sources[g]``.

    The month-wide form of copying one priced line onto a payslip's sources: every field gathered
    by numpy (:func:`_spread`) and the lines built column by column
    (:func:`~payroll.domain.make_lines`).
    """
    columns = [_spread(column, which) for column in zip(*map(LINE_FIGURES, priced), strict=True)]
    rule, key, label, qty, rate, coefficient, multiplier, amount = columns
    return make_lines(rule, key, label, qty, rate, coefficient, multiplier, amount, sources)


# --------------------------------------------------------------------------- month-wide line rules
# The line rules of every technician: the per-technician rules run technician by technician (most
# return at once), the rule that warns of overtime beyond the monthly limit only where the minutes
# could pass it, and the withholding rules (social insurance, housing fund, income tax) for the
# whole month at once: contributions priced once per base and shared, the cumulative tax in exact
# integer fen with numpy. The lines are exactly those of :func:`payroll.rules.line_rules`.

#: the rules priced month-wide at the end of the payslip, in :data:`payroll.rules.RULES` order
WITHHOLDING_RULES: tuple[str, ...] = ("social_insurance", "housing_fund", "income_tax")
_LIMIT_RULE = "overtime_over_limit"


def month_line_rules(contexts: Sequence[TechMonth]) -> list[list[PayLine]]:
    """:func:`payroll.rules.line_rules` of every prepared month (fast path), in technician order."""
    names = [spec.name for spec in RULES]
    tail = names[names.index(_LIMIT_RULE) :]
    if tail != [_LIMIT_RULE, *WITHHOLDING_RULES]:  # the month-wide order below is the registry's
        raise AssertionError(f"RULES must end with {tail}")
    functions = [spec.function for spec in RULES[: names.index(_LIMIT_RULE)]]
    out: list[list[PayLine]] = []
    for ctx in contexts:
        lines: list[PayLine] = []
        extend = lines.extend
        for function in functions:
            extend(function(ctx, lines))
        out.append(lines)
    for t in _may_pass_the_overtime_limit(contexts):
        out[t].extend(overtime_over_limit(contexts[t], out[t]))
    if contexts:
        withholding_month(contexts, out)
    return out


def _may_pass_the_overtime_limit(contexts: Sequence[TechMonth]) -> list[int]:
    """The technicians whose overtime could pass the monthly limit (the rule decides for them).

    An upper bound of the overtime minutes (day by day, plus the comprehensive period's minutes
    above the whole minutes of its norm) at least the limit less a minute: the rule's hours are
    the exact minutes ÷ 60 rounded to 6 places, so no technician left out could pass it.
    """
    limit = contexts[0].calendar.law.overtime.monthly_limit_hours * 60 - 1 if contexts else 0
    comprehensive = (
        bool(contexts) and contexts[0].policy.working_time_system is WorkingTimeSystem.COMPREHENSIVE
    )
    out = []
    for t, ctx in enumerate(contexts):
        assert ctx.fast is not None
        minutes = ctx.fast.overtime_minutes
        if comprehensive and ctx.crossing_day is not None:
            minutes += ctx.period_worked - int(period_standard_hours(ctx) * 60)
        if minutes >= limit:
            out.append(t)
    return out


def withholding_month(contexts: Sequence[TechMonth], lines_of: list[list[PayLine]]) -> None:
    """:func:`~payroll.rules.social_insurance`, :func:`~payroll.rules.housing_fund` and
    :func:`~payroll.rules.income_tax` for every technician at once (appended to ``lines_of``)."""
    first = contexts[0]
    withholding = first.policy.withholding
    law = first.calendar.law
    contributions = np.zeros(len(contexts), dtype=np.int64)
    if withholding.social_insurance:
        _contributions_month(contexts, lines_of, contributions, "social_insurance")
    if withholding.housing_fund:
        _contributions_month(contexts, lines_of, contributions, "housing_fund")
    if withholding.income_tax:
        assert law.income_tax is not None
        _income_tax_month(contexts, lines_of, contributions, law.income_tax)


def _contributions_month(
    contexts: Sequence[TechMonth], lines_of: list[list[PayLine]], withheld: IntArray, kind: str
) -> None:
    """One contribution rule (``social_insurance`` or ``housing_fund``) for every technician at once.

    Every technician has a base of their own (:func:`~payroll.rules.contribution_base`), so the
    amounts base × rate are rounded month-wide in exact integers (the base and the rate in
    :func:`~vocabulary.money.decimal_units` form, :func:`~vocabulary.money.to_fen_scaled`; the
    Decimal products when that declines) and the lines built fund by fund, column by column.
    """
    employee, employer, floor, ceiling = contribution_terms(contexts[0], kind)
    city = contexts[0].calendar.law.city
    bases: list[Decimal] = []
    sources: list[dict[str, Any]] = []
    for ctx in contexts:
        base, basis = contribution_base(ctx.tech.previous_year_average_wage, floor, ceiling)
        bases.append(base)
        sources.append({"base": str(base), "basis": basis, "city": city})
    units, exponent = decimal_units(bases)
    count = len(bases)

    def column(terms: tuple[str, str, str, Decimal]) -> tuple[list[PayLine], list[int]]:
        rule, key, label, rate = terms
        (rate_units,), rate_exponent = decimal_units([rate])
        try:
            amounts: list[int] = to_fen_scaled(
                np.asarray(units, dtype=np.int64) * rate_units, exponent + rate_exponent
            ).tolist()
        except OverflowError:
            amounts = to_fen_many(map(mul, bases, repeat(rate)))
        lines = make_lines(
            [rule] * count,
            [key] * count,
            [label] * count,
            bases,
            [rate] * count,
            [ONE] * count,
            [ONE] * count,
            amounts,
            sources,
        )
        return lines, amounts

    own = [column(terms) for terms in employee]
    theirs = [column(terms)[0] for terms in employer]
    for _, amounts in own:
        withheld -= np.asarray(amounts, dtype=np.int64)
    own_lines = [lines for lines, _ in own]
    for t, ctx in enumerate(contexts):
        lines_of[t].extend([column_lines[t] for column_lines in own_lines])
        ctx.employer_lines.extend([column_lines[t] for column_lines in theirs])


def _income_tax_month(
    contexts: Sequence[TechMonth], lines_of: list[list[PayLine]], contributions: IntArray, law: IncomeTax
) -> None:
    """:func:`~payroll.rules.income_tax` of every technician, the cumulative tax in integer fen.

    tax(x) = x × rate − quick deduction, half-up to the fen, for x fen in a bracket: with rate =
    R × 10**r (:func:`~vocabulary.money.decimal_units`) that is (x·R·10**r − Q) exactly, rounded by
    :func:`~vocabulary.money.to_fen_scaled` — the value :func:`~payroll.rules.tax_on` rounds.
    """
    n = len(contexts)
    gross = np.fromiter(
        (sum(li.amount_fen for li in lines if li.rule in GROSS_RULES) for lines in lines_of), np.int64, n
    )
    additional = np.fromiter(
        (sum(to_fen(d.monthly_amount) for d in ctx.additional) if ctx.additional else 0 for ctx in contexts),
        np.int64,
        n,
    )
    before = [ctx.year_to_date for ctx in contexts]
    ytd = np.array(
        [
            (y.months, y.income_fen, y.contributions_fen, y.additional_deductions_fen, y.tax_fen)
            if y is not None
            else (0, 0, 0, 0, 0)
            for y in before
        ],
        dtype=np.int64,
    ).reshape(n, 5)
    months = ytd[:, 0] + 1
    basic = months * to_fen(law.monthly_basic_deduction)
    income = gross + ytd[:, 1]
    special = contributions + ytd[:, 2]
    additional_total = additional + ytd[:, 3]
    withheld = ytd[:, 4]
    taxable = income - basic - special - additional_total
    limits = np.array([to_fen(b.up_to) for b in law.brackets if b.up_to is not None], dtype=np.int64)
    bracket = np.searchsorted(limits, np.maximum(taxable, 0), side="left")
    rate_units, rate_exponent = decimal_units([b.rate for b in law.brackets])
    quick = np.array([to_fen(b.quick_deduction) for b in law.brackets], dtype=np.int64)
    # taxable (fen) × rate − quick (fen), in units of 10**rate_exponent fen, then to whole fen
    exact = taxable * np.asarray(rate_units, dtype=np.int64)[bracket] - quick[bracket] * 10**-rate_exponent
    cumulative = np.where(taxable > 0, to_fen_scaled(exact, rate_exponent - 2), 0)
    due = np.maximum(cumulative - withheld, 0)
    label = "individual income tax, cumulative withholding"
    rates: dict[int, Decimal] = {}
    brackets = law.brackets
    columns = zip(
        gross.tolist(),
        income.tolist(),
        basic.tolist(),
        special.tolist(),
        additional_total.tolist(),
        taxable.tolist(),
        bracket.tolist(),
        cumulative.tolist(),
        withheld.tolist(),
        months.tolist(),
        due.tolist(),
        strict=True,
    )
    for ctx, lines, figures in zip(contexts, lines_of, columns, strict=True):
        month_gross, total, basic_fen, special_fen, added, taxable_fen, at, tax, before_fen, count, owed = (
            figures
        )
        rate = rates.get(owed)
        if rate is None:
            rate = rates[owed] = -fen_as_yuan(owed) if owed else ZERO
        chosen = brackets[at]
        sources = {
            "month_income_fen": month_gross,
            "cumulative_income_fen": total,
            "cumulative_basic_deduction_fen": basic_fen,
            "cumulative_contributions_fen": special_fen,
            "cumulative_additional_deductions_fen": added,
            "additional_deductions": {d.kind: str(d.monthly_amount) for d in ctx.additional},
            "cumulative_taxable_fen": taxable_fen,
            "bracket_rate": str(chosen.rate),
            "quick_deduction": str(chosen.quick_deduction),
            "cumulative_tax_fen": tax,
            "withheld_before_fen": before_fen,
            "months": count,
        }
        ctx.year_to_date_after = {
            "months": count,
            "income_fen": total,
            "contributions_fen": special_fen,
            "additional_deductions_fen": added,
            "tax_fen": before_fen + owed,
        }
        lines.append(make_line("income_tax", "income_tax", label, ONE, rate, ONE, ONE, -owed, sources))
