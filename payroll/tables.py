"""A month's orders and attendance days as columns: the form the readers hand to the computation.

A month of 10,000 technicians has 300,000 completed orders and 270,000 attendance days. As
:class:`~payroll.domain.PayOrder` / :class:`~payroll.domain.AttendanceDay` objects they cost the
computation a pass over every object per field it reads (~0.5 s of attribute look-ups and date
arithmetic at that size, a third of the month). The file reader (:mod:`payroll.io`) and the
database loader (:mod:`payroll.jobs`) therefore collect each field into a column as they validate
the rows, and :func:`payroll.compute.compute_month` reads the columns directly.

Both tables are read-only :class:`~collections.abc.Sequence` s of the record objects, so every
caller that iterates, indexes or compares orders keeps working unchanged: a record is built on
access (the few the computation needs as objects — repeat-fault orders, leave days — are built
that way), two tables or a table and a tuple of the same records compare equal, and ``repr`` is
that of the tuple (a run's input digest does not depend on the form its inputs came in).

Times are integer microseconds and days are proleptic ordinals (``date.toordinal()``), naive local
time as on the orders; nothing here is money.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, repeat
from operator import attrgetter, eq, floordiv, itemgetter, ne, sub
from typing import Any, Self, TypeVar, overload

import numpy as np
import numpy.typing as npt

from payroll.domain import AttendanceDay, DayStatus, PayOrder
from vocabulary.orders import OrderType

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Completion times are counted in microseconds from this instant (naive, as the orders' times)
EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)

#: The optional fields of an order and their defaults: most orders have none of them set, so a
#: table keeps them only for the orders that do ("unusual" orders)
OPTIONAL_FIELDS: tuple[str, ...] = (
    "standard_minutes",
    "repeat_fault_within_days",
    "repeat_of",
    "complaint",
    "praise",
    "appointment_kept",
)
OPTIONAL_DEFAULTS: tuple[Any, ...] = (None, None, None, False, False, None)
_FIELDS = attrgetter(*(f.name for f in dataclasses.fields(PayOrder)))


_NEW = object.__new__
#: the slot setters of PayOrder's fields, in field order (see :meth:`OrderTable.records`)
_ORDER_SETTERS = tuple(PayOrder.__dict__[f.name].__set__ for f in dataclasses.fields(PayOrder))


def microsecond_of(at: dt.datetime) -> int:
    """A naive datetime as integer microseconds since :data:`EPOCH`."""
    return (at - EPOCH) // _MICROSECOND


def microseconds(times: Iterable[dt.datetime], count: int) -> IntArray:
    """:func:`microsecond_of` of many datetimes (C-level passes)."""
    deltas = map(sub, times, repeat(EPOCH))
    return np.fromiter(map(floordiv, deltas, repeat(_MICROSECOND)), np.int64, count)


_R = TypeVar("_R")


class _Table(Sequence[_R]):
    """What both tables share: a read-only sequence whose records are built from its columns on
    access (:meth:`records`), equal to any sequence of the same records, shown as their tuple."""

    __slots__ = ()

    def records(self, positions: Iterable[int]) -> list[_R]:
        """The record objects at ``positions``, built column by column."""
        raise NotImplementedError

    def take(self, positions: Iterable[int]) -> Self:
        """The records at ``positions`` (ascending), as a new table."""
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> _R: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> _R | Self:
        count = len(self)
        if isinstance(index, slice):
            return self.take(range(count)[index])
        if not -count <= index < count:
            raise IndexError(f"{type(self).__name__} index out of range")
        return self.records([index % count])[0]

    def __iter__(self) -> Iterator[_R]:
        return iter(self.records(range(len(self))))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(map(eq, self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(tuple(self))


class OrderTable(_Table[PayOrder]):
    """Completed orders as columns; a read-only sequence of :class:`~payroll.domain.PayOrder`.

    Attributes
    ----------
    ids, technician_ids, order_types, difficulties:
        One entry per order.
    completed_us:
        Completion times, integer microseconds since :data:`EPOCH`.
    unusual_at:
        Ascending positions of the orders with an optional field set (see :data:`OPTIONAL_FIELDS`).
    unusual:
        The optional fields of those orders, in :data:`OPTIONAL_FIELDS` order; every other order has
        :data:`OPTIONAL_DEFAULTS`.
    """

    __slots__ = (
        "ids",
        "technician_ids",
        "order_types",
        "difficulties",
        "completed_us",
        "unusual_at",
        "unusual",
        "_extras",
    )

    def __init__(
        self,
        ids: list[str],
        technician_ids: list[str],
        order_types: list[OrderType],
        difficulties: list[int],
        completed_us: IntArray,
        unusual_at: list[int] | None = None,
        unusual: list[tuple[Any, ...]] | None = None,
    ) -> None:
        count = len(ids)
        unusual_at = [] if unusual_at is None else unusual_at
        unusual = [] if unusual is None else unusual
        if not (
            len(technician_ids) == len(order_types) == len(difficulties) == len(completed_us) == count
            and len(unusual_at) == len(unusual)
        ):
            raise ValueError("the columns of an order table differ in length")
        if any(len(row) != len(OPTIONAL_FIELDS) for row in unusual):
            raise ValueError(f"an unusual order's optional fields are {OPTIONAL_FIELDS}")
        if unusual_at and (
            unusual_at[0] < 0 or unusual_at[-1] >= count or unusual_at != sorted(set(unusual_at))
        ):
            raise ValueError("unusual_at must be distinct ascending positions of the table")
        self.ids = ids
        self.technician_ids = technician_ids
        self.order_types = order_types
        self.difficulties = difficulties
        self.completed_us = np.asarray(completed_us, dtype=np.int64)
        self.unusual_at = unusual_at
        self.unusual = unusual
        self._extras: dict[int, tuple[Any, ...]] | None = None

    @classmethod
    def from_columns(
        cls,
        ids: list[str],
        technician_ids: list[str],
        order_types: list[OrderType],
        difficulties: list[int],
        completed_us: IntArray,
        optional: Sequence[Sequence[Any]],
    ) -> OrderTable:
        """A table from whole columns; ``optional`` holds one column per :data:`OPTIONAL_FIELDS`
        (the default where an order has none), of which only the unusual orders' rows are kept."""
        count = len(ids)
        if len(optional) != len(OPTIONAL_FIELDS) or any(len(column) != count for column in optional):
            raise ValueError(f"give one column of {count} values for each of {OPTIONAL_FIELDS}")
        unusual_at = sorted(
            set().union(
                *(
                    compress(range(count), map(ne, column, repeat(default)))
                    for column, default in zip(optional, OPTIONAL_DEFAULTS, strict=True)
                )
            )
        )
        unusual = zip(*(list(map(column.__getitem__, unusual_at)) for column in optional), strict=True)
        return cls(ids, technician_ids, order_types, difficulties, completed_us, unusual_at, list(unusual))

    @classmethod
    def from_orders(cls, orders: Sequence[PayOrder]) -> OrderTable:
        """The table of some order objects (the same orders, in the same order)."""
        if isinstance(orders, OrderTable):
            return orders
        builder = OrderTableBuilder()
        for order in orders:
            builder.add_order(order)
        return builder.build()

    def __len__(self) -> int:
        return len(self.ids)

    def records(self, positions: Iterable[int]) -> list[PayOrder]:
        """The order objects at ``positions``, built column by column (C-level passes)."""
        at = list(positions)
        if self._extras is None:
            self._extras = dict(zip(self.unusual_at, self.unusual, strict=True))
        optional = list(map(self._extras.get, at, repeat(OPTIONAL_DEFAULTS)))
        # numpy makes the datetimes (7× faster than EPOCH + timedelta per order)
        micros = self.completed_us[np.asarray(at, dtype=np.int64)].astype("datetime64[us]").tolist()
        columns = (
            map(self.ids.__getitem__, at),
            map(self.technician_ids.__getitem__, at),
            map(self.order_types.__getitem__, at),
            map(self.difficulties.__getitem__, at),
            iter(micros),
            *(map(itemgetter(i), optional) for i in range(len(OPTIONAL_FIELDS))),
        )
        # the frozen dataclass's own __init__ sets each field through object.__setattr__ (~3 µs an
        # order); allocating the objects and setting one slot of all of them per pass is ~4× less
        orders = list(map(_NEW, repeat(PayOrder, len(at))))
        for setter, column in zip(_ORDER_SETTERS, columns, strict=True):
            deque(map(setter, orders, column), maxlen=0)
        return orders

    def take(self, positions: Iterable[int]) -> OrderTable:
        """The orders at ``positions`` (ascending), as a new table."""
        at = list(positions)
        index = np.asarray(at, dtype=np.int64)
        keep = np.zeros(len(self), dtype=np.bool_)
        keep[index] = True
        new_position = np.cumsum(keep) - 1
        flags: Iterable[bool] = keep[np.asarray(self.unusual_at, dtype=np.int64)] if self.unusual_at else []
        return OrderTable(
            list(map(self.ids.__getitem__, at)),
            list(map(self.technician_ids.__getitem__, at)),
            list(map(self.order_types.__getitem__, at)),
            list(map(self.difficulties.__getitem__, at)),
            self.completed_us[index],
            [int(new_position[p]) for p in compress(self.unusual_at, flags)],
            list(compress(self.unusual, flags)),
        )


