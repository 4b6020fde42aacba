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

Both are pure functions of plain data, plus one loader each that reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from timepool.domain import StandardTable

from payroll.domain import AttendanceDay, DayStatus
from vocabulary.calendar import DayKind, day_kind
from vocabulary.orders import OrderType

#: calendar days on which a rostered rest is time off in lieu of rest-day work
_WORKING_KINDS = frozenset({DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY})
#: minutes of a shift when a stored roster does not say (the default day shift)
DEFAULT_SHIFT_MINUTES = 480


@dataclass(frozen=True)
class RosterDays:
    """One published roster, as payroll needs it.

    Attributes
    ----------
    start:
        Date of day 0 of the roster.
    assignment:
        Technician id → shift id (or None: rest) per day of the roster.
    shift_minutes:
        Minutes of each shift id.
    unavailable:
        Technician id → days (indexes) of leave or unavailability.
    """

    start: dt.date
    assignment: Mapping[str, Sequence[str | None]]
    shift_minutes: Mapping[str, int] = field(default_factory=dict)
    unavailable: Mapping[str, Iterable[int]] = field(default_factory=dict)


def attendance_from_roster(
    rosters: Sequence[RosterDays],
    first: dt.date,
    last: dt.date,
    employment: Mapping[str, tuple[dt.date, dt.date | None]],
) -> list[AttendanceDay]:
    """Attendance days of ``first .. last`` from published rosters (later rosters win on overlaps).

    Only technicians in ``employment`` (id → start, end) and days inside their employment count.
    Work on a calendar rest day is marked ``comp_time_off`` when :func:`time_off_in_lieu` finds a
    rostered rest on a working day of the same week for it.
    """
    cells: dict[tuple[str, dt.date], tuple[DayStatus, int]] = {}
    for roster in rosters:
        for tech_id, row in roster.assignment.items():
            if tech_id not in employment:
                continue
            away = set(roster.unavailable.get(tech_id, ()))
            for index, shift in enumerate(row):
                day = roster.start + dt.timedelta(days=index)
                if not first <= day <= last:
                    continue
                if shift is not None:
                    minutes = roster.shift_minutes.get(shift, DEFAULT_SHIFT_MINUTES)
                    cells[tech_id, day] = (DayStatus.WORK, minutes)
                elif index in away:
                    cells[tech_id, day] = (DayStatus.PAID_LEAVE, 0)
                else:
                    cells[tech_id, day] = (DayStatus.REST, 0)
    employed = {key: value for key, value in cells.items() if _employed(employment[key[0]], key[1])}
    in_lieu = time_off_in_lieu(employed)
    return [
        AttendanceDay(tech_id, day, status, minutes, comp_time_off=(tech_id, day) in in_lieu)
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


def rosters_from_db(session: Session, first: dt.date, last: dt.date) -> list[RosterDays]:
    """The newest published version of every roster period overlapping ``first .. last``.

    Ordered by period start, then publication, so that a later roster wins where two overlap.
    """
    from scheduler.roster.store import PUBLISHED, RosterVersionRow

    rows = session.scalars(
        select(RosterVersionRow)
        .where(RosterVersionRow.status == PUBLISHED, RosterVersionRow.period_start <= last)
        .order_by(RosterVersionRow.period_start, RosterVersionRow.version)
    )
    newest: dict[tuple[str, dt.date], RosterVersionRow] = {}
    for row in rows:
        if row.period_start + dt.timedelta(days=row.days - 1) < first:
            continue
        newest[row.branch_id, row.period_start] = row  # versions ascending: the last is the newest
    out = []
    for row in sorted(newest.values(), key=lambda r: (r.period_start, r.published_at or dt.datetime.min)):
        problem = row.problem or {}
        start_iso = problem.get("start_date")
        out.append(
            RosterDays(
                start=dt.date.fromisoformat(start_iso) if start_iso else row.period_start,
                assignment=(row.result or {}).get("assignment", {}),
                shift_minutes={s["id"]: int(s["minutes"]) for s in problem.get("shifts", ())},
                unavailable={k: list(v) for k, v in (problem.get("days_off") or {}).items()},
            )
        )
    return out


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
            from timepool.pool import standard_minutes

            table = self.tables.get(branch_id)
            value = (
                None
                if table is None
                else standard_minutes(table, order_type, difficulty, area_type, self.notes)
            )
            self._cache[key] = None if value is None else whole_minutes(value)
        return self._cache[key]


def standard_minutes_from_timepool(session: Session, branch_ids: Iterable[str]) -> StandardMinutes:
    """The newest stored standard-hour table of each branch (or the ``all-branches`` one)."""
    from timepool.store import StandardVersionRow, load_standard_table

    scopes = set(session.scalars(select(StandardVersionRow.scope)))
    fallback = load_standard_table(session, "all-branches") if "all-branches" in scopes else None
    tables: dict[str, StandardTable] = {}
    sources: dict[str, str] = {}
    for branch_id in sorted(set(branch_ids)):
        table = load_standard_table(session, branch_id) if branch_id in scopes else fallback
        if table is not None:
            tables[branch_id] = table
            version = session.scalar(
                select(StandardVersionRow.version)
                .where(StandardVersionRow.scope == table.scope)
                .order_by(StandardVersionRow.version.desc())
                .limit(1)
            )
            sources[branch_id] = f"{table.scope} v{version}"
    return StandardMinutes(tables, sources)
