"""What payroll reads from the instruments before it: days worked from the roster, standard minutes
from the work-hour pool.

The data flow is one way — observations → standard hours → pool → quotas → roster → dispatch →
completed orders + KPIs → pay — and this module is where pay meets the two upstream instruments
that are not orders:

- :func:`attendance_from_roster`: the *published* rosters of the month become attendance days
  (work with the shift's minutes, rest, leave). Under the standard working-time system, work on a
  rest day of the calendar is paid at 200% unless time off in lieu is given; the rolling rest
  roster gives exactly that — a rostered rest on an ordinary working day of the same ISO week —
  so each such rest day compensates one rest-day shift of that week, first come first served
  (:func:`time_off_in_lieu`). Leave in the roster (its unavailable days inside employment) is
  paid leave: the roster does not know whether leave is unpaid; unpaid leave comes in an
  attendance file.
- :func:`standard_minutes_from_timepool`: each order's standard minutes from the newest stored
  standard-hour table of the technician's branch (cell by order type, difficulty and the area type
  of the order's small area, with the pool's documented fallbacks), rounded half-up to whole
  minutes; with no stored table the policy's own table applies (and the run says so).

Both are pure functions of plain data, plus one loader each that reads the upstream instrument
through its store's public functions (never its tables or stored JSON).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from payroll.domain import AttendanceDay, DayStatus
from scheduler.roster.store import PublishedRoster, published_rosters
from timepool.domain import StandardTable
from timepool.pool import standard_minutes
from timepool.store import list_standard_versions, load_standard_table
from vocabulary.calendar import DayKind, day_kind
from vocabulary.orders import OrderType

#: calendar days on which a rostered rest is time off in lieu of rest-day work
_WORKING_KINDS = frozenset({DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY})
#: minutes of a shift when a stored roster does not say (the default day shift)
DEFAULT_SHIFT_MINUTES = 480


def attendance_from_roster(
    rosters: Sequence[PublishedRoster],
    first: dt.date,
    last: dt.date,
    employment: Mapping[str, tuple[dt.date, dt.date | None]],
) -> list[AttendanceDay]:
    """Attendance days of ``first .. last`` from published rosters (later rosters win on overlaps).

    Only technicians in ``employment`` (id → start, end) and days inside their employment count.
    A rostered shift is work for the shift's minutes; a day without one is paid leave when it is
    one of the technician's leave days in the roster, else rest. Work on a calendar rest day is
    marked ``comp_time_off`` when :func:`time_off_in_lieu` finds a rostered rest on a working day
    of the same week for it, and that rest is the time off taken for it (status ``time_off``: the
    balance of time off in lieu earns the shift's minutes and spends the day's).
    """
    cells: dict[tuple[str, dt.date], tuple[DayStatus, int]] = {}
    for roster in rosters:
        for cell in roster.technician_days():
            day = cell.day
            if cell.technician_id not in employment or not first <= day <= last:
                continue
            key = (cell.technician_id, day)
            if cell.shift_id is not None:
                minutes = DEFAULT_SHIFT_MINUTES if cell.minutes is None else cell.minutes
                cells[key] = (DayStatus.WORK, minutes)
            elif cell.leave:
                cells[key] = (DayStatus.PAID_LEAVE, 0)
            else:
                cells[key] = (DayStatus.REST, 0)
    employed = {key: value for key, value in cells.items() if _employed(employment[key[0]], key[1])}
    in_lieu = time_off_in_lieu(employed)
    taken = rests_taken_in_lieu(employed)
    return [
        AttendanceDay(
            tech_id,
            day,
            DayStatus.TIME_OFF if (tech_id, day) in taken else status,
            minutes,
            comp_time_off=(tech_id, day) in in_lieu,
        )
        for (tech_id, day), (status, minutes) in sorted(employed.items())
    ]


def _employed(span: tuple[dt.date, dt.date | None], day: dt.date) -> bool:
    start, end = span
    return start <= day and (end is None or day <= end)


def time_off_in_lieu(cells: Mapping[tuple[str, dt.date], tuple[DayStatus, int]]) -> set[tuple[str, dt.date]]:
    """Rest-day shifts compensated by a rostered rest on a working day of the same ISO week.

    Per technician and week: the calendar rest days worked, in date order, are paired one to one
    with the rostered rests on calendar working days; the paired ones are compensated.
    """
    worked_rest: dict[tuple[str, int, int], list[dt.date]] = {}
    rest_on_workday: dict[tuple[str, int, int], int] = {}
    for (tech_id, day), (status, _) in cells.items():
        year, week, _weekday = day.isocalendar()
        key = (tech_id, year, week)
        kind = day_kind(day)
        if status is DayStatus.WORK and kind is DayKind.REST_DAY:
            worked_rest.setdefault(key, []).append(day)
        elif status is DayStatus.REST and kind in _WORKING_KINDS:
            rest_on_workday[key] = rest_on_workday.get(key, 0) + 1
    out: set[tuple[str, dt.date]] = set()
    for key, days in worked_rest.items():
        for day in sorted(days)[: rest_on_workday.get(key, 0)]:
            out.add((key[0], day))
    return out


def rests_taken_in_lieu(
    cells: Mapping[tuple[str, dt.date], tuple[DayStatus, int]],
) -> set[tuple[str, dt.date]]:
    """The rostered rests on working days that :func:`time_off_in_lieu` pairs with rest-day shifts.

    Per technician and ISO week, as many of the rests on calendar working days (in date order)
    as there are calendar rest days worked.
    """
    worked_rest: dict[tuple[str, int, int], int] = {}
    rests: dict[tuple[str, int, int], list[dt.date]] = {}
    for (tech_id, day), (status, _) in cells.items():
        year, week, _weekday = day.isocalendar()
        key = (tech_id, year, week)
        kind = day_kind(day)
        if status is DayStatus.WORK and kind is DayKind.REST_DAY:
            worked_rest[key] = worked_rest.get(key, 0) + 1
        elif status is DayStatus.REST and kind in _WORKING_KINDS:
            rests.setdefault(key, []).append(day)
    return {(key[0], day) for key, days in rests.items() for day in sorted(days)[: worked_rest.get(key, 0)]}


def rosters_from_db(session: Session, first: dt.date, last: dt.date) -> list[PublishedRoster]:
    """The newest published version of every roster period overlapping ``first .. last``.

    Read through :func:`scheduler.roster.store.published_rosters`: ordered by period start, then
    publication, so that a later roster wins where two overlap.
    """
    return published_rosters(session, first, last)


def whole_minutes(value: float) -> int:
    """Standard minutes as whole minutes, half-up, at least 1 (the pay rules count integer minutes)."""
    return max(1, int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


@dataclass
class StandardMinutes:
    """Standard minutes per (branch, order type, difficulty, area type) from the stored timepool tables.

    ``tables`` maps a branch id to its table (a branch without its own table uses the
    ``all-branches`` one when stored); ``sources`` says which table version each branch used;
    ``notes`` lists the fallbacks taken (a cell without observations).
    """

    tables: Mapping[str, StandardTable]
    sources: dict[str, str] = field(default_factory=dict)
    notes: set[str] = field(default_factory=set)
    _cache: dict[tuple[str, OrderType, int, str], int | None] = field(default_factory=dict)

    def minutes(self, branch_id: str, order_type: OrderType, difficulty: int, area_type: str) -> int | None:
        """Whole standard minutes of one order, or None when no table (or cell) covers it."""
        key = (branch_id, order_type, difficulty, area_type)
        if key not in self._cache:
            table = self.tables.get(branch_id)
            value = (
                None
                if table is None
                else standard_minutes(table, order_type, difficulty, area_type, self.notes)
            )
            self._cache[key] = None if value is None else whole_minutes(value)
        return self._cache[key]


def standard_minutes_from_timepool(session: Session, branch_ids: Iterable[str]) -> StandardMinutes:
    """The newest stored standard-hour table of each branch (or the ``all-branches`` one).

    Read through the work-hour pool's store (:func:`timepool.store.list_standard_versions`,
    :func:`timepool.store.load_standard_table`).
    """
    newest: dict[str, int] = {}
    for stored in list_standard_versions(session):
        scope, version = stored["scope"], stored["version"]
        newest[scope] = max(version, newest.get(scope, version))
    loaded: dict[str, StandardTable] = {}

    def table_of(scope: str) -> StandardTable:
        if scope not in loaded:
            loaded[scope] = load_standard_table(session, scope, newest[scope])
        return loaded[scope]

    tables: dict[str, StandardTable] = {}
    sources: dict[str, str] = {}
    for branch_id in sorted(set(branch_ids)):
        scope = branch_id if branch_id in newest else "all-branches"
        if scope in newest:
            tables[branch_id] = table_of(scope)
            sources[branch_id] = f"{scope} v{newest[scope]}"
    return StandardMinutes(tables, sources)