class OrderTableBuilder:
    """Collects orders field by field (a reader's rows) into an :class:`OrderTable`."""

    __slots__ = ("_columns",)

    def __init__(self) -> None:
        #: one list per field of :class:`~payroll.domain.PayOrder`, in its order
        self._columns: tuple[list[Any], ...] = tuple([] for _ in _ORDER_SETTERS)

    def add(
        self,
        order_id: str,
        technician_id: str,
        order_type: OrderType,
        difficulty: int,
        completed_at: dt.datetime,
        standard_minutes: int | None = None,
        repeat_fault_within_days: int | None = None,
        repeat_of: str | None = None,
        complaint: bool = False,
        praise: bool = False,
        appointment_kept: bool | None = None,
    ) -> None:
        """Append one order (the fields of :class:`~payroll.domain.PayOrder`, in its order)."""
        values = (
            order_id,
            technician_id,
            order_type,
            difficulty,
            completed_at,
            standard_minutes,
            repeat_fault_within_days,
            repeat_of,
            complaint,
            praise,
            appointment_kept,
        )
        deque(map(list.append, self._columns, values), maxlen=0)

    def add_order(self, order: PayOrder) -> None:
        """Append an order object."""
        deque(map(list.append, self._columns, _FIELDS(order)), maxlen=0)

    def __len__(self) -> int:
        return len(self._columns[0])

    def build(self) -> OrderTable:
        """The table of every order added so far."""
        ids, techs, types, levels, times, *optional = self._columns
        return OrderTable.from_columns(ids, techs, types, levels, microseconds(times, len(times)), optional)


class AttendanceTable(_Table[AttendanceDay]):
    """Attendance days as columns; a read-only sequence of :class:`~payroll.domain.AttendanceDay`.

    Attributes
    ----------
    technician_ids, statuses:
        One entry per technician-day.
    days:
        The days as proleptic ordinals (``date.toordinal()``).
    worked_minutes, comp_time_off:
        Minutes worked and whether rest-day work was given time off in lieu.
    """

    __slots__ = ("technician_ids", "days", "statuses", "worked_minutes", "comp_time_off")

    def __init__(
        self,
        technician_ids: list[str],
        days: IntArray,
        statuses: list[DayStatus],
        worked_minutes: IntArray,
        comp_time_off: BoolArray,
    ) -> None:
        if not len(technician_ids) == len(days) == len(statuses) == len(worked_minutes) == len(comp_time_off):
            raise ValueError("the columns of an attendance table differ in length")
        self.technician_ids = technician_ids
        self.days = np.asarray(days, dtype=np.int64)
        self.statuses = statuses
        self.worked_minutes = np.asarray(worked_minutes, dtype=np.int64)
        self.comp_time_off = np.asarray(comp_time_off, dtype=np.bool_)

    @classmethod
    def from_days(cls, records: Sequence[AttendanceDay]) -> AttendanceTable:
        """The table of some attendance objects (the same days, in the same order)."""
        if isinstance(records, AttendanceTable):
            return records
        count = len(records)
        return cls(
            list(map(attrgetter("technician_id"), records)),
            np.fromiter(map(dt.date.toordinal, map(attrgetter("day"), records)), np.int64, count),
            list(map(attrgetter("status"), records)),
            np.fromiter(map(attrgetter("worked_minutes"), records), np.int64, count),
            np.fromiter(map(attrgetter("comp_time_off"), records), np.bool_, count),
        )

    def __len__(self) -> int:
        return len(self.technician_ids)

    def records(self, positions: Iterable[int]) -> list[AttendanceDay]:
        """The attendance objects at ``positions``."""
        at = list(positions)
        index = np.asarray(at, dtype=np.int64)
        return list(
            map(
                AttendanceDay,
                map(self.technician_ids.__getitem__, at),
                map(dt.date.fromordinal, self.days[index].tolist()),
                map(self.statuses.__getitem__, at),
                self.worked_minutes[index].tolist(),
                self.comp_time_off[index].tolist(),
            )
        )

    def take(self, positions: Iterable[int]) -> AttendanceTable:
        """The days at ``positions``, as a new table."""
        at = list(positions)
        index = np.asarray(at, dtype=np.int64)
        return AttendanceTable(
            list(map(self.technician_ids.__getitem__, at)),
            self.days[index],
            list(map(self.statuses.__getitem__, at)),
            self.worked_minutes[index],
            self.comp_time_off[index],
        )


def leave_positions(table: AttendanceTable, leave: frozenset[DayStatus]) -> list[int]:
    """Positions of the days whose status is in ``leave``."""
    return list(compress(range(len(table)), map(leave.__contains__, table.statuses)))
